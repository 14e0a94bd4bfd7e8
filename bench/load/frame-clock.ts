// One clock for every audio stream the load generator sends, in both directions. Each stream sends a frame every
// 20 ms at its own phase, so N calls spread their frames over the 20 ms as real calls do instead of arriving in one
// burst. The clock also notes how late it ran: a late clock means the generator, not the bridge, is the bottleneck.
import { FRAME_MS } from './frame-tags.js';

export interface FrameSender {
  /** Sends one frame; `now` is when it is sent. */
  sendFrame(now: number): void;
}

interface Scheduled {
  sender: FrameSender;
  nextAt: number;
  active: boolean;
}

/** At most this many overdue frames are sent at once; a stream further behind skips ahead (and it is counted). */
const MAX_CATCH_UP = 3;

export class FrameClock {
  private readonly scheduled: Scheduled[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The most any frame was sent after it was due, in ms. */
  maxLateMs = 0;
  /** Frames sent more than 5 ms after they were due. */
  lateFrames = 0;
  /** Frames skipped because the generator fell behind. */
  skippedFrames = 0;

  /** Starts a stream; its first frame is due at the next multiple of 20 ms plus `phaseMs`. Returns a stop function. */
  add(sender: FrameSender, phaseMs: number): () => void {
    const now = performance.now();
    const entry: Scheduled = { sender, nextAt: Math.ceil(now / FRAME_MS) * FRAME_MS + (phaseMs % FRAME_MS), active: true };
    this.scheduled.push(entry);
    return () => {
      entry.active = false;
    };
  }

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.tick();
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled.length = 0;
  }

  private tick(): void {
    const now = performance.now();
    let write = 0;
    for (let index = 0; index < this.scheduled.length; index += 1) {
      const entry = this.scheduled[index]!;
      if (!entry.active) continue;
      this.scheduled[write] = entry;
      write += 1;
      if (now < entry.nextAt) continue;
      const late = now - entry.nextAt;
      if (late > this.maxLateMs) this.maxLateMs = late;
      let sent = 0;
      while (now >= entry.nextAt && sent < MAX_CATCH_UP) {
        if (now - entry.nextAt > 5) this.lateFrames += 1;
        entry.sender.sendFrame(performance.now());
        entry.nextAt += FRAME_MS;
        sent += 1;
      }
      if (now >= entry.nextAt) {
        const behind = Math.floor((now - entry.nextAt) / FRAME_MS) + 1;
        this.skippedFrames += behind;
        entry.nextAt += behind * FRAME_MS;
      }
    }
    this.scheduled.length = write;
  }
}
