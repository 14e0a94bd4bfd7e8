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
