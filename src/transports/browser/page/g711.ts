// G.711 μ-law ⇄ linear samples for the page's worklets: the same code as the softphone's (src/softphone/mulaw.ts),
// kept apart because the browser has no Buffer and the worklets load nothing but their own folder.

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

/** The phone line's rate, and its 20 ms frame. */
export const LINE_RATE = 8000;
export const FRAME_SAMPLES = 160;
