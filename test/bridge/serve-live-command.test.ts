// `voicebridge serve` on GPT-Live, as a user runs it: the built CLI in a child process, with a .env, against FakeOpenAI.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { PUBLIC_BASE, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './call-harness.js';

let fake: FakeOpenAI | undefined;
let folder: string | undefined;
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await fake?.close();
  fake = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

/** A project folder whose .env points at the fake, with an agent to answer. */
async function project(extra: Record<string, string> = {}): Promise<string> {
  const values: Record<string, string> = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake!.baseURL,
    ASSISTANT_ID: seedAgent(fake!).id,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: '+14155550100',
    WEBHOOK_URL: PUBLIC_BASE,
    ...extra,
  };
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-serve-live-'));
  await writeFile(join(folder, '.env'), Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  return folder;
}

describe('voicebridge serve with GPT-Live', () => {
  it('refuses to start when the key cannot use gpt-live-1, and says how to take calls meanwhile', async () => {
    fake = await FakeOpenAI.start();
    fake.models = fake.models.filter((model) => model.id !== 'gpt-live-1');
    const result = await runCli(['serve', '--port', '0', '--voice-engine', 'live'], { cwd: await project() });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toContain('GPT-Live model: gpt-live-1 is not available to this key');
    expect(output).toContain('Set VOICE_ENGINE=realtime');
    expect(output).toContain('voicebridge serve did not start');
    expect(output).not.toContain(FAKE_OPENAI_KEY);
    expect(fake.live.connections).toEqual([]);
  });

  it('rejects an unknown --voice-engine as a usage error', async () => {
    fake = await FakeOpenAI.start();
    const result = await runCli(['serve', '--port', '0', '--voice-engine', 'gpt-live'], { cwd: await project() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--voice-engine must be realtime (OpenAI Realtime) or live (GPT-Live) (got "gpt-live")');
  });

  it('takes calls on GPT-Live when VOICE_ENGINE=live, and says so in its banner', async () => {
    fake = await FakeOpenAI.start();
    const cwd = await project({ VOICE_ENGINE: 'live' });
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', HOST: '127.0.0.1' } });
    child = proc;
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (!stdout.includes('Waiting for calls')) return;
        clearInterval(timer);
        resolve();
      }, 10);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${code}: ${stdout}`));
      });
    });
    expect(stdout).toMatch(/Voice\s+OpenAI GPT-Live gpt-live-1 \(your agent as its delegate\), voice marin/);
    const port = Number(/Listening on\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);

    const caller = await FakeTwilioCaller.dial({ serverOrigin: `http://127.0.0.1:${port}`, voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, accountSid: TWILIO_ACCOUNT_SID });
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello there');
    await caller.waitToHear('You said: Hello there.');
    await caller.hangUp();
    expect(fake.live.connections.length).toBe(1);
    expect(fake.realtime.connections).toEqual([]);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Connected to OpenAI GPT-Live');
  });
});
