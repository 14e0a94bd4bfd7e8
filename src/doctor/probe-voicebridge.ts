// Asks a URL's /healthz whether a voicebridge server answers there. A voicebridge server answers with JSON that
// carries `service: "voicebridge"`; anything else is some other server (or a tunnel with nothing behind it).

export type HealthProbe =
  | { kind: 'voicebridge'; status: number; version?: string }
  | { kind: 'other-server'; status: number; description: string }
  | { kind: 'unreachable'; reason: string };

export interface ProbeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function probeVoicebridge(url: string, options: ProbeOptions): Promise<HealthProbe> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual', signal });
  } catch (error) {
    return { kind: 'unreachable', reason: describeFetchError(error, options.timeoutMs) };
  }
  const text = await response.text().catch(() => '');
  const ngrokError = response.headers.get('ngrok-error-code');
  if (ngrokError) {
    return { kind: 'other-server', status: response.status, description: `ngrok answers, but no tunnel is running behind this URL (${ngrokError})` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null && (body as { service?: unknown }).service === 'voicebridge') {
    const version = (body as { version?: unknown }).version;
    return { kind: 'voicebridge', status: response.status, ...(typeof version === 'string' ? { version } : {}) };
  }
  const type = response.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  return { kind: 'other-server', status: response.status, description: `HTTP ${response.status}, ${type}, not a voicebridge server` };
}

/** A network failure in words a user can act on. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${formatSeconds(timeoutMs)}`;
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing listens there';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `no answer within ${formatSeconds(timeoutMs)}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host is unreachable from this machine';
    default:
      if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return `its TLS certificate is not valid (${code}); Twilio needs a valid certificate`;
      return cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  }
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
