import { describe, expect, it } from 'vitest';
import { cleanForSpeech, SentenceSplitter } from '../../src/call/sentence-splitter.js';

function split(deltas: string[]): string[] {
  const splitter = new SentenceSplitter();
  const sentences = deltas.flatMap((delta) => splitter.push(delta));
  const rest = splitter.flush();
  return rest ? [...sentences, rest] : sentences;
}

describe('cutting a streamed reply into sentences', () => {
  it('gives each sentence as soon as the next one begins', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('Sure')).toEqual([]);
    expect(splitter.push('! Your order')).toEqual(['Sure!']);
    expect(splitter.push(' ships today.')).toEqual([]);
    expect(splitter.push(' Anything')).toEqual(['Your order ships today.']);
    expect(splitter.flush()).toBe('Anything');
  });

  it('does not cut after abbreviations, initials, decimals or list numbers', () => {
    expect(split(['Dr. Smith and J. Doe paid 3.50 dollars, e.g. by card. Done.'])).toEqual([
      'Dr. Smith and J. Doe paid 3.50 dollars, e.g. by card.',
      'Done.',
    ]);
    expect(split(['Steps:\n1. Open the app.\n2. Tap pay.'])).toEqual(['Steps:', 'Open the app.', 'Tap pay.']);
  });

  it('keeps closing quotes and repeated marks with their sentence', () => {
    expect(split(['He said "yes." Really?! Ok…', ' bye'])).toEqual(['He said "yes."', 'Really?!', 'Ok…', 'bye']);
  });

  it('cuts a very long run-on sentence at a comma', () => {
    const long = `${'word '.repeat(30)}then, ${'more '.repeat(30)}`;
    const sentences = split([long]);
    expect(sentences.length).toBeGreaterThan(1);
    expect(sentences[0]).toMatch(/then,$/);
  });

  it('gives nothing for an empty reply', () => {
    expect(split(['', '  '])).toEqual([]);
  });
});

describe('text for speech', () => {
  it('drops markdown that would be read aloud', () => {
    expect(cleanForSpeech('**Note:** see [our site](https://x.test) for `details`')).toBe('Note: see our site for details');
    expect(cleanForSpeech('- first item')).toBe('first item');
  });
});
