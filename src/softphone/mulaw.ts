// G.711 μ-law ⇄ 16-bit linear PCM: the telephone audio Twilio streams (8 kHz, one byte per sample).
// The decode is exact and the encode inverts it, so μ-law that passes through PCM comes back byte for byte.

export const MULAW_SILENCE = 0xff;
export const MULAW_SAMPLE_RATE = 8000;

const BIAS = 0x84;
const CLIP = 32635;

/** One μ-law byte as a 16-bit linear sample. */
export function mulawByteToSample(byte: number): number {
  const value = ~byte & 0xff;
  const sign = value & 0x80;
  const exponent = (value >> 4) & 0x07;
  const mantissa = value & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? -magnitude : magnitude;
}

/** One 16-bit linear sample as a μ-law byte. */
export function sampleToMulawByte(sample: number): number {
  let value = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = value < 0 ? 0x80 : 0;
  if (sign) value = -value;
  if (value > CLIP) value = CLIP;
  value += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (value & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (value >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function decodeMulaw(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(bytes.length);
  for (let index = 0; index < bytes.length; index += 1) samples[index] = mulawByteToSample(bytes[index]!);
  return samples;
}

export function encodeMulaw(samples: Int16Array): Buffer {
  const bytes = Buffer.alloc(samples.length);
  for (let index = 0; index < samples.length; index += 1) bytes[index] = sampleToMulawByte(samples[index]!);
  return bytes;
}
