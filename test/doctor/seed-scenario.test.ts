// The case that started voicebridge: AGENT_WORKFLOW_ID=wf_… made every call connect and then stay silent.
// The doctor, run as a user runs it (the built CLI in a folder holding .env), must catch it before any call.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_AUTH_TOKEN,
  FAKE_TWILIO_PHONE_NUMBER,
  FakeTwilioRest,
} from '../fakes/twilio/fake-twilio-rest.js';
import { runCli } from '../helpers/run-cli.js';
import { leaksSecret } from './openai-check-context.js';

const WORKFLOW_ID = 'wf_68f1c2d3e4b5a69788a1b2c3d4e5f601';
const WEBHOOK_URL = 'https://voice.example.com';

let openai: FakeOpenAI;
let twilio: FakeTwilioRest;
let folder: string;

beforeAll(async () => {
  openai = await FakeOpenAI.start();
  twilio = await FakeTwilioRest.start({ numbers: [{ phoneNumber: FAKE_TWILIO_PHONE_NUMBER, voiceUrl: `${WEBHOOK_URL}/incoming-call` }] });
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-seed-'));
  await writeFile(
    join(folder, '.env'),
    [
      `OPENAI_API_KEY=${FAKE_OPENAI_KEY}`,
      `AGENT_WORKFLOW_ID=${WORKFLOW_ID}`,
      `TWILIO_ACCOUNT_SID=${FAKE_TWILIO_ACCOUNT_SID}`,
      `TWILIO_AUTH_TOKEN=${FAKE_TWILIO_AUTH_TOKEN}`,
      `TWILIO_PHONE_NUMBER=${FAKE_TWILIO_PHONE_NUMBER}`,
      `WEBHOOK_URL=${WEBHOOK_URL}`,
      `OPENAI_BASE_URL=${openai.baseURL}`,
      `TWILIO_API_BASE_URL=${twilio.baseURL}`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await openai.close();
  await twilio.close();
  await rm(folder, { recursive: true, force: true });
});

function expectNoSecrets(output: string): void {
  expect(leaksSecret(output, FAKE_OPENAI_KEY)).toBe(false);
  expect(leaksSecret(output, FAKE_TWILIO_AUTH_TOKEN)).toBe(false);
}

describe("the seed's scenario: a workflow ID in AGENT_WORKFLOW_ID", () => {
  it('fails, explains the workflow ID with the exact error, asks to rename the variable, and never prints the key', async () => {
    const result = await runCli(['doctor'], { cwd: folder, env: { VOICEBRIDGE_TODAY: '2026-11-24' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ Assistant ID: AGENT_WORKFLOW_ID is an Agent Builder workflow ID \(wf_68f1c2d3e4b5a69788a1b2c3d4e5f601\), not an assistant: calls would connect and then stay silent/);
    expect(result.stdout).toContain(`400 Invalid 'assistant_id': '${WORKFLOW_ID}'. Expected an ID that begins with 'asst'.`);
    expect(result.stdout).toContain('voicebridge create-assistant');
    expect(result.stdout).toContain('AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID: rename it to ASSISTANT_ID.');
    expect(result.stdout).toContain('✓ OpenAI API key: the key sk-proj-…WXYZ (project key) works');
    expect(result.stdout).toMatch(/\d+ problems? found/);
    expectNoSecrets(result.stdout + result.stderr);
  });

  it('gives the same verdict as JSON for scripts', async () => {
    const result = await runCli(['doctor', '--json'], { cwd: folder, env: { VOICEBRIDGE_TODAY: '2026-11-24' } });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<Record<string, unknown>> };
    expect(report.ok).toBe(false);
    for (const check of report.checks) {
      expect(Object.keys(check)).toEqual(expect.arrayContaining(['id', 'title', 'status', 'summary', 'fix']));
    }
    const assistant = report.checks.find((check) => check.id === 'assistant-id');
    expect(assistant).toMatchObject({ status: 'fail', title: 'Assistant ID' });
    expect(String(assistant!.summary)).toContain('Agent Builder workflow ID');
    expect(String(assistant!.fix)).toContain('voicebridge create-assistant');
    expect(String(assistant!.fix)).toContain('Rename AGENT_WORKFLOW_ID to ASSISTANT_ID');
    expect(report.checks.find((check) => check.id === 'openai-key')).toMatchObject({ status: 'ok' });
    expectNoSecrets(result.stdout + result.stderr);
  });
});
