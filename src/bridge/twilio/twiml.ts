// The TwiML the voice webhook answers: connect the call to our bidirectional Media Stream, with the call's token.
import type { PublicUrls } from '../public-urls.js';

export async function connectStreamTwiml(urls: PublicUrls, token: string): Promise<string> {
  const { default: twilio } = await import('twilio');
  const response = new twilio.twiml.VoiceResponse();
  // <Connect> (not <Start>): only a connected stream plays our audio to the caller. No query string in the URL
  // (Twilio rejects it, 31920): per-call data travels as a <Parameter>.
  response.connect().stream({ url: urls.mediaStream }).parameter({ name: 'token', value: token });
  return response.toString();
}
