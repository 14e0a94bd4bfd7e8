// A fake of OpenAI's SIP side on FakeOpenAI: calls that "arrive" from a SIP trunk, the signed webhooks OpenAI sends
// for them (Standard Webhooks, exactly as OpenAI signs: HMAC-SHA256 over `<id>.<timestamp>.<body>` with the
// base64-decoded part of the whsec_ secret), and the call endpoints: Realtime's /realtime/calls/{call_id}/… and
// GPT-Live's /live/sessions/{session_id}/… accept, reject, refer and hangup. An accept is refused 404 for a call that is
// unknown or already accepted, so a call is never answered twice. The sidebands (Realtime ?call_id=, GPT-Live
// /attach) are served by the fake voice services, which look the call up here; a test plays the caller through
// `FakeSipCall` (say, press, hang up) and reads what the caller heard from it.
import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FakeRequest } from '../http-fake.js';
import type { FakeOpenAI } from './fake-openai.js';
import { fakeId } from './ids.js';
import { sendOpenAIError } from './openai-errors.js';

type Json = Record<string, unknown>;

export type SipRuntime = 'realtime' | 'live';

/** The accept fields OpenAI refuses for SIP calls (reported in openai-agents-js #741): VAD tuning is not accepted. */
const REFUSED_TURN_DETECTION_FIELDS = ['threshold', 'prefix_padding_ms', 'silence_duration_ms'] as const;

export interface FakeSipCallEvents {
  /** The caller says this (the fake's "speech": its transcript is exactly these words). */
  say: [text: string];
  /** The caller presses a key. */
  press: [digit: string];
  /** The call ended (hang-up by either side, or a transfer): sidebands close normally. */
  ended: [];
}

/** One call OpenAI answered over SIP, from the webhook to its end. */
export class FakeSipCall extends EventEmitter<FakeSipCallEvents> {
  /** The Realtime ID (`rtc_…`) and the GPT-Live ID (`live_…`) of the same pending call: they are never converted. */
  readonly callId = fakeId('rtc_');
  readonly sessionId = fakeId('live_');
  state: 'ringing' | 'accepted' | 'rejected' | 'ended' = 'ringing';
  /** Which runtime's accept took the call. */
  acceptedAs: SipRuntime | undefined;
  /** The accept's body, as the bridge sent it. */
  acceptBody: Json | undefined;
  /** The OpenAI-Project header of the accept that took the call (a key of several projects needs it). */
  acceptProject: string | undefined;
  /** Every accept attempt, successful or not, with its answer status. */
  readonly acceptAttempts: Array<{ runtime: SipRuntime; status: number }> = [];
  readonly refers: string[] = [];
  hangups = 0;
  rejectedWith: number | undefined;
  /** Sentences the caller heard to the end, in order. */
  readonly heard: string[] = [];
  /** Sentences cut off while playing (a barge-in). */
  readonly cutOff: string[] = [];
  /** Sideband connections opened for this call, in order. */
  sidebands = 0;
  /** How many of the next sideband attachments to refuse (404, as for a call OpenAI no longer has). */
  refuseAttach = 0;

  constructor(readonly sipHeaders: Array<{ name: string; value: string }>) {
    super();
  }

  /** The caller says `text`. */
  say(text: string): void {
    this.emit('say', text);
  }

  /** The caller presses a key on the keypad. */
  press(digit: string): void {
    this.emit('press', digit);
  }

  /** The caller hangs up. */
  hangUp(): void {
    this.end();
  }

  /** Whether a sideband may attach to this call as `runtime`. */
  attachable(runtime: SipRuntime): boolean {
    if (this.state !== 'accepted' || this.acceptedAs !== runtime) return false;
    if (this.refuseAttach > 0) {
      this.refuseAttach -= 1;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.emit('ended');
  }
}

export interface PlaceCallOptions {
  from?: string;
  to?: string;
  /** X-Twilio-CallSid, as a Twilio Elastic SIP Trunk adds it; null leaves the header out. */
  twilioCallSid?: string | null;
}

export interface WebhookDelivery {
  status: number;
  body: string;
  /** The webhook's ID, for sending it again (a retry, or a replay). */
  webhookId: string;
}

export interface WebhookOptions {
  /** Default: a fresh `wh_…` ID. */
  webhookId?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Signs with this secret instead (a forgery). */
  signWith?: string;
  /** Sends no signature headers at all. */
  unsigned?: boolean;
}

export class FakeSip {
  readonly calls: FakeSipCall[] = [];

  constructor(fake: FakeOpenAI) {
    for (const runtime of ['realtime', 'live'] as const) {
      const base = runtime === 'realtime' ? '/realtime/calls/:id' : '/live/sessions/:id';
      fake.api('POST', `${base}/accept`, (request, response) => this.accept(runtime, request, response));
      fake.api('POST', `${base}/reject`, (request, response) => this.reject(runtime, request, response));
      fake.api('POST', `${base}/refer`, (request, response) => this.refer(runtime, request, response));
      fake.api('POST', `${base}/hangup`, (request, response) => this.hangup(runtime, request, response));
    }
  }

  /** A call arrives from the trunk: OpenAI holds it ringing until a webhook's receiver accepts it. */
  placeCall(options: PlaceCallOptions = {}): FakeSipCall {
    const from = options.from ?? '+14155550123';
    const to = options.to ?? '+14155550100';
    const headers = [
      { name: 'From', value: `"Caller" <sip:${from}@trunk.pstn.twilio.com>;tag=${randomBytes(4).toString('hex')}` },
      { name: 'To', value: `<sip:${to}@sip.api.openai.com>` },
      { name: 'Call-ID', value: `${randomBytes(8).toString('hex')}@trunk.pstn.twilio.com` },
    ];
    const callSid = options.twilioCallSid === undefined ? `CA${randomBytes(16).toString('hex')}` : options.twilioCallSid;
    if (callSid !== null) headers.push({ name: 'X-Twilio-CallSid', value: callSid });
    const call = new FakeSipCall(headers);
    this.calls.push(call);
    return call;
  }

  /** The call by either of its IDs. */
  find(id: string): FakeSipCall | undefined {
    return this.calls.find((call) => call.callId === id || call.sessionId === id);
  }

  /** The webhook event OpenAI sends for this call and runtime. */
  incomingEvent(call: FakeSipCall, runtime: SipRuntime): Json {
    const id = `evt_${randomBytes(12).toString('hex')}`;
    const created_at = Math.floor(Date.now() / 1000);
    if (runtime === 'realtime') {
      return { id, object: 'event', created_at, type: 'realtime.call.incoming', data: { call_id: call.callId, sip_headers: call.sipHeaders, sip_media_security: 'srtp' } };
    }
    return {
      id,
      object: 'event',
      created_at,
      type: 'live.transport.incoming',
      data: { session_id: call.sessionId, type: 'sip', sip_headers: call.sipHeaders, sip_media_security: 'srtp' },
    };
  }

  /** POSTs one signed webhook of `event` to `url`, as OpenAI does. */
  async sendWebhook(url: string, secret: string, event: Json, options: WebhookOptions = {}): Promise<WebhookDelivery> {
    const body = JSON.stringify(event);
    const webhookId = options.webhookId ?? `wh_${randomBytes(12).toString('hex')}`;
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)' };
    if (!options.unsigned) {
      headers['webhook-id'] = webhookId;
      headers['webhook-timestamp'] = timestamp;
      headers['webhook-signature'] = signStandardWebhook(options.signWith ?? secret, webhookId, timestamp, body);
    }
    const response = await fetch(url, { method: 'POST', headers, body });
    return { status: response.status, body: await response.text(), webhookId };
  }

  /** Both webhooks OpenAI sends for a call (Realtime's, then GPT-Live's), each once; their deliveries in that order. */
  async ring(call: FakeSipCall, url: string, secret: string): Promise<WebhookDelivery[]> {
    return [await this.sendWebhook(url, secret, this.incomingEvent(call, 'realtime')), await this.sendWebhook(url, secret, this.incomingEvent(call, 'live'))];
  }

  private accept(runtime: SipRuntime, request: FakeRequest, response: ServerResponse): void {
    const call = this.callFor(runtime, request, response);
    if (!call) return;
    const body = (request.body ?? {}) as Json;
    if (call.state !== 'ringing') {
      call.acceptAttempts.push({ runtime, status: 404 });
      notFound(response, runtime, request.params.id ?? '');
      return;
    }
    const problem = runtime === 'realtime' ? realtimeAcceptProblem(body) : liveAcceptProblem(body);
    if (problem) {
      call.acceptAttempts.push({ runtime, status: 400 });
      sendOpenAIError(response, 400, { message: problem.message, type: 'invalid_request_error', param: problem.param, code: 'invalid_value' });
      return;
    }
    call.acceptAttempts.push({ runtime, status: 200 });
    call.state = 'accepted';
    call.acceptedAs = runtime;
    call.acceptBody = body;
    const project = request.headers['openai-project'];
    call.acceptProject = typeof project === 'string' ? project : undefined;
    response.writeHead(200);
    response.end();
  }

  private reject(runtime: SipRuntime, request: FakeRequest, response: ServerResponse): void {
    const call = this.callFor(runtime, request, response);
    if (!call) return;
    if (call.state !== 'ringing') {
      notFound(response, runtime, request.params.id ?? '');
      return;
    }
    const status = Number((request.body as Json | undefined)?.status_code ?? 603);
    call.state = 'rejected';
    call.rejectedWith = status;
    response.writeHead(200);
    response.end();
  }

  private refer(runtime: SipRuntime, request: FakeRequest, response: ServerResponse): void {
    const call = this.activeCall(runtime, request, response);
    if (!call) return;
    const target = (request.body as Json | undefined)?.target_uri;
    if (typeof target !== 'string' || !/^(tel:\+[1-9]\d{6,14}|sips?:.+)$/.test(target)) {
      sendOpenAIError(response, 400, { message: "Invalid 'target_uri': expected a tel: or sip: URI.", type: 'invalid_request_error', param: 'target_uri', code: 'invalid_value' });
      return;
    }
    call.refers.push(target);
    response.writeHead(200);
    response.end();
    // The caller is handed on: OpenAI's leg of the call ends.
    call.end();
  }

  private hangup(runtime: SipRuntime, request: FakeRequest, response: ServerResponse): void {
    const call = this.activeCall(runtime, request, response);
    if (!call) return;
    call.hangups += 1;
    response.writeHead(200);
    response.end();
    call.end();
  }

  private callFor(runtime: SipRuntime, request: FakeRequest, response: ServerResponse): FakeSipCall | undefined {
    const id = request.params.id ?? '';
    const call = this.calls.find((each) => (runtime === 'realtime' ? each.callId : each.sessionId) === id);
    if (!call) notFound(response, runtime, id);
    return call;
  }

  private activeCall(runtime: SipRuntime, request: FakeRequest, response: ServerResponse): FakeSipCall | undefined {
    const call = this.callFor(runtime, request, response);
    if (!call) return undefined;
    if (call.state !== 'accepted' || call.acceptedAs !== runtime) {
      notFound(response, runtime, request.params.id ?? '');
      return undefined;
    }
    return call;
  }
}

/** The Standard Webhooks signature header value OpenAI sends: `v1,<base64 HMAC-SHA256>`. */
export function signStandardWebhook(secret: string, webhookId: string, timestamp: string, body: string): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  return `v1,${createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64')}`;
}

/** A webhook secret in OpenAI's shape, for tests. */
export function fakeWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function notFound(response: ServerResponse, runtime: SipRuntime, id: string): void {
  sendOpenAIError(response, 404, {
    message: runtime === 'realtime' ? `Call '${id}' not found or no longer pending.` : `Session '${id}' not found or no longer pending.`,
    type: 'invalid_request_error',
    param: null,
    code: 'not_found',
  });
}

function realtimeAcceptProblem(body: Json): { message: string; param: string } | undefined {
  if (body.type !== 'realtime') return { message: "Missing required parameter: 'type'.", param: 'type' };
  const turnDetection = ((((body.audio ?? {}) as Json).input ?? {}) as Json).turn_detection as Json | null | undefined;
  for (const field of REFUSED_TURN_DETECTION_FIELDS) {
    if (turnDetection && field in turnDetection) return { message: `Unknown parameter: 'audio.input.turn_detection.${field}'.`, param: `audio.input.turn_detection.${field}` };
  }
  const format = (((body.audio ?? {}) as Json).input as Json | undefined)?.format ?? (((body.audio ?? {}) as Json).output as Json | undefined)?.format;
  if (format !== undefined) return { message: 'The audio format of a SIP call is negotiated by SIP and cannot be set.', param: 'audio.input.format' };
  return undefined;
}

function liveAcceptProblem(body: Json): { message: string; param: string } | undefined {
  const session = body.session as Json | undefined;
  if (!session || session.type !== 'live') return { message: "Missing required parameter: 'session.type'.", param: 'session.type' };
  if (typeof session.model !== 'string') return { message: "Missing required parameter: 'session.model'.", param: 'session.model' };
  if ((session.audio as Json | undefined)?.format !== undefined) return { message: "Unknown parameter: 'session.audio.format'.", param: 'session.audio.format' };
  return undefined;
}
