// `voicebridge call` against the real bridge server and the OpenAI simulator: what the caller hears and records,
// marks, clear, refusals explained, and the WAV files it takes.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCallCommand, type CallOptions } from '../../src/cli/commands/call.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { MULAW_SILENCE, phrasesInVoice, speechAudio } from '../fakes/fake-audio.js';
import { decodeMulaw, encodeMulaw } from '../../src/softphone/mulaw.js';
import { mulawWav, parseWav, pcm16Samples, pcm16Wav } from '../../src/softphone/wav-file.js';
import { findFreePort } from '../../src/util/free-port.js';
import { startCallBridge, PUBLIC_BASE, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, type CallBridge } from '../bridge/call-harness.js';
import { captureOutput } from '../create-assistant/project.js';
import { runCli } from '../helpers/run-cli.js';

let bridge: CallBridge | undefined;
let folder: string | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

const silence = (ms: number): Buffer => Buffer.alloc(ms * 8, MULAW_SILENCE);

/** A folder with the .env `call` reads (the bridge's token and WEBHOOK_URL unless overridden) and any files. */
async function project(env: Record<string, string> = {}, files: Record<string, Buffer> = {}): Promise<string> {
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-call-'));
  const values = { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WEBHOOK_URL: PUBLIC_BASE, TWILIO_PHONE_NUMBER: '+14155550100', ...env };
  await writeFile(join(folder, '.env'), Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(folder, name), bytes);
  return folder;
}

async function call(cwd: string, options: CallOptions): Promise<{ code: number; text: string }> {
  const captured = captureOutput();
  const code = await runCallCommand({ envFile: join(cwd, '.env'), ...options }, { output: captured.output, env: {}, cwd });
  return { code, text: captured.text() };
}

/** Bytes of agent audio the simulator sent on every Realtime connection. */
function audioSentByRealtime(current: CallBridge): number {
  return current.fake.realtime.connections
    .flatMap((connection) => connection.serverEvents)
    .filter((event) => event.type === 'response.output_audio.delta')
    .reduce((total, event) => total + Buffer.from(String(event.delta), 'base64').length, 0);
}

describe('voicebridge call', () => {
  it('hears the greeting and the reply, echoes every mark as its audio plays, and records what the agent said', async () => {
    bridge = await startCallBridge('agents');
    const question = Buffer.concat([silence(400), speechAudio('Do you deliver', 400), silence(900)]);
    const cwd = await project({}, { 'question.wav': mulawWav(question) });
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, wav: join(cwd, 'question.wav'), record: join(cwd, 'reply.wav'), wait: '0.8' });

    expect(result.code, result.text).toBe(EXIT_OK);
    expect(result.text).toContain('question.wav: μ-law, 8000 Hz, mono, 1.7 s');
    expect(result.text).toContain('<Connect><Stream url="wss://voice.example.test/media-stream"> with 1 parameter');
    expect(result.text).toMatch(/heard greeting-1 \(\d\.\d s\)/);
    expect(result.text).toMatch(/heard reply-2 \(\d\.\d s\)/);
    expect(result.text).not.toContain('cut off');
    expect(result.text).toContain('hung up (stop sent)');
    expect(result.text).toContain('Call completed.');
    expect(bridge.lines.join('\n')).toContain('Customer said: Do you deliver');
    expect(bridge.lines.join('\n')).toContain('Call ended (caller hung up)');

    const recording = parseWav(await readFile(join(cwd, 'reply.wav')));
    expect(recording).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
    const samples = pcm16Samples(recording.data);
    // Everything the agent said played to the end before the caller hung up: the recording is all of it.
    expect(samples.length).toBe(audioSentByRealtime(bridge));
    expect(result.text).toContain(`mono, ${(samples.length / 8000).toFixed(1)} s)`);
    const heard = phrasesInVoice(encodeMulaw(samples));
    expect(heard[0]).toBe(DEFAULT_GREETING);
    expect(heard).toContain('You said: Do you deliver.');
  });

  it('records μ-law when asked, byte for byte what played', async () => {
    bridge = await startCallBridge('agents');
    const cwd = await project();
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, silence: '0.3', wait: '0.3', record: join(cwd, 'greeting.wav'), recordFormat: 'mulaw' });
    expect(result.code, result.text).toBe(EXIT_OK);
    const recording = parseWav(await readFile(join(cwd, 'greeting.wav')));
    expect(recording).toMatchObject({ format: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8 });
    expect(phrasesInVoice(recording.data)).toEqual([DEFAULT_GREETING]);
  });

  it('honours clear: speaking over the greeting drops the rest of it and echoes its mark as cleared', async () => {
    bridge = await startCallBridge('agents');
    // A slow voice: the greeting takes seconds to play, so most of it is still buffered when the caller speaks.
    bridge.fake.realtime.options.msPerCharacter = 40;
    bridge.fake.agentBehaviour = { reply: () => 'Sure.' };
    // The caller speaks after 1.2 s: the whole greeting has been sent by then, even on a busy machine, and most of it
    // is still to play.
    const interruption = Buffer.concat([silence(1200), speechAudio('Wait', 400), silence(700)]);
    const cwd = await project({}, { 'interrupt.wav': mulawWav(interruption) });
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, wav: join(cwd, 'interrupt.wav'), wait: '0.5', record: join(cwd, 'heard.wav') });

    expect(result.code, result.text).toBe(EXIT_OK);
    expect(result.text).toMatch(/clear: the bridge dropped \d\.\d s of unplayed audio/);
    expect(result.text).toMatch(/greeting-1 cut off by clear \(\d\.\d s heard\)/);
    expect(result.text).toContain('1 cut off by clear');
    const heard = phrasesInVoice(encodeMulaw(pcm16Samples(parseWav(await readFile(join(cwd, 'heard.wav'))).data)));
    expect(DEFAULT_GREETING.startsWith(heard[0]!)).toBe(true);
    expect(heard[0]!.length).toBeLessThan(DEFAULT_GREETING.length);
    expect(bridge.lines.join('\n')).toContain('Customer said: Wait');
  });

  it('explains a 403: the auth token differs from the one the server checks with, and never prints either', async () => {
    bridge = await startCallBridge('agents');
    const wrongToken = 'fedcba9876543210fedcba9876543210';
    const cwd = await project({ TWILIO_AUTH_TOKEN: wrongToken });
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, silence: '0.2' });
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.text).toContain('the bridge refused the webhook (403 Forbidden)');
    expect(result.text).toContain(`signed it for ${PUBLIC_BASE}/incoming-call with TWILIO_AUTH_TOKEN …3210`);
    expect(result.text).toContain('the server checks it with its own TWILIO_AUTH_TOKEN and WEBHOOK_URL');
    expect(result.text).not.toContain(wrongToken);
    expect(bridge.fake.realtime.connections).toEqual([]);
  });

  it('says to start the server when nothing listens at --url', async () => {
    const cwd = await project();
    const port = await findFreePort();
    const result = await call(cwd, { url: `http://127.0.0.1:${port}`, silence: '0.2' });
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.text).toContain(`nothing answers at http://127.0.0.1:${port} (connection refused). Start the bridge first — npx voicebridge serve, in another terminal — or pass --url with the address it listens on.`);
  });

  it('turns 16-bit PCM at 16 kHz stereo into the phone line\'s audio, words intact', async () => {
    bridge = await startCallBridge('agents');
    const mono = decodeMulaw(Buffer.concat([silence(300), speechAudio('Table for two', 400), silence(900)]));
    const stereo16k = new Int16Array(mono.length * 4);
    mono.forEach((sample, index) => stereo16k.fill(sample, index * 4, index * 4 + 4));
    const cwd = await project({}, { 'stereo.wav': pcm16Wav(stereo16k, 16_000, 2) });
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, wav: join(cwd, 'stereo.wav'), wait: '0.8' });
    expect(result.code, result.text).toBe(EXIT_OK);
    expect(result.text).toContain('stereo.wav: 16-bit PCM, 16000 Hz, stereo, 1.6 s');
    expect(bridge.lines.join('\n')).toContain('Customer said: Table for two');
    expect(result.text).toContain('heard reply-2');
  });

  it('refuses a WAV format it does not take before calling, saying what the file is and what it takes', async () => {
    bridge = await startCallBridge('agents');
    const cwd = await project({}, { 'phone.wav': pcm16Wav(new Int16Array(1000), 6000, 1) });
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, wav: join(cwd, 'phone.wav') });
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.text).toContain('phone.wav is 16-bit PCM, 6000 Hz, mono, which voicebridge call does not take.');
    expect(result.text).toContain('It takes μ-law at 8000 Hz, or 16-bit PCM at 8 kHz or more (e.g. 16, 22.05, 44.1 or 48 kHz; resampled to 8 kHz)');
    expect(bridge.lines.join('\n')).not.toContain('Incoming call');
  });

  it('fails when the bridge ends the call, and points at the server\'s log', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.realtime.refuseConnections = 5;
    const cwd = await project();
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, silence: '2', wait: '0.3' });
    expect(result.code, result.text).toBe(EXIT_FAILURE);
    expect(result.text).toMatch(/the bridge ended the call after \d\.\d s \(WebSocket close \d+/);
    expect(result.text).toContain("The server's log says why.");
    expect(bridge.lines.join('\n')).toContain('The voice connection failed');
  });

  it('still writes the recording when the bridge ends the call', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.realtime.refuseConnections = 5;
    const cwd = await project();
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, silence: '2', wait: '0.3', record: join(cwd, 'ended.wav') });
    expect(result.code, result.text).toBe(EXIT_FAILURE);
    expect(result.text).toContain('the bridge ended the call after');
    const recording = parseWav(await readFile(join(cwd, 'ended.wav')));
    expect(recording).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
    expect(result.text).toContain(`Recorded what the agent said to ${join(cwd, 'ended.wav')} (8 kHz 16-bit PCM, mono, ${(recording.data.length / 2 / 8000).toFixed(1)} s).`);
  });

  it('refuses a --record path in a folder that does not exist before calling, so no call is lost', async () => {
    bridge = await startCallBridge('agents');
    const cwd = await project();
    const result = await call(cwd, { url: `http://127.0.0.1:${bridge.server.port}`, silence: '0.2', record: 'recordings/reply.wav' });
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.text).toContain(`cannot record to recordings/reply.wav: the folder ${join(cwd, 'recordings')} does not exist. Create it, or record into an existing folder.`);
    expect(bridge.lines.join('\n')).not.toContain('Incoming call');
  });

  it.each([
    ['the same name', 'q.wav', 'q.wav'],
    ['another path to it', 'q.wav', './sub/../q.wav'],
    ['a symlink to it', 'q.wav', 'link.wav'],
  ])('refuses to record over the --wav file (%s), before calling, and leaves it as it was', async (_name, wav, record) => {
    const question = pcm16Wav(new Int16Array(800), 8000, 1);
    const cwd = await project({}, { 'q.wav': question });
    await mkdir(join(cwd, 'sub'));
    await symlink(join(cwd, 'q.wav'), join(cwd, 'link.wav'));
    const result = await call(cwd, { url: 'http://127.0.0.1:9', wav: join(cwd, wav), record });
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.text).toContain(`cannot record to ${record}: it is the --wav file the caller plays, and recording would overwrite it. Record to another file, e.g. --record reply.wav`);
    expect(result.text).not.toContain('voicebridge call →');
    expect(await readFile(join(cwd, 'q.wav'))).toEqual(question);
  });

  it('refuses a --record path that is a folder', async () => {
    const cwd = await project();
    const result = await call(cwd, { url: 'http://127.0.0.1:9', silence: '0.2', record: cwd });
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.text).toContain(`cannot record to ${cwd}: it is a folder. Give a file name, e.g. --record reply.wav`);
  });
});

describe('voicebridge call on the command line', () => {
  it('takes either --wav or --silence, not both', async () => {
    const result = await runCli(['call', '--wav', 'question.wav', '--silence', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--wav and --silence cannot be used together');
  });

  it('names the record formats it can write', async () => {
    const result = await runCli(['call', '--record', 'reply.wav', '--record-format', 'mp3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--record-format must be pcm16 or mulaw (got "mp3")');
  });

  it('says when the --env-file it was given does not exist', async () => {
    const cwd = await project();
    const result = await runCli(['call', '--env-file', 'prod.env'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`voicebridge call: the env file ${join(cwd, 'prod.env')} does not exist. Give the .env voicebridge serve reads`);
  });

  it('says there is no .env here when the auth token is missing for that reason', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-call-'));
    const result = await runCli(['call'], { cwd: folder });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`TWILIO_AUTH_TOKEN is not set (there is no ${join(folder, '.env')}: run npx voicebridge call in the folder voicebridge serve runs in, or pass --env).`);
  });

  it('exits 1 with the reason when the call cannot be placed', async () => {
    const cwd = await project();
    const result = await runCli(['call', '--url', `http://127.0.0.1:${await findFreePort()}`], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The call failed: nothing answers at');
  });
});
