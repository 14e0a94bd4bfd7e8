// The OpenAI Realtime connection dropping mid-call, through the real bridge: one reconnect with the same session
// settings and the call carries on; a reconnect that fails ends the call through Twilio's REST API, never in silence.
import { afterEach, describe, expect, it } from 'vitest';
import { VOICE_FAILED_GOODBYE, VOICE_FAILED_TRANSFER } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

describe('when the Realtime connection drops mid-call', () => {
  it('reconnects once with the same session settings, and the next reply is heard without a second greeting', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);

    bridge.fake.realtime.dropAll();
    // The caller speaks straight away: what they say during the gap is held for the new connection.
    await caller.say('Are you still there');
    await caller.waitToHear('You said: Are you still there.');

    const [first, second] = bridge.fake.realtime.connections;
    expect(bridge.fake.realtime.connections).toHaveLength(2);
    expect(first!.closed).toBe(true);
    expect(bridge.fake.realtime.clientEvents('session.update', second)).toEqual(bridge.fake.realtime.clientEvents('session.update', first));
    expect(caller.heard().filter((phrase) => phrase === DEFAULT_GREETING)).toHaveLength(1);
    expect(caller.closed).toBeUndefined();
    expect(bridge.call(caller).updates).toEqual([]);
    const log = bridge.callLog(caller).join('\n');
    expect(log).toMatch(/The voice connection dropped \(the OpenAI Realtime connection closed \(\d+\)\); reconnecting/);
    expect(log).toContain('Reconnected to OpenAI Realtime');
  });

  it('ends the call through the Twilio REST API, with Twilio saying why, when the reconnect is refused', async () => {
    bridge = await startCallBridge('agents');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);

    bridge.fake.realtime.refuseConnections = 1;
    bridge.fake.realtime.dropAll();
    await caller.waitForClose();

    expect(bridge.call(caller).updates).toEqual([
      { Twiml: `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${VOICE_FAILED_GOODBYE}</Say><Hangup/></Response>` },
    ]);
    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain('reconnecting failed: OpenAI Realtime refused the connection: 503 The server is overloaded.');
    expect(log).toContain('Ended the call through Twilio with an apology');
    expect(log).toContain('Call ended (voice connection failed)');
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.realtime.openConnections.length === 0, 'the call is cleaned up');
  });

  it('hands the caller to TRANSFER_NUMBER when the voice cannot be regained and a transfer number is set', async () => {
    bridge = await startCallBridge('responses', { env: { TRANSFER_NUMBER: '+14155550999' } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);

    bridge.fake.realtime.refuseConnections = 1;
    bridge.fake.realtime.dropAll();
    await caller.waitForClose();

    expect(bridge.call(caller).updates).toEqual([
      { Twiml: `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${VOICE_FAILED_TRANSFER}</Say><Dial>+14155550999</Dial></Response>` },
    ]);
  });
});
