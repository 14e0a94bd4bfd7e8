// Owns one browser phone socket: takes the page's μ-law frames, marks, key presses and hang-up; sends audio, marks,
// clear and the conversation's events. It keeps the same playback ledger as a Twilio stream: marks echoed in order
// were played, marks pending when `clear` went out come back as flushed.
import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import type { MarkedLine, MarkedLineEvents } from '../common/marked-channel.js';
import { PlaybackLedger } from '../common/playback-ledger.js';
import { decodePageMessage, type ServerMessage } from './phone-protocol.js';

/** Caller audio is base64 G.711 μ-law at 8 kHz, as the voice engines take it; marks play in order on the page. */
export interface PhoneLineEvents extends MarkedLineEvents {
  /** The caller pressed Hang up. */
  hangUp: [];
}

/** The page sends 20 ms frames; a second of audio in one message is not the page. */
const MAX_AUDIO_BYTES = 8_000;

export class PhoneLine extends EventEmitter<PhoneLineEvents> implements MarkedLine {
  private readonly ledger: PlaybackLedger;
  private ended = false;
  /** What the page is told when the line closes. */
  endReason = 'The call ended.';

  constructor(
    private readonly socket: WebSocket,
    private readonly onProtocolError: (problem: string) => void,
    now: () => number = () => performance.now(),
  ) {
    super();
    this.ledger = new PlaybackLedger(now);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', () => this.end());
    socket.on('error', () => this.end());
  }

  get isOpen(): boolean {
    return !this.ended && this.socket.readyState === this.socket.OPEN;
  }

  send(message: ServerMessage): void {
    if (this.isOpen) this.socket.send(JSON.stringify(message));
  }

  sendAudio(payload: string): void {
    if (!this.isOpen) return;
    const audio = Buffer.from(payload, 'base64');
    this.socket.send(audio, { binary: true });
    this.ledger.audioSent(audio.length);
  }

  sendMark(name: string): void {
    if (!this.isOpen) return;
    this.ledger.markSent(name);
    this.send({ type: 'mark', name });
  }

  clear(): void {
    if (!this.isOpen) return;
    this.ledger.cleared();
    this.send({ type: 'clear' });
  }

  unplayedAudioMs(): number {
    return this.ledger.unplayedAudioMs();
  }

  /** Tells the page why the call ended, then closes the socket. */
  close(): void {
    if (this.isOpen) {
      this.send({ type: 'ended', reason: this.endReason });
      this.socket.close(1000, 'call ended');
    }
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('closed');
  }

  private receive(data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      if (bytes.length === 0 || bytes.length > MAX_AUDIO_BYTES) {
        this.onProtocolError(`an audio message of ${bytes.length} bytes (the page sends 160-byte frames)`);
        return;
      }
      this.emit('audio', bytes.toString('base64'));
      return;
    }
    const message = decodePageMessage(bytes.toString('utf8'));
    if (typeof message === 'string') {
      this.onProtocolError(message);
      return;
    }
    switch (message.type) {
      case 'mark':
        this.markEchoed(message.name);
        return;
      case 'dtmf':
        this.emit('dtmf', message.digit);
        return;
      case 'hangup':
        this.emit('hangUp');
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
      this.onProtocolError(`an echo of a mark never sent (${name.slice(0, 40)})`);
      return;
    }
    // The page plays in order: every mark before this one has played too.
    for (const played of echo) this.emit('markPlayed', played);
  }
}
