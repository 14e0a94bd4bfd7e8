// How a value may be written in a .env file so that dotenv reads back exactly that value.
// dotenv's rules (its `parse`): an unquoted value ends at the first `#` and is trimmed; a quoted value keeps
// everything between its quotes, may span lines, and has no escapes except `\n` and `\r` inside double quotes.

export type QuoteStyle = '"' | "'" | '`';

/** Values safe to leave bare in any .env reader, shells included (`source .env`). */
const PLAIN_VALUE = /^[\w.:/@+,%~=-]*$/;

/** True when the value reads back unchanged without quotes under dotenv's rules. */
export function canWriteUnquoted(value: string): boolean {
  if (value === '') return true;
  if (/[#\r\n\u2028\u2029]/.test(value)) return false;
  if (value !== value.trim()) return false;
  // A leading quote would start a quoted value, which may run on into the lines below.
  return !/^['"`]/.test(value);
}

/** The value in the given quotes, or undefined when those quotes cannot hold it. */
export function quoteValue(value: string, quote: QuoteStyle): string | undefined {
  if (value.includes(quote)) return undefined;
  // A backslash before the closing quote would read as an escaped quote.
  if (value.endsWith('\\')) return undefined;
  if (/[\u2028\u2029]/.test(value)) return undefined;
  if (quote === '"') {
    // Inside double quotes dotenv turns the two characters `\n` into a line break: a literal `\n` cannot survive.
    if (/\\[nr]/.test(value)) return undefined;
    return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  }
  // Single quotes and backticks keep line breaks as they are (a multi-line value); a CR would be turned into LF.
  if (value.includes('\r')) return undefined;
  return `${quote}${value}${quote}`;
}

/**
 * Every way to write the value, best first: the style the line already used (when it can hold the value), then bare
 * for plain values, then double, single and backtick quotes. The editor keeps the first one dotenv reads back exactly.
 */
export function valueRenderings(value: string, preferred?: QuoteStyle | null): string[] {
  const renderings: string[] = [];
  const add = (rendering: string | undefined): void => {
    if (rendering !== undefined && !renderings.includes(rendering)) renderings.push(rendering);
  };
  if (preferred) add(quoteValue(value, preferred));
  if (preferred === null && canWriteUnquoted(value)) add(value);
  if (PLAIN_VALUE.test(value)) add(value);
  add(quoteValue(value, '"'));
  add(quoteValue(value, "'"));
  add(quoteValue(value, '`'));
  if (canWriteUnquoted(value)) add(value);
  return renderings;
}
