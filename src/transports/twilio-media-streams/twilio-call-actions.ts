// The call actions of a Media Streams call: once a call is connected to our stream, Twilio's REST API is the only way
// to hang up after a goodbye, or to hand the caller to a person (a TwiML update Twilio follows at once).
import type { Twilio } from 'twilio';
import type { CallActions } from '../../call/call-actions.js';
import { createTwilioClient } from '../../clients/twilio-client.js';
import type { Config } from '../../config/config.js';
import { sayAndHangUpTwiml, sayAndTransferTwiml } from './twiml.js';

export interface CallControl {
  /** Hangs up the call (`status: completed`). Rejects with Twilio's reason when it cannot. */
  hangUp(callSid: string): Promise<void>;
  /** Replaces the call's TwiML: Twilio stops our stream and follows it (say something, then transfer or hang up). */
  redirect(callSid: string, twiml: string): Promise<void>;
  /** The call as Twilio describes it; undefined when the account has no such call (error 20404). Rejects with Twilio's reason otherwise. */
  fetch(callSid: string): Promise<TwilioCall | undefined>;
}

/** What Twilio's REST API says of a call (GET /Calls/{sid}): the fields the calls API answers with. */
export interface TwilioCall {
  sid: string;
  from: string;
  to: string;
  /** queued, ringing, in-progress, completed, busy, no-answer, failed or canceled. */
  status: string;
  /** inbound, outbound-api (placed through the API) or outbound-dial (a <Dial> leg). */
  direction: string;
  /** The answering-machine verdict, once there is one. */
  answeredBy: string | null;
  dateCreated: Date | null;
  dateUpdated: Date | null;
  startTime: Date | null;
  endTime: Date | null;
  /** Seconds, once an answered call ended. */
  duration: string | null;
}

/** A caller is waiting in silence while this runs: fail fast and fall back to closing the stream. */
const REST_TIMEOUT_MS = 5_000;

/** Call control through the Twilio REST client of this config; the client is created on first use. */
export function twilioCallControl(config: Config): CallControl {
  let client: Promise<Twilio> | undefined;
  const calls = async (callSid: string) => {
    client ??= createTwilioClient(config, { timeoutMs: REST_TIMEOUT_MS });
    return (await client).calls(callSid);
  };
  return {
    async hangUp(callSid) {
      await (await calls(callSid)).update({ status: 'completed' });
    },
    async redirect(callSid, twiml) {
      await (await calls(callSid)).update({ twiml });
    },
    async fetch(callSid) {
      try {
        const call = await (await calls(callSid)).fetch();
        const date = (value: Date | null | undefined): Date | null => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : null);
        return {
          sid: call.sid,
          from: call.from ?? '',
          to: call.to ?? '',
          status: call.status ?? '',
          direction: call.direction ?? '',
          answeredBy: call.answeredBy ?? null,
          dateCreated: date(call.dateCreated),
          dateUpdated: date(call.dateUpdated),
          startTime: date(call.startTime),
          endTime: date(call.endTime),
          duration: call.duration ?? null,
        };
      } catch (error) {
        if ((error as { status?: unknown; code?: unknown }).status === 404 && (error as { code?: unknown }).code === 20404) return undefined;
        throw error;
      }
    },
  };
}

/** What Twilio needs to place a call: whom, from which number, and where to ask for the call's TwiML and report on it. */
export interface PlaceCallRequest {
  to: string;
  from: string;
  /** Fetched (signed POST) when the callee answers: the TwiML that connects the call to our stream. */
  url: string;
  /** Twilio's status callbacks: initiated, ringing, answered, completed (busy, no-answer, failed among them). */
  statusCallback: string;
  /** Where the asynchronous answering-machine verdict is POSTed (AnsweredBy). */
  amdCallback: string;
}

export interface CallPlacer {
  /** Places the call; resolves with Twilio's CallSid once Twilio accepted it (it is then queued). Rejects with Twilio's reason. */
  place(request: PlaceCallRequest): Promise<{ sid: string; status: string }>;
}

/** Placing a call is one REST request: fail fast, so the API's caller hears why at once. */
const PLACE_TIMEOUT_MS = 10_000;

/** Places calls through the Twilio REST client of this config; the client is created on first use. */
export function twilioCallPlacer(config: Config): CallPlacer {
  let client: Promise<Twilio> | undefined;
  return {
    async place(request) {
      client ??= createTwilioClient(config, { timeoutMs: PLACE_TIMEOUT_MS });
      const call = await (await client).calls.create({
        to: request.to,
        from: request.from,
        url: request.url,
        method: 'POST',
        statusCallback: request.statusCallback,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        // Asynchronous, so the callee is connected at once (no silence while Twilio listens); DetectMessageEnd, so a
        // machine's verdict comes after its greeting and beep, when a message left is recorded whole.
        machineDetection: 'DetectMessageEnd',
        asyncAmd: 'true',
        asyncAmdStatusCallback: request.amdCallback,
        asyncAmdStatusCallbackMethod: 'POST',
      });
      return { sid: call.sid, status: call.status ?? 'queued' };
    },
  };
}

/** One call's actions, through Twilio's REST API. */
export function twilioCallActions(control: CallControl, callSid: string): CallActions {
  return {
    via: 'Twilio',
    api: "Twilio's REST API",
    hangUp: () => control.hangUp(callSid),
    sayAndHangUp: async (message) => control.redirect(callSid, await sayAndHangUpTwiml(message)),
    sayAndTransfer: async (message, destination) => control.redirect(callSid, await sayAndTransferTwiml(message, destination)),
    describeFailure: describeTwilioFailure,
  };
}

/** Twilio's own words when it has them (RestException: "20404 The requested resource … was not found"). */
export function describeTwilioFailure(error: unknown): string {
  const rest = error as { status?: unknown; code?: unknown; message?: unknown };
  const message = typeof rest.message === 'string' ? rest.message : String(error);
  if (typeof rest.status === 'number') return `Twilio answered ${rest.status}${typeof rest.code === 'number' ? ` (error ${rest.code})` : ''}: ${message}`;
  return message;
}
