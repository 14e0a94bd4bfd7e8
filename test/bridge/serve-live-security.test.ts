// The bridge's checks hold on the GPT-Live engine too: they sit in front of every voice engine, so a request we cannot
// trust opens no GPT-Live session, and a session a genuine webhook opened ahead of a refused stream is closed.
import { afterEach, describe, expect, it } from 'vitest';
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

const LIVE = { VOICE_ENGINE: 'live' } as const;

function newCaller(overrides: Partial<Parameters<CallBridge['callerOptions']>[0]> = {}): FakeTwilioCaller {
  const caller = new FakeTwilioCaller(bridge!.callerOptions(overrides));
  callers.push(caller);
  return caller;
}

describe('a GPT-Live bridge', () => {
  it('opens no GPT-Live session for a webhook without a valid signature', async () => {
    bridge = await startCallBridge('agents', { env: LIVE });
    for (const signature of ['missing', 'wrong'] as const) expect((await newCaller().postWebhook(signature)).status).toBe(403);
    expect(bridge.fake.live.connections).toEqual([]);
    expect(bridge.fake.realtime.connections).toEqual([]);
  });

  it('opens no GPT-Live session for a stream upgrade without a valid signature', async () => {
    // Nothing opened ahead of the stream, so the refused upgrade is the only thing that could open a session.
    bridge = await startCallBridge('agents', { env: LIVE, server: { prewarmTimeoutMs: 0 } });
    for (const signature of ['missing', 'wrong'] as const) {
      const caller = newCaller();
      const answer = await caller.postWebhook();
      await expect(caller.connectStream(answer, { signature })).rejects.toThrow(/refused the WebSocket upgrade: 403/);
    }
    expect(bridge.fake.live.connections).toEqual([]);
  });

  it('closes the session a genuine webhook opened ahead when its stream is refused', async () => {
    bridge = await startCallBridge('agents', { env: LIVE, server: { prewarmTimeoutMs: 200 } });
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await expect(caller.connectStream(answer, { signature: 'wrong' })).rejects.toThrow(/403/);
    await eventually(() => bridge!.fake.live.connections.length === 1 && bridge!.fake.live.openConnections.length === 0, 'the session opened ahead is closed');
  });

  it('opens no second GPT-Live session for a replayed token', async () => {
    bridge = await startCallBridge('agents', { env: LIVE });
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    expect(bridge.fake.live.connections.length).toBe(1);

    const replay = newCaller({ callSid: caller.callSid });
    await replay.connectStream(answer);
    expect((await replay.waitForClose()).code).toBe(1008);
    expect(bridge.fake.live.connections.length).toBe(1);
    expect(bridge.lines.join('\n')).toContain('a token that was already used (a replay)');
  });
});
