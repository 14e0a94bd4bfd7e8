// Who may use the bridge: only Twilio, for a call our webhook accepted. A request we cannot trust opens no OpenAI
// connection and creates no agent conversation; what a genuine webhook opened ahead of its stream is released when
// that stream is refused or never comes, so nothing is left running.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
const callers: FakeTwilioCaller[] = [];
afterEach(async () => {
  for (const caller of callers.splice(0)) caller.drop();
  await bridge?.stop();
  bridge = undefined;
});

function newCaller(overrides: Partial<Parameters<CallBridge['callerOptions']>[0]> = {}): FakeTwilioCaller {
  const caller = new FakeTwilioCaller(bridge!.callerOptions(overrides));
  callers.push(caller);
  return caller;
}

/** Nothing that costs money was started: no Realtime socket, no agent session. */
function expectNothingOpened(): void {
  expect(bridge!.fake.realtime.connections).toEqual([]);
  expect(bridge!.fake.requests.filter((request) => request.path.startsWith('/v1/agents/sessions'))).toEqual([]);
}

/** A genuine webhook opened its call's Realtime socket ahead of the stream; with no accepted stream, it is released. */
async function expectWarmedCallReleased(): Promise<void> {
  await eventually(() => bridge!.fake.realtime.openConnections.length === 0, 'the Realtime sockets opened ahead are closed');
  expect(bridge!.fake.requests.filter((request) => request.path.startsWith('/v1/agents/sessions'))).toEqual([]);
}

/** Pre-warmed calls that get no stream are released quickly here, so the tests need not wait 15 s. */
const QUICK_RELEASE = { server: { prewarmTimeoutMs: 200 } };

describe('the voice webhook', () => {
  it('answers TwiML that connects a bidirectional stream on the public host, with a per-call token', async () => {
    bridge = await startCallBridge('agents', QUICK_RELEASE);
    const answer = await newCaller().postWebhook();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^<\?xml[^>]*\?><Response><Connect><Stream url="wss:\/\/voice\.example\.test\/media-stream">/);
    expect(answer.streamUrl).toBe('wss://voice.example.test/media-stream');
    expect(Object.keys(answer.parameters)).toEqual(['token']);
    const second = await newCaller().postWebhook();
    expect(second.parameters.token).not.toBe(answer.parameters.token);
    await expectWarmedCallReleased();
  });

  it('refuses a webhook without a signature or with a wrong one (403)', async () => {
    bridge = await startCallBridge('agents');
    for (const signature of ['missing', 'wrong'] as const) {
      const answer = await newCaller().postWebhook(signature);
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain('<Stream');
    }
    expect(bridge.lines.join('\n')).toMatch(/Refused a webhook: it carries no Twilio signature/);
    expect(bridge.lines.join('\n')).toMatch(/Refused a webhook: its Twilio signature does not match .*https:\/\/voice\.example\.test\/incoming-call/);
    expectNothingOpened();
  });

  it('answers a voice URL entered with a trailing slash, signed as Twilio called it', async () => {
    bridge = await startCallBridge('agents', QUICK_RELEASE);
    const answer = await newCaller({ voiceUrl: 'https://voice.example.test/incoming-call/' }).postWebhook();
    expect(answer.status).toBe(200);
    expect(answer.streamUrl).toBe('wss://voice.example.test/media-stream');
    await expectWarmedCallReleased();
  });

  it('checks the signature against WEBHOOK_URL, not the Host header the request arrived with', async () => {
    bridge = await startCallBridge('agents');
    // Signed for the address the server actually listens on: what a Host-header check would accept.
    const local = `http://127.0.0.1:${bridge.server.port}/incoming-call`;
    const answer = await newCaller({ voiceUrl: local }).postWebhook();
    expect(answer.status).toBe(403);
    expectNothingOpened();
  });
});

describe('the media stream', () => {
  it('refuses an upgrade without a valid Twilio signature before accepting the socket', async () => {
    bridge = await startCallBridge('agents', QUICK_RELEASE);
    for (const signature of ['missing', 'wrong'] as const) {
      const caller = newCaller();
      const answer = await caller.postWebhook();
      await expect(caller.connectStream(answer, { signature })).rejects.toThrow(/refused the WebSocket upgrade: 403/);
    }
    await expectWarmedCallReleased();
  });

  it('closes a signed stream whose start frame carries no token, leaving nothing open', async () => {
    bridge = await startCallBridge('agents', QUICK_RELEASE);
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await caller.connectStream(answer, { parameters: {} });
    expect((await caller.waitForClose()).code).toBe(1008);
    expect(caller.heard()).toEqual([]);
    await expectWarmedCallReleased();
    expect(bridge.lines.join('\n')).toContain('Refused a media stream: the stream carried no token');
  });

  it('closes a stream that replays a token already used by its call', async () => {
    bridge = await startCallBridge('agents');
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    expect(bridge.fake.realtime.connections.length).toBe(1);

    const replay = newCaller({ callSid: caller.callSid });
    await replay.connectStream(answer);
    expect((await replay.waitForClose()).code).toBe(1008);
    expect(bridge.fake.realtime.connections.length).toBe(1);
    expect(bridge.lines.join('\n')).toContain('a token that was already used (a replay)');
  });

  it('closes a stream that presents another call\'s token', async () => {
    bridge = await startCallBridge('agents', QUICK_RELEASE);
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await caller.connectStream(answer, { callSid: 'CAffffffffffffffffffffffffffffffff' });
    expect((await caller.waitForClose()).code).toBe(1008);
    await expectWarmedCallReleased();
  });

  it('closes a signed socket that never sends its start frame', async () => {
    bridge = await startCallBridge('agents', { server: { startTimeoutMs: 200 } });
    const signature = (await import('twilio')).default.getExpectedTwilioSignature(
      '0123456789abcdef0123456789abcdef',
      'wss://voice.example.test/media-stream',
      {},
    );
    const socket = new WebSocket(`ws://127.0.0.1:${bridge.server.port}/media-stream`, { headers: { 'x-twilio-signature': signature } });
    const code = await new Promise<number>((resolve) => socket.on('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1008);
    expectNothingOpened();
  });

  it('refuses frames larger than any Twilio sends', async () => {
    bridge = await startCallBridge('agents');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    const signature = (await import('twilio')).default.getExpectedTwilioSignature('0123456789abcdef0123456789abcdef', 'wss://voice.example.test/media-stream', {});
    const socket = new WebSocket(`ws://127.0.0.1:${bridge.server.port}/media-stream`, { headers: { 'x-twilio-signature': signature } });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('x'.repeat(200_000));
    const code = await new Promise<number>((resolve) => socket.on('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1009);
    // The call in progress is not affected.
    await caller.say('Still there');
    await caller.waitToHear('You said: Still there.');
  });
});

describe('health and readiness', () => {
  it('reports alive and ready, naming the service for the doctor', async () => {
    bridge = await startCallBridge('agents');
    const origin = `http://127.0.0.1:${bridge.server.port}`;
    const health = await fetch(`${origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ service: 'voicebridge', status: 'ok' });
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ service: 'voicebridge', status: 'ready', activeCalls: 0 });
    expect((await fetch(`${origin}/nowhere`)).status).toBe(404);
    expect((await fetch(`${origin}/incoming-call`)).status).toBe(405);
  });

  it('counts calls in progress and forgets them when they end', async () => {
    bridge = await startCallBridge('agents');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    const ready = (await (await fetch(`http://127.0.0.1:${bridge.server.port}/readyz`)).json()) as { activeCalls: number };
    expect(ready.activeCalls).toBe(1);
    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call is forgotten');
  });
});

