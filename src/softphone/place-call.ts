// Places a call the way Twilio does when someone dials the number: the signed voice webhook POST, the TwiML read
// back, then the signed Media Stream to the <Stream> URL. The public host Twilio would use is mapped to where the
// bridge really listens, so a call reaches a local server with no tunnel and no phone number. Every refusal comes
// back as a CallFailure that says what went wrong and what to do.
import { randomBytes } from 'node:crypto';
import { maskSecret } from '../util/mask-secret.js';
import { readStreamTwiml, StreamTwimlError, type StreamTwiml } from './stream-twiml.js';
import { signTwilioRequest } from './twilio-request-signer.js';
import { StreamRefusedError, TwilioStreamClient } from './twilio-stream-client.js';
import { voicebridgeCommand } from '../util/invocation.js';

/** Twilio waits this long for the webhook's answer (error 11205 after). */
const WEBHOOK_TIMEOUT_MS = 15_000;

export interface PlaceCallOptions {
  /** Where the bridge really listens, e.g. http://localhost:5000 */
  serverUrl: string;
  /** The number's voice URL as Twilio calls and signs it: WEBHOOK_URL/incoming-call */
  voiceUrl: string;
  authToken: string;
  accountSid?: string;
  callSid?: string;
  from?: string;
  to?: string;
}

export interface PlacedCall {
  stream: TwilioStreamClient;
  twiml: StreamTwiml;
  /** The address the stream really connected to. */
  socketUrl: string;
}

/** The call could not be placed; the message says why and what to do. */
export class CallFailure extends Error {}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

export async function placeCall(options: PlaceCallOptions): Promise<PlacedCall> {
  const accountSid = options.accountSid ?? `AC${hex(16)}`;
  const callSid = options.callSid ?? `CA${hex(16)}`;
  const twiml = await postVoiceWebhook(options, accountSid, callSid);
  const socketUrl = mapToServer(twiml.url, options.serverUrl, 'ws');
  let stream: TwilioStreamClient;
  try {
    stream = await TwilioStreamClient.open({
      socketUrl,
      signature: signTwilioRequest(options.authToken, twiml.url),
      start: { accountSid, callSid, customParameters: twiml.parameters },
    });
  } catch (error) {
    throw new CallFailure(streamRefusal(error, twiml.url, socketUrl));
  }
  return { stream, twiml, socketUrl };
}

/** `publicUrl`'s path and query on the server's origin: where a request for the public address really goes. */
export function mapToServer(publicUrl: string, serverUrl: string, kind: 'http' | 'ws'): string {
  const target = new URL(publicUrl);
  const server = new URL(serverUrl);
  const secure = server.protocol === 'https:' || server.protocol === 'wss:';
  const protocol = kind === 'http' ? (secure ? 'https:' : 'http:') : secure ? 'wss:' : 'ws:';
  return `${protocol}//${server.host}${target.pathname}${target.search}`;
}

async function postVoiceWebhook(options: PlaceCallOptions, accountSid: string, callSid: string): Promise<StreamTwiml> {
  const from = options.from ?? '+15005550006';
  const to = options.to ?? '+15005550100';
  const params: Record<string, string> = {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    CallStatus: 'ringing',
    Called: to,
    Caller: from,
    Direction: 'inbound',
    From: from,
    To: to,
  };
  const target = mapToServer(options.voiceUrl, options.serverUrl, 'http');
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'TwilioProxy/1.1 (voicebridge call)',
        'x-twilio-signature': signTwilioRequest(options.authToken, options.voiceUrl, params),
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    throw new CallFailure(unreachable(error, options.serverUrl, target));
  }
  const body = await response.text();
  if (response.status === 403) {
    throw new CallFailure(
      `the bridge refused the webhook (403 Forbidden): the Twilio signature does not match. This call signed it for ${options.voiceUrl} ` +
        `with TWILIO_AUTH_TOKEN ${maskSecret(options.authToken)}; the server checks it with its own TWILIO_AUTH_TOKEN and WEBHOOK_URL. ` +
        'Give both commands the same values (the same .env, or --env); the server\'s log names the URL it expected.',
    );
  }
  if (response.status === 404) {
    throw new CallFailure(`${target} answered 404: no voice webhook there. Is voicebridge serve what listens at ${options.serverUrl}? (--url points the call at it)`);
  }
  if (response.status !== 200) {
    throw new CallFailure(`the webhook at ${target} answered ${response.status} ${response.statusText}: ${excerpt(body)}. Twilio would play its error message and hang up; the server's log says why.`);
  }
  try {
    return readStreamTwiml(body);
  } catch (error) {
    if (error instanceof StreamTwimlError) throw new CallFailure(`the webhook answered, but ${error.message}`);
    throw error;
  }
}

function unreachable(error: unknown, serverUrl: string, target: string): string {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  const code = cause?.code ?? (error as NodeJS.ErrnoException).code;
  if ((error as Error).name === 'TimeoutError') {
    return `the webhook at ${target} did not answer within ${WEBHOOK_TIMEOUT_MS / 1000} s (Twilio gives up then too: error 11205). Is the server stuck?`;
  }
  if (code === 'ECONNREFUSED') {
    return `nothing answers at ${serverUrl} (connection refused). Start the bridge first — ${voicebridgeCommand('serve')}, in another terminal — or pass --url with the address it listens on.`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${new URL(serverUrl).hostname} cannot be resolved. Check --url (e.g. http://localhost:5000).`;
  return `the webhook at ${target} could not be reached: ${cause?.message ?? (error as Error).message}. Check --url and that voicebridge serve is running.`;
}

function streamRefusal(error: unknown, streamUrl: string, socketUrl: string): string {
  if (error instanceof StreamRefusedError) {
    if (error.status === 403) {
      return `the bridge refused the media stream (403): the upgrade's Twilio signature, made for ${streamUrl}, does not match. Check that serve uses the same TWILIO_AUTH_TOKEN and WEBHOOK_URL.`;
    }
    if (error.status === 503) return 'the bridge is shutting down and takes no new streams (503). Start voicebridge serve again.';
    return `the bridge refused the media stream at ${socketUrl} (HTTP ${error.status}).`;
  }
  return `the media stream at ${socketUrl} could not be opened: ${(error as Error).message}.`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(no body)' : flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
