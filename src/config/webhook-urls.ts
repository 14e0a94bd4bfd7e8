// The URLs derived from WEBHOOK_URL: where Twilio sends a call, where OpenAI sends SIP webhooks and where a running
// server answers health checks.
// One place, so the doctor, `doctor --fix` and `serve` can never disagree about a path.

export const INCOMING_CALL_PATH = '/incoming-call';
export const HEALTHZ_PATH = '/healthz';

/** WEBHOOK_URL without surrounding spaces or trailing slashes, so paths join with exactly one slash. */
export function webhookBase(webhookUrl: string): string {
  return webhookUrl.trim().replace(/\/+$/, '');
}

/** The voice URL a Twilio number must have: WEBHOOK_URL + /incoming-call. */
export function incomingCallUrl(webhookUrl: string): string {
  return `${webhookBase(webhookUrl)}${INCOMING_CALL_PATH}`;
}

export function healthzUrl(webhookUrl: string): string {
  return `${webhookBase(webhookUrl)}${HEALTHZ_PATH}`;
}

/** Where OpenAI sends SIP call webhooks (TRANSPORT=sip). */
export const OPENAI_WEBHOOK_PATH = '/openai-webhook';

/** The URL an OpenAI webhook endpoint must have for serve to be told of SIP calls: WEBHOOK_URL + /openai-webhook. */
export function openAIWebhookUrl(webhookUrl: string): string {
  return `${webhookBase(webhookUrl)}${OPENAI_WEBHOOK_PATH}`;
}
