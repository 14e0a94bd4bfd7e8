// Finds every secret a .env holds, whatever line it is on: a key pasted under the wrong name (ASSISTANT_ID=sk-…),
// an older key or token left commented out, a duplicate line dotenv does not use. Whatever shows lines of the file
// masks all of them, not only the values the configuration ends up using.
import { AUTH_TOKEN } from '../knowledge/twilio-ids.js';
import { classifyOpenAIKey, cleanId } from '../knowledge/openai-ids.js';
import { parseEnvDocument, type EnvDocument } from './env-document.js';

/** Variables whose value is a secret whatever it looks like: no shape gives away an HMAC key such as TOOLS_SECRET. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['TOOLS_SECRET']);

/** An OpenAI key standing anywhere in a line, e.g. in a comment's prose. */
const OPENAI_KEY_RUN = /(?<![\w-])sk-[\w-]{8,}/g;

/** An OpenAI API key, or a Twilio auth token or API secret (32 letters and digits, never one kind alone). */
function isSecret(value: string): boolean {
  if (value.startsWith('sk-')) return classifyOpenAIKey(value).kind !== 'invalid';
  return AUTH_TOKEN.test(value) && /[a-zA-Z]/.test(value) && /\d/.test(value);
}

/** The value of each line read as an assignment, a commented-out one (`# TWILIO_AUTH_TOKEN=…`) included. */
function assignedValues(document: EnvDocument): { key: string; value: string }[] {
  const values: { key: string; value: string }[] = [];
  for (const node of document.nodes) {
    if (node.kind === 'entry') values.push({ key: node.key, value: node.value });
    else if (node.kind === 'comment' || node.kind === 'other') {
      const inner = parseEnvDocument(node.text.replace(/^\s*#+\s*/, ''));
      for (const entry of inner.nodes) if (entry.kind === 'entry') values.push({ key: entry.key, value: entry.value });
    }
  }
  return values;
}

/** Every OpenAI API key, Twilio auth token or API secret, and TOOLS_SECRET value in the file, on any line. */
export function secretsInEnvDocument(document: EnvDocument): string[] {
  const found = new Set<string>();
  for (const { key, value } of assignedValues(document)) {
    const clean = cleanId(value);
    if (isSecret(clean) || (SECRET_VARIABLES.has(key) && clean.length >= 8)) found.add(clean);
  }
  for (const node of document.nodes) for (const run of node.text.match(OPENAI_KEY_RUN) ?? []) found.add(run);
  return [...found];
}
