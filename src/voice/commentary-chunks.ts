// Cuts text for GPT-Live's `session.commentary.append`, which takes at most 500 tokens a message. A token is never
// shorter than one byte, so pieces of at most 500 UTF-8 bytes are within the limit whatever the language; they are cut
// at clause breaks, then between words, and only inside a word (never inside a character) when a word alone is longer.

export const MAX_COMMENTARY_BYTES = 500;

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The text in pieces of at most `maxBytes` UTF-8 bytes each, in order; whitespace-only text gives none. */
export function commentaryChunks(text: string, maxBytes = MAX_COMMENTARY_BYTES): string[] {
  const whole = text.replace(/\s+/g, ' ').trim();
  if (whole === '') return [];
  if (byteLength(whole) <= maxBytes) return [whole];
  const chunks: string[] = [];
  let current = '';
  const flush = (): void => {
    if (current.trim() !== '') chunks.push(current.trim());
    current = '';
  };
  // Clause breaks first (after , ; : — and sentence ends), then words.
  for (const clause of whole.match(/[^,;:.!?—]+[,;:.!?—]*\s*/g) ?? [whole]) {
    if (byteLength(current + clause) <= maxBytes) {
      current += clause;
      continue;
    }
    flush();
    if (byteLength(clause) <= maxBytes) {
      current = clause;
      continue;
    }
    for (const word of clause.match(/\S+\s*/g) ?? []) {
      if (byteLength(current + word) <= maxBytes) {
        current += word;
        continue;
      }
      flush();
      for (const character of word) {
        if (byteLength(current + character) > maxBytes) flush();
        current += character;
      }
    }
  }
  flush();
  return chunks;
}
