// The demo caller's voice: a voiced, syllable-paced tone (no words; the simulator's script says what was said),
// loud enough for voice activity detection, its length following the length of the line.
import { encodeMulaw, MULAW_SAMPLE_RATE } from '../softphone/mulaw.js';

const MS_PER_CHARACTER = 18;
const MIN_MS = 400;
const MAX_MS = 900;
const PITCH_HZ = 140;
const SYLLABLES_PER_SECOND = 4;

/** 8 kHz μ-law "speech" standing for `line`. */
export function syntheticCallerSpeech(line: string): Buffer {
  const ms = Math.min(MAX_MS, Math.max(MIN_MS, line.length * MS_PER_CHARACTER));
  const samples = new Int16Array(Math.round((ms / 1000) * MULAW_SAMPLE_RATE));
  for (let index = 0; index < samples.length; index += 1) {
    const time = index / MULAW_SAMPLE_RATE;
    const syllable = 0.8 + 0.2 * Math.sin(2 * Math.PI * SYLLABLES_PER_SECOND * time);
    const voice = 0.6 * Math.sin(2 * Math.PI * PITCH_HZ * time) + 0.3 * Math.sin(4 * Math.PI * PITCH_HZ * time) + 0.1 * Math.sin(6 * Math.PI * PITCH_HZ * time);
    samples[index] = Math.round(14_000 * syllable * voice);
  }
  return encodeMulaw(samples);
}
