// The outbound API key: VOICEBRIDGE_API_KEY lets whoever holds it make this number call anyone allowed, so it must be
// long and random. Unset is fine: serve then has no calls API at all. Offline; the key is never shown.
import type { Check, CheckResult } from '../check.js';
import { isPlaceholder } from '../placeholder-values.js';

/** Shorter keys are refused: 32 random characters is what `openssl rand -hex 16` gives. */
export const MIN_API_KEY_LENGTH = 32;
/** A key of few different characters ("aaaa…", "12121212…") is guessable whatever its length. */
const MIN_DISTINCT_CHARACTERS = 10;
const MAKE_ONE = 'Put a long random key in .env, e.g. the output of: openssl rand -hex 32 (VOICEBRIDGE_API_KEY=…), then restart serve.';

export const outboundApiKeyCheck: Check = {
  id: 'outbound-api-key',
  title: 'Outbound API key',
  run: async ({ config }) => judgeApiKey(config.outbound.apiKey),
};

export function judgeApiKey(key: string | undefined): CheckResult {
  if (key === undefined) {
    return { status: 'ok', summary: 'VOICEBRIDGE_API_KEY is not set (optional): serve places no calls (no POST /calls, no voicebridge dial)' };
  }
  if (isPlaceholder(key)) return { status: 'fail', summary: 'VOICEBRIDGE_API_KEY still holds an example value', fix: MAKE_ONE };
  if (key.length < MIN_API_KEY_LENGTH) {
    return { status: 'fail', summary: `VOICEBRIDGE_API_KEY is ${key.length} characters: too short for a key that places calls (at least ${MIN_API_KEY_LENGTH})`, fix: MAKE_ONE };
  }
  if (new Set(key).size < MIN_DISTINCT_CHARACTERS) {
    return { status: 'fail', summary: `VOICEBRIDGE_API_KEY uses only ${new Set(key).size} different characters: it is not random enough to guess-proof`, fix: MAKE_ONE };
  }
  if (/\s/.test(key)) return { status: 'fail', summary: 'VOICEBRIDGE_API_KEY contains spaces: it cannot be sent as a bearer token', fix: MAKE_ONE };
  return { status: 'ok', summary: `VOICEBRIDGE_API_KEY is set (${key.length} characters): POST /calls and voicebridge dial can place calls` };
}
