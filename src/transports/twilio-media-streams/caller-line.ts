// What a call session needs from the caller's side of the call: audio in, audio and marks out, a way to flush
// what is buffered for playback, and news of what the caller has actually heard. The Twilio stream implements it;
// the session never sees a Twilio frame.
import type { EventEmitter } from 'node:events';

export interface CallerLineEvents {
  /** Caller audio: base64 G.711 μ-law at 8 kHz, passed through untouched. */
  audio: [payload: string];
  /** The audio sent before this mark has played to the caller. */
  markPlayed: [name: string];
  /** This mark was flushed by `clear`: the audio before it was not (all) heard. */
  markCleared: [name: string];
  dtmf: [digit: string];
  /** The caller hung up or the stream was stopped. */
  stop: [];
  closed: [];
}

export interface CallerLine extends EventEmitter<CallerLineEvents> {
  sendAudio(payload: string): void;
  sendMark(name: string): void;
  /** Drops everything buffered for playback at the caller's end. */
  clear(): void;
  /** Estimated milliseconds of audio sent but not yet played to the caller. */
  unplayedAudioMs(): number;
  close(): void;
}
