// Turns PCM from a recording into what a phone line carries: one channel at 8 kHz. Downsampling averages the input
// samples each output sample stands for (a simple low-pass, enough for speech on a phone line); an input made by
// repeating each 8 kHz sample comes back exactly.

/** Interleaved samples of `channels` channels mixed down to one. */
export function mixToMono(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const mono = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame += 1) {
    let total = 0;
    for (let channel = 0; channel < channels; channel += 1) total += interleaved[frame * channels + channel]!;
    mono[frame] = Math.round(total / channels);
  }
  return mono;
}

/** `samples` at `fromRate` Hz, resampled to `toRate` Hz. */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return samples;
  const ratio = fromRate / toRate;
  const length = Math.floor(samples.length / ratio);
  const out = new Int16Array(length);
  if (ratio > 1) {
    for (let index = 0; index < length; index += 1) {
      const start = Math.floor(index * ratio);
      const end = Math.min(samples.length, Math.max(start + 1, Math.floor((index + 1) * ratio)));
      let total = 0;
      for (let at = start; at < end; at += 1) total += samples[at]!;
      out[index] = Math.round(total / (end - start));
    }
    return out;
  }
  for (let index = 0; index < length; index += 1) {
    const position = index * ratio;
    const before = Math.floor(position);
    const after = Math.min(samples.length - 1, before + 1);
    const weight = position - before;
    out[index] = Math.round(samples[before]! * (1 - weight) + samples[after]! * weight);
  }
  return out;
}
