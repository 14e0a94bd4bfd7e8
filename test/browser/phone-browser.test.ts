// The browser phone in a real browser: Debian's Chromium, driven by playwright-core, with a fake microphone playing a
// WAV file, against `voicebridge serve --phone` (the built CLI) and the simulated OpenAI. The call connects, the
// greeting shows and plays, the caller's audio goes through the page's worklet and reaches the simulator, whose
// transcript shows on the page with the agent's reply; Hang up ends the call, and serve says so; a second call from
// the same page works as the first, and a reload starts the page afresh.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { pcm16Wav } from '../../src/softphone/wav-file.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { BIN } from '../helpers/run-cli.js';
import { eventually } from '../bridge/call-harness.js';
import { FRAME_BYTES, meanAmplitude } from '../fakes/fake-audio.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) console.warn(`Skipping the browser phone's browser test: no Chromium at ${CHROMIUM}. .ci/run installs Debian's chromium; or set CHROMIUM_PATH.`);

const CALLER_LINE = 'What time do you open tomorrow?';
const REPLY = 'We open at nine tomorrow.';
const WAV_RATE = 48_000;

let fake: FakeOpenAI | undefined;
let folder: string | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
let closeBrowser: (() => Promise<void>) | undefined;

afterEach(async () => {
  await closeBrowser?.();
  closeBrowser = undefined;
  child?.kill('SIGKILL');
  child = undefined;
  await fake?.close();
  fake = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

/**
 * The caller's microphone: 3 s of silence (the greeting plays), 1 s of a voiced, syllable-paced tone loud enough for
 * the simulator's voice activity detection, then silence. Chromium loops the file: at 30 s, the test is over (or
 * has timed out) before the tone comes again, so the simulator hears it exactly once.
 */
function callerWav(): Buffer {
  const seconds = 30;
  const samples = new Int16Array(seconds * WAV_RATE);
  const start = 3 * WAV_RATE;
  for (let index = start; index < start + WAV_RATE; index += 1) {
    const time = index / WAV_RATE;
    const syllable = 0.8 + 0.2 * Math.sin(2 * Math.PI * 4 * time);
    const voice = 0.6 * Math.sin(2 * Math.PI * 140 * time) + 0.3 * Math.sin(4 * Math.PI * 140 * time) + 0.1 * Math.sin(6 * Math.PI * 140 * time);
    samples[index] = Math.round(20_000 * syllable * voice);
  }
  return pcm16Wav(samples, WAV_RATE);
}

/** `voicebridge serve --phone` with only the OpenAI key and the agent: resolves with the page's URL it printed. */
function startServe(cwd: string): Promise<{ url: string; stdout: () => string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--phone', '--port', '0'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });
  child = proc;
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\nstdout: ${stdout}\nstderr: ${stderr}`)), 15_000);
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /Browser phone\s+(http:\/\/127\.0\.0\.1:\d+\/phone#[A-Za-z0-9_-]{43})/.exec(stdout)?.[1];
      if (url && stdout.includes('Waiting for calls')) {
        clearTimeout(timer);
        resolve({ url, stdout: () => stdout });
      }
    });
    proc.on('close', (code) => reject(new Error(`serve exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
}

async function waitForOutput(output: () => string, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!HAS_CHROMIUM)(`the browser phone in Chromium${HAS_CHROMIUM ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  it('connects, plays the greeting, carries the caller’s audio to the simulator, shows the reply, and hangs up', { timeout: 60_000 }, async () => {
    fake = await FakeOpenAI.start();
    fake.realtime.script = [CALLER_LINE];
    fake.agentBehaviour = { reply: () => REPLY };
    const agent = seedAgent(fake);
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-phone-'));
    await writeFile(join(folder, '.env'), `OPENAI_API_KEY=${FAKE_OPENAI_KEY}\nOPENAI_BASE_URL=${fake.baseURL}\nASSISTANT_ID=${agent.id}\n`);
    const wav = join(folder, 'caller.wav');
    await writeFile(wav, callerWav());
    const serve = await startServe(folder);
    expect(serve.stdout()).toContain('Listening on     http://127.0.0.1:');

    const { chromium } = await import('playwright-core');
    const context = await chromium.launchPersistentContext(join(folder, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wav}`,
      ],
    });
    closeBrowser = () => context.close();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(serve.url);
    await page.click('#call');

    await page.locator('#transcript li.agent').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#transcript li.agent').first().textContent()).toBe(`Agent: ${DEFAULT_GREETING}`);
    // The greeting's audio went through the playback worklet: its frames were played, not just received.
    await page.waitForFunction("Number(document.body.dataset.playedFrames ?? '0') >= 5", undefined, { timeout: 10_000 });
    await page.locator('#transcript li.caller').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('#transcript li.caller').first().textContent()).toBe(`You: ${CALLER_LINE}`);
    await page.locator('#transcript li.agent').nth(1).waitFor({ timeout: 15_000 });
    expect(await page.locator('#transcript li.agent').nth(1).textContent()).toBe(`Agent: ${REPLY}`);
    await waitForOutput(serve.stdout, `Customer said: ${CALLER_LINE}`);
    // The caller's audio reached the simulator as 8 kHz μ-law from the page's worklet: the tone's second is there,
    // loud enough to be speech, among the silence.
    expect(fake.realtime.connections.length).toBe(1);
    const appended = Buffer.concat(
      fake.realtime.connections[0]!.clientEvents
        .filter((event) => event.type === 'input_audio_buffer.append')
        .map((event) => Buffer.from(String(event.audio), 'base64')),
    );
    const frames = Array.from({ length: Math.floor(appended.length / FRAME_BYTES) }, (_, index) => appended.subarray(index * FRAME_BYTES, (index + 1) * FRAME_BYTES));
    const loud = frames.filter((frame) => meanAmplitude(frame) >= 2000).length;
    expect(loud).toBeGreaterThanOrEqual(40);
    expect(loud).toBeLessThanOrEqual(55);

    await page.click('#hangup');
    await waitForOutput(serve.stdout, 'Call ended (caller hung up)');
    expect(await page.locator('#status').textContent()).toBe('Call ended: you hung up.');

    // Calling again from the same page after hanging up is a new call through serve, greeting and all.
    await page.click('#call');
    await page.locator('#transcript li.agent').nth(2).waitFor({ timeout: 15_000 });
    expect(await page.locator('#transcript li.agent').nth(2).textContent()).toBe(`Agent: ${DEFAULT_GREETING}`);
    expect(fake.realtime.connections.length).toBe(2);
    await page.click('#hangup');
    await eventually(() => serve.stdout().split('Call ended (caller hung up)').length - 1 === 2, 'serve logged the second call’s end', 10_000);
    expect(await page.locator('#status').textContent()).toBe('Call ended: you hung up.');
    // A reload starts the page afresh: ready to call, nothing shown.
    await page.reload();
    expect(await page.locator('#status').textContent()).toBe('Ready.');
    expect(await page.locator('#transcript li').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('opened over http from another machine, where the browser gives no microphone, says so and how to open it instead', { timeout: 60_000 }, async () => {
    fake = await FakeOpenAI.start();
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-phone-'));
    await writeFile(join(folder, '.env'), `OPENAI_API_KEY=${FAKE_OPENAI_KEY}\nOPENAI_BASE_URL=${fake.baseURL}\nASSISTANT_ID=${seedAgent(fake).id}\n`);
    const serve = await startServe(folder);
    const { chromium } = await import('playwright-core');
    // phone.test reaches this machine, but by a name that is not this machine's own: an insecure context, as a page
    // opened over http from another machine is.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP phone.test 127.0.0.1', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
    closeBrowser = () => browser.close();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(serve.url.replace('127.0.0.1', 'phone.test'));
    expect(await page.evaluate('window.isSecureContext')).toBe(false);
    await page.click('#call');
    await page.waitForFunction("document.getElementById('status').dataset.state === 'error'", undefined, { timeout: 5_000 });
    expect(await page.locator('#status').textContent()).toBe(
      'The browser gives the microphone only to pages on https or on this machine (http://127.0.0.1, http://localhost): open the page on the machine voicebridge serve runs on, or reach it over https.',
    );
    expect(await page.locator('#call').isEnabled()).toBe(true);
    expect(serve.stdout()).not.toContain('Browser call started');
    expect(problems).toEqual([]);
  });
});
