// Every model in play — Realtime, transcription and the agent's (Agents API, Assistants API, ASSISTANT_MODEL) — judged
// by the shutdown_date the fake /models carries, on a frozen "today": past fails, soon warns, far and none pass.
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { agentModelCheck } from '../../src/doctor/checks/agent-model.js';
import { openaiKeyCheck } from '../../src/doctor/checks/openai-key.js';
import { realtimeModelCheck } from '../../src/doctor/checks/realtime-model.js';
import type { CheckReport } from '../../src/doctor/check.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import type { FakeModel } from '../fakes/openai/models.js';
import { configFrom, leaksSecret } from './openai-check-context.js';

// A made-up "today" and dates around it: nothing here matches a date in the product's code.
const TODAY = '2031-05-10';
const WHEN = {
  past: { date: '2031-04-01', status: 'fail' },
  soon: { date: '2031-06-20', status: 'warn' },
  far: { date: '2032-02-01', status: 'ok' },
  none: { date: null, status: 'ok' },
} as const;
type When = keyof typeof WHEN;

const CURRENT: FakeModel[] = [
  { id: 'gpt-realtime-2.1', shutdown_date: null },
  { id: 'gpt-realtime-2.1-mini', shutdown_date: null },
  { id: 'gpt-transcribe', shutdown_date: null },
  { id: 'gpt-6-luna', shutdown_date: null },
];

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function listWith(model: string, when: When): FakeModel[] {
  return [...CURRENT.filter((entry) => entry.id !== model), { id: model, shutdown_date: WHEN[when].date }];
}

async function startFake(models: FakeModel[], assistantsApi: 'available' | 'sunset' = 'sunset'): Promise<{ fake: FakeOpenAI; client: OpenAI }> {
  fake = await FakeOpenAI.start({ models, assistantsApi });
  return { fake, client: new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 }) };
}

/**
 * Runs the key check and both model checks as the doctor does, with `env` written in .env, and returns the reports
 * by id.
 */
async function doctor(env: Record<string, string>, today = TODAY): Promise<Record<string, CheckReport>> {
  const envFile = { path: '/project/.env', explicit: false, found: true, values: env };
  const config = buildConfig(envFile, { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake!.baseURL });
  const reports = await runChecks([openaiKeyCheck, realtimeModelCheck, agentModelCheck], { config, clock: fixedClock(`${today}T12:00:00Z`) });
  const text = reports.map((report) => [report.summary, ...(report.detail ?? []), report.fix ?? ''].join('\n')).join('\n');
  expect(leaksSecret(text, FAKE_OPENAI_KEY)).toBe(false);
  return Object.fromEntries(reports.map((report) => [report.id, report]));
}

function listRequests(): number {
  return fake!.requests.filter((request) => request.path === '/v1/models').length;
}

function modelLookups(): string[] {
  return fake!.requests.filter((request) => request.path.startsWith('/v1/models/')).map((request) => request.path);
}

/** What each case must say, whichever role the model plays. */
function expectVerdict(report: CheckReport, model: string, when: When, successor: string): void {
  expect(report.status).toBe(WHEN[when].status);
  const where = [report.summary, ...(report.detail ?? [])].join('\n');
  if (when === 'past') {
    expect(where).toContain(`${model} was shut down on ${WHEN.past.date}`);
    expect(report.fix).toContain(successor);
  } else if (when === 'soon') {
    expect(where).toContain(`${model} shuts down on ${WHEN.soon.date} (41 days left)`);
    expect(report.fix).toContain(successor);
  } else if (when === 'far') {
    expect(where).toContain(`${model} is available (shuts down on ${WHEN.far.date})`);
  } else {
    expect(where).toContain(`${model} is available (no shutdown announced)`);
  }
  // One GET /models serves every model in play; none is fetched again on its own.
  expect(listRequests()).toBe(1);
  expect(modelLookups()).toEqual([]);
}

describe('each model role against its shutdown date', () => {
  for (const when of Object.keys(WHEN) as When[]) {
    describe(`a shutdown date that is ${when === 'none' ? 'not announced' : when}`, () => {
      it('judges the Realtime model', async () => {
        await startFake(listWith('gpt-realtime', when));
        const reports = await doctor({ OPENAI_REALTIME_MODEL: 'gpt-realtime' });
        expectVerdict(reports['realtime-model']!, 'gpt-realtime', when, 'OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
        expect(reports['agent-model']!.status).toBe('ok');
      });

      it('judges the transcription model', async () => {
        await startFake(listWith('gpt-4o-transcribe', when));
        const reports = await doctor({ OPENAI_TRANSCRIBE_MODEL: 'gpt-4o-transcribe' });
        expectVerdict(reports['realtime-model']!, 'gpt-4o-transcribe', when, 'OPENAI_TRANSCRIBE_MODEL=gpt-transcribe');
      });

      it("judges the model of the Agents API agent in ASSISTANT_ID", async () => {
        const { client } = await startFake(listWith('gpt-4o', when));
        const agent = await client.beta.agents.create({ name: 'Front desk', model: 'gpt-4o' });
        fake!.requests.length = 0;
        const reports = await doctor({ ASSISTANT_ID: agent.id });
        const report = reports['agent-model']!;
        expectVerdict(report, 'gpt-4o', when, `voicebridge create-assistant --force --model gpt-6-luna`);
        expect(report.detail).toContain(`Agents API agent ${agent.id} "Front desk" runs on gpt-4o.`);
        if (WHEN[when].status !== 'ok') expect(report.fix).toContain(`update agent ${agent.id} to model gpt-6-luna`);
        expect(reports['realtime-model']!.status).toBe('ok');
      });

      it('judges the model of the Assistants API assistant, where that API still answers', async () => {
        const { client } = await startFake(listWith('gpt-4.1', when), 'available');
        const assistant = await client.beta.assistants.create({ name: 'Old desk', model: 'gpt-4.1' });
        fake!.requests.length = 0;
        const reports = await doctor({ ASSISTANT_ID: assistant.id });
        const report = reports['agent-model']!;
        expectVerdict(report, 'gpt-4.1', when, `voicebridge create-assistant --force --model gpt-6-luna`);
        expect(report.detail).toContain(`Assistants API assistant ${assistant.id} "Old desk" runs on gpt-4.1.`);
      });

      it('judges ASSISTANT_MODEL for the Responses backend', async () => {
        await startFake(listWith('gpt-5', when));
        const reports = await doctor({ ASSISTANT_MODEL: 'gpt-5', ASSISTANT_INSTRUCTIONS_FILE: 'assistant.md' });
        const report = reports['agent-model']!;
        expectVerdict(report, 'gpt-5', when, 'ASSISTANT_MODEL=gpt-6-luna');
        expect(report.detail).toEqual(['The Responses backend answers with ASSISTANT_MODEL=gpt-5.']);
      });
    });
  }
});

describe('a shutdown date not written as YYYY-MM-DD', () => {
  it('reads a date sent with a time of day as that day, instead of passing the model as if none were announced', async () => {
    await startFake([...CURRENT.filter((entry) => entry.id !== 'gpt-realtime'), { id: 'gpt-realtime', shutdown_date: `${WHEN.soon.date}T00:00:00Z` }]);
    const reports = await doctor({ OPENAI_REALTIME_MODEL: 'gpt-realtime' });
    expectVerdict(reports['realtime-model']!, 'gpt-realtime', 'soon', 'OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
  });
});

describe('the agent model check', () => {
  it('passes the default model of the Responses backend, and says it is the default', async () => {
    await startFake(CURRENT);
    const report = (await doctor({}))['agent-model']!;
    expect(report.status).toBe('ok');
    expect(report.summary).toBe('gpt-6-luna is available (no shutdown announced)');
    expect(report.detail).toEqual(['The Responses backend answers with gpt-6-luna, the default (ASSISTANT_MODEL is not set).']);
  });

  it('fails an agent on a model OpenAI no longer lists, confirmed by GET /models/{model}, with its successor', async () => {
    const { client } = await startFake([...CURRENT, { id: 'gpt-4-turbo', shutdown_date: null }]);
    const agent = await client.beta.agents.create({ model: 'gpt-4-turbo' });
    fake!.models = CURRENT.map((model) => ({ ...model }));
    fake!.requests.length = 0;
    const report = (await doctor({ ASSISTANT_ID: agent.id }))['agent-model']!;
    expect(report.status).toBe('fail');
    expect(report.summary).toBe('gpt-4-turbo has been shut down (OpenAI no longer lists it): calls with it fail; switch to gpt-6-luna');
    expect(report.detail).toContain('GET /models/gpt-4-turbo answered 404 model_not_found.');
    expect(report.fix).toBe(
      `Run: npx voicebridge create-assistant --force --model gpt-6-luna (it creates a new agent and writes its ID into .env), or update agent ${agent.id} to model gpt-6-luna (client.beta.agents.update).`,
    );
    expect(modelLookups()).toEqual(['/v1/models/gpt-4-turbo']);
  });

  it('fails an ASSISTANT_MODEL this key cannot use at all', async () => {
    await startFake(CURRENT);
    const report = (await doctor({ ASSISTANT_MODEL: 'gpt-6-lunar' }))['agent-model']!;
    expect(report.status).toBe('fail');
    expect(report.summary).toBe('gpt-6-lunar is not among the models OpenAI offers this key: calls with it fail; switch to gpt-6-luna');
    expect(report.fix).toBe('Set ASSISTANT_MODEL=gpt-6-luna in .env.');
  });

  it('accepts a model the list lacks when GET /models/{model} finds it', async () => {
    await startFake(CURRENT);
    const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake!.baseURL });
    const partial = { status: 'ok' as const, summary: 'works', facts: { models: [] } };
    const result = await agentModelCheck.run({
      config,
      clock: fixedClock(`${TODAY}T12:00:00Z`),
      results: new Map([['openai-key', partial]]),
      signal: new AbortController().signal,
    });
    expect(result.status).toBe('ok');
    expect(modelLookups()).toEqual(['/v1/models/gpt-6-luna']);
  });

  it('tells a user whose ASSISTANT_MODEL comes from the shell to change it there', async () => {
    await startFake(listWith('gpt-5', 'past'));
    const config = configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake!.baseURL, ASSISTANT_MODEL: 'gpt-5' });
    const reports = await runChecks([openaiKeyCheck, agentModelCheck], { config, clock: fixedClock(`${TODAY}T12:00:00Z`) });
    expect(reports[1]!.detail).toEqual(['The Responses backend answers with ASSISTANT_MODEL=gpt-5, set in your shell.']);
    expect(reports[1]!.fix).toBe('Set ASSISTANT_MODEL=gpt-6-luna in .env, and remove ASSISTANT_MODEL from your shell (it wins over .env).');
  });

  it('is skipped, with the reason, when ASSISTANT_ID is not an agent at all', async () => {
    await startFake(CURRENT);
    const report = (await doctor({ ASSISTANT_ID: 'wf_68f1c2d3e4b5a69788a1b2c3d4e5f601' }))['agent-model']!;
    expect(report.status).toBe('skip');
    expect(report.summary).toMatch(/^no agent to read a model from \(ASSISTANT_ID: an Agent Builder workflow ID/);
    expect(report.fix).toBe('Fix the "Assistant ID" problem first, then run the doctor again.');
  });

  it('is skipped, with the reason, when the agent cannot be found', async () => {
    await startFake(CURRENT);
    const report = (await doctor({ ASSISTANT_ID: 'agent_doesNotExist123' }))['agent-model']!;
    expect(report.status).toBe('skip');
    expect(report.summary).toBe('no agent agent_doesNotExist123 in the project of this key, so its model cannot be read');
  });

  it('is skipped, with the reason, when the endpoint no longer serves the Assistants API', async () => {
    await startFake(CURRENT, 'sunset');
    const report = (await doctor({ ASSISTANT_ID: 'asst_abc123def456' }))['agent-model']!;
    expect(report.status).toBe('skip');
    expect(report.summary).toMatch(/does not serve the Assistants API, so the model of assistant asst_abc123def456 cannot be read$/);
  });

  it('is skipped by the doctor when the key check fails', async () => {
    await startFake(CURRENT);
    const config = configFrom({ OPENAI_API_KEY: 'sk-proj-Nobody7Knows2This9Key4Xy', OPENAI_BASE_URL: fake!.baseURL });
    const reports = await runChecks([openaiKeyCheck, agentModelCheck], { config, clock: fixedClock(`${TODAY}T12:00:00Z`) });
    expect(reports.map((report) => report.status)).toEqual(['fail', 'skip']);
    expect(reports[1]!.summary).toBe('skipped: needs "OpenAI API key" to pass first');
  });
});
