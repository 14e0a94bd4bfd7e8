// Verifies X-Twilio-Signature on the voice webhook and on the Media Stream WebSocket upgrade, against the public
// URLs from WEBHOOK_URL. twilio-node is loaded once, when the server starts, not when the CLI parses arguments.
import type { PublicUrls } from './public-urls.js';

export interface TwilioSignatureVerifier {
  /**
   * The webhook POST: signed over the public URL as Twilio called it plus the form parameters. `calledSuffix` is what
   * followed `/incoming-call` in the request: a trailing slash (a voice URL entered with one) and the query string.
   */
  verifyWebhook(signature: string | undefined, calledSuffix: string, params: Record<string, string>): boolean;
  /** The WebSocket upgrade: signed over the wss:// Stream URL with no parameters. */
  verifyStreamUpgrade(signature: string | undefined): boolean;
  /** Any other request from Twilio (a placed call's TwiML, AMD and status callbacks): signed over `url` and its form. */
  verifyRequest(signature: string | undefined, url: string, params: Record<string, string>): boolean;
}

export async function createTwilioSignatureVerifier(authToken: string, urls: PublicUrls): Promise<TwilioSignatureVerifier> {
  const { default: twilio } = await import('twilio');
  const token = authToken.trim();
  const valid = (signature: string | undefined, candidates: readonly string[], params: Record<string, string>): boolean =>
    typeof signature === 'string' && signature !== '' && candidates.some((url) => twilio.validateRequest(token, signature, url, params));
  // twilio-node tries each URL with and without its default port, but takes :80 as the default of any scheme other
  // than https: a signature over wss://host:443/… would be refused, so that form is tried as well.
  const streamUrls = [urls.mediaStream, withDefaultPort(urls.mediaStream)];
  return {
    verifyWebhook: (signature, calledSuffix, params) => valid(signature, [`${urls.incomingCall}${calledSuffix}`], params),
    verifyStreamUpgrade: (signature) => valid(signature, streamUrls, {}),
    verifyRequest: (signature, url, params) => valid(signature, [url], params),
  };
}

/** The URL with its scheme's default port written out (wss://host/path → wss://host:443/path). */
function withDefaultPort(address: string): string {
  const url = new URL(address);
  if (url.port !== '') return address;
  const port = url.protocol === 'wss:' || url.protocol === 'https:' ? 443 : 80;
  return `${url.protocol}//${url.hostname}:${port}${url.pathname}${url.search}`;
}
