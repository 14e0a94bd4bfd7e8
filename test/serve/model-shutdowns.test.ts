// `voicebridge serve` as a user starts it, against a models list whose shutdown dates are made up here: a model past
// its date keeps it from starting, one within 90 days is one warning line, a far or absent date says nothing.
// VOICEBRIDGE_TODAY freezes the day. Each case has its own fake and folder, so they run side by side.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import type { FakeModel } from '../fakes/openai/models.js';
import { PUBLIC_BASE, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from '../bridge/call-harness.js';
import { BIN, runCli } from '../helpers/run-cli.js';

const TODAY = '2031-05-10';

const MODELS: FakeModel[] = [
  // No shutdown announced: the defaults.
  { id: 'gpt-realtime-2.1', shutdown_date: null },
  { id: 'gpt-realtime-2.1-mini', shutdown_date: null },
  { id: 'gpt-transcribe', shutdown_date: null },
  { id: 'gpt-6-luna', shutdown_date: null },
  // Already shut down on TODAY.
  { id: 'gpt-realtime', shutdown_date: '2031-04-30' },
  { id: 'gpt-4o-transcribe', shutdown_date: '2031-05-01' },
  { id: 'gpt-4o', shutdown_date: '2031-05-02' },
  // Within 90 days of TODAY.
  { id: 'gpt-realtime-mini', shutdown_date: '2031-06-15' },
  { id: 'gpt-4o-mini-transcribe', shutdown_date: '2031-07-01' },
  { id: 'gpt-5', shutdown_date: '2031-06-01' },
  // Well beyond 90 days.
  { id: 'gpt-live-realtime', shutdown_date: '2032-03-01' },
  { id: 'gpt-live-transcribe', shutdown_date: '2032-03-01' },
  { id: 'gpt-6.1-terra', shutdown_date: '2032-03-01' },
];

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

interface Setup {
  realtime?: string;
  transcribe?: string;
  /** The model of an Agents API agent in ASSISTANT_ID. */
  agentModel?: string;
  /** ASSISTANT_MODEL for the Responses backend (no ASSISTANT_ID). */
  responsesModel?: string;
}

/** A fake with the models above and a project folder whose .env sets up the given models. */
async function project(setup: Setup): Promise<{ fake: FakeOpenAI; cwd: string; agentId?: string }> {
  const fake = await FakeOpenAI.start({ models: MODELS.map((model) => ({ ...model })) });
  const cwd = await mkdtemp(join(tmpdir(), 'voicebridge-serve-models-'));
  cleanups.push(async () => {
    await fake.close();
    await rm(cwd, { recursive: true, force: true });
  });
  const agent = setup.agentModel ? seedAgent(fake, { model: setup.agentModel }) : undefined;
  await writeFile(join(cwd, 'assistant.md'), 'You answer the phone for a bakery. Keep answers short.\n');
  const values: Record<string, string | undefined> = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    ASSISTANT_ID: agent?.id ?? '',
    ASSISTANT_INSTRUCTIONS_FILE: agent ? undefined : 'assistant.md',
    ASSISTANT_MODEL: setup.responsesModel,
    OPENAI_REALTIME_MODEL: setup.realtime,
    OPENAI_TRANSCRIBE_MODEL: setup.transcribe,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: '+14155550100',
    WEBHOOK_URL: PUBLIC_BASE,
  };
  const lines = Object.entries(values).flatMap(([key, value]) => (value === undefined ? [] : [`${key}=${value}`]));
  await writeFile(join(cwd, '.env'), `${lines.join('\n')}\n`);
  return { fake, cwd, ...(agent ? { agentId: agent.id } : {}) };
}

/** The port serve printed, in text or JSON, once it listens. */
function listeningPort(output: string): number | undefined {
  const text = /Listening on\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  if (text) return Number(text[1]);
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.endsWith('}')) continue;
    let entry: { msg?: unknown; port?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line still arriving
    }
    if (entry.msg === 'Listening' && typeof entry.port === 'number') return entry.port;
  }
  return undefined;
}

const START_TIMEOUT_MS = 45_000;

/** Starts serve, waits until it answers /healthz (so it is waiting for signals), stops it with SIGTERM, returns its output. */
function serveUntilListening(cwd: string, args: string[] = []): Promise<{ output: string; code: number | null }> {
  const child = spawn(process.execPath, ['--', BIN, 'serve', '--port', '0', ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', VOICEBRIDGE_TODAY: TODAY, HOST: '127.0.0.1' },
  });
  let output = '';
  let stopping = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start\n${output}`));
      // Several serve processes start at once here, beside other test files: on two busy cores that takes seconds.
    }, START_TIMEOUT_MS);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      const port = listeningPort(output);
      if (stopping || port === undefined) return;
      stopping = true;
      // An answer from /healthz means its event loop runs, so its SIGTERM handler is in place.
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => child.kill('SIGTERM'),
        (error: unknown) => {
          child.kill('SIGKILL');
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!stopping) reject(new Error(`serve exited with ${code} before it listened\n${output}`));
      else resolve({ output, code });
    });
  });
}

async function refusal(cwd: string): Promise<{ code: number | null; output: string }> {
  const result = await runCli(['serve', '--port', '0'], { cwd, env: { VOICEBRIDGE_TODAY: TODAY } });
  return { code: result.code, output: result.stdout + result.stderr };
}

function linesMentioning(output: string, text: string): string[] {
  return output.split('\n').filter((line) => line.includes(text));
}

describe.concurrent('serve refuses to start on a model past its shutdown date', () => {
  it('names a shut-down Realtime model, its date and its successor', async ({ expect }) => {
    const { cwd, fake } = await project({ realtime: 'gpt-realtime' });
    const { code, output } = await refusal(cwd);
    expect(code).toBe(1);
    expect(output).toContain('Realtime model: gpt-realtime was shut down on 2031-04-30: calls with it fail');
    expect(output).toContain('Set OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
    expect(output).toContain('voicebridge serve did not start');
    expect(output).not.toContain(FAKE_OPENAI_KEY);
    expect(fake.requests.filter((request) => request.path === '/v1/models')).toHaveLength(1);
  });

  it('names a shut-down transcription model, its date and its successor', async ({ expect }) => {
    const { cwd } = await project({ transcribe: 'gpt-4o-transcribe' });
    const { code, output } = await refusal(cwd);
    expect(code).toBe(1);
    expect(output).toContain('Transcription model: gpt-4o-transcribe was shut down on 2031-05-01: calls with it fail');
    expect(output).toContain('Set OPENAI_TRANSCRIBE_MODEL=gpt-transcribe');
    expect(output).toContain('voicebridge serve did not start');
  });

  it('names an Agents API agent on a shut-down model and how to move it', async ({ expect }) => {
    const { cwd, agentId } = await project({ agentModel: 'gpt-4o' });
    const { code, output } = await refusal(cwd);
    expect(code).toBe(1);
    expect(output).toContain('Agent model: gpt-4o was shut down on 2031-05-02: calls with it fail; switch to gpt-6-luna');
    expect(output).toContain(`Agents API agent ${agentId}`);
    expect(output).toContain('voicebridge create-assistant --force --model gpt-6-luna');
  });

  it('names a shut-down ASSISTANT_MODEL for the Responses backend', async ({ expect }) => {
    const { cwd } = await project({ responsesModel: 'gpt-4o' });
    const { code, output } = await refusal(cwd);
    expect(code).toBe(1);
    expect(output).toContain('Agent model: gpt-4o was shut down on 2031-05-02: calls with it fail; switch to gpt-6-luna');
    expect(output).toContain('Set ASSISTANT_MODEL=gpt-6-luna in .env.');
  });

  it('refuses a model OpenAI no longer lists', async ({ expect }) => {
    const { cwd } = await project({ realtime: 'gpt-4o-realtime-preview' });
    const { code, output } = await refusal(cwd);
    expect(code).toBe(1);
    expect(output).toContain('gpt-4o-realtime-preview has been shut down (OpenAI no longer lists it)');
    expect(output).toContain('Set OPENAI_REALTIME_MODEL=gpt-realtime-2.1');
  });
});

describe.concurrent('serve warns once for each model within 90 days of its shutdown date', { timeout: START_TIMEOUT_MS + 15_000 }, () => {
  it('starts, with one line each for the Realtime, transcription and Agents API agent models', async ({ expect }) => {
    const { cwd, agentId } = await project({ realtime: 'gpt-realtime-mini', transcribe: 'gpt-4o-mini-transcribe', agentModel: 'gpt-5' });
    const { code, output } = await serveUntilListening(cwd);
    expect(code).toBe(0);
    // Each line as logged, after its time of day.
    const warnings = linesMentioning(output, 'shuts down').map((line) => line.replace(/^\S+ /, ''));
    expect(warnings).toEqual([
      'Realtime model: gpt-realtime-mini shuts down on 2031-06-15 (36 days left); switch to gpt-realtime-2.1-mini (OPENAI_REALTIME_MODEL)',
      'Transcription model: gpt-4o-mini-transcribe shuts down on 2031-07-01 (52 days left); switch to gpt-transcribe (OPENAI_TRANSCRIBE_MODEL)',
      `Agent model: gpt-5 shuts down on 2031-06-01 (22 days left); switch to gpt-6-luna (agent ${agentId})`,
    ]);
    expect(output).toContain('Waiting for calls.');
  });

  it('starts with one structured warning for a retiring ASSISTANT_MODEL with --log-format json', async ({ expect }) => {
    const { cwd } = await project({ responsesModel: 'gpt-5' });
    const { code, output } = await serveUntilListening(cwd, ['--log-format', 'json']);
    expect(code).toBe(0);
    const entries = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const warnings = entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: 'Agent model: gpt-5 shuts down on 2031-06-01 (22 days left); switch to gpt-6-luna (ASSISTANT_MODEL)',
        model: 'gpt-5',
        shutdownDate: '2031-06-01',
        daysLeft: 22,
        replacement: 'gpt-6-luna',
      }),
    ]);
  });
});

describe.concurrent('serve says nothing about models with a far or no shutdown date', { timeout: START_TIMEOUT_MS + 15_000 }, () => {
  it('starts without a warning when every model shuts down well after 90 days', async ({ expect }) => {
    const { cwd } = await project({ realtime: 'gpt-live-realtime', transcribe: 'gpt-live-transcribe', responsesModel: 'gpt-6.1-terra' });
    const { code, output } = await serveUntilListening(cwd, ['--log-format', 'json']);
    expect(code).toBe(0);
    const levels = output
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { level: string }).level);
    expect(levels).toContain('info');
    expect(levels.filter((level) => level !== 'info')).toEqual([]);
  });

  it('starts without a warning on the defaults, which have no shutdown date, with an Agents API agent', async ({ expect }) => {
    const { cwd, fake } = await project({ agentModel: 'gpt-6-luna' });
    const { code, output } = await serveUntilListening(cwd);
    expect(code).toBe(0);
    expect(output).not.toMatch(/shuts down|shut down|switch to/);
    expect(output).toContain('Voice            OpenAI Realtime gpt-realtime-2.1');
    expect(fake.requests.filter((request) => request.path === '/v1/models')).toHaveLength(1);
  });

  it('still skips every check with --skip-checks', async ({ expect }) => {
    const { cwd, fake } = await project({ realtime: 'gpt-realtime' });
    const { code, output } = await serveUntilListening(cwd, ['--skip-checks']);
    expect(code).toBe(0);
    expect(output).toContain('Start-up checks skipped (--skip-checks)');
    expect(fake.requests.filter((request) => request.path.startsWith('/v1/models'))).toEqual([]);
  });
});
