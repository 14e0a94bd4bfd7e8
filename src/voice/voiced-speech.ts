// Which speech GPT-Live's audio belongs to. GPT-Live says what it is given in its own words and also speaks on its own
// (acknowledgements), so its audio carries no speech ID. The audio is cut into stretches (a pause in delivery, or at
// most `maxStretchMs` of audio, ends one) and each stretch is given to the oldest speech still waiting for its voice;
// with none waiting, the stretch is the engine's own speech. When a stretch ends, speeches sent before its last audio
// had their chance to be voiced in it: they are done too. Each stretch gets one mark at Twilio, so what the caller has
// heard is known stretch by stretch.
import { base64ByteLength } from '../util/base64.js';
import type { SpeechOutcome } from './voice-engine.js';

/** μ-law at 8 kHz: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;

export interface VoicedSpeechOptions {
  /** A delivery pause this long ends a stretch: the voice has gone quiet. */
  pauseMs: number;
  /** A stretch holds at most this much audio, so marks keep coming during a long answer. */
  maxStretchMs: number;
  /** A new ID for speech the engine began on its own. */
  newSpeechId(): string;
  /** The engine began speaking on its own: audio follows under this ID. */
  onOwnSpeech(speechId: string): void;
  onAudio(speechId: string, payload: string): void;
  onDone(speechId: string, outcome: SpeechOutcome): void;
  now?: () => number;
}

interface Waiting {
  speechId: string;
  sentAt: number;
}

interface Stretch {
  speechId: string;
  audioMs: number;
  lastAudioAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class VoicedSpeech {
  private readonly waiting: Waiting[] = [];
  private stretch: Stretch | undefined;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: VoicedSpeechOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Speech whose text went to the voice: its words are expected in the audio that follows. */
  expect(speechId: string): void {
    if (this.closed) return;
    this.waiting.push({ speechId, sentAt: this.now() });
  }

  /** Whether any speech is still waiting for its voice. */
  get anyWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Whether this speech is still waiting for its voice (sent, not yet heard in any stretch). */
  isWaiting(speechId: string): boolean {
    return this.waiting.some((each) => each.speechId === speechId);
  }

  /** One chunk of the voice's audio. */
  audio(payload: string): void {
    if (this.closed) return;
    const now = this.now();
    let stretch = this.stretch;
    if (stretch && stretch.audioMs >= this.options.maxStretchMs) {
      // Not a pause: the voice goes on, and what it goes on with is the next speech waiting, if any.
      this.endStretch(false);
      stretch = undefined;
    }
    if (!stretch) {
      const owner = this.waiting.shift();
      const speechId = owner?.speechId ?? this.options.newSpeechId();
      stretch = { speechId, audioMs: 0, lastAudioAt: now, timer: undefined };
      this.stretch = stretch;
      if (!owner) this.options.onOwnSpeech(speechId);
    }
    stretch.audioMs += base64ByteLength(payload) / BYTES_PER_MS;
    stretch.lastAudioAt = now;
    this.options.onAudio(stretch.speechId, payload);
    // One timer per stretch, not one per chunk: when it fires early it waits out the rest of the pause.
    if (stretch.timer === undefined) this.watchForPause(stretch, this.options.pauseMs);
  }

  private watchForPause(stretch: Stretch, delayMs: number): void {
    stretch.timer = setTimeout(() => {
      if (this.stretch !== stretch) return;
      const quietFor = this.now() - stretch.lastAudioAt;
      if (quietFor >= this.options.pauseMs) this.endStretch(true);
      else this.watchForPause(stretch, this.options.pauseMs - quietFor);
    }, delayMs);
  }

  /** Speech that will not be voiced after all (its turn was dropped, or it was refused): done, as `outcome`. */
  drop(speechIds: ReadonlySet<string>, outcome: SpeechOutcome): void {
    for (let index = this.waiting.length - 1; index >= 0; index -= 1) {
      const { speechId } = this.waiting[index]!;
      if (!speechIds.has(speechId)) continue;
      this.waiting.splice(index, 1);
      this.options.onDone(speechId, outcome);
    }
  }

  /**
   * Takes back the speech still waiting for its voice, oldest first, without reporting it: the voice that was to say
   * it is gone, and the speech goes to its replacement.
   */
  takeBackWaiting(): string[] {
    return this.waiting.splice(0).map((each) => each.speechId);
  }

  /** Forgets everything without reporting it (the call is over). */
  close(): void {
    this.closed = true;
    if (this.stretch) clearTimeout(this.stretch.timer);
    this.stretch = undefined;
    this.waiting.length = 0;
  }

  private endStretch(paused: boolean): void {
    const stretch = this.stretch;
    if (!stretch || this.closed) return;
    clearTimeout(stretch.timer);
    this.stretch = undefined;
    this.options.onDone(stretch.speechId, 'completed');
    if (!paused) return;
    // The voice went quiet: speech sent before its last audio was said in this stretch, together with the first.
    while (this.waiting.length > 0 && this.waiting[0]!.sentAt < stretch.lastAudioAt) this.options.onDone(this.waiting.shift()!.speechId, 'completed');
  }
}
