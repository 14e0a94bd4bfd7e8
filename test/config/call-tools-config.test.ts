// TRANSFER_TARGETS, TOOLS_URL, TOOLS_SECRET and TOOL_TIMEOUT_MS as the config reads them, once, at the edge.
import { describe, expect, it } from 'vitest';
import { buildConfig, parseTransferTargets, type Config } from '../../src/config/config.js';
import { secretsInEnvDocument } from '../../src/config/env-secrets.js';
import { parseEnvDocument } from '../../src/config/env-document.js';

function configFrom(env: Record<string, string>): Config {
  return buildConfig({ path: '/tmp/.env', explicit: false, found: false, values: {} }, env);
}

describe('TRANSFER_TARGETS', () => {
  it('reads named E.164 destinations into a map, spaces around entries allowed', () => {
    const config = configFrom({ TRANSFER_TARGETS: 'sales=+14155550100, support = +14155550101 ,' });
    expect(config.calls.transferTargets).toEqual({ sales: '+14155550100', support: '+14155550101' });
    expect(config.warnings).toEqual([]);
  });

  it('is an empty map when not set, and TRANSFER_NUMBER stays the default destination', () => {
    const config = configFrom({ TRANSFER_NUMBER: '+14155550999' });
    expect(config.calls.transferTargets).toEqual({});
    expect(config.calls.transferNumber).toBe('+14155550999');
  });

  it('drops a malformed entry with a warning that names the fix, and keeps the others', () => {
    const config = configFrom({ TRANSFER_TARGETS: 'sales=415-555-0100,support=+14155550101,+14155550102,front desk=+14155550103,support=+14155550104' });
    expect(config.calls.transferTargets).toEqual({ support: '+14155550101' });
    expect(config.warnings).toEqual([
      'TRANSFER_TARGETS entry sales=415-555-0100 has the number 415-555-0100, which is missing the + and country code: E.164 looks like +14155550100; it is left out, so the agent cannot transfer a call there. Fix TRANSFER_TARGETS in .env.',
      'TRANSFER_TARGETS entry +14155550102 has no name: write it as name=+E.164 number, e.g. sales=+14155550100; it is left out, so the agent cannot transfer a call there. Fix TRANSFER_TARGETS in .env.',
      'TRANSFER_TARGETS entry front desk=+14155550103 has the name "front desk": a name is letters, digits, _ and -, e.g. sales; it is left out, so the agent cannot transfer a call there. Fix TRANSFER_TARGETS in .env.',
      'TRANSFER_TARGETS entry support=+14155550104 names support a second time: the first, +14155550101, is used; it is left out, so the agent cannot transfer a call there. Fix TRANSFER_TARGETS in .env.',
    ]);
  });

  it('gives the doctor the same judgement through parseTransferTargets', () => {
    expect(parseTransferTargets('a=+14155550100,b=12')).toEqual({
      targets: { a: '+14155550100' },
      problems: [{ entry: 'b=12', problem: 'has the number 12, which is not a phone number in E.164 form (+ country code and number, e.g. +14155550123)' }],
    });
  });
});

describe('TOOLS_URL, TOOLS_SECRET and TOOL_TIMEOUT_MS', () => {
  const secret = 'tools-secret-5d4c3b2a1f0e9d8c';

  it('gives the call a URL, the secret and a timeout of 8000 ms by default', () => {
    const config = configFrom({ TOOLS_URL: ' https://api.acme-clinic.com/tools ', TOOLS_SECRET: secret });
    expect(config.tools).toEqual({ url: 'https://api.acme-clinic.com/tools', secret, timeoutMs: 8_000 });
    expect(config.warnings).toEqual([]);
  });

  it('reads TOOL_TIMEOUT_MS, and falls back to 8000 with a warning on a wrong value', () => {
    expect(configFrom({ TOOL_TIMEOUT_MS: '2500' }).tools.timeoutMs).toBe(2_500);
    const wrong = configFrom({ TOOL_TIMEOUT_MS: '5s' });
    expect(wrong.tools.timeoutMs).toBe(8_000);
    expect(wrong.warnings).toEqual(['TOOL_TIMEOUT_MS=5s is not a whole number of milliseconds (at least 100); 8000 is used. Fix TOOL_TIMEOUT_MS in .env.']);
  });

  it('never uses TOOLS_URL without TOOLS_SECRET: a request is never sent unsigned', () => {
    const config = configFrom({ TOOLS_URL: 'https://api.acme-clinic.com/tools' });
    expect(config.tools.url).toBeUndefined();
    expect(config.warnings.join('\n')).toContain('TOOLS_URL is set but TOOLS_SECRET is not');
  });

  it('does not use a TOOLS_URL that is not an http(s) URL, and does not repeat it in the warning', () => {
    const config = configFrom({ TOOLS_URL: 'ftp://user:pa55word@files.example.com/tools', TOOLS_SECRET: secret });
    expect(config.tools.url).toBeUndefined();
    expect(config.warnings).toEqual([
      "TOOLS_URL is not an http(s) URL, so the agent's own functions are not answered on calls. Fix TOOLS_URL in .env (e.g. https://api.example.com/voicebridge/tools).",
    ]);
  });

  it('counts TOOLS_SECRET among the secrets every output masks', () => {
    expect(configFrom({ TOOLS_SECRET: secret }).secrets).toContain(secret);
  });

  it('finds TOOLS_SECRET values in a .env whatever they look like, commented-out ones included', () => {
    const document = parseEnvDocument(`TOOLS_SECRET=${secret}\n# TOOLS_SECRET=an-older-secret-value\nGREETING=Hello there friend\n`);
    expect(secretsInEnvDocument(document)).toEqual([secret, 'an-older-secret-value']);
  });
});
