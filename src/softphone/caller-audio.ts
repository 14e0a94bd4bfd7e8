// What the softphone's caller says: a WAV file turned into 8 kHz μ-law (the phone line's format), or silence.
// Only formats that convert without guesswork are taken; anything else is refused with what the file is and
// what would work.
import { readFile } from 'node:fs/promises';
import { decodeMulaw, encodeMulaw, MULAW_SAMPLE_RATE, MULAW_SILENCE } from './mulaw.js';
import { mixToMono, resample } from './resample.js';
import { shellQuote } from '../util/shell-quote.js';
import { describeWav, parseWav, pcm16Samples, WAV_FORMAT_MULAW, WAV_FORMAT_PCM, WavFormatError } from './wav-file.js';

/**
 * The sample rates a 16-bit PCM recording may have: the phone line's 8 kHz and every rate above it up to 192 kHz, so
 * each common one (11.025, 16, 22.05, 32, 44.1, 48, 96 kHz…) is taken. Below 8 kHz the line would carry sound the
 * recording never had.
 */
export const MIN_PCM_SAMPLE_RATE = 8000;
export const MAX_PCM_SAMPLE_RATE = 192_000;

export const ACCEPTED_WAV_FORMATS =
  'μ-law at 8000 Hz, or 16-bit PCM at 8 kHz or more (e.g. 16, 22.05, 44.1 or 48 kHz; resampled to 8 kHz); mono or stereo (mixed down to mono)';

export interface CallerAudio {
  /** 8 kHz μ-law, ready for 20 ms media frames. */
  mulaw: Buffer;
  /** What the source was, e.g. "caller.wav: 16-bit PCM, 16000 Hz, stereo, 3.2 s". */
  description: string;
}

/** A caller audio file that cannot be used; the message says what it is and what is accepted. */
export class CallerAudioError extends Error {}

export async function readCallerWav(path: string): Promise<CallerAudio> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CallerAudioError(`cannot read ${path}: ${why}.`);
  }
  return callerAudioFromWav(bytes, path);
}

/** The ffmpeg line that turns any audio file into the phone line's own format, which the softphone takes as it is. */
export function ffmpegLine(name: string): string {
  return `ffmpeg -i ${shellQuote(name)} -ar 8000 -ac 1 -c:a pcm_mulaw caller-8k.wav`;
}

/** What a file that is not a WAV file most likely is, from its first bytes; a renamed MP3 is the usual case. */
function sniffNonWav(bytes: Buffer): string | undefined {
  if (bytes.length === 0) return 'it is empty (0 bytes)';
  if (bytes.toString('latin1', 0, 3) === 'ID3' || (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0)) return 'it is an MP3 file, not a WAV file';
  if (bytes.toString('latin1', 0, 4) === 'OggS') return 'it is an Ogg file, not a WAV file';
  if (bytes.toString('latin1', 0, 4) === 'fLaC') return 'it is a FLAC file, not a WAV file';
  if (bytes.toString('latin1', 4, 8) === 'ftyp') return 'it is an MP4/M4A file, not a WAV file';
  return undefined;
}

export function callerAudioFromWav(bytes: Buffer, name: string): CallerAudio {
  let wav;
  try {
    wav = parseWav(bytes);
  } catch (error) {
    if (error instanceof WavFormatError) {
      const what = sniffNonWav(bytes) ?? error.message;
      // An empty file has no audio to convert: ffmpeg would fail on it too.
      const convert = bytes.length === 0 ? 'Record or export the audio again' : `Convert it, e.g.: ${ffmpegLine(name)}`;
      throw new CallerAudioError(`${name} cannot be used: ${what}. Give a WAV file: ${ACCEPTED_WAV_FORMATS}. ${convert}`);
    }
    throw error;
  }
  const what = describeWav(wav);
  const refuse = (): never => {
    throw new CallerAudioError(`${name} is ${what}, which voicebridge call does not take. It takes ${ACCEPTED_WAV_FORMATS}. Convert it, e.g.: ${ffmpegLine(name)}`);
  };
  if (wav.channels < 1 || wav.channels > 2) refuse();
  let mulaw: Buffer;
  if (wav.format === WAV_FORMAT_MULAW && wav.bitsPerSample === 8 && wav.sampleRate === MULAW_SAMPLE_RATE) {
    // Already the phone line's format: passed through byte for byte.
    mulaw = wav.channels === 1 ? wav.data : encodeMulaw(mixToMono(decodeMulaw(wav.data), 2));
  } else if (wav.format === WAV_FORMAT_PCM && wav.bitsPerSample === 16 && wav.sampleRate >= MIN_PCM_SAMPLE_RATE && wav.sampleRate <= MAX_PCM_SAMPLE_RATE) {
    mulaw = encodeMulaw(resample(mixToMono(pcm16Samples(wav.data), wav.channels), wav.sampleRate, MULAW_SAMPLE_RATE));
  } else {
    return refuse();
  }
  return { mulaw, description: `${name}: ${what}, ${(mulaw.length / MULAW_SAMPLE_RATE).toFixed(1)} s` };
}

export function silence(seconds: number): CallerAudio {
  return { mulaw: Buffer.alloc(Math.round(seconds * MULAW_SAMPLE_RATE), MULAW_SILENCE), description: `${seconds} s of silence` };
}
