// A lean OpenAI voice endpoint for the load benchmark, for both voice engines: at /v1/realtime it speaks the Realtime
// GA events the bridge uses (session.created, session.updated, response.created … response.output_audio.delta,
// response.done), at /v1/live/sessions the GPT-Live ones (session.start → session.started, commentary →
// session.output_audio.delta, session.close → session.closed). It does no voice detection or transcription, so that
// at hundreds of calls it costs far less than the bridge it measures. It notes the arrival of every tagged caller frame
// (input_audio_buffer.append, session.input_audio.append) and, while "speaking", sends one tagged 20 ms audio delta
// per frame tick for the callers to time. Loopback only.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FrameClock } from './frame-clock.js';
import type { FrameLedger } from './frame-ledger.js';
import { readTag, restIsUntouched, tagStream, taggedPayload } from './frame-tags.js';

export interface TimedRealtimeOptions {
  apiKey: string;
  clock: FrameClock;
  /** Caller audio as it arrives here. */
  inbound: FrameLedger;
  /** Speech audio sent from here. */
  outbound: FrameLedger;
  /** When within each 20 ms session `n` sends its delta. */
  phaseFor(session: number): number;
}

const APPEND_TYPE = '"input_audio_buffer.append"';
const LIVE_APPEND_TYPE = '"session.input_audio.append"';
const AUDIO_FIELD = '"audio":"';
const LIVE_PATH = '/v1/live/sessions';

/** Which voice service a session plays: OpenAI Realtime or GPT-Live. */
export type TimedProtocol = 'realtime' | 'live';

class TimedSession {
  private stopSending: (() => void) | undefined;
  private deltaPrefix = '';
  private events = 0;
  /** The call whose audio this session receives (from the tags); -1 until the first frame. */
  callStream = -1;
  /** Frames from another call than the first one seen: audio crossing between calls. */
  crossedFrames = 0;

  constructor(
    readonly stream: number,
    private readonly socket: WebSocket,
    private readonly options: TimedRealtimeOptions,
    private readonly protocol: TimedProtocol = 'realtime',
  ) {
    // GPT-Live says nothing until session.start.
    if (protocol === 'realtime') this.send({ type: 'session.created', event_id: this.eventId(), session: { type: 'realtime', id: `sess_bench${stream}`, object: 'realtime.session' } });
  }

  received(text: string, at: number): void {
    const typeAt = text.indexOf(this.protocol === 'live' ? LIVE_APPEND_TYPE : APPEND_TYPE);
    if (typeAt >= 0 && typeAt < 40) {
      const audioAt = text.indexOf(AUDIO_FIELD);
      if (audioAt < 0) return;
      const start = audioAt + AUDIO_FIELD.length;
      const tag = readTag(text, start);
      if (tag < 0 || !restIsUntouched(text, start)) {
        this.options.inbound.altered += 1;
        return;
      }
      const call = tagStream(tag);
      if (this.callStream < 0) this.callStream = call;
      else if (call !== this.callStream) this.crossedFrames += 1;
      this.options.inbound.arrived(tag, at);
      return;
    }
    let event: { type?: string; session?: unknown; response?: { metadata?: Record<string, string> } };
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return;
    }
    if (this.protocol === 'live') {
      this.receivedLive(event);
      return;
    }
    switch (event.type) {
      case 'session.update':
        this.send({ type: 'session.updated', event_id: this.eventId(), session: event.session });
        return;
      case 'response.create':
        this.speak(event.response?.metadata ?? null);
        return;
      case 'response.cancel':
        this.stop();
        return;
      default:
        return;
    }
  }

  private receivedLive(event: { type?: string; session?: unknown }): void {
    switch (event.type) {
      case 'session.start':
        this.send({ type: 'session.started', event_id: this.eventId(), session: { ...(event.session as object), id: `sess_bench${this.stream}`, status: 'active', expires_at: 0 } });
        return;
      case 'session.commentary.append':
        // The first commentary (the greeting) starts a voice that talks until the benchmark stops it.
        if (!this.stopSending) this.speakLive();
        return;
      case 'session.close':
        this.stop();
        this.send({ type: 'session.closed', event_id: this.eventId(), reason: 'close_requested', session: { id: `sess_bench${this.stream}` }, usage: { seconds: 0 } });
        this.socket.close(1000);
        return;
      default:
        return;
    }
  }

  /** GPT-Live speaking until the benchmark stops it: one tagged 20 ms delta per tick. */
  private speakLive(): void {
    const { outbound } = this.options;
    this.stopSending = this.options.clock.add(
      {
        sendFrame: (now) => {
          const frame = outbound.nextFrame(this.stream);
          if (frame < 0 || this.socket.readyState !== this.socket.OPEN) return;
          outbound.sent(this.stream, frame, now);
          this.socket.send(`{"type":"session.output_audio.delta","delta":"${taggedPayload(this.stream, frame)}"}`);
        },
      },
      this.options.phaseFor(this.stream),
    );
  }

  /** Starts a response that speaks until the benchmark stops it: one 20 ms delta per tick. */
  private speak(metadata: Record<string, string> | null): void {
    this.stop();
    const responseId = `resp_bench${this.stream}_${this.events}`;
    const itemId = `item_bench${this.stream}_${this.events}`;
    this.send({
      type: 'response.created',
      event_id: this.eventId(),
      response: { id: responseId, object: 'realtime.response', status: 'in_progress', conversation_id: null, output: [], metadata, output_modalities: ['audio'] },
    });
    this.send({ type: 'response.output_item.added', event_id: this.eventId(), response_id: responseId, output_index: 0, item: { id: itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    this.deltaPrefix = `","response_id":"${responseId}","item_id":"${itemId}","output_index":0,"content_index":0,"delta":"`;
    const { outbound } = this.options;
    this.stopSending = this.options.clock.add(
      {
        sendFrame: (now) => {
          const frame = outbound.nextFrame(this.stream);
          if (frame < 0 || this.socket.readyState !== this.socket.OPEN) return;
          this.events += 1;
          outbound.sent(this.stream, frame, now);
          this.socket.send(`{"type":"response.output_audio.delta","event_id":"event_${this.events}${this.deltaPrefix}${taggedPayload(this.stream, frame)}"}`);
        },
      },
      this.options.phaseFor(this.stream),
    );
  }

  stop(): void {
    this.stopSending?.();
    this.stopSending = undefined;
  }

  private eventId(): string {
    this.events += 1;
    return `event_${this.events}`;
  }

  private send(event: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(event));
  }
}

export class TimedRealtime {
  private readonly server: Server;
  private readonly sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly connections = new Set<Socket>();
  readonly sessions: TimedSession[] = [];
  port = 0;

  constructor(private readonly options: TimedRealtimeOptions) {
    this.server = createServer((request, response) => {
      // The Agents API agent the bridge reads once for its tools (the call's functions go beside them).
      const agent = /^\/v1\/agents\/(agent_[A-Za-z0-9]+)$/.exec(request.url ?? '');
      if (request.method === 'GET' && agent) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: agent[1], object: 'agent', name: 'Benchmark agent', model: 'gpt-6-luna', instructions: '', tools: [] }));
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'The benchmark endpoint only serves /v1/realtime and the agent at /v1/agents/{id}.', type: 'invalid_request_error', param: null, code: null } }));
    });
    this.server.on('connection', (socket) => {
      this.connections.add(socket);
      socket.on('close', () => this.connections.delete(socket));
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      const path = new URL(request.url ?? '/', 'http://bench').pathname;
      if ((path !== '/v1/realtime' && path !== LIVE_PATH) || request.headers.authorization !== `Bearer ${options.apiKey}`) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws, path === LIVE_PATH ? 'live' : 'realtime'));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The OPENAI_BASE_URL that points the bridge here. */
  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Audio deltas stop; the sockets stay open. */
  stopSpeaking(): void {
    for (const session of this.sessions) session.stop();
  }

  /** Sessions that received frames of more than one call. */
  get crossedFrames(): number {
    return this.sessions.reduce((total, session) => total + session.crossedFrames, 0);
  }

  async close(): Promise<void> {
    this.stopSpeaking();
    for (const socket of this.sockets.clients) socket.terminate();
    this.sockets.close();
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket, protocol: TimedProtocol): void {
    const session = new TimedSession(this.options.outbound.addStream(), socket, this.options, protocol);
    this.sessions.push(session);
    socket.on('message', (data) => {
      const at = performance.now();
      session.received(data.toString(), at);
    });
    socket.on('close', () => session.stop());
    socket.on('error', () => socket.terminate());
  }
}
