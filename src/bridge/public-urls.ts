// The bridge's public addresses, built from WEBHOOK_URL alone: what Twilio calls and signs. Never built from the
// Host header a request arrives with, which a proxy or tunnel rewrites (and an attacker controls).

export interface PublicUrls {
  /** WEBHOOK_URL without a trailing slash, e.g. https://voice.example.com */
  base: string;
  /** The voice webhook to give Twilio: WEBHOOK_URL/incoming-call */
  incomingCall: string;
  /** The Media Stream URL put in the TwiML: wss://<WEBHOOK_URL host>/media-stream */
  mediaStream: string;
  /** Request paths the server answers for each, with and without WEBHOOK_URL's own path (proxies differ). */
  incomingCallPaths: ReadonlySet<string>;
  mediaStreamPaths: ReadonlySet<string>;
}

export class PublicUrlError extends Error {}

export function publicUrlsFrom(webhookUrl: string | undefined): PublicUrls {
  const raw = webhookUrl?.trim().replace(/^(['"])(.*)\1$/, '$2') ?? '';
  if (raw === '') {
    throw new PublicUrlError('WEBHOOK_URL is not set. Set it to the public https:// address Twilio reaches this server at (e.g. your tunnel URL).');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PublicUrlError(`WEBHOOK_URL=${raw} is not a URL. Set it to the public https:// address Twilio reaches this server at.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PublicUrlError(`WEBHOOK_URL must start with https:// (found ${url.protocol}//).`);
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  const base = `${url.protocol}//${url.host}${basePath}`;
  return {
    base,
    incomingCall: `${base}/incoming-call`,
    mediaStream: `wss://${url.host}${basePath}/media-stream`,
    incomingCallPaths: new Set(['/incoming-call', `${basePath}/incoming-call`]),
    mediaStreamPaths: new Set(['/media-stream', `${basePath}/media-stream`]),
  };
}
