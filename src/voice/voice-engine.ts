// The voice engine seam: the ears and the mouth of a call. The call session talks only to this interface, so the
// session, the brains and the Twilio stream never know which engine (OpenAI Realtime, or another) is in use.
// Audio is base64 G.711 μ-law at 8 kHz both ways: Twilio's own format, passed through untouched.
import type { EventEmitter } from 'node:events';
import type { CallLogger } from '../log/call-log.js';

export interface CallerUtterance {
  /** The final transcript of what the caller said. */
  text: string;
  /** The engine's handle for this utterance (an item or delegation ID), passed back when answering it. */
  turnId: string;
}

export type SpeechOutcome = 'completed' | 'cancelled' | 'failed';

export interface VoiceEngineEvents {
  /** Connected and configured: from now on speech starts without set-up delay. */
  ready: [];
  /** The caller began to speak (used for barge-in). */
  callerStartedSpeaking: [];
  /** The caller finished an utterance and it has been transcribed. */
  callerSaid: [utterance: CallerUtterance];
  /** The caller spoke but the words could not be made out (empty or failed transcription). */
  callerNotUnderstood: [reason: string];
  /**
   * An engine that takes turns itself began speaking on its own (an acknowledgement, or words it was not asked for
   * through `speak`): its `audio` and `speechDone` follow under this new ID.
   */
  speechStarted: [speechId: string];
  /** Audio for one piece of speech, in order. */
  audio: [speechId: string, payload: string];
  /** All audio of this piece of speech has been emitted (or it was cancelled or failed). */
  speechDone: [speechId: string, outcome: SpeechOutcome];
  /** A recoverable problem worth a log line. */
  warning: [message: string];
  /**
   * The connection dropped, or the service went silent past a bound, and the engine is opening a new one with the
   * same settings (once per call).
   */
  reconnecting: [reason: string];
  /** The new connection has confirmed its session: speech resumes where it left off. */
  reconnected: [];
  /** The engine cannot go on (connection refused, or lost and not regained): the call cannot continue with it. */
  failed: [message: string];
  /**
   * Over a sideband (OpenAI answers the call over SIP and plays the speech itself) no audio reaches the bridge: the
   * service says instead when a piece of speech started playing to the caller…
   */
  playbackStarted: [speechId: string];
  /** …and when it finished playing ('heard') or was cut off by a barge-in ('flushed'). */
  playbackEnded: [speechId: string, end: 'heard' | 'flushed'];
  /** A key the caller pressed, when the service hears the keypad itself (SIP). */
  keypad: [digit: string];
  /** The service ended the session because the call itself is over (the caller hung up on a SIP call). */
  sessionEnded: [reason: string];
}

export interface SpeakOptions {
  /** The utterance this speech answers, for engines that tie speech to a turn. */
  inReplyTo?: string;
}

export interface VoiceEngine extends EventEmitter<VoiceEngineEvents> {
  /** For the log line "Connected to <name>", e.g. "OpenAI Realtime". */
  readonly name: string;
  readonly isReady: boolean;
  /**
   * Who takes turns. 'bridge' (the default, e.g. Realtime): the engine speaks only when asked, and a caller who starts
   * speaking is a barge-in for the bridge to handle (flush, cancel, stop the agent); every utterance is a new turn.
   * 'engine' (e.g. GPT-Live): full duplex, the engine decides when to answer and asks for content with `callerSaid`
   * (whose `turnId` the answer's `speak` must name), may speak on its own, and stops itself when interrupted; the
   * bridge only flushes what the caller's phone still has buffered, and drops the answer to a request a newer one
   * replaced.
   */
  readonly turnTaking?: 'bridge' | 'engine';
  /** Forwards caller audio. Audio that arrives before the engine is ready is held, not dropped. */
  sendCallerAudio(payload: string): void;
  /**
   * Speaks the text word for word, after any speech already queued. Returns the speech's ID, used by the
   * `audio` and `speechDone` events. Speech asked for before the engine is ready waits for it.
   */
  speak(text: string, options?: SpeakOptions): string;
  /** Stops the speech in progress and drops all queued speech (barge-in). */
  cancelSpeaking(): void;
  /** Over a sideband: drops what the service still has to play to the caller (barge-in). */
  flushPlayback?(): void;
  /** Closes the connection. Never throws; emits nothing afterwards. */
  close(): Promise<void>;
}

export interface VoiceEngineContext {
  callSid: string;
  log: CallLogger;
}

/** Opens a voice engine for one call; the engine starts connecting at once. */
export type VoiceEngineFactory = (context: VoiceEngineContext) => VoiceEngine;
