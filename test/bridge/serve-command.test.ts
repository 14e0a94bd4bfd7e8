// `voicebridge serve` as a user runs it: the built CLI in a child process, with a .env, against FakeOpenAI.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
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

/** A project folder with a .env for this fake, the given agent ID and any other values. */
async function project(assistantId: string, extra: Record<string, string> = {}): Promise<string> {
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-serve-'));
  const values: Record<string, string> = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake!.baseURL,
    ASSISTANT_ID: assistantId,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: '+14155550100',
    WEBHOOK_URL: PUBLIC_BASE,
    ...extra,
  };
  await writeFile(join(folder, '.env'), Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  return folder;
}

/** Starts `voicebridge serve` and resolves once it prints that it is waiting for calls. */
function startServe(cwd: string, args: string[]): Promise<{ stdout: () => string; stderr: () => string; exited: Promise<number | null> }> {
  // Tests listen on loopback only (HOST), never on every interface of the machine.
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', HOST: '127.0.0.1' } });
  child = proc;
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\nstdout: ${stdout}\nstderr: ${stderr}`)), 15_000);
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Waiting for calls|"msg":"Listening"/.test(stdout)) {
        clearTimeout(timer);
        resolve({ stdout: () => stdout, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
}

/** `voicebridge serve` for a seeded agent, with one call placed as Twilio would and its greeting heard. */
async function serveWithCallInProgress(): Promise<{ serve: Awaited<ReturnType<typeof startServe>>; port: number; caller: FakeTwilioCaller }> {
  fake = await FakeOpenAI.start();
  const cwd = await project(seedAgent(fake).id);
  const serve = await startServe(cwd, ['--port', '0']);
  const port = Number(/Listening on\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(serve.stdout())?.[1]);
  const caller = await FakeTwilioCaller.dial({ serverOrigin: `http://127.0.0.1:${port}`, voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN });
  await caller.waitToHear(DEFAULT_GREETING);
  return { serve, port, caller };
}

/** Resolves once the output contains `text`. */
async function waitForOutput(output: () => string, text: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('voicebridge serve', () => {
  it('refuses to start on a workflow ID, with the doctor\'s explanation and exit code 1', async () => {
    fake = await FakeOpenAI.start();
    const cwd = await project('wf_68d2b4a0c1e48190a1b2c3d4e5f60718');
    const result = await runCli(['serve', '--port', '0'], { cwd });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/workflow/i);
    expect(output).toContain('voicebridge serve did not start');
    expect(output).not.toContain(FAKE_OPENAI_KEY);
    expect(output).not.toContain(TWILIO_AUTH_TOKEN);
    expect(fake.realtime.connections).toEqual([]);
  });

  it('refuses a workflow ID even with --skip-checks, no backend being able to answer with it, and says why once', async () => {
    fake = await FakeOpenAI.start();
    const cwd = await project('wf_68d2b4a0c1e48190a1b2c3d4e5f60718');
    const result = await runCli(['serve', '--port', '0', '--skip-checks'], { cwd });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toContain('voicebridge serve did not start: ASSISTANT_ID is an Agent Builder workflow ID');
    expect(output.split('is an Agent Builder workflow ID').length - 1).toBe(1);
    expect(output).toContain('voicebridge create-assistant');
    expect(fake.realtime.connections).toEqual([]);
  });

  it('refuses to start on an asst_ ID where the Assistants API is gone', async () => {
    fake = await FakeOpenAI.start({ assistantsApi: 'sunset' });
    const cwd = await project('asst_abc123def456ghi789jkl012');
    const result = await runCli(['serve', '--port', '0'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/Assistants API/);
  });

  it('prints where it listens, the webhook for Twilio and the agent, takes a call, and on SIGTERM lets it finish before it exits', async () => {
    fake = await FakeOpenAI.start();
    const agent = seedAgent(fake);
    const cwd = await project(agent.id);
    const serve = await startServe(cwd, ['--port', '0']);
    const banner = serve.stdout();
    expect(banner).toContain(`Twilio webhook   ${PUBLIC_BASE}/incoming-call`);
    expect(banner).toContain(`Agent            Agents API agent ${agent.id}`);
    const port = Number(/Listening on\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
    expect(port).toBeGreaterThan(0);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toMatchObject({ service: 'voicebridge', status: 'ok' });

    const caller = await FakeTwilioCaller.dial({
      serverOrigin: `http://127.0.0.1:${port}`,
      voiceUrl: `${PUBLIC_BASE}/incoming-call`,
      authToken: TWILIO_AUTH_TOKEN,
      accountSid: TWILIO_ACCOUNT_SID,
    });
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Do you deliver');
    await caller.waitToHear('You said: Do you deliver.');

    child!.kill('SIGTERM');
    await waitForOutput(serve.stdout, 'SIGTERM: taking no new calls');
    // Draining: not ready for the load balancer, new calls turned away politely, the call in progress goes on.
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    const late = await new FakeTwilioCaller({ serverOrigin: `http://127.0.0.1:${port}`, voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN }).postWebhook();
    expect(late.body).toMatch(/<Say>.*<\/Say><Hangup\/><\/Response>$/);
    await caller.say('Is it free');
    await caller.waitToHear('You said: Is it free.');
    await caller.hangUp();
    expect(await serve.exited).toBe(0);
    const log = serve.stdout();
    expect(log).toContain(`[${caller.callSid}] Connected to OpenAI Realtime`);
    expect(log).toContain(`[${caller.callSid}] Customer said: Do you deliver`);
    expect(log).toContain('SIGTERM: taking no new calls; waiting up to 25 s for 1 call(s) in progress to end (DRAIN_TIMEOUT_MS). Send SIGTERM again to exit at once.');
    expect(log).toContain(`[${caller.callSid}] Call ended (caller hung up)`);
    expect(log).toContain('Stopped.');
    expect(log).not.toContain(FAKE_OPENAI_KEY);
    expect(fake.realtime.openConnections).toEqual([]);
  });

  it('exits at once on a second stop signal, without waiting for the call in progress', async () => {
    const { serve, caller } = await serveWithCallInProgress();
    child!.kill('SIGINT');
    await waitForOutput(serve.stdout, 'SIGINT: taking no new calls');
    child!.kill('SIGINT');
    expect(await serve.exited).toBe(1);
    expect(serve.stdout()).toContain('Second stop signal: exiting now, without waiting for calls to end.');
    await caller.waitForClose();
  });

  it('drains on SIGHUP as on SIGTERM: a closed terminal does not cut the call in progress', async () => {
    const { serve, caller } = await serveWithCallInProgress();
    child!.kill('SIGHUP');
    await waitForOutput(serve.stdout, 'SIGHUP: taking no new calls; waiting up to 25 s for 1 call(s) in progress to end (DRAIN_TIMEOUT_MS). Send SIGHUP again to exit at once.');
    await caller.say('Still there');
    await caller.waitToHear('You said: Still there.');
    await caller.hangUp();
    expect(await serve.exited).toBe(0);
    expect(serve.stdout()).toContain('Stopped.');
  });

  it('stays up when an upgrade request carries a target that is not a URL, and keeps its call', async () => {
    const { serve, port, caller } = await serveWithCallInProgress();
    for (const target of ['//[', '//a:b/media-stream', '//[::1]:99999/']) {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', () => resolve(received));
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
    await caller.say('Still there');
    await caller.waitToHear('You said: Still there.');
    expect(serve.stdout()).toContain('Refused an upgrade request whose target is not a path: "//["');
    await caller.hangUp();
    child!.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('writes one JSON object per line with --log-format json, the CallSid on every call line', async () => {
    fake = await FakeOpenAI.start();
    const cwd = await project(seedAgent(fake).id);
    const serve = await startServe(cwd, ['--port', '0', '--log-format', 'json']);
    const listening = serve
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.msg === 'Listening');
    expect(listening).toMatchObject({ webhookUrl: `${PUBLIC_BASE}/incoming-call`, backend: 'agents' });
    const caller = await FakeTwilioCaller.dial({
      serverOrigin: `http://127.0.0.1:${listening!.port as number}`,
      voiceUrl: `${PUBLIC_BASE}/incoming-call`,
      authToken: TWILIO_AUTH_TOKEN,
      accountSid: TWILIO_ACCOUNT_SID,
    });
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.hangUp();
    child!.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    const entries = serve
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const callLines = entries.filter((entry) => entry.callSid === caller.callSid);
    expect(callLines.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['Connected to OpenAI Realtime', 'Call ended (caller hung up)']));
  });

  it('rejects an unknown log format as a usage error', async () => {
    const result = await runCli(['serve', '--log-format', 'yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--log-format must be text or json');
  });
});
