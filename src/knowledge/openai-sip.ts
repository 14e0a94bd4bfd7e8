// OpenAI's SIP side, as plain facts: the formats of the project ID and the webhook secret, the SIP address a trunk
// sends calls to, and the webhook event each voice engine is offered a call with. Checked before any network call.

/** Where a Twilio trunk sends calls for OpenAI to answer; regional hosts (sip-eu…) reach the same project. */
export const OPENAI_SIP_HOST = 'sip.api.openai.com';
const OPENAI_SIP_HOSTS = /^sip(?:-[a-z0-9]+)?\.api\.openai\.com$/i;

export const PROJECT_ID = /^proj_[A-Za-z0-9]{8,64}$/;
/** Standard Webhooks: `whsec_` and the base64 of the key. */
export const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/;

/** Realtime is offered a SIP call as realtime.call.incoming; GPT-Live as live.transport.incoming. */
export function sipWebhookEvent(engine: 'realtime' | 'live'): string {
  return engine === 'live' ? 'live.transport.incoming' : 'realtime.call.incoming';
}

/** Explains why a value is not an OpenAI project ID, or returns undefined when it is one. Never repeats the value. */
export function projectIdProblem(value: string): string | undefined {
  if (PROJECT_ID.test(value)) return undefined;
  if (value !== value.trim()) return 'has spaces around it';
  if (/^['"]|['"]$/.test(value)) return 'is wrapped in quotes that became part of the value';
  if (value.startsWith('sk-')) return 'is an API key, not a project ID: project IDs start with proj_ (Settings > Project > General)';
  if (value.startsWith('org-')) return 'is an organization ID (org-…), not a project ID (proj_…)';
  if (value.startsWith('proj-')) return 'starts with proj- but project IDs start with proj_ (an underscore)';
  if (value.startsWith('proj_')) return 'should be proj_ followed by letters and digits only';
  return 'should start with proj_ (the project ID from Settings > Project > General on platform.openai.com)';
}

/** Explains why a value is not a webhook signing secret, or returns undefined when it is one. Never repeats the value. */
export function webhookSecretProblem(value: string): string | undefined {
  if (WEBHOOK_SECRET.test(value)) return undefined;
  if (value !== value.trim()) return 'has spaces around it';
  if (/^['"]|['"]$/.test(value)) return 'is wrapped in quotes that became part of the value';
  if (value.startsWith('sk-')) return 'is an API key, not a webhook signing secret (whsec_…)';
  if (value.startsWith('whsec_')) return 'should be whsec_ followed by base64 (letters, digits, + and /): part of it seems to be missing or altered';
  if (/^[A-Za-z0-9+/]{16,}={0,2}$/.test(value)) return 'lacks the whsec_ prefix: copy the whole secret, whsec_ included';
  return 'should start with whsec_ (the signing secret shown once when the webhook endpoint is created)';
}

/** The SIP URI a Twilio trunk's origination URL must hold to send calls to this project. */
export function openAISipUri(projectId: string): string {
  return `sip:${projectId}@${OPENAI_SIP_HOST};transport=tls`;
}

export interface OpenAISipAddress {
  projectId: string;
  host: string;
  /** transport=tls: signalling over TLS, which secure media (SRTP) needs. */
  tls: boolean;
}

/** The project and host of an OpenAI SIP URI (sip:proj_…@sip.api.openai.com;transport=tls), or undefined. */
export function parseOpenAISipUri(uri: string): OpenAISipAddress | undefined {
  const match = /^sips?:([^@;\s]+)@([^;:\s]+)(?::\d+)?((?:;[^;\s]*)*)$/i.exec(uri.trim());
  if (!match || !OPENAI_SIP_HOSTS.test(match[2]!)) return undefined;
  const parameters = match[3]!.toLowerCase().split(';');
  return { projectId: match[1]!, host: match[2]!.toLowerCase(), tls: uri.trim().toLowerCase().startsWith('sips:') || parameters.includes('transport=tls') };
}
