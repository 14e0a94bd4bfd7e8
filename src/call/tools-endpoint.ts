// Answers the agent's own function calls during a phone call by POSTing them to the business's TOOLS_URL, signed
// with TOOLS_SECRET so that endpoint can tell the request comes from this voicebridge and was not replayed.
//
// The result is always an output the agent can use: the endpoint's JSON on success, otherwise a short error the
// agent can put into words for the caller, plus a `problem` line for the log. It never throws, so a broken endpoint
// costs the caller one apology, never the call.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { voicebridgeCommand } from '../util/invocation.js';

/** The most of a response body read: the output goes into the agent's context, and a phone answer needs little. */
export const TOOLS_RESPONSE_LIMIT_BYTES = 64 * 1024;
export const TIMESTAMP_HEADER = 'X-Voicebridge-Timestamp';
export const SIGNATURE_HEADER = 'X-Voicebridge-Signature';
/** How far a request's timestamp may be from the receiver's clock before verifyVoicebridgeSignature refuses it. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export interface ToolsEndpointOptions {
  /** TOOLS_URL. Credentials in it (https://user:pass@host/…) are sent as HTTP basic auth, never shown. */
  url: string;
  /** TOOLS_SECRET: the HMAC-SHA256 key. */
  secret: string;
  /** TOOL_TIMEOUT_MS: for the whole exchange, the response body included. */
  timeoutMs: number;
  /** The fetch to use (default: Node's global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Seconds since the epoch, for the timestamp header (default: the system clock). */
  nowSeconds?: () => number;
}

/** One function call of the agent, as the call knows it. */
export interface ToolCall {
  /** Twilio's Call SID. */
  call_sid: string;
  /** The function's name, as the agent's tools define it. */
  name: string;
  /**
   * The arguments as the model wrote them (JSON text). Sent as the parsed JSON value when it is valid JSON, which is
   * almost always an object; otherwise as the text itself, a string, so the endpoint still sees what the model meant.
   */
  arguments: string;
  /** The caller's number (Twilio's From). */
  from: string;
  /** The number called (Twilio's To). */
  to: string;
}

export type ToolsEndpointResult =
  /** `output` is the endpoint's answer as compact JSON text. */
  | { ok: true; output: string }
  /** `output` is a caller-safe `{"error":"…"}` for the agent; `problem` says what happened and what to check, for the log. */
  | { ok: false; output: string; problem: string };

/** What the agent hears when the call could not be answered: short, and nothing about how the business is set up. */
export const TOOL_FAILURE_OUTPUTS = {
  timeout: errorOutput("The business's system did not answer in time."),
  status: errorOutput("The business's system could not do this right now."),
  unreadable: errorOutput("The business's system gave an answer that could not be read."),
  unreachable: errorOutput("The business's system could not be reached."),
  cancelled: errorOutput('The request was cancelled because the call ended.'),
} as const;

function errorOutput(message: string): string {
  return JSON.stringify({ error: message });
}

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the X-Voicebridge-Signature value. */
export function signToolsRequest(secret: string, timestamp: string | number, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `v1=${hmac.digest('hex')}`;
}

/**
 * Whether a request really comes from a voicebridge holding `secret`: the signature matches the timestamp and the raw
 * body (compared in constant time), and the timestamp is within `toleranceSeconds` of `nowSeconds`, so a recorded
 * request cannot be replayed later. `header` may hold several `v1=` values separated by commas (any one may match).
 */
export function verifyVoicebridgeSignature(
  secret: string,
  timestamp: string | undefined,
  body: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (timestamp === undefined || header === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signToolsRequest(secret, timestamp, body));
  return header.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The request body: exactly call_sid, name, arguments, from and to. */
export function toolsRequestBody(call: ToolCall): string {
  return JSON.stringify({ call_sid: call.call_sid, name: call.name, arguments: parseArguments(call.arguments), from: call.from, to: call.to });
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The URL as safe to log: no credentials, no query string (either may carry a token). */
export function describeToolsUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(TOOLS_URL is not a URL)';
  }
}

/**
 * POSTs one function call to TOOLS_URL and returns its output for the agent. `signal` is the call's own: when it
 * aborts (the caller hung up) the request stops and the result says so.
 */
export async function callToolsEndpoint(options: ToolsEndpointOptions, call: ToolCall, signal?: AbortSignal): Promise<ToolsEndpointResult> {
  const where = `TOOLS_URL (${describeToolsUrl(options.url)})`;
  const doing = `function ${call.name}`;
  const fail = (output: string, problem: string): ToolsEndpointResult => ({ ok: false, output, problem });

  let target: URL;
  try {
    target = new URL(options.url);
  } catch {
    return fail(TOOL_FAILURE_OUTPUTS.unreachable, `TOOLS_URL is not a URL, so ${doing} was not sent. Fix TOOLS_URL in .env (run ${voicebridgeCommand('doctor')}).`);
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  // fetch refuses a URL with credentials in it: they become a basic auth header instead.
  if (target.username !== '' || target.password !== '') {
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const body = toolsRequestBody(call);
  const timestamp = String((options.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))());
  headers[TIMESTAMP_HEADER] = timestamp;
  headers[SIGNATURE_HEADER] = signToolsRequest(options.secret, timestamp, body);

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timedOut = (): ToolsEndpointResult =>
    fail(
      TOOL_FAILURE_OUTPUTS.timeout,
      `${where} did not answer ${doing} within ${options.timeoutMs} ms (TOOL_TIMEOUT_MS). Make it answer sooner, or raise TOOL_TIMEOUT_MS (the caller hears silence meanwhile).`,
    );
  const aborted = (): ToolsEndpointResult | undefined => {
    if (signal?.aborted) return fail(TOOL_FAILURE_OUTPUTS.cancelled, `${doing} was cancelled: the call ended before ${where} answered.`);
    if (timeout.aborted) return timedOut();
    return undefined;
  };

  let response: Response;
  try {
    // A redirected POST may be replayed as a GET elsewhere: the address must be the final one.
    response = await fetchFn(target, { method: 'POST', headers, body, redirect: 'manual', signal: combined });
  } catch (error) {
    return aborted() ?? fail(TOOL_FAILURE_OUTPUTS.unreachable, `could not send ${doing} to ${where}: ${networkReason(error)}.`);
  }

  let text: string;
  try {
    const read = await readLimited(response);
    if (read === undefined) {
      return fail(
        TOOL_FAILURE_OUTPUTS.unreadable,
        `${where} answered ${doing} with more than 64 KB. The answer goes to the agent: keep it under 64 KB of JSON.`,
      );
    }
    text = read;
  } catch (error) {
    return aborted() ?? fail(TOOL_FAILURE_OUTPUTS.unreachable, `${where} broke off its answer to ${doing}: ${networkReason(error)}.`);
  }

  if (response.status < 200 || response.status > 299) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400) {
      const to = location ? ` to ${describeToolsUrl(new URL(location, target).href)}` : '';
      return fail(TOOL_FAILURE_OUTPUTS.status, `${where} answered ${doing} with ${response.status}, a redirect${to}. Set TOOLS_URL to the final address: a redirected POST is not followed.`);
    }
    return fail(
      TOOL_FAILURE_OUTPUTS.status,
      `${where} answered ${doing} with ${response.status}${excerpt(text)}. Check that endpoint's logs; for an error the agent should explain, answer 200 with JSON such as {"error":"…"}.`,
    );
  }
  try {
    return { ok: true, output: JSON.stringify(JSON.parse(text)) };
  } catch {
    const type = response.headers.get('content-type');
    return fail(
      TOOL_FAILURE_OUTPUTS.unreadable,
      `${where} answered ${doing} with ${response.status} but a body that is not JSON${type ? ` (${type})` : ''}${excerpt(text) || ' (empty)'}. Answer with a JSON body, e.g. {"ok":true}.`,
    );
  }
}

/** The body as text, or undefined once it passes the limit (reading stops there). */
async function readLimited(response: Response): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > TOOLS_RESPONSE_LIMIT_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > TOOLS_RESPONSE_LIMIT_BYTES) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The start of a body, for the log: enough to recognise an error page. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '';
  return `: ${JSON.stringify(flat.length > 200 ? `${flat.slice(0, 200)}…` : flat)}`;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (ECONNREFUSED): check that the service runs and that TOOLS_URL names its host and port',
  ENOTFOUND: 'unknown host (ENOTFOUND): check the host name in TOOLS_URL',
  EAI_AGAIN: 'the host name could not be looked up (EAI_AGAIN): check DNS on this machine and the host in TOOLS_URL',
  ECONNRESET: 'the connection was reset (ECONNRESET): check the service and any proxy in front of it',
  ETIMEDOUT: 'the connection timed out (ETIMEDOUT): check that the host is reachable from this machine',
  EHOSTUNREACH: 'the host is unreachable (EHOSTUNREACH): check the network between this machine and TOOLS_URL',
  UND_ERR_SOCKET: 'the connection closed before an answer came: check the service’s logs',
};

/** What went wrong on the network, from fetch's error and its cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const codes = [error, cause, ...((cause as { errors?: unknown[] } | undefined)?.errors ?? [])]
    .map((item) => (item as { code?: unknown } | undefined)?.code)
    .filter((code): code is string => typeof code === 'string');
  for (const code of codes) {
    const reason = NETWORK_REASONS[code];
    if (reason) return reason;
    if (code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED/.test(code)) return `its TLS certificate was not accepted (${code}): TOOLS_URL needs a valid certificate`;
  }
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return codes[0] ? `${message} (${codes[0]})` : message;
}
