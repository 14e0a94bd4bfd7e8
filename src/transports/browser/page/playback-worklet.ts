// The speaker side of the page, in the audio thread: the agent's 8 kHz μ-law decoded into a ring buffer and played
// at the context's rate with linear interpolation. A small jitter buffer: after silence, playing starts once 80 ms
// are buffered (or the speech's end mark has come, for a piece shorter than that). Marks are echoed when the audio
// before them has been played; `clear` drops everything buffered and echoes the pending marks at once, as a phone does.
import { FRAME_SAMPLES, LINE_RATE, mulawByteToSample } from './g711.js';

const JITTER_SAMPLES = (80 * LINE_RATE) / 1000;
/** A minute of audio: a reply that arrives faster than it plays is held, not cut. */
const RING_SAMPLES = 60 * LINE_RATE;

type PlaybackMessage = { type: 'audio'; bytes: ArrayBuffer } | { type: 'mark'; name: string } | { type: 'clear' };

class PlaybackProcessor extends AudioWorkletProcessor {
  private readonly ring = new Float32Array(RING_SAMPLES);
  /** Samples written since the start, and the (fractional) position played up to. */
  private written = 0;
  private position = 0;
  private playing = false;
  private readonly marks: Array<{ at: number; name: string }> = [];
  private readonly step = LINE_RATE / sampleRate;
  /** Samples actually played (at 8 kHz), for the page's counter of frames played. */
  private played = 0;
  private framesReported = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<PlaybackMessage>) => this.receive(event.data);
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0]?.[0];
    if (!output) return true;
    for (let index = 0; index < output.length; index += 1) {
      const buffered = this.written - this.position;
      if (!this.playing && buffered > 0 && (buffered >= JITTER_SAMPLES || this.marks.length > 0)) this.playing = true;
      if (!this.playing || buffered <= 0) {
        this.playing = false;
        output[index] = 0;
        continue;
      }
      const at = Math.floor(this.position);
      const fraction = this.position - at;
      const current = this.ring[at % RING_SAMPLES]!;
      const following = at + 1 < this.written ? this.ring[(at + 1) % RING_SAMPLES]! : current;
      output[index] = current + (following - current) * fraction;
      const advanced = Math.min(this.written, this.position + this.step);
      this.played += advanced - this.position;
      this.position = advanced;
    }
    for (const channel of outputs[0]!.slice(1)) channel.set(output);
    this.echoPlayedMarks();
    const frames = Math.floor(this.played / FRAME_SAMPLES);
    if (frames !== this.framesReported) {
      this.framesReported = frames;
      this.port.postMessage({ played: frames });
    }
    return true;
  }

  private receive(message: PlaybackMessage): void {
    if (message.type === 'audio') {
      const bytes = new Uint8Array(message.bytes);
      for (const byte of bytes) {
        this.ring[this.written % RING_SAMPLES] = mulawByteToSample(byte) / 32768;
        this.written += 1;
      }
      // More than the ring holds: the oldest is lost rather than the newest.
      if (this.written - this.position > RING_SAMPLES) this.position = this.written - RING_SAMPLES;
      return;
    }
    if (message.type === 'mark') {
      this.marks.push({ at: this.written, name: message.name });
      this.echoPlayedMarks();
      return;
    }
    this.written = Math.floor(this.position);
    this.position = this.written;
    this.playing = false;
    for (const mark of this.marks.splice(0)) this.port.postMessage({ mark: mark.name });
  }

  private echoPlayedMarks(): void {
    while (this.marks.length > 0 && this.marks[0]!.at <= this.position) this.port.postMessage({ mark: this.marks.shift()!.name });
  }
}

registerProcessor('voicebridge-playback', PlaybackProcessor);
