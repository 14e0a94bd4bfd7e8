// The GPT-Live engine's two helpers: commentary cut to the 500-token limit, and the voice's audio given to the speech
// it most likely says.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commentaryChunks } from '../../src/voice/commentary-chunks.js';
import { liveSessionsUrl } from '../../src/voice/live-voice-engine.js';
import { VoicedSpeech } from '../../src/voice/voiced-speech.js';

describe('commentary chunks', () => {
  it('keeps a normal sentence whole', () => {
    expect(commentaryChunks('  We open at  seven. ')).toEqual(['We open at seven.']);
    expect(commentaryChunks('   ')).toEqual([]);
  });

  it('cuts a long text at clause breaks, then between words, each within the byte limit', () => {
    const text = `${'First part of it, '.repeat(20)}and ${'word '.repeat(150)}end.`;
    const chunks = commentaryChunks(text, 100);
    for (const chunk of chunks) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(100);
    expect(chunks.join(' ')).toBe(text.replace(/\s+/g, ' ').trim());
    expect(chunks[0]!.endsWith(',')).toBe(true);
  });

  it('cuts a single endless word between characters, never inside one', () => {
    const word = 'ü'.repeat(120);
    const chunks = commentaryChunks(word, 50);
    expect(chunks.join('')).toBe(word);
    for (const chunk of chunks) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(50);
  });
});

describe('the GPT-Live URL', () => {
  it('follows OPENAI_BASE_URL: https becomes wss, http becomes ws, with no query string', () => {
    expect(liveSessionsUrl('https://api.openai.com/v1')).toBe('wss://api.openai.com/v1/live/sessions');
    expect(liveSessionsUrl('http://127.0.0.1:4010/v1/')).toBe('ws://127.0.0.1:4010/v1/live/sessions');
  });
});

describe('voiced speech', () => {
  afterEach(() => vi.useRealTimers());

  function track(): { voiced: VoicedSpeech; log: string[] } {
    vi.useFakeTimers();
    let own = 0;
    const log: string[] = [];
    const voiced = new VoicedSpeech({
      pauseMs: 100,
      maxStretchMs: 1_000,
      newSpeechId: () => `own-${(own += 1)}`,
      onOwnSpeech: (id) => log.push(`own ${id}`),
      onAudio: (id) => log.push(`audio ${id}`),
      onDone: (id, outcome) => log.push(`done ${id} ${outcome}`),
      now: () => Date.now(),
    });
    return { voiced, log };
  }

  /** base64 of `ms` milliseconds of μ-law. */
  const audio = (ms: number): string => Buffer.alloc(ms * 8).toString('base64');

  it('gives a stretch of audio to the oldest speech waiting, and ends it when the voice pauses', () => {
    const { voiced, log } = track();
    voiced.expect('greeting');
    voiced.audio(audio(40));
    voiced.audio(audio(40));
    vi.advanceTimersByTime(150);
    expect(log).toEqual(['audio greeting', 'audio greeting', 'done greeting completed']);
  });

  it('counts speech sent during a stretch as said in it, when the voice runs on without a pause', () => {
    const { voiced, log } = track();
    voiced.expect('first');
    voiced.audio(audio(40));
    vi.advanceTimersByTime(10);
    voiced.expect('second');
    vi.advanceTimersByTime(10);
    voiced.audio(audio(40));
    vi.advanceTimersByTime(150);
    expect(log).toEqual(['audio first', 'audio first', 'done first completed', 'done second completed']);
  });

  it('announces audio nobody asked for as the engine\'s own speech', () => {
    const { voiced, log } = track();
    voiced.audio(audio(40));
    vi.advanceTimersByTime(150);
    voiced.expect('answer');
    voiced.audio(audio(40));
    expect(log).toEqual(['own own-1', 'audio own-1', 'done own-1 completed', 'audio answer']);
  });

  it('cuts a long stretch so marks keep coming, handing the rest to the next speech waiting', () => {
    const { voiced, log } = track();
    voiced.expect('first');
    voiced.expect('second');
    for (let index = 0; index < 6; index += 1) voiced.audio(audio(200));
    expect(log.filter((line) => line.startsWith('done'))).toEqual(['done first completed']);
    expect(log.at(-1)).toBe('audio second');
  });

  it('reports dropped speech with its outcome, and nothing once closed', () => {
    const { voiced, log } = track();
    voiced.expect('old');
    voiced.expect('kept');
    voiced.drop(new Set(['old']), 'cancelled');
    expect(voiced.isWaiting('old')).toBe(false);
    voiced.close();
    voiced.audio(audio(40));
    vi.advanceTimersByTime(150);
    expect(log).toEqual(['done old cancelled']);
  });
});
