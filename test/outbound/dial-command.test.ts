// `voicebridge dial` against the real serve, with the fake Twilio REST API placing the call and answering it as
// Twilio would: what dial prints as the call goes, and its exit code.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDialCommand, type DialOptions } from '../../src/cli/commands/dial.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { PUBLIC_BASE, startCallBridge, TWILIO_AUTH_TOKEN, type CallBridge } from '../bridge/call-harness.js';
import { captureOutput } from '../create-assistant/project.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { FAKE_TWILIO_PHONE_NUMBER, type FakeCall } from '../fakes/twilio/fake-twilio-rest.js';
import { runCli } from '../helpers/run-cli.js';

const API_KEY = 'vb_Lm9Xr4Tb7Vn1Wc6Yd0Hf5Jk2Pg8f3Kq2';
const OPENING = 'Hi Jane, a reminder of your cleaning tomorrow at 3 pm.';

let bridge: CallBridge | undefined;
let folder: string | undefined;
const callers: FakeTwilioCaller[] = [];
afterEach(async () => {
  for (const caller of callers.splice(0)) caller.drop();
  await bridge?.stop();
  bridge = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

async function start(): Promise<CallBridge> {
  bridge = await startCallBridge('responses', { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY }, server: { amdHoldMs: 5_000 } });
  bridge.twilio.webhookOrigin = `http://127.0.0.1:${bridge.server.port}`;
  bridge.fake.agentBehaviour = { reply: () => OPENING };
  return bridge;
}

async function dial(number: string, options: DialOptions, env: Record<string, string> = { VOICEBRIDGE_API_KEY: API_KEY }): Promise<{ code: number; text: string }> {
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-dial-'));
  await writeFile(join(folder, '.env'), Object.entries(env).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  const captured = captureOutput();
  const code = await runDialCommand(number, { envFile: join(folder, '.env'), url: `http://127.0.0.1:${bridge!.server.port}`, ...options }, { output: captured.output, env: {}, cwd: folder, pollMs: 20 });
  return { code, text: captured.text() };
}

/** Twilio and the callee, once the call is placed. */
function whenPlaced(act: (call: FakeCall) => Promise<void>): void {
  bridge!.twilio.events.once('created', (call) => void act(call).catch((error: unknown) => console.error(error)));
}

describe('voicebridge dial', () => {
  it('prints the call as it goes and exits 0 when a person talked to the agent', async () => {
    await start();
    whenPlaced(async (call) => {
      const twilio = bridge!.twilio;
      await twilio.ring(call.sid);
      const answer = await twilio.answer(call.sid);
      const callee = new FakeTwilioCaller({ serverOrigin: twilio.webhookOrigin!, voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, callSid: call.sid });
      callers.push(callee);
      await callee.connectStream(answer);
      await twilio.detect(call.sid, 'human');
      await callee.waitToHear('tomorrow at 3 pm.');
      await callee.hangUp();
      await twilio.finish(call.sid, 'completed');
    });
    const { code, text } = await dial('+14155550199', { context: 'Remind Jane of her cleaning tomorrow at 3 pm' });
    expect(text).toMatch(/^Calling \+14155550199 \(CA[0-9a-f]{32}\)$/m);
    const steps = text
      .split('\n')
      .filter((line) => /^ {2}\d\d:\d\d:\d\d {2}/.test(line))
      .map((line) => line.slice(12));
    expect(steps).toEqual([
      'Calling +14155550199 from +14155550123',
      'Dialling',
      'Ringing',
      'Answered',
      'Connecting the call to the agent',
      'The agent is on the line',
      'A person answered: the agent is talking with them',
      expect.stringMatching(/^Call ended after \d+ s$/),
    ]);
    expect(text).toContain('A person talked to the agent.');
    expect(text).not.toContain(API_KEY);
    expect(code).toBe(EXIT_OK);
  });

  it('exits 0 at --timeout while a person is still talking to the agent', async () => {
    await start();
    whenPlaced(async (call) => {
      const twilio = bridge!.twilio;
      await twilio.ring(call.sid);
      const answer = await twilio.answer(call.sid);
      const callee = new FakeTwilioCaller({ serverOrigin: twilio.webhookOrigin!, voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, callSid: call.sid });
      callers.push(callee);
      await callee.connectStream(answer);
      await twilio.detect(call.sid, 'human');
    });
    const { code, text } = await dial('+14155550199', { timeout: '1' });
    expect(text).toContain('A person answered: the agent is talking with them');
    expect(text).toMatch(/A person is talking to the agent\. Stopped following the call after 1 s \(--timeout\); it goes on\. Follow it with GET http:\/\/127\.0\.0\.1:\d+\/calls\/CA[0-9a-f]{32}\./);
    expect(code).toBe(EXIT_OK);
  });

  it('exits 1 at --timeout when nobody has answered yet', async () => {
    await start();
    whenPlaced(async (call) => {
      await bridge!.twilio.ring(call.sid);
    });
    const { code, text } = await dial('+14155550199', { timeout: '1' });
    expect(text).toContain('voicebridge dial: the call had not ended after 1 s (--timeout); it may go on.');
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 0 when the voicemail was left', async () => {
    await start();
    whenPlaced(async (call) => {
      await bridge!.twilio.answer(call.sid);
      await bridge!.twilio.detect(call.sid, 'machine_end_beep');
    });
    const { code, text } = await dial('+14155550199', { voicemail: 'Please call us back.' });
    expect(text).toContain('Left the voicemail message after the beep');
    expect(text).toContain('The voicemail message was left.');
    expect(bridge!.twilio.placedCalls()[0]!.updates[0]!.Twiml).toContain('<Say>Please call us back.</Say><Hangup/>');
    expect(code).toBe(EXIT_OK);
  });

  it('follows the call through another serve instance behind the load balancer, from what Twilio says', async () => {
    await start();
    const other = await startCallBridge('responses', { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY, TWILIO_API_BASE_URL: bridge!.twilio.baseURL } });
    // A load balancer that sends the request placing the call to one instance and every poll to the other.
    const balancer = createServer((request, response) => {
      const port = request.method === 'POST' ? bridge!.server.port : other.server.port;
      const upstream = httpRequest({ host: '127.0.0.1', port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', resolve));
    try {
      whenPlaced(async (call) => {
        await bridge!.twilio.ring(call.sid);
        await bridge!.twilio.answer(call.sid);
        await bridge!.twilio.detect(call.sid, 'machine_end_beep');
      });
      const { code, text } = await dial('+14155550199', { voicemail: 'Please call us back.', url: `http://127.0.0.1:${(balancer.address() as AddressInfo).port}` });
      const steps = text
        .split('\n')
        .filter((line) => /^ {2}\d\d:\d\d:\d\d {2}/.test(line))
        .map((line) => line.slice(12));
      expect(steps).toEqual(['Calling +14155550199 from +14155550123', 'Ringing', 'Answered', expect.stringMatching(/^Call ended after \d+ s$/)]);
      expect(text).toContain('An answering machine answered. Whether the voicemail message was left only the serve instance that placed the call knows: its log says.');
      expect(bridge!.twilio.placedCalls()[0]!.updates[0]!.Twiml).toContain('<Say>Please call us back.</Say><Hangup/>');
      expect(code).toBe(EXIT_OK);
    } finally {
      await new Promise((resolve) => balancer.close(resolve));
      await other.stop();
    }
  });

  it('exits 1 when the line is busy, saying so', async () => {
    await start();
    whenPlaced(async (call) => {
      await bridge!.twilio.ring(call.sid);
      await bridge!.twilio.finish(call.sid, 'busy');
    });
    const { code, text } = await dial('+14155550199', { voicemail: false });
    expect(text).toContain('The line was busy');
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 1 when a fax machine answers, saying so', async () => {
    await start();
    whenPlaced(async (call) => {
      await bridge!.twilio.ring(call.sid);
      await bridge!.twilio.answer(call.sid);
      await bridge!.twilio.detect(call.sid, 'fax');
    });
    const { code, text } = await dial('+14155550199', {});
    expect(text).toContain('  A fax machine answered\n');
    expect(text).toContain('A fax machine answered: there was no one to talk to.');
    expect(text).not.toContain('could not be connected');
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 1 with serve\'s reason when the number is refused', async () => {
    await start();
    const { code, text } = await dial('+442071838750', {});
    expect(text).toContain('voicebridge dial: serve did not place the call (403): +442071838750 is outside DIAL_ALLOWED_PREFIXES');
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 1 when a machine answers and --no-voicemail hung up on it, saying so', async () => {
    await start();
    whenPlaced(async (call) => {
      await bridge!.twilio.answer(call.sid);
      await bridge!.twilio.detect(call.sid, 'machine_end_silence');
    });
    const { code, text } = await dial('+14155550199', { voicemail: false });
    expect(text).toContain('Hung up on the answering machine (no voicemail)');
    expect(text).toContain('An answering machine answered: hung up without a message (--no-voicemail).');
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 1 when serve refuses the key, saying where dial read it', async () => {
    await start();
    const { code, text } = await dial('+14155550199', {}, { VOICEBRIDGE_API_KEY: 'f'.repeat(8) + API_KEY });
    expect(text).toContain(
      `voicebridge dial: serve refused the key (401): The API key does not match VOICEBRIDGE_API_KEY. dial sends VOICEBRIDGE_API_KEY from ${join(folder!, '.env')}: make it the one in the .env serve reads`,
    );
    expect(text).not.toContain(API_KEY);
    expect(bridge!.twilio.placedCalls()).toEqual([]);
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 1 when serve has no calls API, saying the ways that happens', async () => {
    bridge = await startCallBridge('responses', { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER } });
    const { code, text } = await dial('+14155550199', {});
    expect(text).toContain(
      `/calls does not exist: serve was started without VOICEBRIDGE_API_KEY, or with TRANSPORT=sip (which places no calls), or is not what listens there. Set VOICEBRIDGE_API_KEY in serve's .env and restart serve on Media Streams.`,
    );
    expect(code).toBe(EXIT_FAILURE);
  });

  it('exits 2 without VOICEBRIDGE_API_KEY', async () => {
    await start();
    const { code, text } = await dial('+14155550199', {}, {});
    expect(text).toContain('VOICEBRIDGE_API_KEY is not set in');
    expect(code).toBe(EXIT_USAGE);
  });

  it('exits 1, as every command does, when the --env file is missing or cannot be read', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-dial-'));
    await mkdir(join(folder, 'folder.env'));
    const missing = captureOutput();
    expect(await runDialCommand('+14155550199', { envFile: 'nope.env' }, { output: missing.output, env: {}, cwd: folder })).toBe(EXIT_FAILURE);
    expect(missing.text()).toBe(`voicebridge dial: the env file ${join(folder, 'nope.env')} does not exist. Give the .env voicebridge serve reads (the path is relative to the current folder).`);
    const unreadable = captureOutput();
    expect(await runDialCommand('+14155550199', { envFile: 'folder.env' }, { output: unreadable.output, env: {}, cwd: folder })).toBe(EXIT_FAILURE);
    expect(unreadable.text()).toBe(`voicebridge dial: cannot read ${join(folder, 'folder.env')}: it is a folder, not a file. Make it readable, or pass --env with the .env voicebridge serve reads.`);
  });

  it('documents its options and exit codes in --help', async () => {
    const help = await runCli(['dial', '--help']);
    expect(help.stdout).toContain('--no-voicemail');
    expect(help.stdout).toContain('Exit codes: 0 a person talked to the agent, or the voicemail message was left');
    expect(help.code).toBe(0);
  });
});
