// What the call core needs from a call's transport, and nothing more: what the caller says (and that they started
// speaking, and the keys they press), a way to say text to them and to stop talking, and news of what they actually
// heard. Twilio Media Streams implements it with a voice engine, marks and `clear`; a transport where the voice service
// talks to the caller itself implements it with that service's own events. The core never sees a frame or a mark.
import type { EventEmitter } from 'node:events';

export interface CallerUtterance {
  /** The final transcript of what the caller said. */
  text: string;
  /** The voice's handle for this utterance (an item or delegation ID), passed back when answering it. */
  turnId: string;
}

/**
 * How a piece of speech ended. 'heard': it played to the caller to its end. 'flushed': its audio was dropped from the
 * caller's playback. Otherwise none of its audio reached the caller, and the voice says why: 'completed' (an engine
 * that said it under another piece's audio), 'cancelled' or 'failed'.
 */
export type SpeechEnd = 'heard' | 'flushed' | 'completed' | 'cancelled' | 'failed';

export interface CallChannelEvents {
  /** The voice is connected and configured: speech starts without set-up delay. */
  voiceReady: [];
  /** The voice connection dropped (or did not start) and is being opened once more. */
  voiceReconnecting: [reason: string];
  voiceReconnected: [];
  /** The voice cannot go on: the call cannot continue with it. */
  voiceFailed: [message: string];
  /** A recoverable problem worth a log line. */
  warning: [message: string];
  callerStartedSpeaking: [];
  callerSaid: [utterance: CallerUtterance];
  /** The caller spoke but the words could not be made out. */
  callerNotUnderstood: [reason: string];
  /** A key pressed on the caller's keypad. */
  keypad: [digit: string];
  /** The first audio of this speech reached the caller's line. */
  speechAudible: [speechId: string];
  speechEnded: [speechId: string, end: SpeechEnd];
  /** The caller hung up. */
  hungUp: [];
  /** The line to the caller is gone without a hang-up (a network failure). */
  lost: [reason: string];
}

export interface SayOptions {
  /** What the speech is (greeting, reply, apology…): transports may name their markers after it. */
  label: string;
  /** The utterance this speech answers, for voices that tie speech to a turn. */
  inReplyTo?: string;
}

export interface CallChannel extends EventEmitter<CallChannelEvents> {
  /** The voice's name for log lines ("Connected to OpenAI Realtime"). */
  readonly voiceName: string;
  readonly voiceReady: boolean;
  /**
   * Who takes turns. 'bridge': the voice speaks only when asked, and a caller who starts speaking is a barge-in for the
   * core to decide on. 'engine': the voice is full duplex, decides when to answer, asks for content with `callerSaid`
   * and stops itself when interrupted.
   */
  readonly turnTaking: 'bridge' | 'engine';
  /** Starts relaying: from now on the events above flow. */
  start(): void;
  /** Says the text word for word after any speech already queued; returns the speech's ID for `speechEnded`. */
  say(text: string, options: SayOptions): string;
  /** Barge-in: stops the speech in progress, drops queued speech and what the caller's phone still has to play. */
  stopTalking(): void;
  /** Estimated milliseconds of speech sent to the caller but not yet played. */
  unplayedAudioMs(): number;
  /** Drops what the caller's phone still has to play, leaving the voice alone. */
  flushPlayback(): void;
  /** Closes the line and the voice. Never throws; emits nothing afterwards. */
  close(): Promise<void>;
}
