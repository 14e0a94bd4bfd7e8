// Owns one Twilio Media Streams socket: decodes what Twilio sends (start, media, mark, dtmf, stop), sends media,
// mark and clear, and keeps the playback ledger that tells which marks were played and which were flushed by clear.
import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import type { CallerLine, CallerLineEvents } from './caller-line.js';
import { base64ByteLength } from '../../util/base64.js';
import { createFrameEncoder, decodeTwilioFrame, type TwilioFrameEncoder, type TwilioStartInfo } from './twilio-frames.js';

export interface TwilioMediaStreamOptions {
  /** The start frame arrived: the stream is ready for audio out once the call is authenticated. */
  onStart: (info: TwilioStartInfo) => void;
  /** A frame Twilio would itself reject (bad JSON, unknown event, wrong streamSid …): logged, never fatal. */
  onProtocolError: (problem: string) => void;
  now?: () => number;
}

/** μ-law at 8 kHz: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;

export class TwilioMediaStream extends EventEmitter<CallerLineEvents> implements CallerLine {
  private info: TwilioStartInfo | undefined;
  private encoder: TwilioFrameEncoder | undefined;
  /** Marks sent and not yet echoed, in the order sent (Twilio echoes in order). */
  private readonly pendingMarks: string[] = [];
  /** Marks that were pending when we sent clear: their echo means "flushed", not "played". */
  private readonly clearedMarks = new Set<string>();
  /** When the audio sent so far will have finished playing, if Twilio plays it in real time. */
  private playbackEndsAt = 0;
  private ended = false;

  private readonly now: () => number;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: TwilioMediaStreamOptions,
  ) {
    super();
    this.now = options.now ?? (() => performance.now());
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', () => this.end());
    socket.on('error', () => this.end());
  }

  get started(): TwilioStartInfo | undefined {
    return this.info;
  }

  get isOpen(): boolean {
    return !this.ended && this.socket.readyState === this.socket.OPEN;
  }

  sendAudio(payload: string): void {
    if (!this.encoder || !this.isOpen) return;
    this.socket.send(this.encoder.media(payload));
    const now = this.now();
    this.playbackEndsAt = Math.max(this.playbackEndsAt, now) + base64ByteLength(payload) / BYTES_PER_MS;
  }

  sendMark(name: string): void {
    if (!this.encoder || !this.isOpen) return;
    this.pendingMarks.push(name);
    this.socket.send(this.encoder.mark(name));
  }

  clear(): void {
    if (!this.encoder || !this.isOpen) return;
    for (const name of this.pendingMarks) this.clearedMarks.add(name);
    this.pendingMarks.length = 0;
    this.playbackEndsAt = this.now();
    this.socket.send(this.encoder.clear());
  }

  unplayedAudioMs(): number {
    return Math.max(0, this.playbackEndsAt - this.now());
  }

  close(code = 1000, reason = 'call ended'): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason);
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('closed');
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.options.onProtocolError('a binary frame arrived; Twilio sends only JSON text');
      return;
    }
    const decoded = decodeTwilioFrame(data.toString());
    if (!decoded.ok) {
      this.options.onProtocolError(decoded.problem);
      return;
    }
    const frame = decoded.frame;
    if (frame.event === 'connected') return;
    if (frame.event === 'start') {
      if (this.info) {
        this.options.onProtocolError('a second start frame arrived on the same stream');
        return;
      }
      this.info = frame.start;
      this.encoder = createFrameEncoder(frame.streamSid);
      this.options.onStart(frame.start);
      return;
    }
    if (!this.info) {
      this.options.onProtocolError(`a ${frame.event} frame arrived before start`);
      return;
    }
    if (frame.streamSid !== this.info.streamSid) {
      this.options.onProtocolError(`a ${frame.event} frame names another stream (${frame.streamSid.slice(0, 40)})`);
      return;
    }
    switch (frame.event) {
      case 'media':
        if (frame.media.track === 'inbound' || frame.media.track === 'inbound_track') this.emit('audio', frame.media.payload);
        return;
      case 'mark':
        this.markEchoed(frame.mark.name);
        return;
      case 'dtmf':
        this.emit('dtmf', frame.dtmf.digit);
        return;
      case 'stop':
        this.emit('stop');
        return;
    }
  }

  private markEchoed(name: string): void {
    if (this.clearedMarks.delete(name)) {
      this.emit('markCleared', name);
      return;
    }
    const index = this.pendingMarks.indexOf(name);
    if (index < 0) {
      this.options.onProtocolError(`an echo arrived for a mark we did not send (${name.slice(0, 40)})`);
      return;
    }
    // Twilio plays in order: every mark before this one has played too.
    for (const played of this.pendingMarks.splice(0, index + 1)) this.emit('markPlayed', played);
  }
}
