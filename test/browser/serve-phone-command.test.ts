// `voicebridge serve --phone` and --host as a user runs them: the built CLI, a .env with only the OpenAI key and the
// agent (no Twilio account), the page's URL with a fresh token printed each run, 127.0.0.1 unless --host says
// otherwise, and HOST for serve without the phone.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { eventually } from '../bridge/call-harness.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { FakePage } from './fake-page.js';

let fake: FakeOpenAI | undefined;
let folder: string | undefined;
const children: ChildProcessWithoutNullStreams[] = [];
const pages: FakePage[] = [];

afterEach(async () => {
  for (const page of pages.splice(0)) page.close();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await fake?.close();
  fake = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

/** A project whose .env holds only the OpenAI key (for the simulator) and the agent. */
async function openaiOnlyProject(extra = ''): Promise<string> {
  fake = await FakeOpenAI.start();
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-serve-phone-'));
  await writeFile(join(folder, '.env'), `OPENAI_API_KEY=${FAKE_OPENAI_KEY}\nOPENAI_BASE_URL=${fake.baseURL}\nASSISTANT_ID=${seedAgent(fake).id}\n${extra}`);
  return folder;
}

function startServe(cwd: string, args: string[], env: Record<string, string> = {}): Promise<() => string> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env } });
  children.push(proc);
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\nstdout: ${stdout}\nstderr: ${stderr}`)), 15_000);
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Waiting for calls|"msg":"Listening"/.test(stdout)) {
        clearTimeout(timer);
        resolve(() => stdout);
      }
    });
    proc.on('close', (code) => reject(new Error(`serve exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
}

const PHONE_URL = /Browser phone\s+http:\/\/127\.0\.0\.1:(\d+)\/phone#([A-Za-z0-9_-]{43})\s/;

describe('voicebridge serve --phone', () => {
  it('starts with only OPENAI_API_KEY and ASSISTANT_ID, on 127.0.0.1, prints the page’s URL with a token, and its socket takes a call with that token only', async () => {
    const cwd = await openaiOnlyProject();
    const stdout = (await startServe(cwd, ['--phone', '--port', '0']))();
    const [, port, token] = PHONE_URL.exec(stdout) ?? [];
    expect(stdout).toContain(`Listening on     http://127.0.0.1:${port}  (health`);
    expect(stdout).toContain('Twilio           not served: TWILIO_AUTH_TOKEN and WEBHOOK_URL are not both set');
    expect(stdout).not.toMatch(/Required variables|TWILIO_ACCOUNT_SID/);
    await expect(FakePage.open(Number(port), { token: 'a'.repeat(43) })).rejects.toThrow('refused: 403');
    const page = await FakePage.open(Number(port), { token: token! });
    pages.push(page);
    await eventually(() => page.of('agent').some((message) => message.text === DEFAULT_GREETING), 'the greeting was shown');
    expect(fake!.realtime.connections.length).toBe(1);
  });

  it('makes a new token each run', async () => {
    const cwd = await openaiOnlyProject();
    const first = PHONE_URL.exec((await startServe(cwd, ['--phone', '--port', '0']))())?.[2];
    const second = PHONE_URL.exec((await startServe(cwd, ['--phone', '--port', '0']))())?.[2];
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
  });

  it('listens where --host says, over HOST, and the page’s URL still names this machine; JSON logs carry it', async () => {
    const cwd = await openaiOnlyProject('HOST=127.0.0.2\n');
    const stdout = (await startServe(cwd, ['--phone', '--port', '0', '--host', '0.0.0.0', '--log-format', 'json']))();
    const listening = JSON.parse(stdout.split('\n').find((line) => line.includes('"msg":"Listening"'))!) as Record<string, unknown>;
    expect(listening.host).toBe('0.0.0.0');
    expect(listening.webhookUrl).toBeNull();
    expect(listening.phoneUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${String(listening.port)}/phone#[A-Za-z0-9_-]{43}$`));
  });

  it('refuses an empty --host, and an address that is not this machine’s with what to do', async () => {
    const cwd = await openaiOnlyProject();
    const empty = await runCli(['serve', '--phone', '--port', '0', '--host', ''], { cwd });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--host needs an address, e.g. --host 127.0.0.1 or --host 0.0.0.0');
    const foreign = await runCli(['serve', '--phone', '--port', '0', '--host', '192.0.2.1'], { cwd });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('voicebridge serve did not start: cannot listen on 192.0.2.1: it is not an address of this machine.');
  });

  it('with no .env counts its one cause once, as the doctor does', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-serve-phone-'));
    const result = await runCli(['serve', '--phone', '--port', '0'], { cwd: folder });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`✗ .env file: no .env in ${folder} and no voicebridge variables in the environment`);
    expect(result.stderr).toBe(
      'voicebridge serve did not start: 1 problem would make calls fail. Required variables, OpenAI API key and Assistant ID fail only because of the .env file problem. ' +
        'Fix it and start again (npx voicebridge doctor explains everything), or use --skip-checks if you are sure.\n',
    );
  });
});

describe('voicebridge serve --host without --phone', () => {
  it('HOST chooses the interface, and the page does not exist', async () => {
    const cwd = await openaiOnlyProject('TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\nTWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef\nTWILIO_PHONE_NUMBER=+14155550100\nWEBHOOK_URL=https://voice.example.test\n');
    const stdout = (await startServe(cwd, ['--port', '0'], { HOST: '127.0.0.1' }))();
    const port = /Listening on\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
    expect(port).toMatch(/^\d+$/);
    expect(stdout).not.toContain('Browser phone');
    const response = await fetch(`http://127.0.0.1:${port}/phone`);
    expect(response.status).toBe(404);
  });
});
