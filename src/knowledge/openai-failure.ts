// Turns an error thrown by the OpenAI SDK into what went wrong and what to do, for the doctor's OpenAI checks.
// One place decides "bad key" vs "no quota" vs "wrong base URL", so every check words them the same way.
import { DEFAULT_OPENAI_BASE_URL } from '../config/defaults.js';
import { maskSecret } from '../util/mask-secret.js';

/** The settings an explanation of an OpenAI failure names: where requests went, and with which key. */
export interface OpenAISettings {
  openai: { baseURL: string; apiKey?: string | undefined };
}

export type OpenAIFailureKind =
  | 'bad-key'
  | 'wrong-organization'
  | 'missing-scopes'
  | 'permission-denied'
  | 'quota'
  | 'rate-limit'
  | 'not-found'
  | 'bad-request'
  | 'server'
  | 'other-status'
  | 'refused'
  | 'unknown-host'
  | 'timeout'
  | 'tls'
  | 'network'
  | 'aborted'
  | 'not-openai';

export interface OpenAIFailure {
  kind: OpenAIFailureKind;
  status?: number;
  code?: string;
  /** OpenAI's own message, or the network error's. */
  message: string;
  /** Seconds, from the Retry-After header of a 429. */
  retryAfterSeconds?: number;
}

/** 429 codes that mean "no money left": retrying never helps. */
const BILLING_CODES = new Set(['insufficient_quota', 'credit_balance_exhausted', 'project_spend_limit_exceeded', 'billing_hard_limit_reached', 'billing_not_active']);
const TLS_CODES = /^(CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_|ERR_SSL_|EPROTO)/;

interface ApiErrorLike {
  status?: unknown;
  code?: unknown;
  type?: unknown;
  error?: unknown;
  headers?: { get(name: string): string | null };
  message?: unknown;
}

/** The system error codes (ECONNREFUSED, ENOTFOUND, …) anywhere in an error's cause chain. */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth += 1) {
    const value = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof value.code === 'string') codes.push(value.code);
    if (Array.isArray(value.errors)) codes.push(...value.errors.flatMap((inner) => causeCodes(inner)));
    current = value.cause;
  }
  return codes;
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; current && depth < 6; depth += 1) {
    if (current instanceof Error && current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

/** Classifies an error from the OpenAI SDK (or from reading its answer) by what the user has to do about it. */
export async function classifyOpenAIError(error: unknown): Promise<OpenAIFailure> {
  const sdk = await import('openai');
  if (error instanceof sdk.APIUserAbortError) return { kind: 'aborted', message: 'the request was cancelled' };
  if (error instanceof sdk.APIConnectionTimeoutError) return { kind: 'timeout', message: 'the request timed out' };
  if (error instanceof sdk.APIConnectionError) {
    const codes = causeCodes(error);
    const message = innermostMessage(error);
    if (codes.includes('ECONNREFUSED')) return { kind: 'refused', code: 'ECONNREFUSED', message };
    const dns = codes.find((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME');
    if (dns) return { kind: 'unknown-host', code: dns, message };
    const tls = codes.find((code) => TLS_CODES.test(code));
    if (tls) return { kind: 'tls', code: tls, message };
    if (codes.some((code) => code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')) return { kind: 'timeout', message };
    return { kind: 'network', ...(codes[0] ? { code: codes[0] } : {}), message };
  }
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    const api = error as unknown as ApiErrorLike;
    const body = (api.error ?? {}) as { message?: unknown };
    const message = typeof body.message === 'string' ? body.message : error.message;
    const code = typeof api.code === 'string' ? api.code : undefined;
    const type = typeof api.type === 'string' ? api.type : undefined;
    const base = { status: error.status, ...(code ? { code } : {}), message };
    if (error.status === 401 || error.status === 403) {
      if (code === 'invalid_api_key' || /incorrect api key|didn't provide an api key/i.test(message)) return { kind: 'bad-key', ...base };
      if (code === 'mismatched_organization' || code === 'mismatched_project') return { kind: 'wrong-organization', ...base };
      if (/missing scopes|insufficient permissions/i.test(message)) return { kind: 'missing-scopes', ...base };
      return { kind: error.status === 401 ? 'bad-key' : 'permission-denied', ...base };
    }
    if (error.status === 429) {
      if ((code && BILLING_CODES.has(code)) || type === 'insufficient_quota' || /exceeded your current quota/i.test(message)) {
        return { kind: 'quota', ...base };
      }
      const retryAfter = Number(api.headers?.get('retry-after'));
      return { kind: 'rate-limit', ...base, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}) };
    }
    if (error.status === 404) return { kind: 'not-found', ...base };
    if (error.status === 400 || error.status === 422) return { kind: 'bad-request', ...base };
    if (error.status >= 500) return { kind: 'server', ...base };
    return { kind: 'other-status', ...base };
  }
  return { kind: 'network', message: innermostMessage(error) };
}

/** "OPENAI_BASE_URL (http://…)" when the user set one, "api.openai.com" otherwise: how to name where requests go. */
export function describeBaseURL(config: OpenAISettings): string {
  if (config.openai.baseURL === DEFAULT_OPENAI_BASE_URL) return 'api.openai.com';
  return `OPENAI_BASE_URL (${config.openai.baseURL})`;
}

/** The fix for a base URL that answers, but not as the OpenAI API. */
export function wrongBaseURLFix(config: OpenAISettings): string {
  const base = config.openai.baseURL;
  if (base === DEFAULT_OPENAI_BASE_URL) return 'Check that nothing (a proxy or firewall) rewrites requests to api.openai.com.';
  const suggestion = /\/v1$/.test(base) ? '' : ` The path usually ends in /v1: try OPENAI_BASE_URL=${base}/v1.`;
  return `Point OPENAI_BASE_URL at an OpenAI API, or remove it to use ${DEFAULT_OPENAI_BASE_URL}.${suggestion}`;
}

/**
 * What to tell the user when a request failed because of the key, the account or the connection — the failures
 * that are not about the object being looked up. Returns undefined for the rest (404, 400, …), which each check
 * words for itself.
 */
export function describeKeyOrConnectionFailure(
  failure: OpenAIFailure,
  config: OpenAISettings,
  timeoutMs: number,
): { status: 'fail' | 'warn'; summary: string; fix: string } | undefined {
  const key = maskSecret(config.openai.apiKey);
  const where = describeBaseURL(config);
  const codeText = failure.code ? ` ${failure.code}` : '';
  switch (failure.kind) {
    case 'bad-key':
      return {
        status: 'fail',
        summary: `OpenAI rejected the key ${key} (${failure.status ?? 401}${codeText}): it is wrong, revoked, or from another account`,
        fix: 'Create a key at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY (copy it whole: it is shown only once).',
      };
    case 'wrong-organization':
      return {
        status: 'fail',
        summary: `the key ${key} belongs to a different organization or project than the one requested (${failure.status ?? 401}${codeText})`,
        fix:
          'Unset OPENAI_ORG_ID and OPENAI_PROJECT_ID in your shell (the OpenAI SDK sends them with every request), ' +
          'or set them to the organization and project this key belongs to.',
      };
    case 'missing-scopes': {
      const scopes = /missing scopes:\s*([\w.,: -]+?)(?:\.\s|\.$|$)/i.exec(failure.message)?.[1]?.trim();
      return {
        status: 'fail',
        summary: `the key ${key} lacks a permission this needs${scopes ? ` (missing scope ${scopes})` : ''}: it is a restricted key, or your role in the project is too low`,
        fix:
          'At https://platform.openai.com/api-keys edit the key and give it "All" permissions (or at least Models: Read and ' +
          'Model capabilities: Write), or create a new key with All permissions; your project role must be Member or Owner.',
      };
    }
    case 'permission-denied':
      return {
        status: 'fail',
        summary: `OpenAI refused the key ${key} (403${codeText}): ${failure.message}`,
        fix: "Use a key from a project that has access (project Settings → Limits lists the models it may use), or ask the project's owner.",
      };
    case 'quota':
      return {
        status: 'fail',
        summary: `the key ${key} is valid, but its account has no quota left (429${codeText}): every request is refused until billing is fixed, and retrying will not help`,
        fix:
          'Add credit or raise the spend limit at https://platform.openai.com/settings/organization/billing ' +
          "(and the project's budget under Settings → Limits), then run the doctor again.",
      };
    case 'rate-limit':
      return {
        status: 'warn',
        summary: `the key ${key} is valid, but OpenAI is rate-limiting it right now (429${codeText})`,
        fix:
          `Wait ${failure.retryAfterSeconds ? `${failure.retryAfterSeconds} s` : 'a minute'} and run the doctor again. ` +
          "If it persists, something else is using this key heavily, or the project's rate limits are low (Settings → Limits).",
      };
    case 'refused':
      return {
        status: 'fail',
        summary: `nothing answers at ${where}: the connection was refused`,
        fix: `Start the server at ${config.openai.baseURL}, or fix OPENAI_BASE_URL, or remove it to use ${DEFAULT_OPENAI_BASE_URL}.`,
      };
    case 'unknown-host': {
      const host = safeHost(config.openai.baseURL);
      return {
        status: 'fail',
        summary: `the host ${host} could not be found (${failure.code ?? 'DNS lookup failed'})`,
        fix:
          config.openai.baseURL === DEFAULT_OPENAI_BASE_URL
            ? 'Check your internet connection and DNS; this machine cannot resolve api.openai.com.'
            : `Fix the host name in OPENAI_BASE_URL, or remove it to use ${DEFAULT_OPENAI_BASE_URL}.`,
      };
    }
    case 'timeout':
      return {
        status: 'fail',
        summary: `no answer from ${where} within ${timeoutMs < 1_000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`,
        fix: 'Check your internet connection, proxy and firewall (outgoing HTTPS must be allowed), and OPENAI_BASE_URL if you set it.',
      };
    case 'tls':
      return {
        status: 'fail',
        summary: `the TLS certificate of ${safeHost(config.openai.baseURL)} was not accepted (${failure.code})`,
        fix:
          'A proxy that inspects HTTPS is the usual cause: point NODE_EXTRA_CA_CERTS at its CA certificate (a .pem file), ' +
          'or check OPENAI_BASE_URL.',
      };
    case 'network':
      return {
        status: 'fail',
        summary: `could not reach ${where}: ${failure.message}`,
        fix: 'Check your internet connection and OPENAI_BASE_URL if you set it, then run the doctor again.',
      };
    case 'server':
      return {
        status: 'fail',
        summary: `${where} answered ${failure.status} (a server error): ${failure.message}`,
        fix: 'OpenAI may be having an outage: see https://status.openai.com and run the doctor again in a few minutes.',
      };
    case 'not-openai':
      return {
        status: 'fail',
        summary: `${where} answers, but not as the OpenAI API (${failure.message})`,
        fix: wrongBaseURLFix(config),
      };
    case 'aborted':
      return {
        status: 'fail',
        summary: `the request to ${where} was cancelled before it finished`,
        fix: 'Check your network connection and run the doctor again.',
      };
    default:
      return undefined;
  }
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
