// Recognises values copied from an example and never filled in: `your_api_key`, `xxx`, `changeme`, `<token>`, `...`.
// Tuned so that a real random key is never taken for one (a run of five x's in a real key is a one-in-a-million event).
import { cleanId } from '../knowledge/openai-ids.js';

const PLACEHOLDERS: RegExp[] = [
  /^your\b|^your[_-]|[_\-./]your[_\-.]|your[_-]?(?:own[_-]?)?(?:api|openai|twilio|account|auth|token|sid|key|secret|phone|number|assistant|agent|id|url|domain|server|ngrok|tunnel|app|host|subdomain)/i,
  /(?:^|[^a-z0-9])x{3,}(?:[^a-z0-9]|$)/i,
  /x{5,}/i,
  /change[_-]?me|replace[_-]?(?:me|this|with)|fill[_-]?(?:me|in)/i,
  /^<.*>$|<[^>]+>/,
  /\.\.\.|…/,
  /^(?:todo|tbd|placeholder|none|null|undefined|n\/a|secret|token|key|id)$/i,
  /(?:^|[./])example\.(?:com|org|net)(?:[:/]|$)/i,
];

/** True when the value (as written, quotes and spaces allowed) is a placeholder rather than a real value. */
export function isPlaceholder(raw: string): boolean {
  const value = cleanId(raw);
  return PLACEHOLDERS.some((pattern) => pattern.test(value));
}
