// Several serve instances behind one WEBHOOK_URL: a call's token is signed with a key derived from TWILIO_AUTH_TOKEN, so
// its stream may land on any instance that shares it; only the pre-warmed connections live on the instance that answered
// the webhook. MEDIA_STREAM_URL gives each instance its own stream address, to bring the stream back to them.
import { afterEach, describe, expect, it } from 'vitest';
import { publicUrlsFrom, PublicUrlError } from '../../src/transports/twilio-media-streams/public-urls.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FakeTwilioCaller, type WebhookAnswer } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, PUBLIC_BASE, startCallBridge, type CallBridge } from './call-harness.js';

const OTHER_AUTH_TOKEN = 'fedcba9876543210fedcba9876543210';
const bridges: CallBridge[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((bridge) => bridge.stop()));
});

describe('MEDIA_STREAM_URL', () => {
  it("puts the instance's own stream address in the TwiML, checks the stream's signature against it, and the call works", async () => {
    const bridge = await startCallBridge('responses', { env: { MEDIA_STREAM_URL: 'wss://voice-1.example.test/media-stream' } });
    bridges.push(bridge);
    const caller = new FakeTwilioCaller(bridge.callerOptions());
    const answer = await caller.postWebhook();
    expect(answer.streamUrl).toBe('wss://voice-1.example.test/media-stream');
    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.hangUp();
  });

  it('is refused at start when it is not a wss:// address without a query string, saying what to write', () => {
    expect(publicUrlsFrom(PUBLIC_BASE, 'https://voice-1.example.test').mediaStream).toBe('wss://voice-1.example.test/media-stream');
    expect(() => publicUrlsFrom(PUBLIC_BASE, 'ws://voice-1.example.test/media-stream')).toThrow(/MEDIA_STREAM_URL must start with wss:\/\/ \(found ws:\/\/\)/);
    expect(() => publicUrlsFrom(PUBLIC_BASE, 'wss://voice-1.example.test/media-stream?instance=1')).toThrow(/no query string.*31920/);
    expect(() => publicUrlsFrom(PUBLIC_BASE, 'voice-1')).toThrow(PublicUrlError);
  });
});

describe('a stream that reaches another instance than its webhook', () => {
  /** Two instances behind one WEBHOOK_URL with one auth token, as a plain round-robin load balancer sees them. */
  async function twoInstances(server: { prewarmTimeoutMs: number; tokenTtlMs?: number }): Promise<[CallBridge, CallBridge]> {
    const pair = await Promise.all([startCallBridge('responses', { server }), startCallBridge('responses', { server })]);
    bridges.push(...pair);
    return pair;
  }

  /** Opens the answer's stream on `bridge` as `callSid`, with `token` in its start frame; resolves with the close code. */
  async function streamClosedWith(bridge: CallBridge, answer: WebhookAnswer, callSid: string, token: string | undefined): Promise<number> {
    const caller = new FakeTwilioCaller(bridge.callerOptions({ callSid }));
    await caller.connectStream(answer, token === undefined ? {} : { parameters: { token } });
    return (await caller.waitForClose()).code;
  }

  it('is accepted there and the caller is greeted and answered; the first instance releases what it opened ahead', async () => {
    const [answering, other] = await twoInstances({ prewarmTimeoutMs: 300 });
    const caller = new FakeTwilioCaller(answering.callerOptions());
    const answer = await caller.postWebhook();
    await eventually(() => answering.fake.realtime.openConnections.length === 1, 'the answering instance pre-warms the call');
    expect(answering.server.pendingCalls).toBe(1);

    // Nothing was warmed there: the instance opens the call's connections when the stream starts.
    const elsewhere = new FakeTwilioCaller(other.callerOptions({ callSid: caller.callSid, accountSid: caller.accountSid }));
    await elsewhere.connectStream(answer);
    await elsewhere.waitToHear(DEFAULT_GREETING);
    await elsewhere.say('Are you there');
    await elsewhere.waitToHear('You said: Are you there.');
    expect(other.server.activeCalls).toBe(1);
    expect(other.fake.realtime.connections).toHaveLength(1);

    await eventually(() => answering.fake.realtime.openConnections.length === 0, 'the pre-warmed connection is released');
    await eventually(() => answering.server.pendingCalls === 0, 'the answering instance stops counting the call');
    expect(answering.server.activeCalls).toBe(0);

    // The token opened its stream on the second instance once: a replay there opens nothing.
    expect(await streamClosedWith(other, answer, caller.callSid, undefined)).toBe(1008);
    expect(other.lines.join('\n')).toContain(`[${caller.callSid}] Refused a media stream: the stream carried a token that was already used (a replay)`);
    expect(other.fake.realtime.connections).toHaveLength(1);
    await elsewhere.hangUp();
  });

  it('is refused with a forged or altered token, or one signed under another auth token', async () => {
    const [answering, other] = await twoInstances({ prewarmTimeoutMs: 300 });
    const caller = new FakeTwilioCaller(answering.callerOptions());
    const answer = await caller.postWebhook();
    const token = answer.parameters.token ?? '';
    const [expiry = '', mac = ''] = token.split('.');
    const flipped = (text: string): string => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [`${expiry}.${'A'.repeat(43)}`, `${expiry}.${flipped(mac)}`, `${Number(expiry) + 60_000}.${mac}`, flipped(token).slice(2)]) {
      expect(await streamClosedWith(other, answer, caller.callSid, forged)).toBe(1008);
    }
    expect(other.lines.join('\n')).toContain(`[${caller.callSid}] Refused a media stream: the stream carried a token we never issued`);

    // An instance with its own auth token (another Twilio account, or a rotated one) cannot verify the token.
    const stranger = await startCallBridge('responses', { env: { TWILIO_AUTH_TOKEN: OTHER_AUTH_TOKEN }, server: { prewarmTimeoutMs: 300 } });
    bridges.push(stranger);
    const lost = new FakeTwilioCaller(stranger.callerOptions({ callSid: caller.callSid, authToken: OTHER_AUTH_TOKEN }));
    await lost.connectStream(answer);
    expect((await lost.waitForClose()).code).toBe(1008);
    expect(stranger.lines.join('\n')).toContain('TWILIO_AUTH_TOKEN');
    expect(stranger.lines.join('\n')).not.toContain(OTHER_AUTH_TOKEN);
    expect(other.fake.realtime.connections).toEqual([]);
    expect(stranger.fake.realtime.connections).toEqual([]);

    // None of those spent it: the genuine stream still gets in.
    const genuine = new FakeTwilioCaller(other.callerOptions({ callSid: caller.callSid }));
    await genuine.connectStream(answer);
    await genuine.waitToHear(DEFAULT_GREETING);
    await genuine.hangUp();
  });

  it('is refused once its token expired', async () => {
    const [answering, other] = await twoInstances({ prewarmTimeoutMs: 2_000, tokenTtlMs: 200 });
    const caller = new FakeTwilioCaller(answering.callerOptions());
    const answer = await caller.postWebhook();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await streamClosedWith(other, answer, caller.callSid, undefined)).toBe(1008);
    expect(other.lines.join('\n')).toContain(`[${caller.callSid}] Refused a media stream: the stream carried an expired token`);
    expect(other.fake.realtime.connections).toEqual([]);
  });
});
