import { describe, expect, it } from 'vitest';
import { createFrameEncoder, decodeTwilioFrame } from '../../src/transports/twilio-media-streams/twilio-frames.js';
import { base64ByteLength, isBase64 } from '../../src/util/base64.js';

const STREAM = 'MZ0123456789abcdef0123456789abcdef';

describe('decoding Twilio Media Streams frames', () => {
  it('reads a start frame with its call, custom parameters and media format', () => {
    const decoded = decodeTwilioFrame(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: STREAM,
        start: {
          streamSid: STREAM,
          accountSid: 'AC0123456789abcdef0123456789abcdef',
          callSid: 'CA0123456789abcdef0123456789abcdef',
          tracks: ['inbound'],
          customParameters: { token: 'abc' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    expect(decoded).toEqual({
      ok: true,
      frame: {
        event: 'start',
        sequenceNumber: '1',
        streamSid: STREAM,
        start: {
          streamSid: STREAM,
          accountSid: 'AC0123456789abcdef0123456789abcdef',
          callSid: 'CA0123456789abcdef0123456789abcdef',
          tracks: ['inbound'],
          customParameters: { token: 'abc' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      },
    });
  });

  it('keeps media counters as the strings Twilio sends and the payload untouched', () => {
    const payload = Buffer.alloc(160, 0xff).toString('base64');
    const decoded = decodeTwilioFrame(
      JSON.stringify({ event: 'media', sequenceNumber: '2', streamSid: STREAM, media: { track: 'inbound', chunk: '1', timestamp: '20', payload } }),
    );
    expect(decoded).toEqual({ ok: true, frame: { event: 'media', sequenceNumber: '2', streamSid: STREAM, media: { track: 'inbound', chunk: '1', timestamp: '20', payload } } });
  });

  it('reads mark echoes, dtmf and stop', () => {
    expect(decodeTwilioFrame(`{"event":"mark","sequenceNumber":"9","streamSid":"${STREAM}","mark":{"name":"reply-3"}}`)).toMatchObject({
      ok: true,
      frame: { event: 'mark', mark: { name: 'reply-3' } },
    });
    expect(decodeTwilioFrame(`{"event":"dtmf","streamSid":"${STREAM}","dtmf":{"track":"inbound_track","digit":"7"}}`)).toMatchObject({
      ok: true,
      frame: { event: 'dtmf', dtmf: { digit: '7' } },
    });
    expect(decodeTwilioFrame(`{"event":"stop","sequenceNumber":"10","streamSid":"${STREAM}","stop":{"accountSid":"AC1","callSid":"CA1"}}`)).toMatchObject({
      ok: true,
      frame: { event: 'stop', stop: { callSid: 'CA1' } },
    });
  });

  it('names the problem instead of throwing on malformed frames', () => {
    expect(decodeTwilioFrame('{not json')).toEqual({ ok: false, problem: 'a frame is not valid JSON' });
    expect(decodeTwilioFrame('[1,2]')).toEqual({ ok: false, problem: 'a frame is not a JSON object' });
    expect(decodeTwilioFrame('{"event":"dance"}')).toEqual({ ok: false, problem: 'unknown event "dance"' });
    expect(decodeTwilioFrame(`{"event":"media","streamSid":"${STREAM}","media":{"payload":"not base64!"}}`)).toEqual({
      ok: false,
      problem: 'media frame: the payload is not valid base64',
    });
    expect(decodeTwilioFrame(`{"event":"start","streamSid":"${STREAM}","start":{"accountSid":"AC1"}}`)).toEqual({
      ok: false,
      problem: 'start frame: "callSid" is missing or not a string',
    });
  });

  it('refuses a start frame whose callSid is not a CallSid, and a dtmf frame that is not one keypad key', () => {
    const start = (callSid: string) => JSON.stringify({ event: 'start', streamSid: STREAM, start: { accountSid: 'AC1', callSid } });
    expect(decodeTwilioFrame(start('CA0123\n12:00:00 [CAfake] Call ended'))).toEqual({ ok: false, problem: 'start frame: "callSid" is not a CallSid (CA and 32 hex digits)' });
    expect(decodeTwilioFrame(start('MZ0123456789abcdef0123456789abcdef'))).toMatchObject({ ok: false });
    const dtmf = (digit: string) => `{"event":"dtmf","streamSid":"${STREAM}","dtmf":{"track":"inbound_track","digit":${JSON.stringify(digit)}}}`;
    for (const key of ['0', '9', '*', '#', 'A', 'D']) expect(decodeTwilioFrame(dtmf(key))).toMatchObject({ ok: true });
    for (const junk of ['', '12', 'x', '💥', '\n']) expect(decodeTwilioFrame(dtmf(junk))).toEqual({ ok: false, problem: 'a dtmf frame carries something other than one keypad key' });
  });
});

describe('encoding the frames we send', () => {
  const encoder = createFrameEncoder(STREAM);

  it('sends media, mark and clear exactly as Twilio expects', () => {
    expect(JSON.parse(encoder.media('/w=='))).toEqual({ event: 'media', streamSid: STREAM, media: { payload: '/w==' } });
    expect(JSON.parse(encoder.mark('reply-"1"'))).toEqual({ event: 'mark', streamSid: STREAM, mark: { name: 'reply-"1"' } });
    expect(JSON.parse(encoder.clear())).toEqual({ event: 'clear', streamSid: STREAM });
  });

  it('round-trips what it encodes through the decoder', () => {
    const media = decodeTwilioFrame(encoder.media('AAAA'));
    expect(media).toMatchObject({ ok: true, frame: { event: 'media', streamSid: STREAM, media: { payload: 'AAAA' } } });
  });
});

describe('base64 payloads', () => {
  it('accepts standard padded base64 and measures it without decoding', () => {
    const payload = Buffer.alloc(160, 1).toString('base64');
    expect(isBase64(payload)).toBe(true);
    expect(base64ByteLength(payload)).toBe(160);
    expect(base64ByteLength(Buffer.alloc(161).toString('base64'))).toBe(161);
    expect(isBase64('abc')).toBe(false);
    expect(isBase64('ab"}')).toBe(false);
  });
});
