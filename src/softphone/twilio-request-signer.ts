// Signs requests the way Twilio does (X-Twilio-Signature): base64 HMAC-SHA1, keyed with the auth token, of the URL
// Twilio called followed by each POST parameter's name and value, sorted by name. The bridge checks it with
// twilio.validateRequest; the softphone signs with this so it needs no Twilio SDK to place a call.
import { createHmac } from 'node:crypto';

export function signTwilioRequest(authToken: string, url: string, params: Record<string, string> = {}): string {
  const payload = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken.trim()).update(Buffer.from(payload, 'utf8')).digest('base64');
}
