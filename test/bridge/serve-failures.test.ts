// Faults during a call through the real bridge: the caller hears an apology, never silence; hanging up closes all, and
// so does a stream that Twilio stopped feeding without closing it.
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_APOLOGY } from '../../src/call/call-session.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

describe('when the agent fails', () => {
  it('tells the caller sorry instead of leaving them in silence, and logs the cause', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.agentBehaviour = { fail: 'server-error', failTimes: 1 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Are you there');
    await caller.waitToHear(DEFAULT_APOLOGY);
    const failure = bridge.callLog(caller).find((line) => line.includes('The agent did not answer'));
    // The BrainError's own words and the doctor's fix, not a stack trace.
    expect(failure).toMatch(/answered 500 \(a server error\).* — Fix: /);
    expect(failure).not.toMatch(/\n\s+at /);

    // The next turn works again: the call goes on.
    await caller.say('Hello again');
    await caller.waitToHear('You said: Hello again.');
  });

  it('apologises when the agent says nothing before the deadline', async () => {
    bridge = await startCallBridge('responses', { server: { agentTimeoutMs: 400 } });
    bridge.fake.agentBehaviour = { fail: 'hang' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello');
    await caller.waitToHear(DEFAULT_APOLOGY);
    expect(bridge.callLog(caller).join('\n')).toMatch(/The agent did not answer: the agent produced nothing for 0\.4 s/);
  });
});

describe('hanging up', () => {
  it('closes the Realtime socket and the agent stream, leaving nothing open', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.agentBehaviour = { fail: 'hang' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello');
    await eventually(() => bridge!.fake.agentTurns.length === 1, 'the agent is thinking');
    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call has ended');
    await eventually(() => bridge!.fake.realtime.openConnections.length === 0, 'the Realtime socket is closed');
    await eventually(() => bridge!.fake.agentTurns[0]!.status !== 'in_progress', 'the agent turn is stopped');
    expect(bridge.callLog(caller).join('\n')).toContain('Call ended (caller hung up)');
  });
});

describe('when the Realtime connection drops and cannot be regained', () => {
  it('ends the call cleanly and says why in the log', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.realtime.refuseConnections = 1;
    bridge.fake.realtime.dropAll();
    await caller.waitForClose();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call has ended');
    const log = bridge.callLog(caller).join('\n');
    expect(log).toMatch(/The voice connection failed: the OpenAI Realtime connection closed \(\d+\), and reconnecting failed: OpenAI Realtime refused the connection: 503/);
    expect(log).toContain('Call ended (voice connection failed)');
  });
});

describe('when Twilio goes silent without closing the stream', () => {
  it('takes the stream for lost after the silence timeout and closes everything the call held', async () => {
    bridge = await startCallBridge('responses', { server: { lineSilenceTimeoutMs: 300 } });
    // A stream as a lost network leaves it: started, then not one more frame, and no close.
    const caller = new FakeTwilioCaller(bridge.callerOptions());
    const answer = await caller.postWebhook();
    const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, answer.streamUrl!, {});
    const socket = new WebSocket(`ws://127.0.0.1:${bridge.server.port}/media-stream`, { headers: { 'x-twilio-signature': signature } });
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    const streamSid = 'MZ0123456789abcdef0123456789abcdef';
    socket.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: { streamSid, accountSid: TWILIO_ACCOUNT_SID, callSid: caller.callSid, tracks: ['inbound'], customParameters: answer.parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
      }),
    );
    await eventually(() => bridge!.server.activeCalls === 1, 'the call has started');

    expect(await closed).toBe(1000);
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.realtime.openConnections.length === 0, 'the call and its Realtime socket are gone');
    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain('No audio from Twilio for 300 ms while the stream stayed open: the connection to Twilio is taken for lost');
    expect(log).toContain('Call ended (no audio from Twilio)');
  });

  it('keeps a call whose caller says nothing: Twilio still sends silence', async () => {
    bridge = await startCallBridge('responses', { server: { lineSilenceTimeoutMs: 300 } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(caller.closed).toBeUndefined();
    expect(bridge.server.activeCalls).toBe(1);
  });
});
