// Turns an error thrown by the twilio client into what went wrong and what to do, for the doctor's Twilio checks.
// twilio-node throws a RestException ({ status, code, message, moreInfo }) for an answer, and axios' error otherwise.
import { DEFAULT_TWILIO_API_BASE_URL } from '../config/defaults.js';

/** The settings an explanation of a Twilio failure names: where requests went. */
export interface TwilioSettings {
  twilio: { apiBaseURL: string };
}

export type TwilioFailureKind =
  | 'authenticate'
  | 'forbidden'
  | 'not-found'
  | 'rate-limit'
  | 'server'
  | 'other-status'
  | 'refused'
  | 'unknown-host'
  | 'timeout'
  | 'tls'
  | 'network'
  /** Something answered, but not the Twilio API: an error without Twilio's error code, or a body that is not JSON. */
  | 'not-twilio';

export interface TwilioFailure {
  kind: TwilioFailureKind;
  status?: number;
  /** Twilio's error code (20003, 20404, …). */
  code?: number;
  /** Twilio's own message, or the network error's. */
  message: string;
  moreInfo?: string;
}

export function describeTwilioError(error: unknown): TwilioFailure {
  const candidate = error as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown };
  const message = typeof candidate?.message === 'string' ? candidate.message : String(error);
  if (typeof candidate?.status === 'number') {
    const status = candidate.status;
    const code = typeof candidate.code === 'number' ? candidate.code : undefined;
    const moreInfo = typeof candidate.moreInfo === 'string' ? candidate.moreInfo : undefined;
    const base = { status, message, ...(code !== undefined ? { code } : {}), ...(moreInfo ? { moreInfo } : {}) };
    // Twilio's own 401, 403 and 404 always carry its error code (20003, 20403, 20404): without one, another server
    // answered, and calling it "bad credentials" or "no such account" would send the user after the wrong thing.
    if (code === undefined && (status === 401 || status === 403 || status === 404)) {
      return { kind: 'not-twilio', status, message: `it answered ${status} without Twilio's error code` };
    }
    if (status === 401) return { kind: 'authenticate', ...base };
    if (status === 403) return { kind: 'forbidden', ...base };
    if (status === 404) return { kind: 'not-found', ...base };
    if (status === 429) return { kind: 'rate-limit', ...base };
    if (status >= 500) return { kind: 'server', ...base };
    return { kind: 'other-status', ...base };
  }
  if (error instanceof SyntaxError) return { kind: 'not-twilio', message: 'its answer is not JSON' };
  const code = typeof candidate?.code === 'string' ? candidate.code : (error as { cause?: { code?: string } })?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return { kind: 'refused', message: 'connection refused' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'unknown-host', message: 'the host name does not resolve' };
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
      return { kind: 'timeout', message: 'no answer in time' };
    default:
      if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return { kind: 'tls', message: `TLS certificate problem (${code})` };
      return { kind: 'network', message: code ? `${message} (${code})` : message };
  }
}

/** "401, error 20003 Authenticate" — the status and Twilio's code, as a user would search for them. */
export function twilioErrorLabel(failure: TwilioFailure): string {
  const parts = [failure.status !== undefined ? String(failure.status) : undefined, failure.code !== undefined ? `error ${failure.code}` : undefined];
  return parts.filter(Boolean).join(', ');
}

export function isNetworkFailure(failure: TwilioFailure): boolean {
  return failure.status === undefined && failure.kind !== 'not-twilio';
}

/** The summary and fix for a failure that is not about the credentials themselves (network, outage, rate limit). */
export function genericTwilioFailure(failure: TwilioFailure, config: TwilioSettings): { summary: string; fix: string } {
  const base = config.twilio.apiBaseURL;
  const custom = base !== DEFAULT_TWILIO_API_BASE_URL;
  if (failure.kind === 'not-twilio') {
    return {
      summary: `${custom ? `TWILIO_API_BASE_URL (${base})` : base} answers, but not as the Twilio API: ${failure.message}`,
      fix: custom
        ? `Point TWILIO_API_BASE_URL at the Twilio API, or remove it to use ${DEFAULT_TWILIO_API_BASE_URL}; then run the doctor again.`
        : 'Something between this machine and api.twilio.com answered instead of Twilio (a proxy or captive portal): check HTTPS_PROXY and your network, then run the doctor again.',
    };
  }
  if (isNetworkFailure(failure)) {
    return {
      summary: `could not reach the Twilio API at ${base}: ${failure.message}`,
      fix: custom
        ? `TWILIO_API_BASE_URL is set to ${base}; check it (or remove it to use ${DEFAULT_TWILIO_API_BASE_URL}), then run the doctor again.`
        : 'Check this machine’s internet connection (and any proxy or firewall in the way of api.twilio.com), then run the doctor again.',
    };
  }
  if (failure.kind === 'rate-limit') {
    return {
      summary: `Twilio is rate-limiting these credentials (${twilioErrorLabel(failure)}): ${failure.message}`,
      fix: 'Wait a minute and run the doctor again; if it persists, another program is using the same credentials heavily.',
    };
  }
  if (failure.kind === 'server') {
    return {
      summary: `the Twilio API had a problem (${twilioErrorLabel(failure)}): ${failure.message}`,
      fix: 'This is on Twilio’s side: check https://status.twilio.com and run the doctor again later.',
    };
  }
  return {
    summary: `Twilio answered ${twilioErrorLabel(failure)}: ${failure.message}`,
    fix: failure.moreInfo ? `See ${failure.moreInfo} for what this error means.` : 'Run the doctor again; if it persists, check https://status.twilio.com.',
  };
}
