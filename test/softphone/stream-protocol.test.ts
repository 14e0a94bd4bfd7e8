// The softphone's Media Stream judged the way Twilio judges it: a bridge may send only media, mark and clear, each with
// exactly its fields, as JSON text. Anything else is reported with Twilio's error code, and the rest of the call goes on.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { TwilioStreamClient } from '../../src/softphone/twilio-stream-client.js';

let server: WebSocketServer | undefined;
let client: TwilioStreamClient | undefined;

afterEach(async () => {
  client?.drop();
  client = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A bridge that runs `send` once the start frame arrives, and a softphone connected to it. */
async function callBridge(send: (socket: WebSocket, streamSid: string) => void): Promise<{ stream: TwilioStreamClient; errors: string[]; marks: string[] }> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { event: string; streamSid?: string };
      if (frame.event === 'start') send(socket, frame.streamSid!);
    });
  });
  const { port } = server.address() as AddressInfo;
  const stream = await TwilioStreamClient.open({
    socketUrl: `ws://127.0.0.1:${port}/media-stream`,
    start: { accountSid: 'AC0123456789abcdef0123456789abcdef', callSid: 'CA0123456789abcdef0123456789abcdef', customParameters: {} },
  });
  client = stream;
  const errors: string[] = [];
  const marks: string[] = [];
  stream.on('protocolError', (problem) => errors.push(problem));
  stream.on('mark', (name) => marks.push(name));
  return { stream, errors, marks };
}

describe('what the softphone takes from a bridge, as Twilio does', () => {
  it('reports a binary frame as 31950 and extra fields as 31951, and still echoes the well-formed mark after them', async () => {
    const { stream, errors, marks } = await callBridge((socket, streamSid) => {
      socket.send(Buffer.from([0xff, 0xff, 0xff]), { binary: true });
      socket.send(JSON.stringify({ event: 'media', streamSid, media: { payload: 'AAAA', track: 'outbound' } }));
      socket.send(JSON.stringify({ event: 'clear', streamSid, sequenceNumber: '3' }));
      socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'after' } }));
    });
    expect(await stream.waitFor(() => marks.length > 0, 5_000)).toBe(true);
    expect(marks).toEqual(['after']);
    expect(errors).toEqual([
      '31950: the bridge sent a binary frame (Media Stream messages are JSON text)',
      '31951: a media message with field Twilio does not take: media.track',
      '31951: a clear message with field Twilio does not take: sequenceNumber',
    ]);
  });

  it('reports JSON that is not an object, and a mark without a name', async () => {
    const { stream, errors } = await callBridge((socket, streamSid) => {
      socket.send('[1, 2]');
      socket.send(JSON.stringify({ event: 'mark', streamSid, mark: {} }));
    });
    expect(await stream.waitFor(() => errors.length >= 2, 5_000)).toBe(true);
    expect(errors).toEqual(['31951: a message from the bridge is not a JSON object', '31951: a mark message without mark.name']);
  });

  it('takes media, mark and clear with exactly their fields without a word', async () => {
    const { stream, errors, marks } = await callBridge((socket, streamSid) => {
      socket.send(JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.alloc(800, 0x10).toString('base64') } }));
      socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'played' } }));
      socket.send(JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.alloc(8000, 0x10).toString('base64') } }));
      socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'flushed' } }));
      socket.send(JSON.stringify({ event: 'clear', streamSid }));
    });
    expect(await stream.waitFor(() => marks.length === 2, 5_000)).toBe(true);
    expect(marks).toEqual(['played', 'flushed']);
    expect(errors).toEqual([]);
  });
});
