// `voicebridge doctor` end to end, as a user runs it: the built CLI in a child process, a .env in a temp folder, and
// the fake OpenAI and Twilio servers standing in for the real services. Run `npm run build` first.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { loadConfig } from '../../src/config/load-config.js';
import { allChecks } from '../../src/doctor/checks/index.js';
import { renderVerdict } from '../../src/doctor/render-human.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_API_KEY,
  FAKE_TWILIO_API_SECRET,
  FAKE_TWILIO_AUTH_TOKEN,
  FAKE_TWILIO_PHONE_NUMBER,
  FakeTwilioRest,
} from '../fakes/twilio/fake-twilio-rest.js';
import { leaksSecret } from './openai-check-context.js';


let openai: FakeOpenAI;
let twilio: FakeTwilioRest;
let agentId: string;
let folder: string;

beforeAll(async () => {
  [openai, twilio] = await Promise.all([FakeOpenAI.start(), FakeTwilioRest.start()]);
  const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: openai.baseURL, maxRetries: 0 });
  agentId = (await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna', instructions: 'Answer the phone.' })).id;
});
afterAll(async () => {
  await Promise.all([openai.close(), twilio.close()]);
});
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'voicebridge-doctor-'));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A setup that can take calls: every value right, the number's voice URL pointing at WEBHOOK_URL/incoming-call.
 * WEBHOOK_URL is a local https URL with nothing behind it (no public host is reachable from a test), so the webhook
 * check can only warn; everything else passes.
 */
async function healthySetup(): Promise<Record<string, string>> {
  const webhookUrl = `https://localhost:${await unusedPort()}`;
  twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.voiceUrl = `${webhookUrl}/incoming-call`;
  return {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: openai.baseURL,
    ASSISTANT_ID: agentId,
    TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER,
    TWILIO_API_BASE_URL: twilio.baseURL,
    WEBHOOK_URL: webhookUrl,
    PORT: String(await unusedPort()),
  };
}

function envText(vars: Record<string, string>, extraLines: string[] = []): string {
  return [...extraLines, ...Object.entries(vars).map(([key, value]) => `${key}=${value}`), ''].join('\n');
}

function doctor(args: string[], cwd = folder): Promise<CliResult> {
  return runCli(['doctor', ...args], { cwd, env: { VOICEBRIDGE_TODAY: '2026-11-24' }, timeoutMs: 20_000 });
}

interface JsonCheck {
  id: string;
  title: string;
  status: string;
  summary: string;
  fix: string | null;
}

function parseReport(result: CliResult): { ok: boolean; checks: JsonCheck[] } {
  return JSON.parse(result.stdout) as { ok: boolean; checks: JsonCheck[] };
}

function statuses(checks: JsonCheck[]): Record<string, string> {
  return Object.fromEntries(checks.map((check) => [check.id, check.status]));
}

describe('voicebridge doctor', () => {
  it('says a healthy setup is ready to take calls, and exits 0', async () => {
    writeFileSync(join(folder, '.env'), envText(await healthySetup()));
    const result = await doctor([]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ .env file:');
    expect(result.stdout).toContain(`✓ Phone number: ${FAKE_TWILIO_PHONE_NUMBER} sends calls to https://localhost:`);
    expect(result.stdout).toContain('Ready to take calls (1 warning).');
    expect(result.stdout).not.toContain('✗');
    expect(leaksSecret(result.stdout, FAKE_TWILIO_AUTH_TOKEN)).toBe(false);
    expect(leaksSecret(result.stdout, FAKE_OPENAI_KEY)).toBe(false);
  });

  it('prints the stable JSON report with --json: every check passes but the unreachable local webhook', async () => {
    writeFileSync(join(folder, '.env'), envText(await healthySetup()));
    const result = await doctor(['--json']);
    expect(result.code).toBe(0);
    const report = parseReport(result);
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.id)).toEqual(allChecks.map((check) => check.id));
    for (const check of report.checks) {
      expect(check).toEqual(expect.objectContaining({ id: expect.any(String), title: expect.any(String), status: expect.any(String), summary: expect.any(String) }));
      expect(check.fix === null || typeof check.fix === 'string').toBe(true);
    }
    const expected = Object.fromEntries(allChecks.map((check) => [check.id, check.id === 'webhook-url' ? 'warn' : 'ok']));
    expect(statuses(report.checks)).toEqual(expected);
    expect(report.checks.find((check) => check.id === 'webhook-url')?.summary).toMatch(/^Twilio cannot reach localhost:\d+: localhost is this machine$/);
  });

  it('exits 1 on a broken setup, counts the problems, and shows no secret anywhere', async () => {
    const wrongOpenAIKey = 'sk-proj-Wr0ngKeyWr0ngKeyWr0ngKeyWr0ngKey1234';
    const olderOpenAIKey = 'sk-proj-0lderKey0lderKey0lderKey0lderKey5678';
    const wrongToken = '0123456789abcdef0123456789abcdef';
    const wrongSecret = 'Wr0ngSecretWr0ngSecretWr0ngSecre';
    const vars = {
      ...(await healthySetup()),
      OPENAI_API_KEY: wrongOpenAIKey,
      TWILIO_AUTH_TOKEN: wrongToken,
      TWILIO_API_KEY: FAKE_TWILIO_API_KEY,
      TWILIO_API_SECRET: wrongSecret,
    };
    writeFileSync(join(folder, '.env'), envText(vars, [`OPENAI_API_KEY = ${olderOpenAIKey}`, `TWILIO_API_SECRET="${FAKE_TWILIO_API_SECRET}`]).replace(/\n/g, '\r\n'));
    const human = await doctor([]);
    const json = await doctor(['--json']);
    expect(human.code).toBe(1);
    expect(json.code).toBe(1);
    expect(human.stdout).toMatch(/\d+ problems? found/);
    expect(human.stdout).toContain('✗ Twilio credentials: Twilio rejected the Account SID AC…cdef with this auth token (401, error 20003 Authenticate)');
    const report = parseReport(json);
    expect(report.ok).toBe(false);
    expect(statuses(report.checks)).toMatchObject({ 'env-file': 'warn', 'openai-key': 'fail', 'twilio-credentials': 'fail', 'phone-number': 'skip' });
    const everything = [human.stdout, human.stderr, json.stdout, json.stderr].join('\n');
    for (const secret of [wrongOpenAIKey, olderOpenAIKey, wrongToken, wrongSecret, FAKE_TWILIO_API_SECRET, FAKE_TWILIO_AUTH_TOKEN]) {
      expect(leaksSecret(everything, secret)).toBe(false);
    }
  });

  it('reads the file given with --env-file instead of ./.env', async () => {
    mkdirSync(join(folder, 'config'));
    writeFileSync(join(folder, 'config', 'prod.env'), envText(await healthySetup()));
    writeFileSync(join(folder, '.env'), 'OPENAI_API_KEY=your_openai_api_key\n');
    const result = await doctor(['--json', '--env-file', 'config/prod.env']);
    expect(result.code).toBe(0);
    const report = parseReport(result);
    expect(report.checks[0]).toMatchObject({ id: 'env-file', status: 'ok', summary: `${join(folder, 'config', 'prod.env')} (9 variables)` });
    expect(report.ok).toBe(true);
  });

  it('counts a missing .env once: the failures that only follow from it are named, not counted', async () => {
    const checks = allChecks.filter((check) => check.id !== 'port');
    const reports = await runChecks(checks, { config: loadConfig({ env: {}, cwd: folder }) });
    expect(reports.filter((report) => report.status === 'fail').map((report) => report.id)).toEqual(['env-file', 'required-vars', 'openai-key', 'assistant-id']);
    expect(renderVerdict(reports, new Chalk({ level: 0 }))).toBe(
      '1 problem found. Required variables, OpenAI API key and Assistant ID fail only because of the .env file problem. A call to your number would not work until it is fixed.',
    );
  });

  it('still counts a problem of its own beside the missing .env', async () => {
    // Another program on the port: it hangs up on the doctor's probe at once.
    const busy = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    const { port } = busy.address() as { port: number };
    try {
      const config = loadConfig({ env: {}, cwd: folder });
      const reports = await runChecks(allChecks, { config: { ...config, port } });
      expect(reports.find((report) => report.id === 'port')).toMatchObject({ status: 'fail', summary: `port ${port} is in use by another program` });
      expect(renderVerdict(reports, new Chalk({ level: 0 }))).toBe(
        '2 problems found. Required variables, OpenAI API key and Assistant ID fail only because of the .env file problem. A call to your number would not work until they are fixed.',
      );
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('prints that verdict from the command line', async () => {
    const result = await runCli(['doctor'], { cwd: folder });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`✗ .env file: no .env in ${folder} and no voicebridge variables in the environment`);
    expect(result.stdout).toContain('Required variables, OpenAI API key and Assistant ID fail only because of the .env file problem.');
  });

  it('exits 2 on a usage error', async () => {
    const result = await doctor(['--env-file']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--env-file <path>' argument missing");
  });
});
