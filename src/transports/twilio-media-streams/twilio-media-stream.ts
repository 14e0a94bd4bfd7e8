// Owns one Twilio Media Streams socket: decodes what Twilio sends (start, media, mark, dtmf, stop), sends media,
// mark and clear, and keeps the playback ledger that tells which marks were played and which were flushed by clear.
import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import type { CallerLine, CallerLineEvents } from './caller-line.js';
import { base64ByteLength } from '../../util/base64.js';
import { PlaybackLedger } from '../common/playback-ledger.js';
import { createFrameEncoder, decodeTwilioFrame, type TwilioFrameEncoder, type TwilioStartInfo } from './twilio-frames.js';

export interface TwilioMediaStreamOptions {
  /** The start frame arrived: the stream is ready for audio out once the call is authenticated. */
  onStart: (info: TwilioStartInfo) => void;
  /** A frame Twilio would itself reject (bad JSON, unknown event, wrong streamSid …): logged, never fatal. */
  onProtocolError: (problem: string) => void;
  now?: () => number;
}

export class TwilioMediaStream extends EventEmitter<CallerLineEvents> implements CallerLine {
  private info: TwilioStartInfo | undefined;
  private encoder: TwilioFrameEncoder | undefined;
  /** Which marks Twilio played and which `clear` flushed, and how much audio it still has to play. */
  private readonly ledger: PlaybackLedger;
  private ended = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: TwilioMediaStreamOptions,
  ) {
    super();
    this.ledger = new PlaybackLedger(options.now ?? (() => performance.now()));
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
    this.ledger.audioSent(base64ByteLength(payload));
  }

  sendMark(name: string): void {
    if (!this.encoder || !this.isOpen) return;
    this.ledger.markSent(name);
    this.socket.send(this.encoder.mark(name));
  }

  clear(): void {
    if (!this.encoder || !this.isOpen) return;
    this.ledger.cleared();
    this.socket.send(this.encoder.clear());
  }

  unplayedAudioMs(): number {
    return this.ledger.unplayedAudioMs();
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
    const echo = this.ledger.echoed(name);
    if (echo === 'flushed') {
      this.emit('markCleared', name);
      return;
    }
    if (!echo) {
      this.options.onProtocolError(`an echo arrived for a mark we did not send (${name.slice(0, 40)})`);
      return;
    }
    // Twilio plays in order: every mark before this one has played too.
    for (const played of echo) this.emit('markPlayed', played);
  }
}
