// The Twilio side of a Media Stream, as Twilio's media servers behave: opens the signed WebSocket, sends connected
// and start, then one 20 ms μ-law media frame after another on a real-time clock (the caller's audio, silence when
// there is none), with string counters; plays what the bridge sends on the same clock, echoing marks as the audio
// before them plays and honouring clear; sends stop when the caller hangs up. Frames Twilio would reject are
// reported as protocol errors, with Twilio's error code.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { MULAW_SILENCE } from './mulaw.js';
import { PlaybackBuffer } from './playback-buffer.js';

export const FRAME_MS = 20;
export const BYTES_PER_MS = 8;
export const FRAME_BYTES = FRAME_MS * BYTES_PER_MS;

type Json = Record<string, unknown>;

/** The only messages a bridge may send, field by field: Twilio rejects a missing or an extra one (31951). */
const OUTBOUND_FIELDS: Record<string, { top: readonly string[]; inner?: readonly string[] }> = {
  media: { top: ['event', 'streamSid', 'media'], inner: ['payload'] },
  mark: { top: ['event', 'streamSid', 'mark'], inner: ['name'] },
  clear: { top: ['event', 'streamSid'] },
};

/** What is extra in a media, mark or clear message, if anything (missing fields are reported where they are read). */
function unexpectedFields(frame: Json): string | undefined {
  const shape = typeof frame.event === 'string' ? OUTBOUND_FIELDS[frame.event] : undefined;
  if (!shape) return undefined;
  const extra = Object.keys(frame).filter((key) => !shape.top.includes(key));
  const innerKey = shape.top[2];
  const inner = innerKey === undefined ? undefined : frame[innerKey];
  if (innerKey !== undefined && shape.inner && typeof inner === 'object' && inner !== null) {
    extra.push(...Object.keys(inner).filter((key) => !shape.inner!.includes(key)).map((key) => `${innerKey}.${key}`));
  }
  return extra.length > 0 ? `a ${frame.event} message with field${extra.length === 1 ? '' : 's'} Twilio does not take: ${extra.join(', ')}` : undefined;
}

export interface StreamStartInfo {
  accountSid: string;
  callSid: string;
  streamSid?: string;
  customParameters: Record<string, string>;
}

export interface TwilioStreamClientOptions {
  /** Where the bridge really listens for the stream (ws:// or wss://). */
  socketUrl: string;
  /** The X-Twilio-Signature of the upgrade; left out, none is sent. */
  signature?: string;
  start: StreamStartInfo;
}

export interface TwilioStreamClientEvents {
  /** Every frame the bridge sent, parsed (before it is acted on). */
  frame: [frame: Json];
  /** What Twilio would report about a frame (31951 and the like). */
  protocolError: [problem: string];
  /** Audio that just played to the caller. */
  played: [audio: Buffer];
  /** A mark echoed back; `cleared` when a clear flushed it, so its audio was not all heard. */
  mark: [name: string, cleared: boolean];
  /** The bridge sent clear: how much buffered audio it dropped. */
  clear: [droppedBytes: number];
  /** After every frame in or out: a moment to check on the call. */
  tick: [];
  closed: [code: number, reason: string];
}

/** The bridge refused the WebSocket upgrade (e.g. 403 for a bad signature). */
export class StreamRefusedError extends Error {
  constructor(readonly status: number) {
    super(`the bridge refused the media stream connection (HTTP ${status})`);
  }
}

export class TwilioStreamClient extends EventEmitter<TwilioStreamClientEvents> {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  closed: { code: number; reason: string } | undefined;
  /** When the stream started (performance.now()), for timing what happens in the call. */
  startedAt = 0;
  /** When the last media frame from the bridge arrived (performance.now()). */
  lastAudioAt = 0;
  private readonly playback = new PlaybackBuffer();
  private readonly outgoing: Buffer[] = [];
  private readonly sentWaiters: Array<{ frames: number; resolve: () => void }> = [];
  private framesSent = 0;
  private sequence = 0;
  private lastPlaybackAt = 0;
  /** When audio last played (performance.now()). */
  private lastPlaybackEnd = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly closedPromise: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly socket: WebSocket,
    private readonly start: StreamStartInfo,
  ) {
    super();
    this.streamSid = start.streamSid ?? `MZ${randomBytes(16).toString('hex')}`;
    this.callSid = start.callSid;
    this.accountSid = start.accountSid;
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.stopClock();
        this.emit('closed', code, this.closed.reason);
        this.emit('tick');
        resolve(this.closed);
      });
    });
  }

  /** Opens the stream, sends connected and start, and starts the clock. Rejects when the bridge refuses it. */
  static async open(options: TwilioStreamClientOptions): Promise<TwilioStreamClient> {
    const headers: Record<string, string> = options.signature === undefined ? {} : { 'x-twilio-signature': options.signature };
    const socket = new WebSocket(options.socketUrl, { headers, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => {
        reject(new StreamRefusedError(response.statusCode ?? 0));
        socket.terminate();
      });
      // Stays attached: a later socket error must not go unhandled (the close event reports the end).
      socket.on('error', reject);
    });
    const client = new TwilioStreamClient(socket, options.start);
    socket.on('message', (data, isBinary) => {
      if (isBinary) client.emit('protocolError', '31950: the bridge sent a binary frame (Media Stream messages are JSON text)');
      else client.receive(data.toString());
    });
    client.begin();
    return client;
  }

  /** Milliseconds since the stream started. */
  elapsedMs(now = performance.now()): number {
    return now - this.startedAt;
  }

  /** Milliseconds of received audio still waiting to play. */
  bufferedMs(): number {
    return this.playback.bufferedBytes / BYTES_PER_MS;
  }

  /** The caller speaks: `audio` (8 kHz μ-law) goes out in 20 ms frames after what is already queued. Resolves once its last frame is sent. */
  say(audio: Buffer): Promise<void> {
    for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
      const frame = audio.subarray(offset, offset + FRAME_BYTES);
      this.outgoing.push(frame.length === FRAME_BYTES ? frame : Buffer.concat([frame, Buffer.alloc(FRAME_BYTES - frame.length, MULAW_SILENCE)]));
    }
    if (this.closed) return Promise.resolve();
    const frames = this.framesSent + this.outgoing.length;
    return new Promise((resolve) => this.sentWaiters.push({ frames, resolve }));
  }

  /** Resolves once `condition` holds (checked after every frame in or out); false when the stream closed or time ran out first. */
  waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean): void => {
        clearTimeout(timer);
        this.off('tick', check);
        resolve(result);
      };
      const check = (): void => {
        if (condition()) done(true);
        else if (this.closed) done(false);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.on('tick', check);
    });
  }

  /**
   * Resolves true once, from now on, nothing has played or arrived for `quietMs` (the agent has finished speaking);
   * false when the stream closed or `timeoutMs` passed first.
   */
  waitUntilQuiet(quietMs: number, timeoutMs: number): Promise<boolean> {
    const since = performance.now();
    return this.waitFor(() => this.playback.isEmpty && performance.now() - Math.max(since, this.lastAudioAt, this.lastPlaybackEnd) >= quietMs, timeoutMs);
  }

  /** The caller presses a key on the keypad: Twilio sends one dtmf frame per key (on a bidirectional stream). */
  pressKey(digit: string): void {
    this.send({ event: 'dtmf', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, dtmf: { track: 'inbound_track', digit } });
  }

  /** The caller hangs up: stop, then the socket closes. */
  async hangUp(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.send({ event: 'stop', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, stop: { accountSid: this.accountSid, callSid: this.callSid } });
    this.stopClock();
    this.socket.close(1000);
    await this.waitForClose(timeoutMs).catch(() => this.socket.terminate());
  }

  waitForClose(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    return Promise.race([
      this.closedPromise,
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('the bridge did not close the stream')), timeoutMs).unref()),
    ]);
  }

  /** The connection drops without a stop frame (a network failure). */
  drop(): void {
    this.stopClock();
    this.socket.terminate();
  }

  private begin(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        accountSid: this.accountSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: this.start.customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    this.startedAt = performance.now();
    this.lastPlaybackAt = this.startedAt;
    this.tick();
  }

  private nextSequence(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private send(frame: Json): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /** One tick of the clock: send the media frames that are due and play what is buffered. */
  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    const due = Math.floor((now - this.startedAt) / FRAME_MS) + 1;
    while (this.framesSent < due) {
      const audio = this.outgoing.shift() ?? Buffer.alloc(FRAME_BYTES, MULAW_SILENCE);
      this.framesSent += 1;
      this.send({
        event: 'media',
        sequenceNumber: this.nextSequence(),
        streamSid: this.streamSid,
        media: { track: 'inbound', chunk: String(this.framesSent), timestamp: String(this.framesSent * FRAME_MS), payload: audio.toString('base64') },
      });
    }
    for (const waiter of this.sentWaiters.filter((each) => each.frames <= this.framesSent)) {
      this.sentWaiters.splice(this.sentWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    this.play(now);
    this.emit('tick');
    this.timer = setTimeout(() => this.tick(), FRAME_MS - ((performance.now() - this.startedAt) % FRAME_MS));
  }

  private stopClock(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Nobody is left to wait for the caller's audio to go out.
    for (const waiter of this.sentWaiters.splice(0)) waiter.resolve();
  }

  /** Plays buffered audio up to `now`, echoing each mark once everything before it has played. */
  private play(now: number): void {
    const budget = (now - this.lastPlaybackAt) * BYTES_PER_MS;
    this.lastPlaybackAt = now;
    for (const event of this.playback.play(budget)) {
      if ('mark' in event) {
        this.echoMark(event.mark, false);
      } else {
        this.lastPlaybackEnd = now;
        this.emit('played', event.audio);
      }
    }
  }

  private echoMark(name: string, cleared: boolean): void {
    this.emit('mark', name, cleared);
    this.send({ event: 'mark', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, mark: { name } });
  }

  private receive(text: string): void {
    let frame: Json;
    try {
      frame = JSON.parse(text) as Json;
    } catch {
      this.emit('protocolError', '31951: a message from the bridge is not JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.emit('protocolError', '31951: a message from the bridge is not a JSON object');
      return;
    }
    this.emit('frame', frame);
    const shapeProblem = unexpectedFields(frame);
    if (shapeProblem) {
      this.emit('protocolError', `31951: ${shapeProblem}`);
      return;
    }
    if (frame.streamSid !== this.streamSid) {
      this.emit('protocolError', `31951: ${String(frame.event)} names streamSid ${String(frame.streamSid)}`);
      return;
    }
    // Play up to now first, so time spent idle is not credited to audio that only just arrived.
    this.play(performance.now());
    switch (frame.event) {
      case 'media': {
        const payload = (frame.media as Json | undefined)?.payload;
        if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 !== 0) {
          this.emit('protocolError', '31951: a media message without a valid base64 payload');
          return;
        }
        this.lastAudioAt = performance.now();
        this.playback.pushAudio(Buffer.from(payload, 'base64'));
        break;
      }
      case 'mark': {
        const name = (frame.mark as Json | undefined)?.name;
        if (typeof name !== 'string') {
          this.emit('protocolError', '31951: a mark message without mark.name');
          return;
        }
        if (this.playback.pushMark(name)) this.echoMark(name, false);
        break;
      }
      case 'clear': {
        const { droppedBytes, marks } = this.playback.clear();
        this.emit('clear', droppedBytes);
        for (const name of marks) this.echoMark(name, true);
        break;
      }
      default:
        this.emit('protocolError', `31951: unknown event ${String(frame.event)}`);
        return;
    }
    this.emit('tick');
  }
}
