import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { TwilioStartInfo } from '../../src/transports/twilio-media-streams/twilio-frames.js';
import { TwilioMediaStream } from '../../src/transports/twilio-media-streams/twilio-media-stream.js';

const STREAM = 'MZ0123456789abcdef0123456789abcdef';
const CALL = 'CA0123456789abcdef0123456789abcdef';

interface Harness {
  stream: TwilioMediaStream;
  /** The Twilio end of the socket. */
  twilioSide: WebSocket;
  /** Frames the stream sent to "Twilio". */
  sent: Array<Record<string, unknown>>;
  starts: TwilioStartInfo[];
  problems: string[];
  events: string[];
  send(frame: Record<string, unknown>): void;
  settle(): Promise<void>;
}

let server: WebSocketServer | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A real ws pair on loopback: the stream on the server end, a stand-in for Twilio on the client end. */
async function harness(now?: () => number): Promise<Harness> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  const accepted = new Promise<WebSocket>((resolve) => server!.once('connection', resolve));
  const twilioSide = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  clients.push(twilioSide);
  const sent: Array<Record<string, unknown>> = [];
  twilioSide.on('message', (data) => sent.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve) => twilioSide.once('open', resolve));
  const starts: TwilioStartInfo[] = [];
  const problems: string[] = [];
  const stream = new TwilioMediaStream(await accepted, { onStart: (info) => starts.push(info), onProtocolError: (problem) => problems.push(problem), now });
  const events: string[] = [];
  stream.on('audio', (payload) => events.push(`audio:${payload}`));
  stream.on('markPlayed', (name) => events.push(`played:${name}`));
  stream.on('markCleared', (name) => events.push(`cleared:${name}`));
  stream.on('stop', () => events.push('stop'));
  stream.on('dtmf', (digit) => events.push(`dtmf:${digit}`));
  // A ping round trip: everything sent before it, either way, has been received on both ends.
  const settle = (): Promise<void> =>
    new Promise<void>((resolve) => {
      twilioSide.once('pong', () => resolve());
      twilioSide.ping();
    });
  return { stream, twilioSide, sent, starts, problems, events, send: (frame) => twilioSide.send(JSON.stringify(frame)), settle };
}

function start(h: Harness): void {
  h.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  h.send({
    event: 'start',
    sequenceNumber: '1',
    streamSid: STREAM,
    start: { streamSid: STREAM, accountSid: 'AC0123456789abcdef0123456789abcdef', callSid: CALL, tracks: ['inbound'], customParameters: { token: 't' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
  });
}

const mark = (name: string, sequence: number) => ({ event: 'mark', sequenceNumber: String(sequence), streamSid: STREAM, mark: { name } });

describe('one Twilio media stream', () => {
  it('reports the start frame and passes caller audio through untouched', async () => {
    const h = await harness();
    start(h);
    h.send({ event: 'media', sequenceNumber: '2', streamSid: STREAM, media: { track: 'inbound', chunk: '1', timestamp: '20', payload: '/////w==' } });
    await h.settle();
    expect(h.starts.map((info) => [info.callSid, info.customParameters.token])).toEqual([[CALL, 't']]);
    expect(h.events).toEqual(['audio://///w==']);
  });

  it('sends media, mark and clear for its streamSid', async () => {
    const h = await harness();
    start(h);
    await h.settle();
    h.stream.sendAudio('AAAA');
    h.stream.sendMark('reply-1');
    h.stream.clear();
    await h.settle();
    expect(h.sent).toEqual([
      { event: 'media', streamSid: STREAM, media: { payload: 'AAAA' } },
      { event: 'mark', streamSid: STREAM, mark: { name: 'reply-1' } },
      { event: 'clear', streamSid: STREAM },
    ]);
  });

  it('counts a mark as played when Twilio echoes it after the audio before it', async () => {
    const h = await harness();
    start(h);
    await h.settle();
    h.stream.sendAudio('AAAA');
    h.stream.sendMark('greeting-1');
    h.stream.sendAudio('AAAA');
    h.stream.sendMark('reply-2');
    h.send(mark('greeting-1', 3));
    h.send(mark('reply-2', 4));
    await h.settle();
    expect(h.events).toEqual(['played:greeting-1', 'played:reply-2']);
  });

  it('knows that marks echoed because of a clear were flushed, not heard', async () => {
    const h = await harness();
    start(h);
    await h.settle();
    h.stream.sendAudio('AAAA');
    h.stream.sendMark('reply-1');
    h.send(mark('reply-1', 3)); // played before the clear
    await h.settle();
    h.stream.sendAudio('AAAA');
    h.stream.sendMark('reply-2');
    h.stream.sendAudio('AAAA');
    h.stream.sendMark('reply-3');
    h.stream.clear();
    // Twilio answers a clear by echoing every pending mark at once.
    h.send(mark('reply-2', 4));
    h.send(mark('reply-3', 5));
    await h.settle();
    expect(h.events).toEqual(['played:reply-1', 'cleared:reply-2', 'cleared:reply-3']);
  });

  it('estimates how much sent audio has not played yet, in real time', async () => {
    let now = 0;
    const h = await harness(() => now);
    start(h);
    await h.settle();
    h.stream.sendAudio(Buffer.alloc(1600).toString('base64')); // 200 ms
    expect(h.stream.unplayedAudioMs()).toBe(200);
    now = 150;
    expect(h.stream.unplayedAudioMs()).toBe(50);
    h.stream.clear();
    expect(h.stream.unplayedAudioMs()).toBe(0);
  });

  it('ignores bad frames, frames before start and frames for another stream, naming each', async () => {
    const h = await harness();
    h.send({ event: 'media', sequenceNumber: '1', streamSid: STREAM, media: { payload: 'AAAA' } });
    h.twilioSide.send('not json');
    start(h);
    h.send({ event: 'media', sequenceNumber: '2', streamSid: 'MZother', media: { payload: 'AAAA' } });
    h.twilioSide.send(Buffer.from([1, 2, 3]));
    h.send(mark('never-sent', 3));
    await h.settle();
    expect(h.events).toEqual([]);
    expect(h.problems).toEqual([
      'a media frame arrived before start',
      'a frame is not valid JSON',
      'a media frame names another stream (MZother)',
      'a binary frame arrived; Twilio sends only JSON text',
      'an echo arrived for a mark we did not send (never-sent)',
    ]);
  });

  it('reports dtmf and stop', async () => {
    const h = await harness();
    start(h);
    h.send({ event: 'dtmf', streamSid: STREAM, sequenceNumber: '2', dtmf: { track: 'inbound_track', digit: '5' } });
    h.send({ event: 'stop', sequenceNumber: '3', streamSid: STREAM, stop: { accountSid: 'AC1', callSid: CALL } });
    await h.settle();
    expect(h.events).toEqual(['dtmf:5', 'stop']);
  });
});
