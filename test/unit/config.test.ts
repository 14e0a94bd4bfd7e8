import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import type { EnvFileSnapshot } from '../../src/config/env-file.js';

function snapshot(values: Record<string, string>): EnvFileSnapshot {
  return { path: '/tmp/.env', explicit: false, found: true, text: '', values };
}

describe('buildConfig', () => {
  it('applies defaults for everything optional', () => {
    const config = buildConfig(snapshot({}), {});
    expect(config.port).toBe(5000);
    expect(config.openai.baseURL).toBe('https://api.openai.com/v1');
    expect(config.twilio.apiBaseURL).toBe('https://api.twilio.com');
    expect(config.openai.realtimeModel).toBe('gpt-realtime-2.1');
  });

  it('lets the process environment win over the .env file', () => {
    const config = buildConfig(snapshot({ PORT: '6000', VOICE: 'alloy' }), { PORT: '7000' });
    expect(config.port).toBe(7000);
    expect(config.sources.PORT).toBe('process');
    expect(config.sources.VOICE).toBe('env-file');
  });

  it('reads the old AGENT_WORKFLOW_ID with a warning to rename it', () => {
    const config = buildConfig(snapshot({ AGENT_WORKFLOW_ID: 'wf_abc123' }), {});
    expect(config.assistant.id).toBe('wf_abc123');
    expect(config.assistant.idVariable).toBe('AGENT_WORKFLOW_ID');
    expect(config.warnings.join('\n')).toMatch(/rename it to ASSISTANT_ID/);
  });

  it('prefers ASSISTANT_ID when both names are set', () => {
    const config = buildConfig(snapshot({ AGENT_WORKFLOW_ID: 'wf_abc123', ASSISTANT_ID: 'asst_abc123' }), {});
    expect(config.assistant.id).toBe('asst_abc123');
    expect(config.warnings.join('\n')).toMatch(/Remove AGENT_WORKFLOW_ID/);
  });

  it('reports a PORT that is not a number instead of guessing', () => {
    const config = buildConfig(snapshot({ PORT: '50a0' }), {});
    expect(config.port).toBeUndefined();
    expect(config.portProblem).toMatch(/not a port number/);
  });

  it('collects the secrets so output can mask them', () => {
    const config = buildConfig(snapshot({ OPENAI_API_KEY: 'sk-proj-abcdefghijklmnop', TWILIO_AUTH_TOKEN: 'a'.repeat(32) }), {});
    expect(config.secrets).toEqual(['sk-proj-abcdefghijklmnop', 'a'.repeat(32)]);
  });
});

describe('the settings for running calls', () => {
  it('defaults to a 10 s agent timeout, a 25 s drain, no call limit and no transfer', () => {
    expect(buildConfig(snapshot({}), {}).calls).toMatchObject({ agentTimeoutMs: 10_000, drainTimeoutMs: 25_000, maxCalls: undefined, transferNumber: undefined });
  });

  it('reads AGENT_TIMEOUT_MS, MAX_CALLS, DRAIN_TIMEOUT_MS and TRANSFER_NUMBER', () => {
    const config = buildConfig(snapshot({ AGENT_TIMEOUT_MS: '4000', MAX_CALLS: '50', DRAIN_TIMEOUT_MS: '0', TRANSFER_NUMBER: ' +14155550999 ' }), {});
    expect(config.calls).toMatchObject({ agentTimeoutMs: 4_000, maxCalls: 50, drainTimeoutMs: 0, transferNumber: '+14155550999' });
    expect(config.warnings).toEqual([]);
  });

  it('falls back to the default on a wrong value, with a warning that names the fix', () => {
    const config = buildConfig(snapshot({ AGENT_TIMEOUT_MS: '10s', MAX_CALLS: '0', TRANSFER_NUMBER: '415-555-0999' }), {});
    expect(config.calls).toMatchObject({ agentTimeoutMs: 10_000, maxCalls: undefined, transferNumber: undefined });
    expect(config.warnings).toEqual([
      'AGENT_TIMEOUT_MS=10s is not a whole number of milliseconds (at least 100); 10000 is used. Fix AGENT_TIMEOUT_MS in .env.',
      'TRANSFER_NUMBER=415-555-0999 is missing the + and country code: E.164 looks like +14155550999; calls whose agent keeps failing will be ended instead of transferred. Fix TRANSFER_NUMBER in .env.',
      'MAX_CALLS=0 is not a whole number of calls (at least 1); no limit is applied. Fix MAX_CALLS in .env.',
    ]);
  });
});
