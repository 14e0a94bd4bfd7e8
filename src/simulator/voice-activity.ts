// The fakes' ears: voice activity detection on 8 kHz μ-law by energy, as a real service's server VAD does it. Each
// 20 ms frame whose mean amplitude reaches the threshold is voiced; the first voiced frame starts speech, and a
// stretch of unvoiced frames as long as the hangover ends it. Whatever the audio is (the fake caller's synthetic
// speech, a person on a microphone, a tone), the detector measures how long the caller spoke, so a fake can answer
// audio it cannot read honestly, by its length, instead of inventing words.
import { BYTES_PER_MS, meanAmplitude } from './fake-audio.js';

/** One stretch of speech, from its first voiced frame to the end of the silence that ended it. */
export interface SpeechBurst {
  /** Every frame of the burst, the closing silence included. */
  audio: Buffer;
  /** From the start of the first voiced frame to the end of the last one: how long the caller spoke. */
  voicedMs: number;
  /** Where the burst started in the audio heard so far. */
  startMs: number;
}

export type SpeechEvent = { type: 'started'; startMs: number } | { type: 'stopped'; burst: SpeechBurst };

export class EnergyDetector {
  private frames: Buffer[] = [];
  private speaking = false;
  private burstStartMs = 0;
  /** Milliseconds into the burst at the end of its last voiced frame. */
  private voicedEndMs = 0;
  private burstMs = 0;
  private silenceMs = 0;
  /** All the audio heard, in milliseconds. */
  heardMs = 0;

  /** `threshold`: the mean μ-law amplitude from which a frame is voiced (loud speech is in the thousands, silence 0). */
  constructor(public threshold: number) {}

  get inSpeech(): boolean {
    return this.speaking;
  }

  /** The burst heard so far (empty outside speech). */
  get currentAudio(): Buffer {
    return Buffer.concat(this.frames);
  }

  /**
   * Hears one frame. `hangoverMs`: the silence that ends speech. `audible` false hears the frame as silence whatever it
   * holds (audio in a format the listener does not understand).
   */
  hear(frame: Buffer, hangoverMs: number, audible = true): SpeechEvent | undefined {
    const frameMs = frame.length / BYTES_PER_MS;
    const voiced = audible && meanAmplitude(frame) >= this.threshold;
    const startMs = this.heardMs;
    this.heardMs += frameMs;
    if (!this.speaking) {
      if (!voiced) return undefined;
      this.speaking = true;
      this.frames = [frame];
      this.burstStartMs = startMs;
      this.burstMs = frameMs;
      this.voicedEndMs = frameMs;
      this.silenceMs = 0;
      return { type: 'started', startMs };
    }
    this.frames.push(frame);
    this.burstMs += frameMs;
    if (voiced) {
      this.voicedEndMs = this.burstMs;
      this.silenceMs = 0;
      return undefined;
    }
    this.silenceMs += frameMs;
    return this.silenceMs >= hangoverMs ? { type: 'stopped', burst: this.finish()! } : undefined;
  }

  /** Ends the burst in progress now (a client's commit), or undefined outside speech. */
  finish(): SpeechBurst | undefined {
    if (!this.speaking) return undefined;
    const burst: SpeechBurst = { audio: Buffer.concat(this.frames), voicedMs: this.voicedEndMs, startMs: this.burstStartMs };
    this.reset();
    return burst;
  }

  /** Forgets the burst in progress (a cleared input buffer). */
  reset(): void {
    this.speaking = false;
    this.frames = [];
    this.burstMs = 0;
    this.voicedEndMs = 0;
    this.silenceMs = 0;
  }
}

/**
 * The fake's honest "transcript" of speech it cannot read: how long the caller spoke, to a tenth of a second, e.g.
 * "I heard you speak for 2.1 seconds".
 */
export function heardSpeechTranscript(voicedMs: number): string {
  return `${HEARD_SPEECH_PREFIX}${(voicedMs / 1000).toFixed(1)} seconds`;
}

const HEARD_SPEECH_PREFIX = 'I heard you speak for ';

/** The seconds in a transcript made by heardSpeechTranscript, or undefined for anything else. */
export function heardSpeechSeconds(text: string): string | undefined {
  const match = /I heard you speak for (\d+\.\d) seconds/.exec(text);
  return match?.[1];
}
