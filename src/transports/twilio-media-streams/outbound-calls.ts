// Calls the bridge places: POST /calls (the user's own systems, and `voicebridge dial`) asks Twilio to call someone,
// GET /calls/{sid} follows the call, and Twilio's signed callbacks tell how it went: the status callbacks (ringing,
// answered, busy, no-answer, failed, completed) and the asynchronous answering-machine verdict. A person gets the agent,
// which is told why it calls and speaks first; a machine gets the voicemail message after its beep, then a hang-up.
//
// Safe by default, because placing calls is how accounts are abused: a bearer key (compared in constant time; without
// one the routes do not exist), destinations within DIAL_ALLOWED_PREFIXES and never premium-rate, at most
// DIAL_RATE_PER_MINUTE calls placed in any minute, and a call being placed holds a MAX_CALLS place.
//
// What a call needs later travels with Twilio, not in this process: the context in the TwiML URL's query (Twilio signs
// it) and then in the stream's <Parameter>s, the voicemail message in the AMD callback's query. So any instance that
// shares TWILIO_AUTH_TOKEN can answer a placed call's requests. What stays here: the record GET /calls/{sid} reads
// (callbacks that reach another instance are not in it; a call placed elsewhere is read from Twilio's REST API
// instead), and the hold of the agent's first words until the verdict.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutboundCallContext } from '../../agents/brain.js';
import type { DialOutcome } from '../../call/call-metrics.js';
import type { Config } from '../../config/config.js';
import { checkDestination, parseAllowedPrefixes, type AllowedPrefixes } from '../../knowledge/dialing.js';
import { phoneNumberProblem } from '../../knowledge/twilio-ids.js';
import type { CallLogger } from '../../log/call-log.js';
import { headerValue, sendJson, sendText, type HttpHandler, type ServerContext } from '../../server/http-server.js';
import type { RequestTarget } from '../../server/request-target.js';
import type { PublicUrls } from './public-urls.js';
import { describeTwilioFailure, type CallControl, type CallPlacer, type TwilioCall } from './twilio-call-actions.js';
import { sayAndHangUpTwiml } from './twiml.js';

/** Longest context or voicemail message: both travel in a URL Twilio fetches, and a phone call is short. */
export const MAX_MESSAGE_CHARS = 1_000;
/** A <Parameter> holds name and value under 500 characters: a long context is carried in pieces of this size. */
const CONTEXT_PIECE_CHARS = 400;
const MAX_API_BODY_BYTES = 16 * 1024;
const MAX_METADATA_KEYS = 20;
const MAX_METADATA_CHARS = 2_000;
/** How long the agent's first words wait for the answering-machine verdict before it speaks anyway. */
export const DEFAULT_AMD_HOLD_MS = 6_000;
/** A placed call Twilio has said nothing more about for this long stops holding a MAX_CALLS place. */
const RINGING_TIMEOUT_MS = 120_000;
/** Records GET /calls/{sid} reads, kept this long after the call ended. */
const RECORD_RETAIN_MS = 60 * 60_000;
const CALL_SID = /^CA[0-9a-f]{32}$/;
/** How many calls placed by other instances are remembered as counted. */
const MAX_COUNTED_ELSEWHERE = 10_000;
const FINAL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const MACHINE = new Set(['machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other']);

/** The outcome of a call that connected, by Twilio's AnsweredBy: a machine, a fax (no one to talk to), or a person. */
function answeredOutcome(answeredBy: string): DialOutcome {
  return MACHINE.has(answeredBy) ? 'voicemail' : answeredBy === 'fax' ? 'failed' : 'answered';
}

const STATUS_MESSAGES: Record<string, string> = {
  queued: 'Queued at Twilio',
  initiated: 'Dialling',
  ringing: 'Ringing',
  'in-progress': 'Answered',
  busy: 'The line was busy',
  'no-answer': 'Nobody answered',
  failed: 'The call could not be connected',
  canceled: 'The call was cancelled before it was answered',
};

/** How an event of a placed call reads, for a status Twilio reported (with the call's seconds, once it ended). */
function statusMessage(status: string, duration: string | undefined): string {
  if (status === 'completed') return `Call ended${duration ? ` after ${duration} s` : ''}`;
  return STATUS_MESSAGES[status] ?? `Status ${status}`;
}

/** One event of a placed call, as GET /calls/{sid} shows it and `voicebridge dial` prints it. */
export interface CallEvent {
  at: string;
  event: string;
  message: string;
}

interface CallRecord {
  sid: string;
  to: string;
  from: string;
  status: string;
  answeredBy: string | undefined;
  outcome: DialOutcome | undefined;
  voicemailLeft: boolean;
  done: boolean;
  metadata: Record<string, unknown>;
  events: CallEvent[];
  placedAt: number;
  /** Holds a MAX_CALLS place until its stream starts, it ends, or Twilio stays silent too long. */
  ringing: boolean;
  endedAt?: number;
  /** The voicemail message being left (or the hang-up on a machine): the call is not reported ended before it settles. */
  onMachine?: Promise<void>;
  /** The SequenceNumber of the last status callback heard: an older one arriving late changes nothing. */
  sequence?: number;
}

export interface OutboundCallsOptions {
  config: Config;
  urls: PublicUrls;
  placer: CallPlacer;
  callControl: CallControl;
  context: ServerContext;
  /** Checks X-Twilio-Signature over a URL and form; the caller of `verifiedForm` reads and limits the body. */
  verifiedForm(request: IncomingMessage, response: ServerResponse, publicUrl: string): Promise<Record<string, string> | undefined>;
  amdHoldMs?: number;
  now?: () => number;
}

/** The stream's <Parameter>s of a placed call: its direction, whom it called, and the context in pieces. */
export function outboundParameters(to: string, context: string | undefined): Record<string, string> {
  const parameters: Record<string, string> = { direction: 'outbound', to };
  const text = context ?? '';
  for (let index = 0; index * CONTEXT_PIECE_CHARS < text.length; index += 1) {
    parameters[`context_${index}`] = text.slice(index * CONTEXT_PIECE_CHARS, (index + 1) * CONTEXT_PIECE_CHARS);
  }
  return parameters;
}

/** The outbound context of a stream, from its start frame's customParameters; undefined for an inbound call. */
export function outboundContextFrom(parameters: Record<string, string>): OutboundCallContext | undefined {
  if (parameters.direction !== 'outbound') return undefined;
  const pieces: string[] = [];
  for (let index = 0; parameters[`context_${index}`] !== undefined; index += 1) pieces.push(parameters[`context_${index}`]!);
  const context = pieces.join('').trim();
  return { to: parameters.to ?? '', ...(context ? { context } : {}) };
}

/** The message left on a machine when the request gave none: who called, and how to call back. */
export function defaultVoicemail(from: string): string {
  const spoken = from.replace(/^\+/, '').split('').join(' ');
  return `Hello, sorry we missed you. Please call us back at plus ${spoken}. Goodbye.`;
}

export class OutboundCalls {
  private readonly records = new Map<string, CallRecord>();
  /** When each of the last calls was placed, for DIAL_RATE_PER_MINUTE. */
  private readonly placedAt: number[] = [];
  /** Sessions waiting for the verdict before the agent speaks, by CallSid: how to let the agent speak. */
  private readonly waiting = new Map<string, { release(): void; timer: NodeJS.Timeout }>();
  private readonly allowed: AllowedPrefixes;
  private readonly now: () => number;
  /** Requests to Twilio that place a call, until Twilio answered: the call's first callbacks may arrive before them. */
  private readonly placing = new Set<Promise<unknown>>();
  /** Calls placed elsewhere whose outcome was counted here, the latest last: a callback Twilio repeats counts once. */
  private readonly countedElsewhere = new Set<string>();

  constructor(private readonly options: OutboundCallsOptions) {
    this.now = options.now ?? (() => Date.now());
    this.allowed = parseAllowedPrefixes(options.config.outbound.allowedPrefixes, options.config.twilio.phoneNumber);
  }

  /** The routes, by path: the API with its key, and Twilio's callbacks (signed). */
  routes(): Array<[string, HttpHandler]> {
    const { urls } = this.options;
    const api: HttpHandler = (request, response) => this.placeRequest(request, response);
    const amd: HttpHandler = (request, response, target) => this.amdCallback(request, response, target);
    const status: HttpHandler = (request, response, target) => this.statusCallback(request, response, target);
    return [
      ...[...urls.callsPaths].map((path): [string, HttpHandler] => [path, api]),
      ...[...urls.outboundAmdPaths].map((path): [string, HttpHandler] => [path, amd]),
      ...[...urls.outboundStatusPaths].map((path): [string, HttpHandler] => [path, status]),
    ];
  }

  /** GET /calls/{sid}, under each API path. */
  prefixRoutes(): Array<[string, HttpHandler]> {
    const follow: HttpHandler = (request, response, target) => this.followRequest(request, response, target);
    return [...this.options.urls.callsPaths].map((path): [string, HttpHandler] => [`${path}/`, follow]);
  }

  /**
   * Calls placed here that have not started their stream nor ended: each holds a MAX_CALLS place. So does a call whose
   * request to Twilio is still on its way, or requests arriving together would all be let through while none has a
   * record yet.
   */
  get ringing(): number {
    const now = this.now();
    let count = this.placing.size;
    for (const record of this.records.values()) if (record.ringing && now - record.placedAt < RINGING_TIMEOUT_MS) count += 1;
    return count;
  }

  /** Whether this instance placed the call (its webhook then needs no MAX_CALLS place of its own). */
  placedHere(callSid: string): boolean {
    return this.records.has(callSid);
  }

  /** The placed call's TwiML was fetched or its stream started: it holds a place as a call from now on, not as ringing. */
  connected(callSid: string, what: string, event = 'connected'): void {
    const record = this.records.get(callSid);
    if (!record) return;
    record.ringing = false;
    this.event(record, event, what);
  }

  /**
   * Resolves when the agent may speak: a person answered (the verdict came, here, before or after the stream
   * started), or no verdict came within the hold (it went to another instance, or Twilio could not tell). A machine's
   * verdict never resolves it: the call is redirected to the voicemail message and its stream ends.
   */
  personAnswered(callSid: string, log: CallLogger): Promise<void> {
    const holdMs = this.options.amdHoldMs ?? DEFAULT_AMD_HOLD_MS;
    const answeredBy = this.records.get(callSid)?.answeredBy;
    if (answeredBy !== undefined) {
      // A machine's verdict came before the stream: the call is already on its way to the voicemail message.
      return MACHINE.has(answeredBy) || answeredBy === 'fax' ? new Promise<void>(() => undefined) : Promise.resolve();
    }
    this.stopWaiting(callSid);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(callSid);
        log.info(`No answering-machine verdict within ${(holdMs / 1000).toFixed(1)} s: the agent speaks first`);
        resolve();
      }, holdMs);
      this.waiting.set(callSid, { release: resolve, timer });
    });
  }

  /** The call's session ended: nothing waits for its verdict any more. */
  sessionEnded(callSid: string): void {
    this.stopWaiting(callSid);
  }

  /** Forgets the session waiting for this call's verdict, without letting its agent speak. */
  private stopWaiting(callSid: string): void {
    const waiting = this.waiting.get(callSid);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(callSid);
  }

  /**
   * The record of a call placed here. A callback may overtake Twilio's answer to the request that placed its call:
   * while calls are being placed, it waits for them (the record is stored as soon as Twilio answered).
   */
  private async recordFor(callSid: string): Promise<CallRecord | undefined> {
    const known = this.records.get(callSid);
    if (known || this.placing.size === 0) return known;
    await Promise.allSettled([...this.placing]);
    return this.records.get(callSid);
  }

  private log(callSid: string): CallLogger {
    return this.options.context.log.forCall(callSid);
  }

  private event(record: CallRecord, event: string, message: string): void {
    record.events.push({ at: new Date(this.now()).toISOString(), event, message });
  }

  private count(record: CallRecord | undefined, callSid: string, outcome: DialOutcome): void {
    if (record) {
      if (record.outcome !== undefined) return;
      record.outcome = outcome;
    } else {
      if (this.countedElsewhere.has(callSid)) return;
      this.countedElsewhere.add(callSid);
      // Bounded: repeats come within minutes, so the oldest SIDs can go.
      if (this.countedElsewhere.size > MAX_COUNTED_ELSEWHERE) this.countedElsewhere.delete(this.countedElsewhere.values().next().value!);
    }
    this.options.context.metrics.callDialled(outcome);
    this.log(callSid).info(`Outbound call outcome: ${outcome}`);
  }

  /** Forgets records an hour after their call ended (or two hours after it was placed, if no end was heard). */
  private sweep(): void {
    const now = this.now();
    for (const [sid, record] of this.records) {
      const since = record.endedAt ?? record.placedAt + RECORD_RETAIN_MS;
      if (now - since > RECORD_RETAIN_MS) this.records.delete(sid);
    }
  }

  /** The bearer key, compared in constant time (digests of equal length); answers 401 and returns false when it does not match. */
  private authorised(request: IncomingMessage, response: ServerResponse): boolean {
    const key = this.options.config.outbound.apiKey ?? '';
    const header = headerValue(request.headers.authorization) ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
    const ok = match !== null && timingSafeEqual(digest(match[1]!), digest(key));
    if (ok) return true;
    const why = match === null ? 'no Authorization: Bearer header' : 'a key that does not match VOICEBRIDGE_API_KEY';
    this.options.context.unauthenticatedLog.write('calls-401', `Refused a request to the calls API: ${why}`, (line) => this.options.context.log.warn(line));
    response.setHeader('connection', 'close');
    sendJson(
      response,
      401,
      { error: match === null ? 'Send the API key as Authorization: Bearer <VOICEBRIDGE_API_KEY>.' : 'The API key does not match VOICEBRIDGE_API_KEY.' },
      { 'www-authenticate': 'Bearer realm="voicebridge"' },
    );
    return false;
  }

  private async placeRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendJson(response, 405, { error: 'POST /calls places a call; GET /calls/{call_sid} follows one.' });
      return;
    }
    if (!this.authorised(request, response)) return;
    const body = await readJson(request, MAX_API_BODY_BYTES);
    if (!body.ok) {
      // A body refused before it was read whole: the connection cannot carry another request.
      if (body.status === 413) response.setHeader('connection', 'close');
      sendJson(response, body.status, { error: body.error });
      return;
    }
    const parsed = parseCallRequest(body.value);
    if (!parsed.ok) {
      sendJson(response, 400, { error: parsed.error });
      return;
    }
    const { to, context, voicemail, metadata } = parsed.value;
    const { config, context: server } = this.options;
    const from = config.twilio.phoneNumber?.trim();
    if (!from) {
      sendJson(response, 500, { error: 'TWILIO_PHONE_NUMBER is not set: calls are placed from it. Set it in .env and restart serve.' });
      return;
    }
    if (!this.allowed.ok) {
      server.log.warn(`Refused to place a call: ${this.allowed.problem}`);
      sendJson(response, 403, { error: this.allowed.problem });
      return;
    }
    if (to === from) {
      const problem = `${to} is TWILIO_PHONE_NUMBER, the number calls are placed from: a call to it would ring back into this server. Give the callee's number.`;
      server.log.warn(`Refused to place a call: ${problem}`);
      sendJson(response, 403, { error: problem });
      return;
    }
    const destination = checkDestination(to, this.allowed.prefixes, config.outbound.allowedPrefixes === undefined);
    if (!destination.ok) {
      server.log.warn(`Refused to place a call: ${destination.problem}`);
      sendJson(response, 403, { error: destination.problem });
      return;
    }
    const refusal = server.admission();
    if (refusal) {
      const error =
        refusal === 'refused_busy'
          ? `MAX_CALLS=${server.maxCalls} calls are already in progress, connecting or being placed: try again when one ends, or raise MAX_CALLS.`
          : 'The server is stopping and places no new calls.';
      server.log.warn(`Refused to place a call: ${error}`);
      sendJson(response, 503, { error }, { 'retry-after': '30' });
      return;
    }
    const now = this.now();
    while (this.placedAt.length > 0 && now - this.placedAt[0]! >= 60_000) this.placedAt.shift();
    const limit = config.outbound.ratePerMinute;
    if (this.placedAt.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil((this.placedAt[0]! + 60_000 - now) / 1000));
      const error = `DIAL_RATE_PER_MINUTE=${limit}: ${limit} call${limit === 1 ? ' was' : 's were'} placed in the last minute. Try again in ${retryAfter} s, or raise DIAL_RATE_PER_MINUTE.`;
      server.log.warn(`Refused to place a call: ${error}`);
      sendJson(response, 429, { error, retry_after_seconds: retryAfter }, { 'retry-after': String(retryAfter) });
      return;
    }
    this.placedAt.push(now);
    const { urls } = this.options;
    const twimlUrl = context ? `${urls.outboundCall}?${new URLSearchParams({ context }).toString()}` : urls.outboundCall;
    const message = voicemail === false ? undefined : (voicemail ?? defaultVoicemail(from));
    const amdUrl = `${urls.outboundAmd}?${new URLSearchParams(message === undefined ? { voicemail: 'none' } : { voicemail: 'say', message }).toString()}`;
    let placed: { sid: string; status: string };
    const placing = this.options.placer.place({ to, from, url: twimlUrl, statusCallback: urls.outboundStatus, amdCallback: amdUrl });
    this.placing.add(placing);
    try {
      placed = await placing;
    } catch (error) {
      this.placing.delete(placing);
      // The place it held is free again: a drain may be waiting for it.
      server.callsChanged();
      const why = describeTwilioFailure(error);
      server.log.error(`Twilio did not place the call to ${to}: ${why}`);
      sendJson(response, 502, { error: `Twilio did not place the call: ${why}` });
      return;
    }
    // Its record, stored below before anything else runs, holds the place from here on.
    this.placing.delete(placing);
    this.sweep();
    const record: CallRecord = {
      sid: placed.sid,
      to,
      from,
      status: placed.status,
      answeredBy: undefined,
      outcome: undefined,
      voicemailLeft: false,
      done: false,
      metadata,
      events: [],
      placedAt: now,
      ringing: true,
    };
    this.records.set(placed.sid, record);
    this.event(record, 'placed', `Calling ${to} from ${from}`);
    this.log(placed.sid).info(`Placing a call to ${to} from ${from}${context ? ` (context: ${context})` : ''}`);
    server.callsChanged();
    sendJson(response, 202, { call_sid: placed.sid });
  }

  private async followRequest(request: IncomingMessage, response: ServerResponse, target: RequestTarget): Promise<void> {
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      sendJson(response, 405, { error: 'GET /calls/{call_sid} follows a call; POST /calls places one.' });
      return;
    }
    if (!this.authorised(request, response)) return;
    const sid = target.pathname.slice(target.pathname.lastIndexOf('/') + 1);
    const record = CALL_SID.test(sid) ? this.records.get(sid) : undefined;
    if (record) {
      sendJson(response, 200, {
        call_sid: record.sid,
        to: record.to,
        from: record.from,
        status: record.status,
        answered_by: record.answeredBy ?? null,
        outcome: record.outcome ?? null,
        voicemail_left: record.voicemailLeft,
        done: record.done,
        metadata: record.metadata,
        events: record.events,
      });
      return;
    }
    const notFound = (): void => sendJson(response, 404, { error: `No call ${sid} was placed from TWILIO_PHONE_NUMBER through the calls API.` });
    const from = this.options.config.twilio.phoneNumber?.trim();
    if (!CALL_SID.test(sid) || !from) return notFound();
    // Placed by another instance behind the load balancer (or by this one before a restart): Twilio knows how it went.
    let call: TwilioCall | undefined;
    try {
      call = await this.options.callControl.fetch(sid);
    } catch (error) {
      const why = describeTwilioFailure(error);
      this.log(sid).warn(`Could not ask Twilio how the call goes: ${why}`);
      sendJson(response, 502, { error: `Call ${sid} was not placed by this instance, and Twilio's REST API could not be asked about it: ${why}. Try again.` });
      return;
    }
    // Only the calls this account places from our number: not inbound calls, nor <Dial> legs, nor calls from other numbers.
    if (!call || call.direction !== 'outbound-api' || call.from !== from) return notFound();
    sendJson(response, 200, this.fromTwilio(call));
  }

  /**
   * The answer to GET /calls/{sid} for a call placed elsewhere, from what Twilio's REST API says of it. The outcome is
   * read the way the callbacks read it; whether a voicemail message was left, and the request's metadata, were known
   * only to the instance that placed the call (null). The events are what the call's state shows it went through.
   */
  private fromTwilio(call: TwilioCall): Record<string, unknown> {
    const { status, answeredBy } = call;
    const done = FINAL_STATUSES.has(status);
    const duration = Number(call.duration ?? '0');
    const answered = status === 'in-progress' || (status === 'completed' && (duration > 0 || answeredBy !== null));
    const machine = answeredBy !== null && MACHINE.has(answeredBy);
    let outcome: DialOutcome | null = null;
    if (status === 'busy') outcome = 'busy';
    else if (status === 'no-answer') outcome = 'no_answer';
    else if (status === 'failed' || status === 'canceled') outcome = 'failed';
    else if (answeredBy !== null) outcome = answeredOutcome(answeredBy);
    else if (status === 'completed' && duration > 0) outcome = 'answered';
    const at = (date: Date | null | undefined): string => (date ?? new Date(this.now())).toISOString();
    const events: CallEvent[] = [{ at: at(call.dateCreated), event: 'placed', message: `Calling ${call.to} from ${call.from}` }];
    // A call answered, or left unanswered, rang first; one busy, failed or cancelled may not have.
    if (status === 'ringing' || status === 'no-answer' || answered) events.push({ at: at(call.startTime), event: 'ringing', message: STATUS_MESSAGES.ringing! });
    if (answered) {
      // Ended: its seconds count from the answer. Live: its last change was the answer (or the verdict just after it).
      const answeredAt = call.endTime && duration > 0 ? new Date(call.endTime.getTime() - duration * 1000) : status === 'in-progress' ? call.dateUpdated : call.startTime;
      events.push({ at: at(answeredAt), event: 'answered', message: STATUS_MESSAGES['in-progress']! });
    }
    if (done) events.push({ at: at(call.endTime ?? call.dateUpdated), event: status.replace('-', '_'), message: statusMessage(status, call.duration ?? undefined) });
    return {
      call_sid: call.sid,
      to: call.to,
      from: call.from,
      status,
      answered_by: answeredBy,
      outcome,
      voicemail_left: machine ? null : false,
      done,
      metadata: null,
      events,
    };
  }

  /**
   * A callback of a placed call, signed by Twilio for `url` and naming its CallSid, answered 204 at once: Twilio needs
   * only a 2xx, so it is acknowledged before the call is acted on. Undefined when it was refused (already answered).
   */
  private async acknowledgedCallback(
    request: IncomingMessage,
    response: ServerResponse,
    url: string,
  ): Promise<{ params: Record<string, string>; callSid: string } | undefined> {
    const params = await this.options.verifiedForm(request, response, url);
    if (!params) return undefined;
    const callSid = params.CallSid ?? '';
    if (!CALL_SID.test(callSid)) {
      sendText(response, 400, 'Missing CallSid');
      return undefined;
    }
    response.writeHead(204);
    response.end();
    return { params, callSid };
  }

  /** Leaves the voicemail message (or hangs up without one) on a machine; never rejects: a failure is logged and recorded. */
  private async actOnMachine(record: CallRecord | undefined, callSid: string, message: string | undefined, log: CallLogger): Promise<void> {
    try {
      if (message) {
        await this.options.callControl.redirect(callSid, await sayAndHangUpTwiml(message));
        if (record) {
          record.voicemailLeft = true;
          this.event(record, 'voicemail_left', 'Left the voicemail message after the beep');
        }
        log.info('Left the voicemail message after the beep; Twilio hangs up after it');
      } else {
        await this.options.callControl.hangUp(callSid);
        if (record) this.event(record, 'hung_up', 'Hung up on the answering machine (no voicemail)');
      }
    } catch (error) {
      log.error(`Could not ${message ? 'leave the voicemail message' : 'hang up'} through Twilio's REST API: ${describeTwilioFailure(error)}`);
      if (record) this.event(record, 'error', `Could not ${message ? 'leave the voicemail message' : 'hang up'}: ${describeTwilioFailure(error)}`);
    }
  }

  /** Twilio's asynchronous answering-machine verdict: a person gets the agent, a machine the voicemail message. */
  private async amdCallback(request: IncomingMessage, response: ServerResponse, target: RequestTarget): Promise<void> {
    const callback = await this.acknowledgedCallback(request, response, `${this.options.urls.outboundAmd}${target.search}`);
    if (!callback) return;
    const { params, callSid } = callback;
    const answeredBy = params.AnsweredBy ?? 'unknown';
    const log = this.log(callSid);
    const record = await this.recordFor(callSid);
    const duration = params.MachineDetectionDuration ? ` after ${params.MachineDetectionDuration} ms` : '';
    // Twilio retried, or a signed request was replayed: the call was already acted on once (here, if placed elsewhere).
    if (record ? record.answeredBy !== undefined : this.countedElsewhere.has(callSid)) {
      log.info(`Ignored a repeated answering-machine verdict (${answeredBy}${duration})${record ? `: the first was ${record.answeredBy}` : ''}`);
      return;
    }
    if (record) record.answeredBy = answeredBy;
    if (record?.endedAt !== undefined) {
      // The call ended before Twilio could tell (the callee hung up during the greeting): there is nothing to act on.
      log.info(`The answering-machine verdict (${answeredBy}${duration}) came after the call ended`);
      this.count(record, callSid, answeredOutcome(answeredBy));
      return;
    }
    if (MACHINE.has(answeredBy)) {
      const query = new URLSearchParams(target.search);
      const message = query.get('voicemail') === 'say' ? query.get('message')?.slice(0, MAX_MESSAGE_CHARS) : undefined;
      log.info(`An answering machine answered (${answeredBy}${duration})${message ? ': leaving the voicemail message' : ': hanging up, no voicemail'}`);
      if (record) this.event(record, 'machine', `An answering machine answered (${answeredBy})`);
      this.count(record, callSid, 'voicemail');
      this.stopWaiting(callSid);
      const onMachine = this.actOnMachine(record, callSid, message, log);
      if (record) record.onMachine = onMachine;
      await onMachine;
      return;
    }
    if (answeredBy === 'fax') {
      log.info(`A fax machine answered${duration}: hanging up`);
      if (record) this.event(record, 'fax', 'A fax machine answered');
      this.count(record, callSid, 'failed');
      this.stopWaiting(callSid);
      await this.options.callControl.hangUp(callSid).catch((error: unknown) => log.error(`Could not hang up through Twilio's REST API: ${describeTwilioFailure(error)}`));
      return;
    }
    // human, or unknown: Twilio could not tell, and a person is more likely than a machine that says nothing.
    log.info(answeredBy === 'human' ? `A person answered${duration}: the agent speaks` : `Twilio could not tell who answered (${answeredBy}${duration}): the agent speaks`);
    if (record) this.event(record, 'person', answeredBy === 'human' ? 'A person answered: the agent is talking with them' : 'Someone answered (Twilio could not tell a person from a machine): the agent is talking');
    this.count(record, callSid, 'answered');
    const waiting = this.waiting.get(callSid);
    this.stopWaiting(callSid);
    waiting?.release();
  }

  /** Twilio's status callbacks: how far the call got, and how it ended. */
  private async statusCallback(request: IncomingMessage, response: ServerResponse, target: RequestTarget): Promise<void> {
    const callback = await this.acknowledgedCallback(request, response, `${this.options.urls.outboundStatus}${target.search}`);
    if (!callback) return;
    const { params, callSid } = callback;
    const status = params.CallStatus ?? '';
    const record = await this.recordFor(callSid);
    const log = this.log(callSid);
    if (status === '') {
      log.warn('Ignored a status callback without a CallStatus');
      return;
    }
    if (record) {
      // Twilio's callbacks may come twice or out of order: one after the call's end, or older than one already heard,
      // would report the call again or take it back to an earlier state.
      const sequence = Number(params.SequenceNumber ?? 'NaN');
      const older = Number.isInteger(sequence) && record.sequence !== undefined && (sequence < record.sequence || (sequence === record.sequence && status === record.status));
      if (record.endedAt !== undefined || older) {
        log.info(`Ignored a late or repeated status callback (${status})`);
        return;
      }
      if (Number.isInteger(sequence)) record.sequence = sequence;
      record.status = status;
    }
    const message = statusMessage(status, params.CallDuration);
    log.info(`Outbound call status: ${status}`);
    if (record) this.event(record, status === 'in-progress' ? 'answered' : status.replace('-', '_'), message);
    if (!FINAL_STATUSES.has(status)) return;
    if (status === 'busy') this.count(record, callSid, 'busy');
    else if (status === 'no-answer') this.count(record, callSid, 'no_answer');
    else if (status === 'failed' || status === 'canceled') this.count(record, callSid, 'failed');
    // Answered, and no verdict was heard here: the AMD callback reached another instance, or never came.
    else if (record && record.outcome === undefined && Number(params.CallDuration ?? '0') > 0) {
      const answeredBy = params.AnsweredBy ?? '';
      this.count(record, callSid, answeredOutcome(answeredBy));
    }
    if (record) {
      record.ringing = false;
      record.endedAt = this.now();
      // Ended while the voicemail message was being left: the call is reported ended once it is known whether it was.
      await record.onMachine;
      record.done = true;
    }
    this.stopWaiting(callSid);
    this.options.context.callsChanged();
  }
}

interface CallRequest {
  to: string;
  context: string | undefined;
  /** The message, false for none, undefined for the default one. */
  voicemail: string | false | undefined;
  metadata: Record<string, unknown>;
}

const FIELDS = new Set(['to', 'context', 'voicemail', 'metadata']);

/** The body of POST /calls, checked field by field: each problem says what the field takes. */
export function parseCallRequest(body: unknown): { ok: true; value: CallRequest } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'The body must be a JSON object: { "to": "+14155550123", "context"?: "…", "voicemail"?: "…" | false, "metadata"?: {…} }.' };
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) return { ok: false, error: `Unknown field "${unknown}": the body takes to, context, voicemail and metadata.` };
  if (fields.to === undefined || fields.to === null || (typeof fields.to === 'string' && fields.to.trim() === '')) {
    return { ok: false, error: '"to" is required: the number to call, in E.164 form (e.g. "+14155550123").' };
  }
  if (typeof fields.to !== 'string') return { ok: false, error: '"to" must be a string: the number to call, in E.164 form (e.g. "+14155550123").' };
  // A number not written in E.164 is a malformed request (400); one well written but not allowed is refused later (403).
  const format = phoneNumberProblem(fields.to.trim());
  if (format) return { ok: false, error: `"to" ${format}` };
  const text = (name: string, value: unknown): string | undefined | { error: string } => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return { error: `"${name}" must be a string.` };
    const trimmed = value.trim();
    if (trimmed.length > MAX_MESSAGE_CHARS) return { error: `"${name}" is ${trimmed.length} characters; at most ${MAX_MESSAGE_CHARS} are taken.` };
    return trimmed === '' ? undefined : trimmed;
  };
  const context = text('context', fields.context);
  if (typeof context === 'object') return { ok: false, error: context.error };
  let voicemail: string | false | undefined;
  if (fields.voicemail === false) voicemail = false;
  else if (typeof fields.voicemail === 'string' && fields.voicemail.trim() === '') {
    // An empty message is not the default one: it is most likely a template that filled nothing in.
    return { ok: false, error: '"voicemail" is empty. Give the message to leave on a machine, false to hang up on one, or leave it out for the default message.' };
  } else {
    const message = text('voicemail', fields.voicemail);
    if (typeof message === 'object') return { ok: false, error: `${message.error} Give the message to leave on a machine, or false to hang up on one.` };
    voicemail = message;
  }
  const metadata = fields.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return { ok: false, error: '"metadata" must be an object of your own keys and values (returned by GET /calls/{call_sid}).' };
  if (Object.keys(metadata).length > MAX_METADATA_KEYS || JSON.stringify(metadata).length > MAX_METADATA_CHARS) {
    return { ok: false, error: `"metadata" takes at most ${MAX_METADATA_KEYS} keys and ${MAX_METADATA_CHARS} characters of JSON.` };
  }
  return { ok: true, value: { to: fields.to.trim(), context, voicemail, metadata: metadata as Record<string, unknown> } };
}

async function readJson(request: IncomingMessage, maxBytes: number): Promise<{ ok: true; value: unknown } | { ok: false; status: number; error: string }> {
  const declared = Number(headerValue(request.headers['content-length']) ?? '0');
  if (declared > maxBytes) return { ok: false, status: 413, error: `The body is ${declared} bytes; at most ${maxBytes} are taken.` };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return { ok: false, status: 413, error: `The body is more than ${maxBytes} bytes.` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, error: 'The body is not JSON. Send { "to": "+14155550123" } with Content-Type: application/json.' };
  }
}
