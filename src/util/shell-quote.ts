// A path or word as a POSIX shell reads it back: bare when it holds only safe characters, else in single quotes.
export function shellQuote(word: string): string {
  return /^[\w./:@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
