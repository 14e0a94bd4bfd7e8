// One call, one answer, one set of connections: a webhook that comes again (Twilio retrying, or a captured one replayed
// by someone who cannot forge a signature) neither opens connections nor takes MAX_CALLS places; an answered call whose
// stream never comes stops counting when its pre-warmed connections are released. And what a caller controls (key
// presses, the caller ID) cannot flood or drive the log.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LOGGED_KEY_PRESSES } from '../../src/call/call-session.js';
import { LINES_BUSY } from '../../src/call/caller-messages.js';
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

const REFUSAL = `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${LINES_BUSY}</Say><Hangup/></Response>`;

describe('a repeated webhook', () => {
  it('gets the same TwiML every time, counts as one pending call and opens one Realtime connection', async () => {
    bridge = await startCallBridge('responses');
    const caller = newCaller();
    const first = await caller.postWebhook();
    const replays = await Promise.all(Array.from({ length: 50 }, () => caller.postWebhook()));
    for (const replay of replays) expect(replay.body).toBe(first.body);
    expect(bridge.server.pendingCalls).toBe(1);
    await eventually(() => bridge!.fake.realtime.clientEvents('session.update').length === 1, 'the webhook opened its Realtime session');
    expect(bridge.fake.realtime.connections).toHaveLength(1);
    expect(bridge.callLog(caller).filter((line) => line.includes('came again'))).toHaveLength(10);

    // The one answer still connects the call.
    await caller.connectStream(first);
    await caller.waitToHear(DEFAULT_GREETING);
    expect(bridge.fake.realtime.connections).toHaveLength(1);
  });

  it('does not take MAX_CALLS places: after three replays of one call the next real caller is answered', async () => {
    bridge = await startCallBridge('responses', { env: { MAX_CALLS: '3' } });
    const replayed = newCaller();
    for (let index = 0; index < 3; index += 1) expect((await replayed.postWebhook()).streamUrl).toBeDefined();
    expect(bridge.server.pendingCalls).toBe(1);
    const next = await newCaller().postWebhook();
    expect(next.body).not.toBe(REFUSAL);
    expect(next.streamUrl).toBe('wss://voice.example.test/media-stream');
  });

  it('opens nothing new while the call is in progress', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    const replay = await caller.postWebhook();
    expect(replay.status).toBe(200);
    expect(bridge.server.pendingCalls).toBe(0);
    expect(bridge.server.activeCalls).toBe(1);
    expect(bridge.fake.realtime.connections).toHaveLength(1);
    // Its token was spent by the call itself: the replayed answer cannot open a second stream.
    const intruder = newCaller({ callSid: caller.callSid });
    expect(await openStreamAndWaitForClose(intruder, replay)).toBe(1008);
    expect(bridge.callLog(caller).join('\n')).toContain('Refused a media stream: the stream carried a token that was already used (a replay)');
    expect(bridge.server.activeCalls).toBe(1);
  });
});

describe('an answered call whose stream never comes', () => {
  it('stops counting as pending when its pre-warmed connections are released, and its token opens nothing', async () => {
    bridge = await startCallBridge('responses', { env: { MAX_CALLS: '1' }, server: { prewarmTimeoutMs: 200 } });
    const caller = newCaller();
    const answer = await caller.postWebhook();
    expect(bridge.server.pendingCalls).toBe(1);
    expect((await newCaller().postWebhook()).body).toBe(REFUSAL);
    await eventually(() => bridge!.server.pendingCalls === 0, 'the pending call is released with its pre-warm');
    await eventually(() => bridge!.fake.realtime.openConnections.length === 0, 'its Realtime connection is closed');
    expect((await newCaller().postWebhook()).streamUrl).toBeDefined();

    const late = await openStreamAndWaitForClose(caller, answer);
    expect(late).toBe(1008);
    expect(bridge.callLog(caller).join('\n')).toContain('Refused a media stream: the stream carried an expired token');
  });

  it('does not keep a drain waiting for it past its release', async () => {
    bridge = await startCallBridge('responses', { server: { prewarmTimeoutMs: 200 } });
    await newCaller().postWebhook();
    expect(bridge.server.pendingCalls).toBe(1);
    let drained = false;
    const draining = bridge.server.drain(60_000).then(() => (drained = true));
    // Released at 200 ms; the drain notices at once rather than at the token's expiry (30 s) or its own timeout.
    await eventually(() => drained, 'the drain finished once the pending call was released', 3_000);
    await draining;
  });
});

describe('what a caller controls in the log', () => {
  it(`logs at most ${MAX_LOGGED_KEY_PRESSES} key presses per call, however many dtmf frames come`, async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    caller.pressKeys('1'.repeat(5_000));
    // Frames are handled in order: once the words after the key presses are answered, every key press was handled.
    await caller.say('Are you there');
    await caller.waitToHear('You said: Are you there.');
    const presses = bridge.callLog(caller).filter((line) => line.includes('Caller pressed'));
    expect(presses).toHaveLength(MAX_LOGGED_KEY_PRESSES);
    expect(presses.at(-1)).toContain('(further key presses on this call are not logged)');
  });

  it("writes escape and bell characters from the caller's number as escapes", async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial({ from: '+1415\u001b[2J\u0007' });
    await caller.waitToHear(DEFAULT_GREETING);
    const incoming = bridge.callLog(caller).find((line) => line.includes('Incoming call from'));
    expect(incoming).toContain('Incoming call from +1415\\x1b[2J\\x07 to +14155550100');
    expect(bridge.lines.join('\n')).not.toContain('\u001b');
    expect(bridge.lines.join('\n')).not.toContain('\u0007');
  });
});

/** Opens the media stream with the answer's token and resolves with the close code the bridge gave it. */
async function openStreamAndWaitForClose(caller: FakeTwilioCaller, answer: Awaited<ReturnType<FakeTwilioCaller['postWebhook']>>): Promise<number> {
  try {
    await caller.connectStream(answer);
    const closed = await caller.waitForClose();
    return closed.code;
  } catch (error) {
    if (error instanceof Error && /1008/.test(error.message)) return 1008;
    throw error;
  }
}
