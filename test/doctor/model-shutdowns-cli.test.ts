// The doctor, run as a user runs it (the built CLI in a folder holding .env), against a models list whose shutdown
// dates are made up here: VOICEBRIDGE_TODAY freezes the day, one GET /models serves every model check.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import type { FakeModel } from '../fakes/openai/models.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_AUTH_TOKEN,
  FAKE_TWILIO_PHONE_NUMBER,
  FakeTwilioRest,
} from '../fakes/twilio/fake-twilio-rest.js';
import { runCli } from '../helpers/run-cli.js';
import { leaksSecret } from './openai-check-context.js';

const WEBHOOK_URL = 'https://voice.example.com';
const TODAY = '2031-05-10';

const MODELS: FakeModel[] = [
  { id: 'gpt-realtime-2.1', shutdown_date: null },
  { id: 'gpt-transcribe', shutdown_date: null },
  { id: 'gpt-6-luna', shutdown_date: null },
  { id: 'gpt-realtime', shutdown_date: '2031-04-30' },
  { id: 'gpt-4o-transcribe', shutdown_date: '2031-07-01' },
  { id: 'gpt-5', shutdown_date: '2031-06-01' },
  { id: 'gpt-4o', shutdown_date: '2031-05-01' },
];

interface JsonCheck {
  id: string;
  status: string;
  summary: string;
  detail: string[];
  fix: string | null;
}

let openai: FakeOpenAI;
let twilio: FakeTwilioRest;
let folder: string;

beforeAll(async () => {
  openai = await FakeOpenAI.start({ models: MODELS.map((model) => ({ ...model })) });
  twilio = await FakeTwilioRest.start({ numbers: [{ phoneNumber: FAKE_TWILIO_PHONE_NUMBER, voiceUrl: `${WEBHOOK_URL}/incoming-call` }] });
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-models-'));
  await writeFile(join(folder, 'assistant.md'), 'You answer the phone for a bakery. Keep answers short.\n');
});

beforeEach(() => {
  openai.requests.length = 0;
});

afterAll(async () => {
  await openai.close();
  await twilio.close();
  await rm(folder, { recursive: true, force: true });
});

async function writeEnv(lines: string[]): Promise<void> {
  await writeFile(
    join(folder, '.env'),
    [
      `OPENAI_API_KEY=${FAKE_OPENAI_KEY}`,
      `TWILIO_ACCOUNT_SID=${FAKE_TWILIO_ACCOUNT_SID}`,
      `TWILIO_AUTH_TOKEN=${FAKE_TWILIO_AUTH_TOKEN}`,
      `TWILIO_PHONE_NUMBER=${FAKE_TWILIO_PHONE_NUMBER}`,
      `WEBHOOK_URL=${WEBHOOK_URL}`,
      `OPENAI_BASE_URL=${openai.baseURL}`,
      `TWILIO_API_BASE_URL=${twilio.baseURL}`,
      ...lines,
      '',
    ].join('\n'),
  );
}

async function doctorJson(today: string): Promise<{ code: number | null; ok: boolean; checks: Record<string, JsonCheck> }> {
  const result = await runCli(['doctor', '--json'], { cwd: folder, env: { VOICEBRIDGE_TODAY: today } });
  expect(leaksSecret(result.stdout + result.stderr, FAKE_OPENAI_KEY)).toBe(false);
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: JsonCheck[] };
  return { code: result.code, ok: report.ok, checks: Object.fromEntries(report.checks.map((check) => [check.id, check])) };
}

function requestsTo(path: string): number {
  return openai.requests.filter((request) => request.path === path).length;
}

function modelLookups(): string[] {
  return openai.requests.filter((request) => request.path.startsWith('/v1/models/')).map((request) => request.path);
}

describe('the doctor on models that are retiring', () => {
  it('fails a shut-down Realtime model and warns of a retiring transcription and agent model, from one GET /models', async () => {
    await writeEnv([
      'OPENAI_REALTIME_MODEL=gpt-realtime',
      'OPENAI_TRANSCRIBE_MODEL=gpt-4o-transcribe',
      'ASSISTANT_INSTRUCTIONS_FILE=assistant.md',
      'ASSISTANT_MODEL=gpt-5',
    ]);
    const { code, ok, checks } = await doctorJson(TODAY);
    expect(code).toBe(1);
    expect(ok).toBe(false);
    expect(checks['realtime-model']).toMatchObject({ status: 'fail', summary: 'gpt-realtime was shut down on 2031-04-30: calls with it fail' });
    expect(checks['realtime-model']!.detail).toEqual(['Transcription model: gpt-4o-transcribe shuts down on 2031-07-01 (52 days left)']);
    expect(checks['realtime-model']!.fix).toContain('Set OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
    expect(checks['realtime-model']!.fix).toContain('Set OPENAI_TRANSCRIBE_MODEL=gpt-transcribe');
    expect(checks['agent-model']).toMatchObject({
      status: 'warn',
      summary: 'gpt-5 shuts down on 2031-06-01 (22 days left); switch to gpt-6-luna',
      fix: 'Set ASSISTANT_MODEL=gpt-6-luna in .env.',
    });
    expect(requestsTo('/v1/models')).toBe(1);
    expect(modelLookups()).toEqual([]);
  });

  it('passes the same models on a day well before their shutdown dates', async () => {
    await writeEnv([
      'OPENAI_REALTIME_MODEL=gpt-realtime',
      'OPENAI_TRANSCRIBE_MODEL=gpt-4o-transcribe',
      'ASSISTANT_INSTRUCTIONS_FILE=assistant.md',
      'ASSISTANT_MODEL=gpt-5',
    ]);
    const { checks } = await doctorJson('2030-09-01');
    expect(checks['realtime-model']).toMatchObject({ status: 'ok', summary: 'gpt-realtime is available (shuts down on 2031-04-30)' });
    expect(checks['agent-model']).toMatchObject({ status: 'ok', summary: 'gpt-5 is available (shuts down on 2031-06-01); its successor is gpt-6-luna' });
    expect(requestsTo('/v1/models')).toBe(1);
  });

  it('fails an Agents API agent on a shut-down model, in words and in --json, and says how to move it', async () => {
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: openai.baseURL, maxRetries: 0 });
    const agent = await client.beta.agents.create({ name: 'Bakery', model: 'gpt-4o' });
    await writeEnv([`ASSISTANT_ID=${agent.id}`]);
    openai.requests.length = 0;

    const { ok, checks } = await doctorJson(TODAY);
    expect(ok).toBe(false);
    expect(checks['realtime-model']!.status).toBe('ok');
    expect(checks['agent-model']).toMatchObject({
      status: 'fail',
      summary: 'gpt-4o was shut down on 2031-05-01: calls with it fail; switch to gpt-6-luna',
      detail: [`Agents API agent ${agent.id} "Bakery" runs on gpt-4o.`],
    });
    expect(checks['agent-model']!.fix).toContain('voicebridge create-assistant --force --model gpt-6-luna');
    expect(requestsTo('/v1/models')).toBe(1);
    expect(modelLookups()).toEqual([]);

    openai.requests.length = 0;
    const human = await runCli(['doctor'], { cwd: folder, env: { VOICEBRIDGE_TODAY: TODAY } });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('✗ Agent model: gpt-4o was shut down on 2031-05-01: calls with it fail; switch to gpt-6-luna');
    expect(human.stdout).toContain('voicebridge create-assistant --force --model gpt-6-luna');
    expect(requestsTo('/v1/models')).toBe(1);
  });
});
