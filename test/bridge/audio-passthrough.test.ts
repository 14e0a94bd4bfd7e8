// Audio crosses the bridge untouched: the base64 text of each frame, character for character, both ways. The
// payloads below are valid but not canonical base64 (unused low bits set in the last character), which any decode
// and re-encode would silently change.
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, TWILIO_AUTH_TOKEN, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await bridge?.stop();
  bridge = undefined;
});

const silence = Buffer.alloc(160, 0xff).toString('base64');
/** Silence whose last character carries set low bits: decodes to the same bytes, re-encodes differently. */
const nonCanonicalSilence = `${silence.slice(0, -3)}/==`;
/** Quiet μ-law bytes whose base64 is "+/v7" over and over: the characters a URL-safe re-encoding would change. */
const plusAndSlash = Buffer.alloc(160, 0xfb).toString('base64');

describe('the audio hot path', () => {
  it('forwards each Twilio media payload to Realtime as the exact same text', async () => {
    bridge = await startCallBridge('agents');
    const caller = new FakeTwilioCaller(bridge.callerOptions());
    const answer = await caller.postWebhook();
    const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, answer.streamUrl!, {});
    const socket = new WebSocket(`ws://127.0.0.1:${bridge.server.port}/media-stream`, { headers: { 'x-twilio-signature': signature } });
    sockets.push(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    const streamSid = 'MZ0123456789abcdef0123456789abcdef';
    socket.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    socket.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: {
          streamSid,
          accountSid: caller.accountSid,
          callSid: caller.callSid,
          tracks: ['inbound'],
          customParameters: answer.parameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    const payloads = [nonCanonicalSilence, plusAndSlash, silence, nonCanonicalSilence];
    payloads.forEach((payload, index) =>
      socket.send(
        JSON.stringify({
          event: 'media',
          sequenceNumber: String(index + 2),
          streamSid,
          media: { track: 'inbound', chunk: String(index + 1), timestamp: String(index * 20), payload },
        }),
      ),
    );
    const appended = (): unknown[] => bridge!.fake.realtime.clientEvents('input_audio_buffer.append').map((event) => event.audio);
    await eventually(() => appended().length === payloads.length, 'every frame reached Realtime');
    expect(appended()).toEqual(payloads);
    expect(Buffer.from(nonCanonicalSilence, 'base64').toString('base64')).not.toBe(nonCanonicalSilence);
  });

  it('forwards each Realtime audio delta to Twilio as the exact same text, in a media frame for the call\'s stream', async () => {
    bridge = await startCallBridge('agents', { env: { GREETING: 'Hello and welcome to the bakery on the corner, where the bread is always warm.' } });
    // A slow voice: the greeting is still being spoken while the test speaks into it.
    bridge.fake.realtime.options.deltaIntervalMs = 500;
    const caller = await bridge.dial();
    const realtime = bridge.fake.realtime;
    await eventually(() => realtime.connections[0]?.serverEvents.some((event) => event.type === 'response.created') === true, 'the greeting started');
    const connection = realtime.connections[0]!;
    const created = connection.serverEvents.find((event) => event.type === 'response.created')!;
    const responseId = (created.response as { id: string }).id;
    for (const delta of [nonCanonicalSilence, plusAndSlash]) {
      connection.socket.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: 'event_test', response_id: responseId, item_id: 'item_test', output_index: 0, content_index: 0, delta }));
    }
    const media = (): Array<Record<string, unknown>> => caller.received.filter((frame) => frame.event === 'media');
    await eventually(() => media().some((frame) => (frame.media as { payload: string }).payload === plusAndSlash), 'the deltas reached the caller');
    const relayed = media().filter((frame) => [nonCanonicalSilence, plusAndSlash].includes((frame.media as { payload: string }).payload));
    expect(relayed).toEqual([
      { event: 'media', streamSid: caller.streamSid, media: { payload: nonCanonicalSilence } },
      { event: 'media', streamSid: caller.streamSid, media: { payload: plusAndSlash } },
    ]);
    expect(caller.protocolErrors).toEqual([]);
  });
});
