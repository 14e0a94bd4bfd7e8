// Cuts the agent's streamed reply into sentences as it arrives, so each one is spoken as soon as it is complete
// while the rest is still being generated. A sentence ends at . ! ? … followed by a space or a line break; not
// after common abbreviations, initials or numbers. Very long stretches without an end are cut at a comma.

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'etc', 'e.g', 'i.e', 'approx', 'no', 'dept', 'inc', 'ltd', 'co',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'a.m', 'p.m',
]);

/** Past this many characters without a sentence end, a clause end (, ; :) is good enough. */
const LONG_SENTENCE = 220;

export class SentenceSplitter {
  private buffer = '';

  /** Adds a piece of the reply; returns the sentences it completed, in order. */
  push(delta: string): string[] {
    this.buffer += delta;
    const sentences: string[] = [];
    for (;;) {
      const end = findSentenceEnd(this.buffer);
      if (end < 0) break;
      const sentence = cleanForSpeech(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end);
      if (sentence !== '') sentences.push(sentence);
    }
    return sentences;
  }

  /** The rest of the reply once the stream has ended, if any. */
  flush(): string | undefined {
    const rest = cleanForSpeech(this.buffer);
    this.buffer = '';
    return rest === '' ? undefined : rest;
  }
}

/** Index just past the first complete sentence in `text` (its trailing space excluded), or -1. */
function findSentenceEnd(text: string): number {
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (char === '\n') {
      if (text.slice(0, index).trim() !== '') return index + 1;
      continue;
    }
    if (char !== '.' && char !== '!' && char !== '?' && char !== '…') continue;
    // Include closing quotes and brackets that belong to the sentence: He said "yes."
    let end = index + 1;
    while (end < text.length && /["'”’)\]]/.test(text[end]!)) end += 1;
    // Repeated marks ("?!", "...") stay together.
    while (end < text.length && /[.!?…]/.test(text[end]!)) end += 1;
    if (end >= text.length) return -1; // cannot tell yet: "3." may become "3.5"
    if (!/\s/.test(text[end]!)) {
      index = end - 1;
      continue;
    }
    if (char === '.' && isAbbreviation(text.slice(0, index))) continue;
    return end;
  }
  if (text.length > LONG_SENTENCE) {
    const clause = Math.max(text.lastIndexOf(', ', LONG_SENTENCE), text.lastIndexOf('; ', LONG_SENTENCE), text.lastIndexOf(': ', LONG_SENTENCE));
    if (clause > 40) return clause + 1;
  }
  return -1;
}

function isAbbreviation(before: string): boolean {
  const word = /([A-Za-z.]+)$/.exec(before)?.[1];
  if (/(^|\n)\s*\d{1,3}$/.test(before)) return true; // a list marker: "1. First"
  if (!word) return false;
  if (word.length === 1 && /[A-Z]/.test(word)) return true; // an initial: "J. Smith"
  if (/^(?:[A-Za-z]\.)+[A-Za-z]$/.test(word)) return true; // "U.S", "e.g"
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** Markdown and list syntax read badly aloud: "**Note**" → "Note", "- item" → "item". */
export function cleanForSpeech(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/[*_`#]+/g, '')
    .replace(/^\s*(?:[-•]|\d+[.)])\s+/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}
