// The bridge's public addresses, built from WEBHOOK_URL (and MEDIA_STREAM_URL, when an instance behind a load balancer
// has an address of its own for its streams): what Twilio calls and signs. Never built from the Host header a request
// arrives with, which a proxy or tunnel rewrites (and an attacker controls).

export interface PublicUrls {
  /** WEBHOOK_URL without a trailing slash, e.g. https://voice.example.com */
  base: string;
  /** The voice webhook to give Twilio: WEBHOOK_URL/incoming-call */
  incomingCall: string;
  /** The Media Stream URL put in the TwiML: MEDIA_STREAM_URL, else wss://<WEBHOOK_URL host>/media-stream */
  mediaStream: string;
  /** Request paths the server answers for each, with and without WEBHOOK_URL's own path (proxies differ). */
  incomingCallPaths: ReadonlySet<string>;
  mediaStreamPaths: ReadonlySet<string>;
  /** Calls the bridge places: the TwiML Twilio fetches when the callee answers, WEBHOOK_URL/outbound-call */
  outboundCall: string;
  /** Twilio's answering-machine verdict for a placed call: WEBHOOK_URL/outbound-amd */
  outboundAmd: string;
  /** Twilio's status callbacks for a placed call: WEBHOOK_URL/outbound-status */
  outboundStatus: string;
  outboundCallPaths: ReadonlySet<string>;
  outboundAmdPaths: ReadonlySet<string>;
  outboundStatusPaths: ReadonlySet<string>;
  /** The API that places calls (POST) and follows them (GET /calls/{sid}). */
  callsPaths: ReadonlySet<string>;
}

export class PublicUrlError extends Error {}

export function publicUrlsFrom(webhookUrl: string | undefined, mediaStreamUrl?: string): PublicUrls {
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
  const stream = streamUrlFrom(mediaStreamUrl) ?? { url: `wss://${url.host}${basePath}/media-stream`, path: `${basePath}/media-stream` };
  return {
    base,
    incomingCall: `${base}/incoming-call`,
    mediaStream: stream.url,
    // A voice URL entered with a trailing slash is answered too (Twilio signs it as entered).
    incomingCallPaths: new Set(['/incoming-call', `${basePath}/incoming-call`, '/incoming-call/', `${basePath}/incoming-call/`]),
    mediaStreamPaths: new Set(['/media-stream', `${basePath}/media-stream`, stream.path]),
    outboundCall: `${base}/outbound-call`,
    outboundAmd: `${base}/outbound-amd`,
    outboundStatus: `${base}/outbound-status`,
    outboundCallPaths: new Set(['/outbound-call', `${basePath}/outbound-call`]),
    outboundAmdPaths: new Set(['/outbound-amd', `${basePath}/outbound-amd`]),
    outboundStatusPaths: new Set(['/outbound-status', `${basePath}/outbound-status`]),
    callsPaths: new Set(['/calls', `${basePath}/calls`]),
  };
}

/**
 * MEDIA_STREAM_URL: this instance's own public wss:// address for its streams, so that a call whose webhook reached
 * this instance through a shared WEBHOOK_URL streams back to it (its token and pre-warmed connections live here).
 */
function streamUrlFrom(raw: string | undefined): { url: string; path: string } | undefined {
  const value = raw?.trim().replace(/^(['"])(.*)\1$/, '$2') ?? '';
  if (value === '') return undefined;
  const example = 'e.g. wss://voice-1.example.com/media-stream';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PublicUrlError(`MEDIA_STREAM_URL=${value} is not a URL. Set it to this instance's own public wss:// address for Media Streams (${example}), or remove it.`);
  }
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'wss:') throw new PublicUrlError(`MEDIA_STREAM_URL must start with wss:// (found ${url.protocol}//): Twilio opens Media Streams only over TLS (${example}).`);
  if (url.search !== '' || url.hash !== '') throw new PublicUrlError(`MEDIA_STREAM_URL must have no query string: Twilio refuses a Stream URL with one (error 31920). Found ${value}.`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/media-stream';
  const path = url.pathname.replace(/\/+$/, '');
  return { url: `wss://${url.host}${path}`, path };
}
