// `voicebridge serve --simulate` as a new user runs it: the built CLI in a child process, in a folder whose .env holds
// real-looking keys it must neither read nor change; called with the `voicebridge call` line it prints, with a real
// (non-synthetic) voice; stopped with Ctrl+C.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SIMULATE_FIRST_LINE, SIMULATE_LAST_LINE } from '../../src/cli/commands/serve.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { encodeMulaw } from '../../src/softphone/mulaw.js';
import { mulawWav, parseWav } from '../../src/softphone/wav-file.js';
import { phrasesInVoice } from '../fakes/fake-audio.js';
import { BIN, runCli } from '../helpers/run-cli.js';

let folder: string | undefined;
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  // A test that failed midway: SIGTERM lets serve delete its throw-away folder; SIGKILL if it does not stop.
  const running = child && child.exitCode === null && child.signalCode === null ? child : undefined;
  if (running) {
    const closed = new Promise((resolve) => running.once('close', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await closed;
    clearTimeout(timer);
  }
  child = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

const REAL_KEY = 'sk-proj-RealKeyThatMustNeverBeUsed0123456789abcdefABCDEF';
const USER_ENV = [
  `OPENAI_API_KEY=${REAL_KEY}`,
  'ASSISTANT_ID=asst_RealAssistant0123456789ab',
  'TWILIO_ACCOUNT_SID=AC11112222333344445555666677778888',
  'TWILIO_AUTH_TOKEN=99990000aaaabbbbccccddddeeeeffff',
  'TWILIO_PHONE_NUMBER=+14155550111',
  'WEBHOOK_URL=https://voice.example.com',
  'PORT=5999',
  '',
].join('\n');

interface Serve {
  proc: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `voicebridge serve --simulate` in `cwd` and resolves once it is listening. */
function startSimulated(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Serve> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--simulate', ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env } });
  child = proc;
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve --simulate did not start\nstdout: ${stdout}\nstderr: ${stderr}`)), 30_000);
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Waiting for calls|"msg":"Call it[^\n]*\n/.test(stdout)) {
        clearTimeout(timer);
        resolve({ proc, stdout: () => stdout, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve --simulate exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
}

/**
 * A second of silence, then a 220 Hz tone of 2.1 s (a voice the simulator cannot read as words), then a little
 * silence. Quiet, as a microphone often is: a mean amplitude of about 760, below the tests' fakes' 2000.
 */
function toneWav(): Buffer {
  const samples = new Int16Array(3400 * 8);
  for (let index = 0; index < 2100 * 8; index += 1) samples[1000 * 8 + index] = Math.round(1_200 * Math.sin((2 * Math.PI * 220 * index) / 8000));
  return mulawWav(encodeMulaw(samples));
}

describe('voicebridge serve --simulate', () => {
  it('runs with no accounts beside a real .env it never reads, answers the printed voicebridge call line honestly, and stops on Ctrl+C', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-simulate-test-'));
    await writeFile(join(folder, '.env'), USER_ENV);
    const envBefore = await stat(join(folder, '.env'));
    await writeFile(join(folder, 'voice.wav'), toneWav());
    // A real key in the environment takes no part either: the simulator would refuse it, and serve would not start.
    const serve = await startSimulated(folder, ['--port', '0'], { OPENAI_API_KEY: REAL_KEY });

    const lines = serve.stdout().split('\n');
    expect(lines[0]).toBe(SIMULATE_FIRST_LINE);
    const port = Number(/^ {2}Listening on +http:\/\/127\.0\.0\.1:(\d+) /m.exec(serve.stdout())?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(serve.stdout()).toMatch(/^ {2}Simulated +OpenAI at http:\/\/127\.0\.0\.1:\d+\/v1 \(agent and voice\) and the Twilio REST API at http:\/\/127\.0\.0\.1:\d+, in this process$/m);
    // The browser phone is on: a microphone is all it takes to talk to the simulated agent.
    expect(serve.stdout()).toMatch(new RegExp(`^ {2}Browser phone +http://127\\.0\\.0\\.1:${port}/phone#\\S+ `, 'm'));
    expect((await fetch(`http://127.0.0.1:${port}/phone`)).status).toBe(200);
    const callLine = /^ {2}Call it +npx voicebridge (call --url \S+ --env \S+) {2}\(add --wav FILE to speak\)$/m.exec(serve.stdout())?.[1];
    expect(callLine, serve.stdout()).toBeDefined();
    const callArgs = callLine!.split(' ');
    expect(callArgs.slice(0, 3)).toEqual(['call', '--url', `http://127.0.0.1:${port}`]);
    const envPath = callArgs[4]!;
    expect(envPath.startsWith(folder)).toBe(false);
    expect(await readFile(envPath, 'utf8')).toContain(`WEBHOOK_URL=http://127.0.0.1:${port}\n`);

    // The printed line, as the user would paste it in their project folder (beside their real .env).
    const call = await runCli([...callArgs, '--wav', 'voice.wav', '--record', 'heard.wav', '--record-format', 'mulaw', '--wait', '1'], { cwd: folder, timeoutMs: 30_000 });
    expect(call.code, call.stdout + call.stderr).toBe(0);
    expect(call.stdout).toContain('Call completed.');
    const heard = phrasesInVoice(parseWav(await readFile(join(folder, 'heard.wav'))).data);
    expect(heard).toEqual([
      DEFAULT_GREETING,
      'I heard you speak for 2.1 seconds.',
      'I am the simulated agent: I cannot understand real speech, but your voice came through the whole bridge.',
    ]);
    expect(serve.stdout()).toMatch(/\] Customer said: I heard you speak for 2\.1 seconds\n/);
    expect(serve.stdout()).toContain('] Call ended (caller hung up)');

    serve.proc.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    const output = serve.stdout().split('\n').filter((line) => line.trim() !== '');
    expect(output.at(-2)).toMatch(/ Stopped\.$/);
    expect(output.at(-1)).toBe(SIMULATE_LAST_LINE);
    expect(serve.stderr()).toBe('');
    expect(existsSync(envPath)).toBe(false);

    // The user's .env: untouched, and none of its values in any output.
    expect(await readFile(join(folder, '.env'), 'utf8')).toBe(USER_ENV);
    expect((await stat(join(folder, '.env'))).mtimeMs).toBe(envBefore.mtimeMs);
    for (const text of [serve.stdout(), call.stdout, call.stderr]) {
      expect(text).not.toContain('sk-proj-');
      expect(text).not.toContain('voice.example.com');
      expect(text).not.toMatch(/:5999(?!\d)/);
    }
  }, 60_000);

  it('says so first and last in JSON logs too, and refuses options that would read a .env or open a tunnel', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-simulate-test-'));
    const serve = await startSimulated(folder, ['--port', '0', '--log-format', 'json']);
    const first = JSON.parse(serve.stdout().split('\n')[0]!) as { msg: string };
    expect(first.msg).toBe(SIMULATE_FIRST_LINE);
    const listening = serve.stdout().split('\n').filter((line) => line.includes('"msg":"Listening"'));
    expect(listening).toHaveLength(1);
    expect(serve.stdout()).toMatch(/"msg":"Call it +npx voicebridge call --url http:\/\/127\.0\.0\.1:\d+ --env \S+ /);
    serve.proc.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    const lines = serve.stdout().split('\n').filter((line) => line.trim() !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect((JSON.parse(lines.at(-1)!) as { msg: string }).msg).toBe(SIMULATE_LAST_LINE);

    for (const option of [['--env', 'prod.env'], ['--tunnel']]) {
      const refused = await runCli(['serve', '--simulate', ...option], { cwd: folder });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`--simulate runs on this machine with a throw-away configuration: it reads no .env and opens no tunnel, so ${option[0]} cannot go with it`);
      expect(refused.stdout).toBe('');
    }
    const sip = await runCli(['serve', '--simulate', '--transport', 'sip'], { cwd: folder });
    expect(sip).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --simulate simulates Twilio Media Streams calls and the browser phone; --transport sip needs OpenAI to answer a real SIP trunk, so it cannot go with --simulate\n',
    });
  }, 60_000);

  it('on a busy port says what to do with serve --simulate itself: no throw-away .env to edit, no doctor, no --skip-checks', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-simulate-test-'));
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const result = await runCli(['serve', '--simulate', '--port', String(port)], { cwd: folder });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(`${SIMULATE_FIRST_LINE}\n${SIMULATE_LAST_LINE}\n`);
      expect(result.stderr).toMatch(
        new RegExp(`^voicebridge serve did not start: port ${port} is in use by another program\\. Stop that program, give serve --simulate another port \\(e\\.g\\. --port \\d+\\), or --port 0: serve --simulate then picks a free port itself\\.\\n$`),
      );
      expect(result.stderr).not.toMatch(/\.env|doctor|--skip-checks/);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
