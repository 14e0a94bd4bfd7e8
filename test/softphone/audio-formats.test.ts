// The softphone's audio: μ-law ⇄ PCM, resampling to the phone line's 8 kHz, and WAV files in and out.
import { describe, expect, it } from 'vitest';
import { speechAudio, wordsInSpeech } from '../fakes/fake-audio.js';
import { CallerAudioError, callerAudioFromWav } from '../../src/softphone/caller-audio.js';
import { decodeMulaw, encodeMulaw, mulawByteToSample, sampleToMulawByte } from '../../src/softphone/mulaw.js';
import { mixToMono, resample } from '../../src/softphone/resample.js';
import { mulawWav, parseWav, pcm16Samples, pcm16Wav, WavFormatError } from '../../src/softphone/wav-file.js';

/** `samples` at 8 kHz repeated `times` times each, in `channels` identical channels: a higher-rate copy of the same sound. */
function upsampled(samples: Int16Array, times: number, channels: number): Int16Array {
  const out = new Int16Array(samples.length * times * channels);
  samples.forEach((sample, index) => out.fill(sample, index * times * channels, (index + 1) * times * channels));
  return out;
}

/** The same file declaring another format code (the first field of the fmt chunk, right after the RIFF header). */
function withFormatCode(file: Buffer, code: number): Buffer {
  const copy = Buffer.from(file);
  copy.writeUInt16LE(code, 20);
  return copy;
}

describe('μ-law', () => {
  it('encodes every decoded byte back to itself (0x7F, negative zero, becomes 0xFF)', () => {
    for (let byte = 0; byte < 256; byte += 1) {
      expect(sampleToMulawByte(mulawByteToSample(byte))).toBe(byte === 0x7f ? 0xff : byte);
    }
  });

  it('clips samples beyond 16 bits instead of wrapping round', () => {
    expect(mulawByteToSample(sampleToMulawByte(40_000))).toBe(32124);
    expect(mulawByteToSample(sampleToMulawByte(-40_000))).toBe(-32124);
  });
});

describe('resampling to 8 kHz', () => {
  it('mixes stereo to mono by averaging the channels', () => {
    expect([...mixToMono(Int16Array.from([100, 300, -50, 50]), 2)]).toEqual([200, 0]);
  });

  it('brings a 16 kHz copy of 8 kHz audio back sample for sample', () => {
    const original = decodeMulaw(speechAudio('Do you deliver'));
    expect([...resample(upsampled(original, 2, 1), 16_000, 8000)]).toEqual([...original]);
  });

  it('keeps the duration of audio at 44.1 kHz, and a steady level steady', () => {
    const second = new Int16Array(44_100).fill(1000);
    const out = resample(second, 44_100, 8000);
    expect(out.length).toBe(8000);
    expect(new Set(out)).toEqual(new Set([1000]));
  });
});

describe('WAV files', () => {
  it('writes and reads back 8 kHz μ-law and 16-bit PCM', () => {
    const mulaw = speechAudio('hello');
    const mulawFile = parseWav(mulawWav(mulaw));
    expect(mulawFile).toMatchObject({ format: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8 });
    expect(mulawFile.data.equals(mulaw)).toBe(true);

    const samples = Int16Array.from([0, 1, -1, 32767, -32768]);
    const pcmFile = parseWav(pcm16Wav(samples, 16_000, 1));
    expect(pcmFile).toMatchObject({ format: 1, channels: 1, sampleRate: 16_000, bitsPerSample: 16 });
    expect([...pcm16Samples(pcmFile.data)]).toEqual([...samples]);
  });

  it('reads the format inside WAVE_FORMAT_EXTENSIBLE', () => {
    const file = pcm16Wav(Int16Array.from([1, 2, 3, 4]), 48_000, 2);
    // Rewrite the 16-byte fmt chunk as the 40-byte extensible form whose sub-format is PCM.
    const fmt = Buffer.alloc(40);
    file.copy(fmt, 0, 20, 36);
    fmt.writeUInt16LE(0xfffe, 0);
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(1, 24);
    const header = Buffer.from('RIFF\0\0\0\0WAVEfmt \x28\0\0\0', 'latin1');
    const extensible = Buffer.concat([header, fmt, file.subarray(36)]);
    extensible.writeUInt32LE(extensible.length - 8, 4);
    expect(parseWav(extensible)).toMatchObject({ format: 1, channels: 2, sampleRate: 48_000, bitsPerSample: 16 });
  });

  it('refuses a file that is not a WAV file', () => {
    expect(() => parseWav(Buffer.from('ID3\u0003 this is an mp3'))).toThrow(WavFormatError);
  });
});

describe('caller audio from a WAV file', () => {
  it('passes 8 kHz μ-law through byte for byte', () => {
    const speech = speechAudio('Do you deliver');
    const audio = callerAudioFromWav(mulawWav(speech), 'question.wav');
    expect(audio.mulaw.equals(speech)).toBe(true);
    expect(audio.description).toBe('question.wav: μ-law, 8000 Hz, mono, 0.4 s');
  });

  it('turns 16-bit PCM at 16 kHz stereo into the same 8 kHz μ-law', () => {
    const speech = speechAudio('Do you deliver');
    const file = pcm16Wav(upsampled(decodeMulaw(speech), 2, 2), 16_000, 2);
    const audio = callerAudioFromWav(file, 'stereo.wav');
    expect(wordsInSpeech(audio.mulaw)).toBe('Do you deliver');
    expect(audio.description).toBe('stereo.wav: 16-bit PCM, 16000 Hz, stereo, 0.4 s');
  });

  it.each([11_025, 12_000, 32_000, 44_100, 96_000])('takes 16-bit PCM at %i Hz, resampled to 8 kHz with its length and level kept', (rate) => {
    const twoSeconds = new Int16Array(rate * 2).fill(-2000);
    const audio = callerAudioFromWav(pcm16Wav(twoSeconds, rate, 1), 'common.wav');
    expect(audio.mulaw.length).toBe(16_000);
    expect(new Set(decodeMulaw(audio.mulaw))).toEqual(new Set([mulawByteToSample(sampleToMulawByte(-2000))]));
    expect(audio.description).toBe(`common.wav: 16-bit PCM, ${rate} Hz, mono, 2.0 s`);
  });

  it.each([
    ['A-law', () => withFormatCode(mulawWav(speechAudio('x')), 6), 'A-law, 8000 Hz, mono'],
    ['16-bit PCM below the phone line\'s 8 kHz', () => pcm16Wav(new Int16Array(100), 6000, 1), '16-bit PCM, 6000 Hz, mono'],
    ['μ-law at 16 kHz', () => mulawWav(speechAudio('x'), 16_000), 'μ-law, 16000 Hz, mono'],
    ['six channels', () => pcm16Wav(new Int16Array(600), 48_000, 6), '16-bit PCM, 48000 Hz, 6 channels'],
  ])('refuses %s, saying what the file is and what is accepted', (_name, make, what) => {
    const attempt = (): unknown => callerAudioFromWav(make(), 'odd.wav');
    expect(attempt).toThrow(CallerAudioError);
    expect(attempt).toThrow(`odd.wav is ${what}, which voicebridge call does not take. It takes μ-law at 8000 Hz, or 16-bit PCM at 8 kHz or more`);
  });

  it('refuses a file that is not a WAV file, saying what is accepted and how to convert it', () => {
    expect(() => callerAudioFromWav(Buffer.from('hello'), 'notes.txt')).toThrow(
      'notes.txt cannot be used: it is not a WAV file (no RIFF/WAVE header). Give a WAV file: μ-law at 8000 Hz, or 16-bit PCM at 8 kHz or more (e.g. 16, 22.05, 44.1 or 48 kHz; resampled to 8 kHz); mono or stereo (mixed down to mono). ' +
        'Convert it, e.g.: ffmpeg -i notes.txt -ar 8000 -ac 1 -c:a pcm_mulaw caller-8k.wav',
    );
  });

  it.each([
    ['with an ID3 tag', Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, 0, 0, 0, 0])])],
    ['without a tag (an MPEG frame header first)', Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0])],
  ])('names an MP3 renamed .wav (%s) and gives the ffmpeg line that converts it', (_name, bytes) => {
    expect(() => callerAudioFromWav(bytes, 'my question.wav')).toThrow(
      /^my question\.wav cannot be used: it is an MP3 file, not a WAV file\. Give a WAV file: .*\. Convert it, e\.g\.: ffmpeg -i 'my question\.wav' -ar 8000 -ac 1 -c:a pcm_mulaw caller-8k\.wav$/,
    );
  });

  it('says an empty file is empty, and that it needs recording again rather than converting', () => {
    expect(() => callerAudioFromWav(Buffer.alloc(0), 'q.wav')).toThrow(/^q\.wav cannot be used: it is empty \(0 bytes\)\. Give a WAV file: .*\. Record or export the audio again$/);
  });
});

it('decodes what it encodes within μ-law precision', () => {
  const samples = Int16Array.from({ length: 200 }, (_, index) => Math.round(20_000 * Math.sin(index / 7)));
  const back = decodeMulaw(encodeMulaw(samples));
  samples.forEach((sample, index) => expect(Math.abs(back[index]! - sample)).toBeLessThanOrEqual(Math.max(8, Math.abs(sample) / 16)));
});
