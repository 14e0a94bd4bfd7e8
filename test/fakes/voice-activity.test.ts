// The simulator's ears with audio it did not make: energy detection of tones and noise of known length, the honest
// description of speech it cannot read, and the synthetic encodings (caller speech, voice) carrying any UTF-8 text.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeMulaw } from '../../src/softphone/mulaw.js';
import { EnergyDetector, heardSpeechTranscript, type SpeechEvent } from '../../src/simulator/voice-activity.js';
import { eventually } from '../bridge/call-harness.js';
import { BYTES_PER_MS, FRAME_BYTES, MULAW_SILENCE, phrasesInVoice, speechAudio, syntheticWords, voiceAudio } from './fake-audio.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from './openai/fake-openai.js';

/** A 440 Hz tone of `ms` at `amplitude` (8 kHz μ-law). */
function tone(ms: number, amplitude = 12_000): Buffer {
  const samples = new Int16Array(ms * BYTES_PER_MS);
  for (let index = 0; index < samples.length; index += 1) samples[index] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * index) / 8000));
  return encodeMulaw(samples);
}

/** White noise of `ms` at `amplitude` from a fixed seed, so every run hears the same audio. */
function noise(ms: number, amplitude = 10_000, seed = 7): Buffer {
  let state = seed;
  const samples = new Int16Array(ms * BYTES_PER_MS);
  for (let index = 0; index < samples.length; index += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    samples[index] = Math.round(((state / 2 ** 31) * 2 - 1) * amplitude);
  }
  return encodeMulaw(samples);
}

const silence = (ms: number): Buffer => Buffer.alloc(ms * BYTES_PER_MS, MULAW_SILENCE);

/** Every event the detector reports for `audio`, framed as Twilio frames it, with each event's frame index. */
function detect(audio: Buffer, hangoverMs = 500, threshold = 2000): Array<[number, SpeechEvent]> {
  const detector = new EnergyDetector(threshold);
  const events: Array<[number, SpeechEvent]> = [];
  for (let offset = 0, frame = 0; offset < audio.length; offset += FRAME_BYTES, frame += 1) {
    const event = detector.hear(audio.subarray(offset, offset + FRAME_BYTES), hangoverMs);
    if (event) events.push([frame, event]);
  }
  return events;
}

const UTF8_LINES = ['Café crème, s’il vous plaît 🙂', '你好，我想订一张桌子', 'שלום, מה שלומך?', 'Ünïcödé — ok? 👍🏽 🇫🇷'];

describe('the energy detector', () => {
  it('measures a 2.1 s tone exactly: speech starts on its first frame and stops after the hangover', () => {
    const events = detect(Buffer.concat([silence(200), tone(2100), silence(600)]));
    expect(events.map(([frame, event]) => [frame, event.type])).toEqual([
      [10, 'started'],
      [139, 'stopped'],
    ]);
    const stopped = events[1]![1];
    if (stopped.type !== 'stopped') throw new Error('not stopped');
    expect(stopped.burst.voicedMs).toBe(2100);
    expect(stopped.burst.startMs).toBe(200);
    expect(stopped.burst.audio.length).toBe((2100 + 500) * BYTES_PER_MS);
    expect(heardSpeechTranscript(stopped.burst.voicedMs)).toBe('I heard you speak for 2.1 seconds');
  });

  it('keeps a pause shorter than the hangover inside one burst, and counts it in the time spoken', () => {
    const events = detect(Buffer.concat([noise(600), silence(300), noise(700, 10_000, 99), silence(500)]));
    expect(events.map(([, event]) => event.type)).toEqual(['started', 'stopped']);
    const stopped = events[1]![1];
    expect(stopped.type === 'stopped' && heardSpeechTranscript(stopped.burst.voicedMs)).toBe('I heard you speak for 1.6 seconds');
  });

  it('splits at a pause as long as the hangover, and hears quiet noise below the threshold as silence', () => {
    const events = detect(Buffer.concat([tone(400), silence(500), noise(1000, 300), tone(1240), silence(200)]), 500);
    expect(events.map(([frame, event]) => [frame, event.type, event.type === 'stopped' ? event.burst.voicedMs : event.startMs])).toEqual([
      [0, 'started', 0],
      [44, 'stopped', 400],
      [95, 'started', 1900],
    ]);
  });

  it('ends a burst on demand and forgets one on reset; audio it cannot hear is silence', () => {
    const detector = new EnergyDetector(2000);
    const loud = tone(20);
    expect(detector.hear(loud, 500)).toEqual({ type: 'started', startMs: 0 });
    expect(detector.hear(loud, 500)).toBeUndefined();
    expect(detector.finish()).toMatchObject({ voicedMs: 40, startMs: 0 });
    expect(detector.finish()).toBeUndefined();
    expect(detector.hear(loud, 500, false)).toBeUndefined();
    expect(detector.hear(loud, 500)).toEqual({ type: 'started', startMs: 60 });
    detector.reset();
    expect(detector.inSpeech).toBe(false);
    expect(detector.currentAudio.length).toBe(0);
  });
});

describe('the synthetic encodings', () => {
  it('reads the fake caller speech back as any UTF-8 text, framed in silence or not', () => {
    for (const line of ['Hi, are you open on Saturday?', ...UTF8_LINES]) {
      expect(syntheticWords(speechAudio(line))).toBe(line);
      expect(syntheticWords(Buffer.concat([silence(60), speechAudio(line), silence(500)]))).toBe(line);
    }
  });

  it('reads nothing from audio that is not its encoding: tones, noise, clipped audio', () => {
    expect(syntheticWords(tone(1000))).toBeUndefined();
    expect(syntheticWords(tone(1000, 32_000))).toBeUndefined();
    expect(syntheticWords(noise(1000, 32_000))).toBeUndefined();
    // Full-scale square wave: only the loudest codes, which the encoding uses too.
    expect(syntheticWords(Buffer.from(Array.from({ length: 1600 }, (_, index) => (index % 20 < 10 ? 0x80 : 0x00))))).toBeUndefined();
    expect(syntheticWords(silence(400))).toBeUndefined();
    // Loud, but no words: the fake caller's speech of an empty line.
    expect(syntheticWords(speechAudio(''))).toBe('');
  });

  it('leaves a character cut in the middle for later while the burst goes on', () => {
    const audio = speechAudio('ab€');
    // "ab" is four nibbles; € is three bytes (six nibbles): stop after two of them.
    expect(syntheticWords(audio.subarray(0, 6), true)).toBe('ab');
    expect(syntheticWords(audio.subarray(0, 6))).toBeUndefined();
  });

  it('speaks any UTF-8 text in the fake voice and reads it back intact; ASCII keeps one run per character', () => {
    const phrases = ['Hello! Thanks for calling.', ...UTF8_LINES];
    expect(phrasesInVoice(Buffer.concat(phrases.map((text) => voiceAudio(text, 2))))).toEqual(phrases);
    expect(voiceAudio('Hello', 2).length).toBe(6 * 2 * BYTES_PER_MS);
    for (const text of UTF8_LINES) {
      const audio = voiceAudio(text, 2);
      expect(audio.includes(0x7f)).toBe(false);
      expect(audio.subarray(2 * BYTES_PER_MS).includes(MULAW_SILENCE)).toBe(false);
    }
  });
});

describe('the fake Realtime service with speech it cannot read', () => {
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('detects a 2.1 s tone by its energy and transcribes it as how long the caller spoke; synthetic speech in any script as its words', async () => {
    fake = await FakeOpenAI.start();
    const socket = new WebSocket(`${fake.baseURL.replace('http', 'ws')}/realtime?model=gpt-realtime`, { headers: { Authorization: `Bearer ${FAKE_OPENAI_KEY}` } });
    const events: Array<Record<string, unknown>> = [];
    socket.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({
        type: 'session.update',
        session: {
          type: 'realtime',
          audio: {
            input: {
              format: { type: 'audio/pcmu' },
              transcription: { model: 'gpt-4o-transcribe' },
              turn_detection: { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 0, create_response: false },
            },
          },
        },
      }),
    );
    const audio = Buffer.concat([silence(100), tone(2100), silence(600)]);
    for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
      socket.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: audio.subarray(offset, offset + FRAME_BYTES).toString('base64') }));
    }
    await eventually(() => events.some((event) => event.type === 'conversation.item.input_audio_transcription.completed'), 'the transcription');
    const line = '🙂🙂 Café 你好 שלום';
    const speech = Buffer.concat([speechAudio(line), silence(600)]);
    for (let offset = 0; offset < speech.length; offset += FRAME_BYTES) {
      socket.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: speech.subarray(offset, offset + FRAME_BYTES).toString('base64') }));
    }
    const completed = (): Array<Record<string, unknown>> => events.filter((event) => event.type === 'conversation.item.input_audio_transcription.completed');
    await eventually(() => completed().length === 2, 'the second transcription');
    socket.close();
    expect(completed()[1]).toMatchObject({ transcript: line });
    const deltas = events.filter((event) => event.type === 'conversation.item.input_audio_transcription.delta').slice(2).map((event) => String(event.delta));
    expect(deltas).toEqual(['🙂🙂 Café ', '你好 שלום']);
    events.splice(events.findIndex((event) => event.type === 'conversation.item.input_audio_transcription.completed') + 1);
    const types = events.map((event) => event.type);
    expect(types.filter((type) => type !== 'session.created' && type !== 'session.updated' && !String(type).includes('conversation.item.added') && !String(type).includes('conversation.item.done'))).toEqual([
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.input_audio_transcription.delta',
      'conversation.item.input_audio_transcription.delta',
      'conversation.item.input_audio_transcription.completed',
    ]);
    expect(events.find((event) => event.type === 'input_audio_buffer.speech_started')).toMatchObject({ audio_start_ms: 100 });
    expect(events.find((event) => event.type === 'input_audio_buffer.speech_stopped')).toMatchObject({ audio_end_ms: 2680 });
    expect(events.find((event) => event.type === 'conversation.item.input_audio_transcription.completed')).toMatchObject({ transcript: 'I heard you speak for 2.1 seconds' });
  });
});
