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
