// The browser phone's socket protocol, shared by the server side and (as a copy of the shapes) the page.
// Audio goes as binary messages both ways: G.711 μ-law at 8 kHz, 20 ms (160 bytes) a frame from the page, any length
// from the server. Everything else is one JSON object a text message.
//
// Page → server:
//   { "type": "mark", "name": "…" }   the audio sent before this mark has played out (or was dropped by a clear,
//                                     which the page answers by echoing every pending mark at once, as Twilio does)
//   { "type": "dtmf", "digit": "5" }  a key pressed on the page's keypad
//   { "type": "hangup" }              the caller hung up
// Server → page:
//   { "type": "started", "call": "…" }             the call is connected: the greeting follows
//   { "type": "mark", "name": "…" }                echo this once the audio before it has played
//   { "type": "clear" }                            drop every buffered sample (barge-in), then echo pending marks
//   { "type": "caller", "text": "…" }              what the caller said, as the voice heard it
//   { "type": "agent", "id": "…", "text": "…" }    a sentence of the agent's, as its audio starts to play
//   { "type": "interrupted", "id": "…" }           that sentence was cut short by the caller
//   { "type": "transfer", "destination": "+1…" }   the agent handed the call to a person: a page cannot follow
//   { "type": "ended", "reason": "…" }             the call is over; the socket closes after it

/** The subprotocol the page asks for; the token travels as a second one, `token.<token>`. */
export const PHONE_SUBPROTOCOL = 'voicebridge-phone';
export const TOKEN_SUBPROTOCOL_PREFIX = 'token.';

/** Where the page opens its call socket. */
export const PHONE_SOCKET_PATH = '/phone/socket';

export type PageMessage = { type: 'mark'; name: string } | { type: 'dtmf'; digit: string } | { type: 'hangup' };

export type ServerMessage =
  | { type: 'started'; call: string }
  | { type: 'mark'; name: string }
  | { type: 'clear' }
  | { type: 'caller'; text: string }
  | { type: 'agent'; id: string; text: string }
  | { type: 'interrupted'; id: string }
  | { type: 'transfer'; destination: string }
  | { type: 'ended'; reason: string };

const MAX_MARK_NAME = 64;
const DIGIT = /^[0-9*#A-D]$/;

/** A text message from the page, checked; a string saying what is wrong when it is not one the page sends. */
export function decodePageMessage(text: string): PageMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'a text message that is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'a JSON message that is not an object';
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'mark':
      return typeof message.name === 'string' && message.name.length > 0 && message.name.length <= MAX_MARK_NAME
        ? { type: 'mark', name: message.name }
        : 'a mark message without a valid name';
    case 'dtmf':
      return typeof message.digit === 'string' && DIGIT.test(message.digit) ? { type: 'dtmf', digit: message.digit } : 'a dtmf message without a keypad digit';
    case 'hangup':
      return { type: 'hangup' };
    default:
      return `a message of unknown type ${JSON.stringify(String(message.type)).slice(0, 40)}`;
  }
}
