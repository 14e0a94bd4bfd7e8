import { afterEach, describe, expect, it } from 'vitest';
import { openaiKeyCheck } from '../../src/doctor/checks/openai-key.js';
import { realtimeModelCheck } from '../../src/doctor/checks/realtime-model.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import { replacementFor } from '../../src/models/model-replacements.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Runs the key check, then the model check with its result, as the doctor does. */
async function checkModels(env: Record<string, string>, today = '2026-11-24'): Promise<CheckResult> {
  fake ??= await FakeOpenAI.start();
  const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL, ...env });
  const key = await runCheck(openaiKeyCheck, config);
  const result = await runCheck(realtimeModelCheck, config, { today, results: { 'openai-key': key } });
  expect(leaksSecret(visibleText(result), FAKE_OPENAI_KEY)).toBe(false);
  return result;
}

function lookups(): string[] {
  return fake!.requests.filter((request) => request.path.startsWith('/v1/models/')).map((request) => request.path);
}

describe('the Realtime model check', () => {
  it('passes the default models from the shared list, with no request of its own', async () => {
    const result = await checkModels({});
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('gpt-realtime-2.1 is available (no shutdown announced)');
    expect(result.detail).toEqual(['Transcription model: gpt-transcribe is available (no shutdown announced)']);
    expect(lookups()).toEqual([]);
  });

  it('warns of a model shutting down within 90 days, with the date, the days left and the successor', async () => {
    const result = await checkModels({ OPENAI_REALTIME_MODEL: 'gpt-realtime' });
    expect(result.status).toBe('warn');
    expect(result.summary).toBe('gpt-realtime shuts down on 2027-01-20 (57 days left)');
    expect(result.fix).toContain('Set OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
  });

  it('points the mini model at its own successor', async () => {
    const result = await checkModels({ OPENAI_REALTIME_MODEL: 'gpt-realtime-mini' });
    expect(result.status).toBe('warn');
    expect(result.fix).toContain('Set OPENAI_REALTIME_MODEL=gpt-realtime-2.1-mini');
  });

  it('fails a model whose shutdown date has passed', async () => {
    const result = await checkModels({ OPENAI_REALTIME_MODEL: 'gpt-realtime' }, '2027-01-21');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('gpt-realtime was shut down on 2027-01-20');
    expect(result.fix).toContain('OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
  });

  it('passes a model whose shutdown is further away than 90 days, and says when', async () => {
    const result = await checkModels({ OPENAI_REALTIME_MODEL: 'gpt-realtime' }, '2026-09-01');
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('shuts down on 2027-01-20');
  });

  it('confirms a model missing from the list with GET /models/{model} and fails it on 404', async () => {
    const result = await checkModels({ OPENAI_REALTIME_MODEL: 'gpt-realtime-9' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('gpt-realtime-9 is not available to this key (404 model_not_found)');
    expect(result.fix).toContain('Set OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
    expect(lookups()).toEqual(['/v1/models/gpt-realtime-9']);
  });

  it('accepts a model the list lacks when GET /models/{model} finds it', async () => {
    fake = await FakeOpenAI.start();
    const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL });
    const partialList: CheckResult = { status: 'ok', summary: 'works', facts: { models: [{ id: 'gpt-transcribe', shutdown_date: null }] } };
    const result = await runCheck(realtimeModelCheck, config, { results: { 'openai-key': partialList } });
    expect(result.status).toBe('ok');
    expect(lookups()).toEqual(['/v1/models/gpt-realtime-2.1']);
  });

  it('checks the transcription model the same way', async () => {
    const result = await checkModels({ OPENAI_TRANSCRIBE_MODEL: 'gpt-4o-transcribe' }, '2026-12-15');
    expect(result.status).toBe('warn');
    expect(result.summary).toBe('Transcription model: gpt-4o-transcribe shuts down on 2027-02-26 (73 days left)');
    expect(result.detail).toEqual(['gpt-realtime-2.1 is available (no shutdown announced)']);
    expect(result.fix).toContain('Set OPENAI_TRANSCRIBE_MODEL=gpt-transcribe');
  });

  it('warns when the Realtime model is not a Realtime model at all', async () => {
    const result = await checkModels({ OPENAI_REALTIME_MODEL: 'gpt-6-luna' });
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('not a Realtime model');
    expect(result.fix).toContain('OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
  });

  it('looks each model up itself when the key check has no list (rate-limited)', async () => {
    fake = await FakeOpenAI.start();
    const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL });
    const rateLimited: CheckResult = { status: 'warn', summary: 'rate-limited' };
    const result = await runCheck(realtimeModelCheck, config, { results: { 'openai-key': rateLimited } });
    expect(result.status).toBe('ok');
    expect(lookups().sort()).toEqual(['/v1/models/gpt-realtime-2.1', '/v1/models/gpt-transcribe']);
  });

  it('is skipped by the doctor when the key check fails, and shares one /models request when it passes', async () => {
    fake = await FakeOpenAI.start();
    const clock = fixedClock('2026-11-24T12:00:00Z');
    const bad = configFrom({ OPENAI_API_KEY: 'sk-proj-Nobody7Knows2This9Key4Xy', OPENAI_BASE_URL: fake.baseURL });
    const failed = await runChecks([openaiKeyCheck, realtimeModelCheck], { config: bad, clock });
    expect(failed.map((report) => report.status)).toEqual(['fail', 'skip']);

    fake.requests.length = 0;
    const good = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL });
    const passed = await runChecks([openaiKeyCheck, realtimeModelCheck], { config: good, clock });
    expect(passed.map((report) => report.status)).toEqual(['ok', 'ok']);
    expect(fake.requests.map((request) => request.path)).toEqual(['/v1/models']);
  });
});

describe('model successors', () => {
  it('maps retiring models and their dated snapshots to current ones', () => {
    expect(replacementFor('gpt-realtime')).toBe('gpt-realtime-2.1');
    expect(replacementFor('gpt-realtime-2025-08-28')).toBe('gpt-realtime-2.1');
    expect(replacementFor('gpt-4o-transcribe')).toBe('gpt-transcribe');
    expect(replacementFor('gpt-realtime-2.1')).toBeUndefined();
  });
});
