// Ends or moves a connected call from the server side, through Twilio's REST API: once a call is connected to our
// Media Stream, this is the only way to hang up after a goodbye, or to hand the caller to a person.
import type { Twilio } from 'twilio';
import { createTwilioClient } from '../clients/twilio-client.js';
import type { Config } from '../config/config.js';

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

/** Twilio's own words when it has them (RestException: "20404 The requested resource … was not found"). */
export function describeTwilioFailure(error: unknown): string {
  const rest = error as { status?: unknown; code?: unknown; message?: unknown };
  const message = typeof rest.message === 'string' ? rest.message : String(error);
  if (typeof rest.status === 'number') return `Twilio answered ${rest.status}${typeof rest.code === 'number' ? ` (error ${rest.code})` : ''}: ${message}`;
  return message;
}
