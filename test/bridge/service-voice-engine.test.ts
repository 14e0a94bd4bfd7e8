// What every voice engine gets from the service-socket base, shown on a minimal protocol against a WebSocket service
// on loopback: the connection, its events read against schemas, refusals, one reconnect per call, held caller audio,
// and the close.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { serviceEventReader } from '../../src/voice/parse-service-event.js';
import { errorMessageFromBody, ServiceVoiceEngine, type ServiceConnectionOptions } from '../../src/voice/service-voice-engine.js';

const toyEventSchemas = [
  z.object({ type: z.literal('welcome') }),
  z.object({ type: z.literal('heard'), text: z.string() }),
  z.object({ type: z.literal('explode') }),
] as const;
const readToyEvent = serviceEventReader(toyEventSchemas);
type ToyEvent = z.output<(typeof toyEventSchemas)[number]>;

/** The smallest protocol: `hello` configures the session, `welcome` confirms it, `heard` is the caller's words. */
class ToyEngine extends ServiceVoiceEngine<ToyEvent> {
  readonly name = 'Toy';
  readonly calls: string[] = [];

  constructor(url: string, options: Partial<ServiceConnectionOptions<ToyEvent>> = {}) {
    super({
      service: 'Toy',
      url,
      apiKey: 'sk-toy',
      maxMessageBytes: 64 * 1024,
      audioEventPrefix: '{"type":"audio","audio":"',
      sendAudioOnceSession: 'confirmed',
      closeEvent: { type: 'bye' },
      readEvent: readToyEvent,
      ...options,
    });
  }

  speak(text: string): string {
    this.send({ type: 'say', text });
    return 'speech-1';
  }

  cancelSpeaking(): void {}

  protected sessionOpened(): void {
    this.send({ type: 'hello' });
  }

  protected sessionResumed(): void {
    this.calls.push('resumed');
  }

  protected connectionReplaced(): void {
    this.calls.push('replaced');
  }

  protected stopped(how: 'closed' | 'failed'): void {
    this.calls.push(how);
  }

  protected eventReceived(event: ToyEvent): void {
    if (event.type === 'welcome') this.confirmSession();
    if (event.type === 'heard') this.emit('callerSaid', { text: event.text, turnId: 'turn-1' });
    if (event.type === 'explode') throw new Error('boom');
  }
}

interface ToyConnection {
  socket: WebSocket;
  request: IncomingMessage;
  /** Everything the engine sent on this connection, in order. */
  received: Array<{ type: string; [key: string]: unknown }>;
}

let engine: ToyEngine | undefined;
const servers: Array<WebSocketServer | Server> = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  for (const server of servers.splice(0)) {
    if (server instanceof WebSocketServer) for (const client of server.clients) client.terminate();
    else server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A toy service on loopback that answers `hello` with `welcome` unless told otherwise. */
async function toyService(options: { onConnection?: (connection: ToyConnection, index: number) => void; welcome?: boolean } = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const connections: ToyConnection[] = [];
  server.on('connection', (socket, request) => {
    const connection: ToyConnection = { socket, request, received: [] };
    connections.push(connection);
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString()) as ToyConnection['received'][number];
      connection.received.push(event);
      if (event.type === 'hello' && options.welcome !== false) socket.send(JSON.stringify({ type: 'welcome' }));
      if (event.type === 'bye') socket.close(1000, 'bye');
    });
    options.onConnection?.(connection, connections.length - 1);
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/toy`, connections };
}

/** A server that refuses every WebSocket upgrade with this HTTP status and body. */
async function refusingService(status: string, body: string): Promise<string> {
  const server = createServer();
  servers.push(server);
  server.on('upgrade', (_request, socket: Socket) => {
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/toy`;
}

/** Everything the engine tells about its connection, in order. */
function recordConnection(voice: ToyEngine) {
  const events: string[] = [];
  voice.on('ready', () => events.push('ready'));
  voice.on('reconnecting', (reason) => events.push(`reconnecting: ${reason}`));
  voice.on('reconnected', () => events.push('reconnected'));
  voice.on('failed', (message) => events.push(`failed: ${message}`));
  voice.on('warning', (message) => events.push(`warning: ${message}`));
  return events;
}

function next(voice: ToyEngine, event: 'ready' | 'reconnected' | 'failed' | 'reconnecting'): Promise<void> {
  return within(2_000, new Promise<void>((resolve) => voice.once(event, () => resolve())));
}

/** Resolves as `promise` does, or rejects after `ms`: a wait on the engine that never ends fails the test quickly. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing happened within ${ms} ms`)), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 2 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const frame = (byte: number): string => Buffer.alloc(160, byte).toString('base64');

describe('a voice engine on the service-socket base', () => {
  it('connects with the API key as a bearer token, configures the session once open, and is ready once it is confirmed', async () => {
    const service = await toyService();
    engine = new ToyEngine(service.url);
    const events = recordConnection(engine);
    expect(engine.isReady).toBe(false);
    await next(engine, 'ready');
    const [connection] = service.connections;
    expect(connection!.request.url).toBe('/v1/toy');
    expect(connection!.request.headers.authorization).toBe('Bearer sk-toy');
    expect(connection!.request.headers['sec-websocket-extensions']).toBeUndefined();
    expect(connection!.received).toEqual([{ type: 'hello' }]);
    expect(engine.isReady).toBe(true);
    expect(engine.calls).toEqual(['resumed']);
    expect(events).toEqual(['ready']);
  });

  it('holds the caller’s audio until the session is confirmed, then sends the newest frames in order', async () => {
    const service = await toyService();
    engine = new ToyEngine(service.url, { maxHeldFrames: 2 });
    for (const byte of [1, 2, 3]) engine.sendCallerAudio(frame(byte));
    await next(engine, 'ready');
    engine.sendCallerAudio(frame(4));
    await eventually(() => service.connections[0]!.received.length === 4, 'the audio arrives');
    expect(service.connections[0]!.received).toEqual([
      { type: 'hello' },
      { type: 'audio', audio: frame(2) },
      { type: 'audio', audio: frame(3) },
      { type: 'audio', audio: frame(4) },
    ]);
  });

  it('sends held audio right after the session settings when the service buffers it while it applies them', async () => {
    const service = await toyService({ welcome: false });
    engine = new ToyEngine(service.url, { sendAudioOnceSession: 'opened' });
    engine.sendCallerAudio(frame(1));
    await eventually(() => service.connections[0]?.received.length === 2, 'the held audio arrives');
    expect(service.connections[0]!.received).toEqual([{ type: 'hello' }, { type: 'audio', audio: frame(1) }]);
    expect(engine.isReady).toBe(false);
  });

  it('counts a bad event and goes on: the first three are logged, later ones only counted, other types ignored', async () => {
    const service = await toyService({
      onConnection: ({ socket }) => {
        socket.send('{not json');
        socket.send('42');
        socket.send(JSON.stringify({ type: 'nobody reads this' }));
        socket.send(JSON.stringify({ type: '__proto__' }));
        socket.send(JSON.stringify({ type: 'heard', text: 42 }));
        socket.send(JSON.stringify({ type: 'explode' }));
        socket.send(JSON.stringify({ type: 'heard', text: 'still listening' }));
      },
    });
    engine = new ToyEngine(service.url);
    const events = recordConnection(engine);
    const heard = await within(2_000, new Promise<string>((resolve) => engine!.once('callerSaid', (utterance) => resolve(utterance.text))));
    expect(heard).toBe('still listening');
    expect(events.filter((event) => event.startsWith('warning'))).toEqual([
      'warning: Toy sent a message that is not JSON; ignored',
      'warning: Toy sent a message that is not an event object; ignored',
      'warning: Toy sent an event the bridge could not read (heard, text: Invalid input: expected string, received number); ignored (further ones on this call are not logged)',
    ]);
    expect(events).not.toContainEqual(expect.stringMatching(/^failed|^reconnecting/));
  });

  it('fails with what the service said when it refuses the connection, and does not try again', async () => {
    const url = await refusingService('401 Unauthorized', JSON.stringify({ error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } }));
    engine = new ToyEngine(url);
    const events = recordConnection(engine);
    await next(engine, 'failed');
    expect(events).toEqual(['failed: Toy refused the connection: 401 Incorrect API key provided']);
    expect(engine.calls).toEqual(['failed']);
  });

  it('words a refusal whose body is not OpenAI’s error by the body itself, or by the status when there is none', () => {
    expect(errorMessageFromBody('{"error":{"message":"Model not found"}}')).toBe('Model not found');
    expect(errorMessageFromBody('  upstream connect error  ')).toBe('upstream connect error');
    expect(errorMessageFromBody('{"detail":"nope"}')).toBeUndefined();
    expect(errorMessageFromBody('')).toBeUndefined();
  });

  it('reconnects once when a working connection drops, holding the caller’s audio meanwhile, and fails when the next one drops too', async () => {
    const service = await toyService();
    engine = new ToyEngine(service.url);
    const events = recordConnection(engine);
    await next(engine, 'ready');
    const reconnecting = next(engine, 'reconnecting');
    service.connections[0]!.socket.close(1011, 'gone');
    await reconnecting;
    engine.sendCallerAudio(frame(7));
    await next(engine, 'reconnected');
    await eventually(() => service.connections[1]!.received.length === 2, 'the held audio reaches the new connection');
    expect(service.connections[1]!.received).toEqual([{ type: 'hello' }, { type: 'audio', audio: frame(7) }]);
    service.connections[1]!.socket.close(1011, 'gone again');
    await next(engine, 'failed');
    expect(events).toEqual([
      'ready',
      'reconnecting: the Toy connection closed (1011 gone)',
      'reconnected',
      'failed: the Toy connection closed (1011 gone again)',
    ]);
    expect(engine.calls).toEqual(['resumed', 'replaced', 'resumed', 'failed']);
    expect(service.connections).toHaveLength(2);
  });

  it('counts the reconnect only once the new connection confirms its session: one lost before that ends the engine', async () => {
    const service = await toyService({ onConnection: ({ socket }, index) => index === 1 && socket.close(1011, 'not today') });
    engine = new ToyEngine(service.url);
    const events = recordConnection(engine);
    await next(engine, 'ready');
    service.connections[0]!.socket.close(1011, 'gone');
    await next(engine, 'failed');
    expect(events).toEqual([
      'ready',
      'reconnecting: the Toy connection closed (1011 gone)',
      'failed: the Toy connection closed (1011 gone), and reconnecting failed: the Toy connection closed (1011 not today)',
    ]);
  });

  it('asks a confirmed session to end itself on close, never throws, and emits nothing afterwards', async () => {
    const service = await toyService();
    engine = new ToyEngine(service.url);
    await next(engine, 'ready');
    const events = recordConnection(engine);
    await engine.close();
    await engine.close();
    expect(service.connections[0]!.received.at(-1)).toEqual({ type: 'bye' });
    engine.sendCallerAudio(frame(1));
    expect(engine.isReady).toBe(false);
    expect(engine.calls).toEqual(['resumed', 'closed']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    expect(service.connections[0]!.received).not.toContainEqual(expect.objectContaining({ type: 'audio' }));
  });
});
