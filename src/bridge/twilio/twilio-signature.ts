// Verifies X-Twilio-Signature on the voice webhook and on the Media Stream WebSocket upgrade, against the public
// URLs from WEBHOOK_URL. twilio-node is loaded once, when the server starts, not when the CLI parses arguments.
import type { PublicUrls } from '../public-urls.js';

export interface TwilioSignatureVerifier {
  /** The webhook POST: signed over the public URL (with the query string Twilio called) plus the form parameters. */
  verifyWebhook(signature: string | undefined, search: string, params: Record<string, string>): boolean;
  /** The WebSocket upgrade: signed over the wss:// Stream URL with no parameters. */
  verifyStreamUpgrade(signature: string | undefined): boolean;
}

export async function createTwilioSignatureVerifier(authToken: string, urls: PublicUrls): Promise<TwilioSignatureVerifier> {
  const { default: twilio } = await import('twilio');
  const token = authToken.trim();
  const valid = (signature: string | undefined, url: string, params: Record<string, string>): boolean =>
    typeof signature === 'string' && signature !== '' && twilio.validateRequest(token, signature, url, params);
  return {
    verifyWebhook: (signature, search, params) => valid(signature, `${urls.incomingCall}${search}`, params),
    verifyStreamUpgrade: (signature) => valid(signature, urls.mediaStream, {}),
  };
}
