// The GPT-Live model check: whether the key can use gpt-live-1 when VOICE_ENGINE=live, and silence otherwise.
import { afterEach, describe, expect, it } from 'vitest';
import { liveModelCheck } from '../../src/doctor/checks/live-model.js';
import { openaiKeyCheck } from '../../src/doctor/checks/openai-key.js';
import { realtimeModelCheck } from '../../src/doctor/checks/realtime-model.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Runs the key check, then the GPT-Live check with its result, as the doctor does. */
async function checkLive(env: Record<string, string>, options: { withKeyResult?: boolean } = {}): Promise<CheckResult> {
  fake ??= await FakeOpenAI.start();
  const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL, ...env });
  const results: Record<string, CheckResult> = options.withKeyResult === false ? {} : { 'openai-key': await runCheck(openaiKeyCheck, config) };
  const result = await runCheck(liveModelCheck, config, { results });
  expect(leaksSecret(visibleText(result), FAKE_OPENAI_KEY)).toBe(false);
  return result;
}

function lookups(): string[] {
  return fake!.requests.filter((request) => request.path.startsWith('/v1/models/')).map((request) => request.path);
}

describe('the GPT-Live model check', () => {
  it('says nothing about GPT-Live while calls use OpenAI Realtime', async () => {
    const result = await checkLive({});
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('not in use');
    expect(lookups()).toEqual([]);
  });

  it('passes when the key has gpt-live-1, from the list the key check fetched', async () => {
    const result = await checkLive({ VOICE_ENGINE: 'live' });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('gpt-live-1 is available (no shutdown announced)');
    expect(lookups()).toEqual([]);
  });

  it('looks gpt-live-1 up by itself when it has no list', async () => {
    const result = await checkLive({ VOICE_ENGINE: 'live' }, { withKeyResult: false });
    expect(result.status).toBe('ok');
    expect(lookups()).toEqual(['/v1/models/gpt-live-1']);
  });

  it('fails when the key cannot use gpt-live-1, and says how to take calls meanwhile', async () => {
    fake = await FakeOpenAI.start();
    fake.models = fake.models.filter((model) => model.id !== 'gpt-live-1');
    const result = await checkLive({ VOICE_ENGINE: 'live' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('gpt-live-1 is not available to this key (404 model_not_found): every call with VOICE_ENGINE=live would fail');
    expect(result.fix).toContain('Set VOICE_ENGINE=realtime');
  });

  it('warns when gpt-live-1 shuts down within 90 days, with the date and how to move back to Realtime before it', async () => {
    fake = await FakeOpenAI.start();
    fake.models = fake.models.map((model) => (model.id === 'gpt-live-1' ? { ...model, shutdown_date: '2026-12-20' } : model));
    const result = await checkLive({ VOICE_ENGINE: 'live' });
    expect(result.status).toBe('warn');
    expect(result.summary).toBe('gpt-live-1 shuts down on 2026-12-20 (26 days left)');
    expect(result.fix).toBe('Set VOICE_ENGINE=realtime (the default) to take calls with OpenAI Realtime before gpt-live-1 shuts down on 2026-12-20.');
  });

  it('fails when gpt-live-1 is past its shutdown date, and says how to take calls now', async () => {
    fake = await FakeOpenAI.start();
    fake.models = fake.models.map((model) => (model.id === 'gpt-live-1' ? { ...model, shutdown_date: '2026-11-01' } : model));
    const result = await checkLive({ VOICE_ENGINE: 'live' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('gpt-live-1 was shut down on 2026-11-01: calls with it fail');
    expect(result.fix).toBe('Set VOICE_ENGINE=realtime (the default) to take calls with OpenAI Realtime: every call with VOICE_ENGINE=live fails now.');
  });

  it('leaves the Realtime models alone when calls use GPT-Live', async () => {
    fake = await FakeOpenAI.start();
    const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL, VOICE_ENGINE: 'live', OPENAI_REALTIME_MODEL: 'gpt-realtime-retired' });
    const result = await runCheck(realtimeModelCheck, config, { results: { 'openai-key': await runCheck(openaiKeyCheck, config) } });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('not in use: calls speak through GPT-Live (VOICE_ENGINE=live)');
  });
});

describe('VOICE_ENGINE', () => {
  it('defaults to realtime, reads live in any case, and falls back with a warning on anything else', () => {
    expect(configFrom({}).openai.voiceEngine).toBe('realtime');
    expect(configFrom({ VOICE_ENGINE: ' Live ' }).openai.voiceEngine).toBe('live');
    const wrong = configFrom({ VOICE_ENGINE: 'gpt-live' });
    expect(wrong.openai.voiceEngine).toBe('realtime');
    expect(wrong.warnings.join('\n')).toContain('VOICE_ENGINE=gpt-live is not a voice engine (realtime or live); realtime is used. Fix VOICE_ENGINE in .env.');
  });
});
