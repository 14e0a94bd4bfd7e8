// What a line that plays its audio in order (a Twilio stream, the browser phone's page) knows of that playback: the
// marks sent and not yet echoed, those `clear` flushed, and when the audio sent so far will have finished playing.
// Both lines keep it alike, so a mark means the same on either.

/** μ-law at 8 kHz: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;

export class PlaybackLedger {
  /** Marks sent and not yet echoed, in the order sent (the far end echoes in order). */
  private readonly pendingMarks: string[] = [];
  /** Marks that were pending when `clear` went out: their echo means "flushed", not "played". */
  private readonly clearedMarks = new Set<string>();
  /** When the audio sent so far will have finished playing, if the far end plays it in real time. */
  private playbackEndsAt = 0;

  constructor(private readonly now: () => number) {}

  audioSent(bytes: number): void {
    this.playbackEndsAt = Math.max(this.playbackEndsAt, this.now()) + bytes / BYTES_PER_MS;
  }

  markSent(name: string): void {
    this.pendingMarks.push(name);
  }

  /** `clear` went out: every pending mark will come back flushed, and nothing is left to play. */
  cleared(): void {
    for (const name of this.pendingMarks) this.clearedMarks.add(name);
    this.pendingMarks.length = 0;
    this.playbackEndsAt = this.now();
  }

  unplayedAudioMs(): number {
    return Math.max(0, this.playbackEndsAt - this.now());
  }

  /**
   * A mark came back: 'flushed' if `clear` dropped it; else the marks now played, this one and every one sent before
   * it (the far end plays in order); undefined for a mark never sent (or echoed twice).
   */
  echoed(name: string): 'flushed' | string[] | undefined {
    if (this.clearedMarks.delete(name)) return 'flushed';
    const index = this.pendingMarks.indexOf(name);
    if (index < 0) return undefined;
    return this.pendingMarks.splice(0, index + 1);
  }
}
