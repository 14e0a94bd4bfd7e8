// WAV files in and out: reads the RIFF header of a recording (PCM, μ-law, and the extensible form of either) and
// writes 8 kHz mono recordings as μ-law or 16-bit PCM.

export const WAV_FORMAT_PCM = 1;
export const WAV_FORMAT_FLOAT = 3;
export const WAV_FORMAT_ALAW = 6;
export const WAV_FORMAT_MULAW = 7;
const WAV_FORMAT_EXTENSIBLE = 0xfffe;

export interface WavAudio {
  /** The format code (1 PCM, 3 float, 6 A-law, 7 μ-law…), resolved through WAVE_FORMAT_EXTENSIBLE. */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** The sample data as stored (interleaved channels). */
  data: Buffer;
}

/** A file that is not a WAV file, or not one this reader understands. */
export class WavFormatError extends Error {}

export function parseWav(bytes: Buffer): WavAudio {
  if (bytes.length < 12 || bytes.toString('latin1', 8, 12) !== 'WAVE' || !['RIFF', 'RF64', 'RIFX'].includes(bytes.toString('latin1', 0, 4))) {
    throw new WavFormatError('it is not a WAV file (no RIFF/WAVE header)');
  }
  if (bytes.toString('latin1', 0, 4) !== 'RIFF') throw new WavFormatError(`it is a ${bytes.toString('latin1', 0, 4)} WAV file; only plain RIFF WAV files are read`);
  let fmt: Omit<WavAudio, 'data'> | undefined;
  let data: Buffer | undefined;
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const declared = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    // Files written while recording often declare a wrong (or maximal) data size: take what is there.
    const end = Math.min(bytes.length, start + declared);
    if (id === 'fmt ') {
      if (end - start < 16) throw new WavFormatError('its format chunk is too short');
      let format = bytes.readUInt16LE(start);
      if (format === WAV_FORMAT_EXTENSIBLE && end - start >= 26) format = bytes.readUInt16LE(start + 24);
      fmt = { format, channels: bytes.readUInt16LE(start + 2), sampleRate: bytes.readUInt32LE(start + 4), bitsPerSample: bytes.readUInt16LE(start + 14) };
    } else if (id === 'data') {
      data = bytes.subarray(start, end);
    }
    offset = start + declared + (declared % 2);
  }
  if (!fmt) throw new WavFormatError('it has no format chunk');
  if (!data) throw new WavFormatError('it has no audio data chunk');
  return { ...fmt, data };
}

/** "16-bit PCM, 44100 Hz, stereo": what a WAV file holds, in the words audio tools use. */
export function describeWav(wav: Omit<WavAudio, 'data'>): string {
  const names: Record<number, string> = {
    [WAV_FORMAT_PCM]: `${wav.bitsPerSample}-bit PCM`,
    [WAV_FORMAT_FLOAT]: `${wav.bitsPerSample}-bit float`,
    [WAV_FORMAT_ALAW]: 'A-law',
    [WAV_FORMAT_MULAW]: 'μ-law',
  };
  const encoding = names[wav.format] ?? `audio format ${wav.format}`;
  const channels = wav.channels === 1 ? 'mono' : wav.channels === 2 ? 'stereo' : `${wav.channels} channels`;
  return `${encoding}, ${wav.sampleRate} Hz, ${channels}`;
}

/** A WAV file of 8-bit μ-law samples (format 7, with the fact chunk non-PCM formats carry). */
export function mulawWav(mulaw: Uint8Array, sampleRate = 8000): Buffer {
  const fmt = Buffer.alloc(18);
  fmt.writeUInt16LE(WAV_FORMAT_MULAW, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE(sampleRate, 8);
  fmt.writeUInt16LE(1, 12);
  fmt.writeUInt16LE(8, 14);
  fmt.writeUInt16LE(0, 16);
  const fact = Buffer.alloc(4);
  fact.writeUInt32LE(mulaw.length, 0);
  return riff([chunk('fmt ', fmt), chunk('fact', fact), chunk('data', Buffer.from(mulaw))]);
}

/** A WAV file of 16-bit PCM samples (interleaved when there is more than one channel). */
export function pcm16Wav(samples: Int16Array, sampleRate: number, channels = 1): Buffer {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(WAV_FORMAT_PCM, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE(sampleRate * channels * 2, 8);
  fmt.writeUInt16LE(channels * 2, 12);
  fmt.writeUInt16LE(16, 14);
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, index) => data.writeInt16LE(sample, index * 2));
  return riff([chunk('fmt ', fmt), chunk('data', data)]);
}

/** The samples of 16-bit little-endian PCM data. */
export function pcm16Samples(data: Buffer): Int16Array {
  const samples = new Int16Array(Math.floor(data.length / 2));
  for (let index = 0; index < samples.length; index += 1) samples[index] = data.readInt16LE(index * 2);
  return samples;
}

function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function riff(chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}
