// Spots variables named the way other tutorials and tools name them (TWILIO_SID, OPENAI_KEY, NGROK_URL…), or
// misspelled, which voicebridge never reads: the value is in the file, yet the doctor reports it missing.
import { ENV_KEYS, type EnvKey } from '../config/config.js';

/** Names other projects use for the same values. */
const ALIASES: Record<string, EnvKey> = {
  OPENAI_KEY: 'OPENAI_API_KEY',
  OPENAI_TOKEN: 'OPENAI_API_KEY',
  OPENAI_API_TOKEN: 'OPENAI_API_KEY',
  OPENAI_SECRET_KEY: 'OPENAI_API_KEY',
  OPENAI_ASSISTANT_ID: 'ASSISTANT_ID',
  OPENAI_AGENT_ID: 'ASSISTANT_ID',
  AGENT_ID: 'ASSISTANT_ID',
  WORKFLOW_ID: 'ASSISTANT_ID',
  TWILIO_SID: 'TWILIO_ACCOUNT_SID',
  TWILIO_ACCOUNT_ID: 'TWILIO_ACCOUNT_SID',
  ACCOUNT_SID: 'TWILIO_ACCOUNT_SID',
  TWILIO_TOKEN: 'TWILIO_AUTH_TOKEN',
  AUTH_TOKEN: 'TWILIO_AUTH_TOKEN',
  TWILIO_API_KEY_SID: 'TWILIO_API_KEY',
  TWILIO_API_KEY_SECRET: 'TWILIO_API_SECRET',
  TWILIO_NUMBER: 'TWILIO_PHONE_NUMBER',
  TWILIO_PHONE: 'TWILIO_PHONE_NUMBER',
  TWILIO_FROM_NUMBER: 'TWILIO_PHONE_NUMBER',
  TWILIO_CALLER_ID: 'TWILIO_PHONE_NUMBER',
  PHONE_NUMBER: 'TWILIO_PHONE_NUMBER',
  PUBLIC_URL: 'WEBHOOK_URL',
  PUBLIC_BASE_URL: 'WEBHOOK_URL',
  NGROK_URL: 'WEBHOOK_URL',
  SERVER_URL: 'WEBHOOK_URL',
  BASE_URL: 'WEBHOOK_URL',
  WEBHOOK_BASE_URL: 'WEBHOOK_URL',
  REALTIME_MODEL: 'OPENAI_REALTIME_MODEL',
};

/** The variable voicebridge reads that `key` was probably meant to be, or undefined. */
export function intendedVariable(key: string): EnvKey | undefined {
  if ((ENV_KEYS as readonly string[]).includes(key)) return undefined;
  const upper = key.toUpperCase();
  if ((ENV_KEYS as readonly string[]).includes(upper)) return upper as EnvKey;
  const alias = ALIASES[upper];
  if (alias) return alias;
  if (upper.length < 6) return undefined;
  let best: { key: EnvKey; distance: number } | undefined;
  for (const known of ENV_KEYS) {
    const distance = editDistance(upper, known);
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
