// The record of one direction of audio (caller → Realtime, or Realtime → caller): when each tagged frame was sent,
// whether and when it arrived. Latency samples are kept only for frames sent inside the measurement window, so the
// ramp-up and the drain at the end do not count; a frame sent in the window that never arrived is a lost frame.
import { tagFrame, tagStream } from './frame-tags.js';

interface StreamRecord {
  /** Send times relative to the ledger's origin: float32 keeps them within 10 µs over minutes, at half the memory. */
  sentAt: Float32Array;
  arrived: Uint8Array;
  sent: number;
}

export interface DirectionStats {
  /** Frames sent inside the window. */
  sent: number;
  lost: number;
  /** Transit times of the frames sent inside the window, in ms, sorted. */
  latencies: Float64Array;
  /** Frames whose payload was altered, that arrived twice, or whose tag named no frame we sent. */
  altered: number;
  duplicated: number;
  unknown: number;
}

export class FrameLedger {
  private readonly streams: StreamRecord[] = [];
  private samples: Float64Array;
  private sampleCount = 0;
  private windowFrom = Infinity;
  private windowTo = Infinity;
  private readonly origin = performance.now();
  altered = 0;
  duplicated = 0;
  unknown = 0;

  /** `framesPerStream` bounds how many frames one stream may send; `expectedSamples` sizes the sample buffer. */
  constructor(
    private readonly framesPerStream: number,
    expectedSamples: number,
  ) {
    this.samples = new Float64Array(Math.max(1024, expectedSamples));
  }

  /** A new stream; returns its number (what its tags carry). */
  addStream(): number {
    this.streams.push({ sentAt: new Float32Array(this.framesPerStream), arrived: new Uint8Array(this.framesPerStream), sent: 0 });
    return this.streams.length - 1;
  }

  /** The next frame number of the stream, or -1 when it has sent all it may. */
  nextFrame(stream: number): number {
    const record = this.streams[stream]!;
    return record.sent < this.framesPerStream ? record.sent : -1;
  }

  sent(stream: number, frame: number, at: number): void {
    const record = this.streams[stream]!;
    record.sentAt[frame] = at - this.origin;
    record.sent = frame + 1;
  }

  arrived(tag: number, at: number): void {
    const record = tag >= 0 ? this.streams[tagStream(tag)] : undefined;
    const frame = tagFrame(tag);
    if (!record || frame >= record.sent) {
      this.unknown += 1;
      return;
    }
    if (record.arrived[frame] === 1) {
      this.duplicated += 1;
      return;
    }
    record.arrived[frame] = 1;
    const sentAt = record.sentAt[frame]!;
    if (sentAt < this.windowFrom || sentAt >= this.windowTo) return;
    if (this.sampleCount === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.sampleCount] = at - this.origin - sentAt;
    this.sampleCount += 1;
  }

  /** Frames sent from `from` until `to` (performance.now() times) are the ones measured. */
  setWindow(from: number, to: number): void {
    this.windowFrom = from - this.origin;
    this.windowTo = to - this.origin;
  }

  stats(): DirectionStats {
    let sent = 0;
    let lost = 0;
    for (const record of this.streams) {
      for (let frame = 0; frame < record.sent; frame += 1) {
        const sentAt = record.sentAt[frame]!;
        if (sentAt < this.windowFrom || sentAt >= this.windowTo) continue;
        sent += 1;
        if (record.arrived[frame] !== 1) lost += 1;
      }
    }
    const latencies = this.samples.slice(0, this.sampleCount).sort();
    return { sent, lost, latencies, altered: this.altered, duplicated: this.duplicated, unknown: this.unknown };
  }
}
