// What a phone does with the audio a bridge sends over a Media Stream: plays it in order, in real time; echoes a
// mark once everything sent before it has played (at once when nothing is buffered); and on `clear` drops what is
// buffered and echoes every pending mark at once.

export type PlaybackEvent = { audio: Buffer } | { mark: string };

export class PlaybackBuffer {
  private readonly items: PlaybackEvent[] = [];

  /** Bytes of audio waiting to play (8 bytes per millisecond of μ-law). */
  get bufferedBytes(): number {
    return this.items.reduce((total, item) => total + ('audio' in item ? item.audio.length : 0), 0);
  }

  get isEmpty(): boolean {
    return this.items.length === 0;
  }

  pushAudio(audio: Buffer): void {
    if (audio.length > 0) this.items.push({ audio });
  }

  /** Queues a mark; returns true when nothing is buffered and it is to be echoed at once instead. */
  pushMark(name: string): boolean {
    if (this.items.length === 0) return true;
    this.items.push({ mark: name });
    return false;
  }

  /** Plays up to `bytes` of audio: what played and the marks reached, in order. */
  play(bytes: number): PlaybackEvent[] {
    const events: PlaybackEvent[] = [];
    let budget = Math.max(0, Math.floor(bytes));
    while (this.items.length > 0) {
      const item = this.items[0]!;
      if ('mark' in item) {
        this.items.shift();
        events.push(item);
        continue;
      }
      if (budget <= 0) break;
      const played = item.audio.subarray(0, budget);
      events.push({ audio: played });
      budget -= played.length;
      if (played.length === item.audio.length) this.items.shift();
      else item.audio = item.audio.subarray(played.length);
    }
    return events;
  }

  /** Drops everything buffered: how much audio was dropped, and the marks to echo (their audio was not all heard). */
  clear(): { droppedBytes: number; marks: string[] } {
    const dropped = this.items.splice(0);
    return {
      droppedBytes: dropped.reduce((total, item) => total + ('audio' in item ? item.audio.length : 0), 0),
      marks: dropped.flatMap((item) => ('mark' in item ? [item.mark] : [])),
    };
  }
}
