// Several serve instances behind one WEBHOOK_URL: a call's token and pre-warmed connections live on the instance that
// answered its webhook, so its stream must come back there. MEDIA_STREAM_URL gives each instance its own stream address.
import { afterEach, describe, expect, it } from 'vitest';
import { publicUrlsFrom, PublicUrlError } from '../../src/transports/twilio-media-streams/public-urls.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, PUBLIC_BASE, startCallBridge, type CallBridge } from './call-harness.js';

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
  it('is refused there (its token is unknown), and what the first instance opened ahead is released', async () => {
    const [answering, other] = await Promise.all([
      startCallBridge('responses', { server: { prewarmTimeoutMs: 300 } }),
      startCallBridge('responses', { server: { prewarmTimeoutMs: 300 } }),
    ]);
    bridges.push(answering, other);
    const caller = new FakeTwilioCaller(answering.callerOptions());
    const answer = await caller.postWebhook();
    await eventually(() => answering.fake.realtime.openConnections.length === 1, 'the answering instance pre-warms the call');

    const lost = new FakeTwilioCaller(other.callerOptions({ callSid: caller.callSid, accountSid: caller.accountSid }));
    await lost.connectStream(answer);
    expect((await lost.waitForClose()).code).toBe(1008);
    expect(other.lines.join('\n')).toContain(`[${caller.callSid}] Refused a media stream: the stream carried a token we never issued`);
    expect(other.fake.realtime.connections).toEqual([]);
    await eventually(() => answering.fake.realtime.openConnections.length === 0, 'the pre-warmed connection is released');
  });
});
