// Values that carry quotes or spaces the user never meant: `ASSISTANT_ID=" agent_123 "` (dotenv keeps the spaces
// inside the quotes), `OPENAI_API_KEY='"sk-…"'` (the inner quotes become part of the key), `TWILIO_PHONE_NUMBER=+1…"`.
// Only variables holding a single token (an ID, key, token, number, URL, path, model name) are judged: a space or
// quote at either end of those is always a mistake. GREETING is a sentence and may well start with a quote.
import { ENV_KEYS, type Config, type EnvKey } from '../../config/config.js';
import { effectiveEntry, type EnvDocument } from '../../config/env-document.js';

export const TOKEN_KEYS: readonly EnvKey[] = ENV_KEYS.filter((key) => key !== 'GREETING');

const QUOTE_CHARACTERS = `'"\`“”‘’`;
const EDGE = new RegExp(`^[\\s${QUOTE_CHARACTERS}]+|[\\s${QUOTE_CHARACTERS}]+$`, 'gu');

/** The value without the spaces and quote characters around it. */
export function withoutStrayQuotes(value: string): string {
  return value.replace(EDGE, '');
}

export interface StrayValue {
  key: EnvKey;
  /** The line of the entry dotenv uses. */
  line: number;
  /** What is wrong, without the value: "is wrapped in quotes that become part of the value". */
  problem: string;
  clean: string;
}

function describe(value: string): string {
  const trimmed = value.trim();
  const first = trimmed[0] ?? '';
  const last = trimmed.at(-1) ?? '';
  const isQuote = (char: string) => char !== '' && QUOTE_CHARACTERS.includes(char);
  const problems: string[] = [];
  if (trimmed.length > 1 && isQuote(first) && isQuote(last)) problems.push('is wrapped in quotes that become part of the value');
  else if (isQuote(first) || isQuote(last)) problems.push('has a stray quote that becomes part of the value');
  if (trimmed !== value) problems.push('has spaces around it (inside the quotes) that become part of the value');
  return problems.join(', and ');
}

/**
 * The token values in the file that carry stray quotes or spaces. A variable the shell sets is left out: the file's
 * value is not the one used, and the shell is not ours to edit.
 */
export function findStrayValues(document: EnvDocument, sources: Config['sources']): StrayValue[] {
  const found: StrayValue[] = [];
  for (const key of TOKEN_KEYS) {
    if (sources[key] === 'process') continue;
    const entry = effectiveEntry(document, key);
    if (!entry) continue;
    const clean = withoutStrayQuotes(entry.value);
    if (clean === entry.value || clean === '') continue;
    found.push({ key, line: entry.line, problem: describe(entry.value), clean });
  }
  return found;
}
