// `voicebridge serve --transport sip` as a user runs it: the built CLI in a child process, with a .env that has the
// SIP settings and no Twilio credentials, against FakeOpenAI; and its refusals when those settings are wrong.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { eventually, PROJECT_ID, WEBHOOK_SECRET } from './sip-harness.js';

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

async function project(extra: Record<string, string> = {}): Promise<string> {
  fake = await FakeOpenAI.start();
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-sip-'));
  const values: Record<string, string> = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    ASSISTANT_ID: seedAgent(fake).id,
    OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
    OPENAI_PROJECT_ID: PROJECT_ID,
    ...extra,
  };
  await writeFile(join(folder, '.env'), Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  return folder;
}

describe('serve --transport sip', () => {
  it('starts without Twilio credentials, prints where OpenAI’s webhook and the trunk point, and takes a call', async () => {
    const cwd = await project();
    const proc = spawn(process.execPath, [BIN, 'serve', '--transport', 'sip', '--skip-checks', '--log-format', 'json', '--port', '0'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });
    child = proc;
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await eventually(() => stdout.includes('"msg":"Listening"'), 'serve listened', 15_000);
    const listening = JSON.parse(stdout.split('\n').find((line) => line.includes('"msg":"Listening"'))!) as { port: number; transport: string; openAIWebhookUrl: string; sipUri: string };
    expect(listening.transport).toBe('sip');
    expect(listening.openAIWebhookUrl).toBe('/openai-webhook');
    expect(listening.sipUri).toBe(`sip:${PROJECT_ID}@sip.api.openai.com;transport=tls`);
    const call = fake!.sip.placeCall();
    const [realtime] = await fake!.sip.ring(call, `http://127.0.0.1:${listening.port}/openai-webhook`, WEBHOOK_SECRET);
    expect(realtime!.status).toBe(200);
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    expect(call.heard).toEqual([DEFAULT_GREETING]);
    expect(stdout).not.toContain(WEBHOOK_SECRET);
  });

  it('does not announce the calls API, which places calls through Media Streams only, when VOICEBRIDGE_API_KEY is set', async () => {
    const key = 'a3f9c1e7b5d2804f6a1c3e9b7d5f2a0c8e6b4d1f';
    const cwd = await project({ VOICEBRIDGE_API_KEY: key });
    const proc = spawn(process.execPath, [BIN, 'serve', '--transport', 'sip', '--skip-checks'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });
    child = proc;
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await eventually(() => stdout.includes('Waiting for calls.'), 'serve listened', 15_000);
    expect(stdout).toContain(
      "  Outbound calls   off: VOICEBRIDGE_API_KEY is set, but calls are placed only when serve takes Twilio's calls through Media Streams (TRANSPORT=media-streams, the default, with TWILIO_AUTH_TOKEN and WEBHOOK_URL)\n",
    );
    const port = /Listening on {5}http:\/\/[^:]+:(\d+)/.exec(stdout)![1];
    const placed = await fetch(`http://127.0.0.1:${port}/calls`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"to":"+14155550199"}' });
    expect(placed.status).toBe(404);
    expect(stdout).not.toContain(key);
  });

  it('refuses to start with a webhook secret or project ID that is not one, saying which and what to do', async () => {
    const cwd = await project({ OPENAI_WEBHOOK_SECRET: 'sk-proj-notawebhooksecret', OPENAI_PROJECT_ID: 'project-1' });
    const result = await runCli(['serve', '--transport', 'sip'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      'SIP mode (TRANSPORT=sip) cannot take calls: OPENAI_WEBHOOK_SECRET is an API key, not a webhook signing secret (whsec_…); OPENAI_PROJECT_ID should start with proj_',
    );
    expect(result.stdout + result.stderr).not.toContain('sk-proj-notawebhooksecret');
  });

  it('refuses an unknown transport as a usage error', async () => {
    const cwd = await project();
    const result = await runCli(['serve', '--transport', 'webrtc'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--transport must be media-streams (Twilio Media Streams) or sip (OpenAI\'s SIP endpoint) (got "webrtc")');
  });
});
