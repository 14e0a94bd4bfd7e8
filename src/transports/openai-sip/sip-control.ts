// What the SIP transport asks of OpenAI's own API: verify a webhook, accept a call with its session settings, and,
// once the call is in progress, hang it up or hand it on with a SIP REFER. Realtime and GPT-Live each have their own
// endpoints (client.realtime.calls, client.live.sessions) for the same four verbs; the OpenAI client is created on
// first use, so nothing loads the SDK before a webhook arrives.
import type OpenAI from 'openai';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import { createOpenAIClient } from '../../clients/openai-client.js';
import type { Config } from '../../config/config.js';

export type SipEngine = 'realtime' | 'live';

/** How a call is accepted: the session settings for the engine that answers it. */
export type SipAcceptParams = { engine: 'realtime'; params: CallAcceptParams } | { engine: 'live'; params: SessionAcceptParams };

export interface SipControl {
  /** Verifies a webhook's Standard Webhooks signature (5-minute tolerance) on its raw body and parses it. Throws when it fails. */
  unwrap(rawBody: string, headers: Record<string, string>): Promise<unknown>;
  /** Accepts the call: from now on the session answers it. Rejects with OpenAI's reason (404: unknown or already accepted). */
  accept(callId: string, accept: SipAcceptParams): Promise<void>;
  /** Ends the call. */
  hangUp(engine: SipEngine, callId: string): Promise<void>;
  /** Hands the caller to `targetUri` (tel:+E164) with a SIP REFER. */
  refer(engine: SipEngine, callId: string, targetUri: string): Promise<void>;
}

/** A caller is waiting while these run: fail fast. */
const CALL_API_TIMEOUT_MS = 5_000;

/** OpenAI's SIP endpoints through the SDK client of this config, and its webhook secret. */
export function openAISipControl(config: Config, webhookSecret: string): SipControl {
  let client: Promise<OpenAI> | undefined;
  // One attempt each: a retry of an accept could answer a call another instance has since taken.
  const openai = (): Promise<OpenAI> => (client ??= createOpenAIClient(config, { maxRetries: 0, timeoutMs: CALL_API_TIMEOUT_MS, project: config.sip.projectId?.trim() }));
  return {
    async unwrap(rawBody, headers) {
      return (await openai()).webhooks.unwrap(rawBody, headers, webhookSecret);
    },
    async accept(callId, accept) {
      const api = await openai();
      if (accept.engine === 'realtime') await api.realtime.calls.accept(callId, accept.params);
      else await api.live.sessions.accept(callId, accept.params);
    },
    async hangUp(engine, callId) {
      const api = await openai();
      if (engine === 'realtime') await api.realtime.calls.hangup(callId);
      else await api.live.sessions.hangup(callId);
    },
    async refer(engine, callId, targetUri) {
      const api = await openai();
      if (engine === 'realtime') await api.realtime.calls.refer(callId, { target_uri: targetUri });
      else await api.live.sessions.refer(callId, { target_uri: targetUri });
    },
  };
}

/** OpenAI's own words for a failure of one of these calls ("404 Call not found"). */
export function describeOpenAIFailure(error: unknown): string {
  const api = error as { status?: unknown; message?: unknown };
  const message = typeof api.message === 'string' ? api.message : String(error);
  return typeof api.status === 'number' && !message.startsWith(String(api.status)) ? `OpenAI answered ${api.status}: ${message}` : message;
}

/** Whether OpenAI answered that the call is not (or no longer) there to act on: unknown, or already accepted. */
export function isCallGone(error: unknown): boolean {
  return (error as { status?: unknown }).status === 404;
}
