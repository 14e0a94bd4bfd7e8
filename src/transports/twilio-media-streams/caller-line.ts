// What a call session needs from the caller's side of the call: audio in, audio and marks out, a way to flush
// what is buffered for playback, and news of what the caller has actually heard. The Twilio stream implements it;
// the session never sees a Twilio frame.
import type { EventEmitter } from 'node:events';
import type { MarkedLine, MarkedLineEvents } from '../common/marked-channel.js';

export interface CallerLineEvents extends MarkedLineEvents {
  /** The caller hung up or the stream was stopped. */
  stop: [];
}

export interface CallerLine extends MarkedLine, EventEmitter<CallerLineEvents> {}
