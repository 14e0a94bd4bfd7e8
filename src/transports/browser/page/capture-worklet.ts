// The microphone side of the page, in the audio thread: the context's rate (48 kHz, 44.1 kHz …) low-passed below
// the phone band's edge, taken down to 8 kHz with linear interpolation, μ-law encoded, and posted in 20 ms frames of
// 160 bytes with the frame's level (RMS, 0–1) for the meter.
import { FRAME_SAMPLES, LINE_RATE, sampleToMulawByte } from './g711.js';

/** The phone band ends near 3.4 kHz: anything above would fold back as noise at 8 kHz. */
const CUTOFF_HZ = 3400;

class CaptureProcessor extends AudioWorkletProcessor {
  // A second-order Butterworth low-pass (RBJ biquad).
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly a1: number;
  private readonly a2: number;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  /** Input samples per output sample. */
  private readonly step = sampleRate / LINE_RATE;
  /** Where the next output sample falls, in input samples since the last one consumed. */
  private next = 0;
  private previous = 0;
  private readonly frame = new Uint8Array(FRAME_SAMPLES);
  private filled = 0;
  private energy = 0;

  constructor() {
    super();
    const omega = (2 * Math.PI * Math.min(CUTOFF_HZ, sampleRate / 2 - 1)) / sampleRate;
    const alpha = Math.sin(omega) / (2 * Math.SQRT1_2);
    const cos = Math.cos(omega);
    const a0 = 1 + alpha;
    this.b0 = (1 - cos) / 2 / a0;
    this.b1 = (1 - cos) / a0;
    this.b2 = (1 - cos) / 2 / a0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0] ?? [];
    const first = channels[0];
    if (!first) return true;
    for (let index = 0; index < first.length; index += 1) {
      let x = 0;
      for (const channel of channels) x += channel[index] ?? 0;
      x /= channels.length;
      const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
      this.x2 = this.x1;
      this.x1 = x;
      this.y2 = this.y1;
      this.y1 = y;
      // Output samples that fall between the previous input sample and this one.
      while (this.next <= 1) {
        this.emit(this.previous + (y - this.previous) * this.next);
        this.next += this.step;
      }
      this.next -= 1;
      this.previous = y;
    }
    return true;
  }

  private emit(value: number): void {
    const clamped = Math.max(-1, Math.min(1, value));
    this.energy += clamped * clamped;
    this.frame[this.filled] = sampleToMulawByte(clamped * 32767);
    this.filled += 1;
    if (this.filled < FRAME_SAMPLES) return;
    const bytes = this.frame.slice().buffer;
    this.port.postMessage({ frame: bytes, level: Math.sqrt(this.energy / FRAME_SAMPLES) }, [bytes]);
    this.filled = 0;
    this.energy = 0;
  }
}

registerProcessor('voicebridge-capture', CaptureProcessor);
