// OpenAI's SIP endpoint as a transport: a Twilio Elastic SIP Trunk sends the call to sip:<project>@sip.api.openai.com,
// OpenAI answers it and POSTs a signed webhook here, and the bridge accepts the call with the session settings a Media
// Streams call would use, then steers it over a sideband WebSocket with the same call core. No audio reaches us.
//
// Every webhook is verified on its raw body (Standard Webhooks signature, 5-minute tolerance) before anything is read
// from it; a forged, unsigned or stale one is answered 400 and accepts nothing. A full or draining instance answers
// 503 without accepting, so that OpenAI's retry reaches another instance behind the load balancer. What keeps a call
// from being taken twice is OpenAI itself: an accept for a call already accepted (by this instance or another) is
// answered 404, and the call is left to whoever took it. Nothing about a call is kept between requests: the sideband
// carries all of it, so a fleet behind a plain load balancer needs no stickiness.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Brain, CallFunctionTool } from '../../agents/brain.js';
import { CallSession, type FunctionResult } from '../../call/call-session.js';
import { callTools, type TransferDestinations } from '../../call/call-tools.js';
import { callToolsEndpoint } from '../../call/tools-endpoint.js';
import type { Config } from '../../config/config.js';
import type { CallLogger } from '../../log/call-log.js';
import { headerValue, sendText, type HttpHandler, type ServerContext, type Transport, type UpgradeHandler } from '../../server/http-server.js';
import type { RequestTarget } from '../../server/request-target.js';
import type { VoiceEngine } from '../../voice/voice-engine.js';
import { sipCallActions } from './sip-call-actions.js';
import { SipChannel } from './sip-channel.js';
import { describeOpenAIFailure, isCallGone, type SipAcceptParams, type SipControl, type SipEngine } from './sip-control.js';

export const OPENAI_WEBHOOK_PATH = '/openai-webhook';

export interface OpenAISipOptions {
  config: Config;
  brain: Brain;
  /** Which engine answers calls (VOICE_ENGINE): its incoming event is acted on, the other engine's is left alone. */
  engine: SipEngine;
  control: SipControl;
  /** The session settings a call is accepted with. */
  acceptParams: SipAcceptParams;
  /** Attaches a voice engine to an accepted call's sideband. */
  attachVoice(callId: string, log: CallLogger): VoiceEngine;
  agentTimeoutMs?: number;
  /** How long the last words before a transfer or a hang-up may take to be heard. */
  farewellTimeoutMs?: number;
}

/** OpenAI's webhook events are a few KB (the SIP INVITE's headers included); anything near this is not OpenAI. */
const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;
/** Webhooks older than OpenAI's 5-minute tolerance are refused anyway: an ID needs remembering no longer than this. */
const HANDLED_WEBHOOK_MEMORY_MS = 10 * 60_000;
const MAX_HANDLED_WEBHOOKS = 10_000;
const DEFAULT_FAREWELL_TIMEOUT_MS = 10_000;
/** CA and 32 hex digits: Twilio issues them in lowercase, but the same SID in capitals is still the call's. */
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

const SipHeader = z.object({ name: z.string(), value: z.string() });

const IncomingEvent = z.object({
  type: z.string(),
  data: z
    .object({
      call_id: z.string().optional(),
      session_id: z.string().optional(),
      // Untrusted call metadata (who called whom): a header of another shape is dropped, never the call with it.
      sip_headers: z.unknown().transform(readableSipHeaders),
    })
    .optional(),
});

function readableSipHeaders(headers: unknown): Array<z.infer<typeof SipHeader>> {
  if (!Array.isArray(headers)) return [];
  return headers.flatMap((header) => {
    const parsed = SipHeader.safeParse(header);
    return parsed.success ? [parsed.data] : [];
  });
}

const INCOMING_EVENT: Record<SipEngine, string> = { realtime: 'realtime.call.incoming', live: 'live.transport.incoming' };

/** Registers OpenAI's SIP webhook with a server: `server.register(openAISip(options))`. */
export function openAISip(options: OpenAISipOptions): (context: ServerContext) => OpenAISipTransport {
  return (context) => new OpenAISipTransport(options, context);
}

export class OpenAISipTransport implements Transport {
  readonly routes: ReadonlyMap<string, HttpHandler>;
  readonly upgrades: ReadonlyMap<string, UpgradeHandler> = new Map();
  /** The calls being steered, with their IDs. */
  private readonly sessions = new Map<CallSession, string>();
  /** Webhook IDs acted on (or being acted on), with when: each is acted on once. */
  private readonly handled = new Map<string, number>();
  private accepting = 0;
  private readonly transfers: TransferDestinations;
  private readonly callTools: readonly CallFunctionTool[];

  constructor(
    private readonly options: OpenAISipOptions,
    private readonly context: ServerContext,
  ) {
    this.transfers = { defaultNumber: options.config.calls.transferNumber, named: options.config.calls.transferTargets };
    this.callTools = callTools(this.transfers);
    this.routes = new Map([[OPENAI_WEBHOOK_PATH, (request, response, target) => this.webhook(request, response, target)]]);
  }

  get activeCalls(): number {
    return this.sessions.size;
  }

  /** Calls whose webhook is being answered (accept under way). */
  get pendingCalls(): number {
    return this.accepting;
  }

  get openStreams(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.sessions].map(async ([session, callId]) => {
        await session.close('the server is shutting down');
        // Closing the sideband does not end OpenAI's call: the caller would be left talking to nobody.
        await this.hangUpUnsteered(callId);
      }),
    );
  }

  private async hangUpUnsteered(callId: string): Promise<void> {
    const log = this.context.log.forCall(callId);
    try {
      await this.options.control.hangUp(this.options.engine, callId);
      log.info('Hung up the call through OpenAI: the server is stopping, and nothing would steer the call any more');
    } catch (error) {
      if (!isCallGone(error)) log.warn(`Could not hang up the call as the server stopped: ${describeOpenAIFailure(error)}`);
    }
  }

  private async webhook(request: IncomingMessage, response: ServerResponse, _target: RequestTarget): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendText(response, 405, "The OpenAI webhook takes POST requests from OpenAI.");
      return;
    }
    const declaredLength = Number(headerValue(request.headers['content-length']) ?? '0');
    if (declaredLength > MAX_WEBHOOK_BODY_BYTES) {
      this.refuse(response, 413, 'Request body too large', `its body is ${declaredLength} bytes, more than OpenAI sends`);
      return;
    }
    const headers = {
      'webhook-id': headerValue(request.headers['webhook-id']) ?? '',
      'webhook-timestamp': headerValue(request.headers['webhook-timestamp']) ?? '',
      'webhook-signature': headerValue(request.headers['webhook-signature']) ?? '',
    };
    if (!headers['webhook-id'] || !headers['webhook-timestamp'] || !headers['webhook-signature']) {
      this.refuse(response, 400, 'Unsigned webhook', 'it carries no Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature)');
      return;
    }
    const body = await readBody(request, MAX_WEBHOOK_BODY_BYTES);
    if (body === undefined) {
      this.refuse(response, 413, 'Request body too large', `its body is more than ${MAX_WEBHOOK_BODY_BYTES} bytes, more than OpenAI sends`);
      return;
    }
    let unwrapped: unknown;
    try {
      unwrapped = await this.options.control.unwrap(body, headers);
    } catch (error) {
      if (error instanceof SyntaxError) {
        // The signature held, so the secret is right: it is the body that cannot be read.
        this.refuse(response, 400, 'Unreadable webhook', 'its signature is valid but its body is not JSON');
        return;
      }
      this.refuse(response, 400, 'Invalid webhook signature', `${error instanceof Error ? error.message : String(error)} (check OPENAI_WEBHOOK_SECRET)`);
      return;
    }
    const webhookId = headers['webhook-id'];
    this.forgetOldWebhooks();
    if (this.handled.has(webhookId)) {
      // OpenAI's retry of a webhook already acted on here, or a captured one replayed: answered, nothing done again.
      this.context.unauthenticatedLog.write('repeated-openai-webhook', 'An OpenAI webhook came again: answered as before, nothing new accepted', (line) =>
        this.context.log.warn(line),
      );
      sendText(response, 200, 'Already handled');
      return;
    }
    const event = IncomingEvent.safeParse(unwrapped);
    if (!event.success) {
      this.handled.set(webhookId, Date.now());
      this.context.log.warn('Ignored a signed OpenAI webhook whose event could not be read');
      sendText(response, 200, 'Ignored');
      return;
    }
    const { engine } = this.options;
    const callId = engine === 'realtime' ? event.data.data?.call_id : event.data.data?.session_id;
    if (event.data.type !== INCOMING_EVENT[engine] || !callId) {
      // The same call also comes as the other engine's event: that one is left for the engine that is not in use.
      // Said once per webhook, so a subscription to the wrong event is visible here and not only in the doctor.
      this.handled.set(webhookId, Date.now());
      const type = event.data.type.slice(0, 80);
      const id = event.data.data?.call_id ?? event.data.data?.session_id;
      const said = id ? `${type} webhook for ${id.slice(0, 80)}` : `${type} webhook with no call ID`;
      this.context.log.info(`Left an OpenAI ${said} alone: VOICE_ENGINE=${engine} takes ${INCOMING_EVENT[engine]}`);
      sendText(response, 200, 'Ignored');
      return;
    }
    await this.incomingCall(webhookId, callId, event.data.data?.sip_headers ?? [], response);
  }

  private async incomingCall(webhookId: string, callId: string, sipHeaders: ReadonlyArray<{ name: string; value: string }>, response: ServerResponse): Promise<void> {
    const log = this.context.log.forCall(callId);
    const refusal = this.context.admission();
    if (refusal) {
      // Not remembered as handled: OpenAI retries, and the retry may reach an instance with room.
      log.warn(
        refusal === 'refused_busy'
          ? `Turned a call away: MAX_CALLS=${this.context.maxCalls} calls are already in progress or connecting; OpenAI retries the webhook on another instance`
          : 'Turned a call away: the server is stopping; OpenAI retries the webhook on another instance',
      );
      this.context.metrics.callEnded(refusal);
      response.setHeader('retry-after', '1');
      sendText(response, 503, 'Busy');
      return;
    }
    this.handled.set(webhookId, Date.now());
    const caller = callerFromSipHeaders(sipHeaders);
    const twilioCallSid = caller.callSid ? ` (Twilio CallSid ${caller.callSid})` : '';
    log.info(`Incoming call from ${caller.from ?? 'unknown'} to ${caller.to ?? 'unknown'}${twilioCallSid}`);
    this.accepting += 1;
    const controller = new AbortController();
    // The agent's conversation starts while the call is accepted: the greeting is not held up by either.
    const conversation = this.options.brain.startConversation({ callSid: callId, signal: controller.signal, callTools: this.callTools });
    conversation.catch(() => undefined);
    try {
      await this.options.control.accept(callId, this.options.acceptParams);
    } catch (error) {
      controller.abort();
      void conversation.then(
        (started) => started.close(),
        () => undefined,
      );
      this.accepting -= 1;
      this.context.callsChanged();
      if (isCallGone(error)) {
        // Accepted already (by another instance taking OpenAI's retry) or no longer ringing: it is not ours to steer.
        log.info(`Left the call alone: OpenAI no longer offers it (${describeOpenAIFailure(error)}); another instance may have accepted it`);
        sendText(response, 200, 'Call not available');
        return;
      }
      // Forgotten, so that OpenAI's retry (here or elsewhere) may try again.
      this.handled.delete(webhookId);
      log.error(`Could not accept the call: ${describeOpenAIFailure(error)}`);
      sendText(response, 502, 'Could not accept the call');
      return;
    }
    this.accepting -= 1;
    sendText(response, 200, 'Accepted');
    if (this.context.stopped) {
      // The server closed while the accept was on its way: a sideband opened now would outlive it, steering nothing.
      controller.abort();
      void conversation.then(
        (started) => started.close(),
        () => undefined,
      );
      await this.hangUpUnsteered(callId);
      return;
    }
    log.info(`Accepted the call through OpenAI's ${this.options.engine === 'realtime' ? 'Realtime' : 'GPT-Live'} SIP endpoint; steering it over the sideband`);
    this.startCall(callId, caller, conversation, controller, log);
  }

  private startCall(callId: string, caller: SipCaller, conversation: ReturnType<Brain['startConversation']>, controller: AbortController, log: CallLogger): void {
    const { config, engine, control } = this.options;
    const channel = new SipChannel({ engine: this.options.attachVoice(callId, log), playbackNews: engine === 'realtime' });
    const farewellMs = this.options.farewellTimeoutMs ?? DEFAULT_FAREWELL_TIMEOUT_MS;
    const say = (text: string): Promise<void> => (channel.voiceAlive ? channel.sayAndWait(text, farewellMs) : this.sayOverNewSideband(callId, text, log));
    const session = new CallSession({
      callSid: callId,
      channel,
      conversation,
      restartConversation: () => this.options.brain.startConversation({ callSid: callId, signal: controller.signal, callTools: this.callTools }),
      greeting: config.assistant.greeting,
      log,
      agentTimeoutMs: this.options.agentTimeoutMs ?? config.calls.agentTimeoutMs,
      actions: sipCallActions({ control, engine, callId, say }),
      transferNumber: config.calls.transferNumber,
      transferDestinations: this.transfers,
      ...(config.tools.url ? { runFunction: (request: { name: string; arguments: string }, signal: AbortSignal) => this.runFunction(callId, caller, request, signal) } : {}),
      metrics: this.context.metrics,
    });
    this.sessions.set(session, callId);
    session.once('ended', (_reason, outcome) => {
      controller.abort();
      this.sessions.delete(session);
      this.context.metrics.callEnded(outcome);
      this.context.callsChanged();
    });
    session.start();
  }

  /**
   * The call's sideband is gone for good, and the caller must not be left talking to nobody: one more sideband says the
   * apology, bounded in time; the hang-up follows whether or not it could be said.
   */
  private sayOverNewSideband(callId: string, text: string, log: CallLogger): Promise<void> {
    const farewellMs = this.options.farewellTimeoutMs ?? DEFAULT_FAREWELL_TIMEOUT_MS;
    const engine = this.options.attachVoice(callId, log);
    const channel = new SipChannel({ engine, playbackNews: this.options.engine === 'realtime' });
    channel.start();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        void channel.close().then(resolve);
      };
      const timer = setTimeout(finish, farewellMs);
      channel.once('voiceFailed', finish);
      channel.once('hungUp', finish);
      void channel.sayAndWait(text, farewellMs).then(finish);
    });
  }

  /** One of the agent's own functions, POSTed to TOOLS_URL with who called whom (from the SIP headers). */
  private runFunction(callId: string, caller: SipCaller, request: { name: string; arguments: string }, signal: AbortSignal): Promise<FunctionResult> {
    const { url, secret, timeoutMs } = this.options.config.tools;
    return callToolsEndpoint(
      { url: url ?? '', secret: secret ?? '', timeoutMs },
      { call_sid: callId, name: request.name, arguments: request.arguments, from: caller.from ?? '', to: caller.to ?? '' },
      signal,
    );
  }

  private refuse(response: ServerResponse, status: number, text: string, why: string): void {
    this.context.unauthenticatedLog.write(`openai-webhook-${status}`, `Refused an OpenAI webhook: ${why}`, (line) => this.context.log.warn(line));
    // The body may not have been read: the connection cannot carry another request after this answer.
    response.setHeader('connection', 'close');
    sendText(response, status, text);
  }

  private forgetOldWebhooks(): void {
    const oldest = Date.now() - HANDLED_WEBHOOK_MEMORY_MS;
    for (const [id, at] of this.handled) {
      if (at >= oldest && this.handled.size <= MAX_HANDLED_WEBHOOKS) break;
      this.handled.delete(id);
    }
  }
}

export interface SipCaller {
  from?: string;
  to?: string;
  /** Twilio's CallSid, when the INVITE came through a Twilio trunk (X-Twilio-CallSid). */
  callSid?: string;
}

/**
 * Who called whom, from the INVITE's headers (untrusted: only the number or user part of each address is kept, and
 * only characters a number or SIP user may hold).
 */
export function callerFromSipHeaders(headers: ReadonlyArray<{ name: string; value: string }>): SipCaller {
  const header = (name: string): string | undefined => headers.find((each) => each.name.toLowerCase() === name.toLowerCase())?.value;
  const caller: SipCaller = {};
  const from = addressUser(header('From'));
  const to = addressUser(header('To'));
  const callSid = header('X-Twilio-CallSid')?.trim();
  if (from) caller.from = from;
  if (to) caller.to = to;
  if (callSid && CALL_SID.test(callSid)) caller.callSid = callSid;
  return caller;
}

/** `"Ann" <sip:+14155550123@trunk.example;user=phone>;tag=1` → `+14155550123`. */
function addressUser(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = /(?:sips?|tel):([^@;>\s]+)/i.exec(value);
  const user = match?.[1]?.replace(/[^+0-9A-Za-z*#._-]/g, '').slice(0, 64);
  return user ? user : undefined;
}

/** The raw body as text, or undefined once it passes `maxBytes`. */
async function readBody(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
