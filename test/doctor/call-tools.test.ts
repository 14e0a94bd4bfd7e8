// The "Call tools" check: TRANSFER_TARGETS, TOOLS_URL and TOOLS_SECRET judged offline, and the agent check listing the
// agent's tools, warning about functions nothing answers on a call. In words and in --json, with TOOLS_SECRET masked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/check.js';
import { assistantIdCheck } from '../../src/doctor/checks/assistant-id.js';
import { callToolsCheck } from '../../src/doctor/checks/call-tools.js';
import { allChecks } from '../../src/doctor/checks/index.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { runCli } from '../helpers/run-cli.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

const SECRET = 'tools-secret-8c1f0e2d9b7a6f5e4d3c';

async function check(env: Record<string, string>): Promise<CheckResult> {
  const result = await runCheck(callToolsCheck, configFrom(env));
  expect(leaksSecret(visibleText(result), SECRET)).toBe(false);
  return result;
}

describe('the call tools check', () => {
  it('is an offline check, listed with the others', () => {
    expect(callToolsCheck.online).toBeFalsy();
    expect(allChecks.map((entry) => entry.id)).toContain('call-tools');
  });

  it('passes when nothing is set: both variables are optional', async () => {
    const result = await check({});
    expect(result.status).toBe('ok');
    expect(result.summary).toBe("TRANSFER_TARGETS and TOOLS_URL are not set (both optional): the agent's own functions are not answered on calls");
  });

  it('passes well-formed TRANSFER_TARGETS and lists where the agent may transfer', async () => {
    const result = await check({ TRANSFER_TARGETS: 'sales=+14155550100, support=+14155550101' });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('TRANSFER_TARGETS is ready for calls');
    expect(result.detail).toEqual(['the agent may transfer a call to: sales → +14155550100, support → +14155550101']);
  });

  it('fails a TRANSFER_TARGETS entry that is not E.164, saying how to write it', async () => {
    const result = await check({ TRANSFER_TARGETS: 'sales=+14155550100,support=415-555-0101' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(
      'TRANSFER_TARGETS entry support=415-555-0101 has the number 415-555-0101, which is missing the + and country code: E.164 looks like +14155550101',
    );
    expect(result.fix).toBe('Fix TRANSFER_TARGETS in .env: TRANSFER_TARGETS=sales=+14155550100,support=+14155550101 (name=E.164 number, separated by commas).');
    expect(result.detail).toContain('the agent may transfer a call to: sales → +14155550100');
  });

  it('fails an entry with no name', async () => {
    const result = await check({ TRANSFER_TARGETS: '+14155550100' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('TRANSFER_TARGETS entry +14155550100 has no name: write it as name=+E.164 number, e.g. sales=+14155550100');
  });

  it('passes an https TOOLS_URL with a secret, and says what the endpoint must do', async () => {
    const result = await check({ TOOLS_URL: 'https://api.acme-clinic.com/voicebridge/tools', TOOLS_SECRET: SECRET, TOOL_TIMEOUT_MS: '5000' });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('TOOLS_URL and TOOLS_SECRET are ready for calls');
    expect(result.detail).toEqual([
      "the agent's own functions are POSTed to https://api.acme-clinic.com/voicebridge/tools, signed with TOOLS_SECRET; each must answer within 5000 ms (TOOL_TIMEOUT_MS) with at most 64 KB of JSON",
    ]);
  });

  it('warns about http on this machine or a private network', async () => {
    for (const url of ['http://localhost:8080/tools', 'http://127.0.0.1:8080/tools', 'http://10.0.4.2/tools']) {
      const result = await check({ TOOLS_URL: url, TOOLS_SECRET: SECRET });
      expect(result.status).toBe('warn');
      expect(result.summary).toMatch(/^TOOLS_URL uses http \(.+\): fine on one machine or a private network, but the calls and their answers travel unencrypted$/);
      expect(result.fix).toContain('Use https for TOOLS_URL');
    }
  });

  it('fails http on a public host', async () => {
    const result = await check({ TOOLS_URL: 'http://api.acme-clinic.com/tools', TOOLS_SECRET: SECRET });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe("TOOLS_URL uses http on a public host (api.acme-clinic.com): callers' requests and your answers would cross the internet unencrypted");
    expect(result.fix).toBe('Serve the endpoint over https and set TOOLS_URL=https://api.acme-clinic.com/tools.');
  });

  it('fails a TOOLS_URL that is not a URL', async () => {
    const result = await check({ TOOLS_URL: 'api.acme-clinic.com/tools', TOOLS_SECRET: SECRET });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe("TOOLS_URL is not a URL, so the agent's own functions cannot be answered on a call");
    expect(result.fix).toContain('https://api.example.com/voicebridge/tools');
  });

  it('fails TOOLS_URL without TOOLS_SECRET, and says how to make one', async () => {
    const result = await check({ TOOLS_URL: 'https://api.acme-clinic.com/tools' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe("TOOLS_URL is set but TOOLS_SECRET is not: requests cannot be signed, so the agent's own functions are not sent there");
    expect(result.fix).toContain('openssl rand -hex 32');
  });

  it('warns about a short TOOLS_SECRET, and about a secret with no TOOLS_URL', async () => {
    const short = await check({ TOOLS_URL: 'https://api.acme-clinic.com/tools', TOOLS_SECRET: 'hunter2' });
    expect(short.status).toBe('warn');
    expect(short.summary).toBe('TOOLS_SECRET is shorter than 16 characters: easy to guess, and too short to be masked in output');
    expect(visibleText(short)).not.toContain('hunter2');
    const alone = await check({ TOOLS_SECRET: SECRET });
    expect(alone.status).toBe('warn');
    expect(alone.summary).toContain('TOOLS_SECRET is set but TOOLS_URL is not');
  });

  it('never shows the credentials or query string of TOOLS_URL', async () => {
    const result = await check({ TOOLS_URL: 'https://shop:pa55word-xyz@api.acme-clinic.com/tools?key=q-token-123', TOOLS_SECRET: SECRET });
    expect(result.status).toBe('ok');
    expect(visibleText(result)).toContain('https://api.acme-clinic.com/tools');
    expect(visibleText(result)).not.toMatch(/pa55word|q-token-123/);
  });

  it('puts the worst finding first and keeps the others in the detail', async () => {
    const result = await check({ TRANSFER_TARGETS: 'sales=0800', TOOLS_URL: 'http://localhost:9000/tools' });
    expect(result.status).toBe('fail');
    expect(result.detail).toEqual(
      expect.arrayContaining([expect.stringMatching(/^TOOLS_URL uses http/), expect.stringMatching(/^TRANSFER_TARGETS entry sales=0800|^TOOLS_URL is set but TOOLS_SECRET is not/)]),
    );
  });
});

describe("the agent check lists the agent's tools", () => {
  let fake: FakeOpenAI;
  beforeEach(async () => {
    fake = await FakeOpenAI.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  const functionTools = [
    { type: 'function', name: 'book_table', description: 'Books a table', parameters: { type: 'object', properties: {} } },
    { type: 'file_search', vector_store_ids: ['vs_1'] },
    { type: 'function', function: { name: 'lookup_order' } },
  ];

  function withFake(env: Record<string, string>): Record<string, string> {
    return { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL, ...env };
  }

  /** The detail without the note that the test's environment counts as the shell's. */
  function toolDetail(result: CheckResult): string[] {
    return (result.detail ?? []).filter((line) => !line.includes('shell environment'));
  }

  it('warns for each function nothing answers on a call', async () => {
    const agent = seedAgent(fake, { tools: functionTools });
    const result = await runCheck(assistantIdCheck, configFrom(withFake({ ASSISTANT_ID: agent.id })));
    expect(result.status).toBe('warn');
    expect(result.summary).toBe(`${agent.id} is an Agents API agent "Front desk", model gpt-6-luna`);
    expect(toolDetail(result)).toEqual([
      'tools: function book_table, file_search, function lookup_order',
      "the agent's function book_table will get 'not available on phone calls' on a call; set TOOLS_URL to answer it",
      "the agent's function lookup_order will get 'not available on phone calls' on a call; set TOOLS_URL to answer it",
    ]);
    expect(result.fix).toContain('Set TOOLS_URL and TOOLS_SECRET');
  });

  it('passes once TOOLS_URL answers them', async () => {
    const agent = seedAgent(fake, { tools: functionTools });
    const result = await runCheck(assistantIdCheck, configFrom(withFake({ ASSISTANT_ID: agent.id, TOOLS_URL: 'https://api.acme-clinic.com/tools', TOOLS_SECRET: SECRET })));
    expect(result.status).toBe('ok');
    expect(toolDetail(result)).toEqual(['tools: function book_table, file_search, function lookup_order', 'its functions are answered by TOOLS_URL on a call']);
    expect(leaksSecret(visibleText(result), SECRET)).toBe(false);
  });

  it('passes an agent whose tools run by themselves, and one with none', async () => {
    const hosted = seedAgent(fake, { tools: [{ type: 'web_search' }] });
    const withHosted = await runCheck(assistantIdCheck, configFrom(withFake({ ASSISTANT_ID: hosted.id })));
    expect(withHosted.status).toBe('ok');
    expect(toolDetail(withHosted)).toEqual(['tools: web_search']);
    const bare = seedAgent(fake);
    const withNone = await runCheck(assistantIdCheck, configFrom(withFake({ ASSISTANT_ID: bare.id })));
    expect(withNone.status).toBe('ok');
    expect(toolDetail(withNone)).toEqual(['tools: none']);
  });
});

describe('voicebridge doctor with call tools', () => {
  let folder: string;
  let fake: FakeOpenAI;
  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'voicebridge-call-tools-'));
    fake = await FakeOpenAI.start();
  });
  afterEach(async () => {
    rmSync(folder, { recursive: true, force: true });
    await fake.close();
  });

  interface JsonCheck {
    id: string;
    title: string;
    status: string;
    summary: string;
    detail?: string[];
    fix: string | null;
  }

  async function doctor(lines: string[], args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    writeFileSync(join(folder, '.env'), [...lines, ''].join('\n'));
    return runCli(['doctor', ...args], { cwd: folder, env: { VOICEBRIDGE_TODAY: '2026-11-24' }, timeoutMs: 20_000 });
  }

  it('reports the check in --json and in words, with TOOLS_SECRET masked everywhere, a commented-out one included', async () => {
    const agent = seedAgent(fake, { tools: [{ type: 'function', name: 'book_table' }] });
    const olderSecret = 'older-tools-secret-0a9b8c7d6e5f';
    const lines = [
      `OPENAI_API_KEY=${FAKE_OPENAI_KEY}`,
      `OPENAI_BASE_URL=${fake.baseURL}`,
      `ASSISTANT_ID=${agent.id}`,
      'TRANSFER_TARGETS=sales=+14155550100,support=555-0101',
      'TOOLS_URL=http://api.acme-clinic.com/tools',
      `TOOLS_SECRET=${SECRET}`,
      `# TOOLS_SECRET=${olderSecret}`,
      // A value dotenv does not use: the env-file check shows such lines, and must mask them too.
      `TOOLS_SECRET=${SECRET}`,
    ];
    const json = await doctor(lines, ['--json']);
    const human = await doctor(lines, []);
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: JsonCheck[] };
    const entry = report.checks.find((item) => item.id === 'call-tools');
    expect(entry).toEqual(
      expect.objectContaining({
        id: 'call-tools',
        title: 'Call tools',
        status: 'fail',
        summary: 'TRANSFER_TARGETS entry support=555-0101 has the number 555-0101, which is not a phone number in E.164 form (+ country code and number, e.g. +14155550123)',
      }),
    );
    expect(entry!.detail).toEqual(
      expect.arrayContaining([
        "TOOLS_URL uses http on a public host (api.acme-clinic.com): callers' requests and your answers would cross the internet unencrypted",
        'the agent may transfer a call to: sales → +14155550100',
      ]),
    );
    expect(entry!.fix).toContain('Fix TRANSFER_TARGETS in .env');
    expect(entry!.fix).toContain('Serve the endpoint over https');
    expect(report.ok).toBe(false);
    const agentEntry = report.checks.find((item) => item.id === 'assistant-id');
    expect(agentEntry?.detail).toEqual(expect.arrayContaining(['tools: function book_table', 'its functions are answered by TOOLS_URL on a call']));

    expect(human.stdout).toContain('✗ Call tools: TRANSFER_TARGETS entry support=555-0101');
    const everything = [json.stdout, json.stderr, human.stdout, human.stderr].join('\n');
    expect(leaksSecret(everything, SECRET)).toBe(false);
    expect(leaksSecret(everything, olderSecret)).toBe(false);
  });
});
