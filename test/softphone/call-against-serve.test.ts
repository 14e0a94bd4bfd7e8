// `voicebridge call` as a user runs it: `voicebridge serve` in one process and `voicebridge call` in another, both the
// built CLI reading the same .env, against the OpenAI simulator — no phone number, no tunnel.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { MULAW_SILENCE, phrasesInVoice, speechAudio } from '../fakes/fake-audio.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { decodeMulaw, encodeMulaw } from '../../src/softphone/mulaw.js';
import { parseWav, pcm16Samples, pcm16Wav } from '../../src/softphone/wav-file.js';
import { findFreePort } from '../../src/util/free-port.js';
import { BIN, runCli } from '../helpers/run-cli.js';

let fake: FakeOpenAI | undefined;
let folder: string | undefined;
let serve: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  serve?.kill('SIGKILL');
  serve = undefined;
  await fake?.close();
  fake = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

/** `voicebridge serve` in `cwd`; resolves once it waits for calls, with its output so far. */
function startServe(cwd: string): Promise<() => string> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', HOST: '127.0.0.1' } });
  serve = child;
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 15_000);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Waiting for calls')) {
        clearTimeout(timer);
        resolve(() => output);
      }
    });
    child.on('close', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
}

it('calls a running voicebridge serve at its PORT with a 48 kHz stereo WAV file, and records the reply as an 8 kHz WAV file', async () => {
  fake = await FakeOpenAI.start();
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-call-serve-'));
  const port = await findFreePort();
  const env = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    ASSISTANT_ID: seedAgent(fake).id,
    TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
    TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
    TWILIO_PHONE_NUMBER: '+14155550100',
    WEBHOOK_URL: 'https://voice.example.test',
    PORT: String(port),
  };
  await writeFile(join(folder, '.env'), Object.entries(env).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  // What the caller says, as a recorder would save it: 16-bit PCM at 48 kHz, stereo (each 8 kHz sample six times over,
  // so the simulator can still read the words once it is back at 8 kHz).
  const speech = decodeMulaw(Buffer.concat([Buffer.alloc(2400, MULAW_SILENCE), speechAudio('Do you deliver', 400), Buffer.alloc(7200, MULAW_SILENCE)]));
  const stereo = new Int16Array(speech.length * 12);
  speech.forEach((sample, index) => stereo.fill(sample, index * 12, index * 12 + 12));
  await writeFile(join(folder, 'question.wav'), pcm16Wav(stereo, 48_000, 2));

  const serveOutput = await startServe(folder);
  const result = await runCli(['call', '--wav', 'question.wav', '--record', 'reply.wav', '--wait', '0.8'], { cwd: folder, timeoutMs: 20_000 });

  expect(result.code, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).toContain(`voicebridge call → http://localhost:${port} (as Twilio calling https://voice.example.test/incoming-call)`);
  expect(result.stdout).toContain('question.wav: 16-bit PCM, 48000 Hz, stereo, 1.6 s');
  expect(result.stdout).toContain('<Connect><Stream url="wss://voice.example.test/media-stream"> with 1 parameter');
  expect(result.stdout).toMatch(/heard greeting-1 \(\d\.\d s\)/);
  expect(result.stdout).toMatch(/heard reply-2 \(\d\.\d s\)/);
  expect(result.stdout).toContain('Call completed.');
  const callSid = /CallSid (CA[0-9a-f]{32})/.exec(result.stdout)?.[1];
  expect(callSid).toBeDefined();
  await expect.poll(serveOutput).toContain(`[${callSid}] Call ended (caller hung up)`);
  expect(serveOutput()).toContain(`[${callSid}] Customer said: Do you deliver`);

  const recording = parseWav(await readFile(join(folder, 'reply.wav')));
  expect(recording).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
  const heard = phrasesInVoice(encodeMulaw(pcm16Samples(recording.data)));
  expect(heard[0]).toBe(DEFAULT_GREETING);
  expect(heard).toContain('You said: Do you deliver.');
  expect(result.stdout).toContain(`Recorded what the agent said to reply.wav (8 kHz 16-bit PCM, mono, ${(recording.data.length / 2 / 8000).toFixed(1)} s).`);
});
