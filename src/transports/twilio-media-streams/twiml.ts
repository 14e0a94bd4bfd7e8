// The TwiML the bridge gives Twilio: connect a call to our bidirectional Media Stream with the call's token; turn a
// call away politely; and, through the REST API, move a connected call on (a transfer, or a goodbye and hang-up).
import type { PublicUrls } from './public-urls.js';

async function voiceResponse() {
  const { default: twilio } = await import('twilio');
  return new twilio.twiml.VoiceResponse();
}

export async function connectStreamTwiml(urls: PublicUrls, token: string, parameters: Record<string, string> = {}): Promise<string> {
  const response = await voiceResponse();
  // <Connect> (not <Start>): only a connected stream plays our audio to the caller. No query string in the URL
  // (Twilio rejects it, 31920): per-call data travels as a <Parameter>.
  const stream = response.connect().stream({ url: urls.mediaStream });
  stream.parameter({ name: 'token', value: token });
  for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
  return response.toString();
}

/** Says the message in Twilio's own voice and hangs up: for calls the bridge cannot (or can no longer) serve. */
export async function sayAndHangUpTwiml(message: string): Promise<string> {
  const response = await voiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}

/** Says the message, then dials the number: the caller is handed to a person. */
export async function sayAndTransferTwiml(message: string, number: string): Promise<string> {
  const response = await voiceResponse();
  response.say(message);
  response.dial(number);
  return response.toString();
}
