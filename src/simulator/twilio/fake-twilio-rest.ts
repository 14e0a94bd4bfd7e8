// A protocol-faithful fake of the Twilio REST API (2010-04-01) on 127.0.0.1, for the real `twilio` client to talk to
// through TWILIO_API_BASE_URL. HTTP Basic auth as Twilio does it (Account SID + auth token, or API key SID + secret with
// the account in the path); errors in Twilio's body shape { code, message, more_info, status }.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { readStreamTwiml, StreamTwimlError } from '../../softphone/stream-twiml.js';
import { signTwilioRequest } from '../../softphone/twilio-request-signer.js';
import { HttpFake, sendJson, type FakeRequest } from '../http-fake.js';
import { FakeTrunking } from './fake-trunking.js';
import { fakeSid, formBody, rfc2822, sendTwilioError } from './twilio-wire.js';

export { fakeSid, sendTwilioError, twilioError, type TwilioErrorBody } from './twilio-wire.js';

export const FAKE_TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const FAKE_TWILIO_AUTH_TOKEN = 'fa4e70ce5a17b0d9c3e2f1a0b9c8d7e6';
export const FAKE_TWILIO_API_KEY = 'SKfedcba9876543210fedcba9876543210';
export const FAKE_TWILIO_API_SECRET = 'Zq8Lm3Xr7Tb2Vn6Wc1Yd5Hf9Jk4Pg0Se';
export const FAKE_TWILIO_PHONE_NUMBER = '+14155550123';
export const FAKE_TWILIO_NUMBER_SID = 'PN0123456789abcdef0123456789abcdef';
/** The voice URL Twilio gives a freshly bought number. */
export const TWILIO_DEMO_VOICE_URL = 'https://demo.twilio.com/welcome/voice/';

const API_VERSION = '2010-04-01';

export interface FakeTwilioAccount {
  sid: string;
  authToken: string;
  status: 'active' | 'suspended' | 'closed';
  type: 'Full' | 'Trial';
  friendlyName: string;
}

/** Standard keys cannot read the Accounts resource; Main keys can (Twilio's documented difference). */
export interface FakeTwilioApiKey {
  sid: string;
  secret: string;
  accountSid: string;
  kind: 'standard' | 'main';
}

export interface FakeIncomingNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string | null;
  voiceMethod: 'GET' | 'POST';
  voiceFallbackUrl: string | null;
  voiceApplicationSid: string | null;
  trunkSid: string | null;
  /** What the number can do; a number without voice cannot place or take calls. */
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
}

export interface FakeCall {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  status: 'queued' | 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'canceled' | 'busy' | 'failed' | 'no-answer';
  /** Every update the API accepted for this call, form fields as sent (Status, Twiml, Url, Method). */
  updates: Array<Record<string, string>>;
  /** inbound for calls to our number; outbound-api for calls placed through POST /Calls.json. */
  direction?: 'inbound' | 'outbound-api';
  /** For a placed call: the create request's fields, as sent (To, From, Url, StatusCallback, MachineDetection…). */
  created?: Record<string, string>;
  /** StatusCallbackEvent values asked for (Twilio's default is completed only). */
  statusCallbackEvents?: string[];
  /** When Twilio took the call (ms since the epoch): its date_created. */
  createdAt?: number;
  /** When Twilio started dialling it (ms since the epoch): the call's start_time. */
  startedAt?: number;
  /** When the call was answered (ms since the epoch), for CallDuration. */
  answeredAt?: number;
  /** When the call ended, whatever the reason (ms since the epoch): the call's end_time. */
  endedAt?: number;
  /** The answering-machine verdict, once given. */
  answeredBy?: string;
}

/** What a placed call's TwiML URL answered when the callee picked up, read the way Twilio reads it. */
export interface FakeAnswer {
  status: number;
  body: string;
  /** The <Connect><Stream url> of the TwiML, when there is one. */
  streamUrl?: string;
  parameters: Record<string, string>;
}

/** One request the fake sent to the application (a webhook or callback), with the answer it got. */
export interface FakeCallback {
  callSid: string;
  kind: 'twiml' | 'amd' | 'status';
  url: string;
  params: Record<string, string>;
  status: number;
}

export interface FakeTwilioRestOptions {
  accounts?: Array<Partial<FakeTwilioAccount> & { sid: string }>;
  apiKeys?: Array<Partial<FakeTwilioApiKey> & { sid: string; secret: string }>;
  numbers?: Array<Partial<FakeIncomingNumber> & { phoneNumber: string }>;
  /**
   * Take any well-formed call SID of an account as a call in progress. For a simulation where calls reach serve
   * straight from a softphone: real Twilio placed every call it is asked about, this fake never saw them ring.
   */
  knowsEveryCall?: boolean;
}

/** Who made a request: the account they may act for, and how they proved it. */
export interface Caller {
  accountSid: string;
  apiKey?: FakeTwilioApiKey;
}

export class FakeTwilioRest extends HttpFake {
  readonly accounts = new Map<string, FakeTwilioAccount>();
  readonly apiKeys = new Map<string, FakeTwilioApiKey>();
  /** Incoming phone numbers by SID (PN…). */
  readonly numbers = new Map<string, FakeIncomingNumber>();
  /** Calls by SID (CA…); add them with addCall(). */
  readonly calls = new Map<string, FakeCall>();
  /** Emits 'created' (call) for each call placed, and 'updated' (call, form) for each update of a call. */
  readonly events = new EventEmitter<{ created: [call: FakeCall]; updated: [call: FakeCall, form: Record<string, string>] }>();
  /** Every webhook and callback sent to the application for placed calls, in order. */
  readonly callbacks: FakeCallback[] = [];
  /**
   * Where the public host of the application's URLs really listens (e.g. http://127.0.0.1:5123): callbacks for placed
   * calls are signed for the URL as given and sent there, as a tunnel would carry them.
   */
  webhookOrigin: string | undefined;
  /** Elastic SIP Trunking (trunking.twilio.com/v1): trunks, their origination URLs and numbers. */
  readonly trunking: FakeTrunking;
  private readonly created = new Date('2025-03-01T10:00:00Z');
  private readonly knowsEveryCall: boolean;

  constructor(options: FakeTwilioRestOptions = {}) {
    super();
    this.knowsEveryCall = options.knowsEveryCall ?? false;
    const accounts = options.accounts ?? [{ sid: FAKE_TWILIO_ACCOUNT_SID, authToken: FAKE_TWILIO_AUTH_TOKEN }];
    for (const account of accounts) {
      this.accounts.set(account.sid, {
        authToken: randomBytes(16).toString('hex'),
        status: 'active',
        type: 'Full',
        friendlyName: 'My first Twilio account',
        ...account,
      });
    }
    const firstAccount = accounts[0]?.sid ?? FAKE_TWILIO_ACCOUNT_SID;
    const apiKeys = options.apiKeys ?? [{ sid: FAKE_TWILIO_API_KEY, secret: FAKE_TWILIO_API_SECRET }];
    for (const key of apiKeys) this.apiKeys.set(key.sid, { accountSid: firstAccount, kind: 'standard', ...key });
    const numbers = options.numbers ?? [{ phoneNumber: FAKE_TWILIO_PHONE_NUMBER, sid: FAKE_TWILIO_NUMBER_SID }];
    for (const number of numbers) this.addNumber(number);
    this.installRoutes();
    this.trunking = new FakeTrunking(this);
  }

  static async start(options: FakeTwilioRestOptions = {}): Promise<FakeTwilioRest> {
    return new FakeTwilioRest(options).listen();
  }

  /** The value for TWILIO_API_BASE_URL. */
  get baseURL(): string {
    return this.origin;
  }

  addNumber(number: Partial<FakeIncomingNumber> & { phoneNumber: string }): FakeIncomingNumber {
    const full: FakeIncomingNumber = {
      sid: fakeSid('PN'),
      accountSid: FAKE_TWILIO_ACCOUNT_SID,
      friendlyName: number.phoneNumber,
      voiceUrl: TWILIO_DEMO_VOICE_URL,
      voiceMethod: 'POST',
      voiceFallbackUrl: null,
      voiceApplicationSid: null,
      trunkSid: null,
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      ...number,
    };
    this.numbers.set(full.sid, full);
    return full;
  }

  /** The number with this E.164 value, wherever it lives. */
  numberFor(phoneNumber: string): FakeIncomingNumber | undefined {
    return [...this.numbers.values()].find((number) => number.phoneNumber === phoneNumber);
  }

  addCall(call: Partial<FakeCall> = {}): FakeCall {
    const full: FakeCall = {
      sid: fakeSid('CA'),
      accountSid: FAKE_TWILIO_ACCOUNT_SID,
      from: '+14155550199',
      to: FAKE_TWILIO_PHONE_NUMBER,
      status: 'in-progress',
      updates: [],
      createdAt: Date.now(),
      ...call,
    };
    this.calls.set(full.sid, full);
    return full;
  }

  /** The calls placed through POST /Calls.json, in order. */
  placedCalls(): FakeCall[] {
    return [...this.calls.values()].filter((call) => call.direction === 'outbound-api');
  }

  /** Resolves with the next call placed (or the first one already placed that no one has waited for). */
  nextPlacedCall(timeoutMs = 5_000): Promise<FakeCall> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('created', created);
        reject(new Error(`no call was placed within ${timeoutMs} ms`));
      }, timeoutMs);
      const created = (call: FakeCall): void => {
        clearTimeout(timer);
        resolve(call);
      };
      this.events.once('created', created);
    });
  }

  /** The callee's phone rings: Twilio dials (initiated), then it rings (ringing), each reported when asked for. */
  async ring(callSid: string): Promise<void> {
    const call = this.placedCall(callSid);
    call.status = 'initiated';
    call.startedAt = Date.now();
    await this.reportStatus(call, 'initiated');
    call.status = 'ringing';
    await this.reportStatus(call, 'ringing');
  }

  /**
   * The callee picks up (a person or a machine: Twilio cannot tell yet). Reports `answered`, then fetches the call's
   * TwiML from its Url with a signed POST, as Twilio does, and returns what it answered. Open the stream it asks for
   * with a fake caller (same CallSid).
   */
  async answer(callSid: string): Promise<FakeAnswer> {
    const call = this.placedCall(callSid);
    call.status = 'in-progress';
    call.answeredAt = Date.now();
    await this.reportStatus(call, 'answered');
    const url = call.created?.Url ?? '';
    const { status, body } = await this.post(call, 'twiml', url, this.callParams(call, { CallStatus: 'in-progress' }));
    try {
      const twiml = readStreamTwiml(body);
      return { status, body, streamUrl: twiml.url, parameters: twiml.parameters };
    } catch (error) {
      if (error instanceof StreamTwimlError) return { status, body, parameters: {} };
      throw error;
    }
  }

  /**
   * Twilio's asynchronous answering-machine verdict for an answered call: POSTed to AsyncAmdStatusCallback with
   * AnsweredBy (human, machine_end_beep, machine_end_silence, machine_end_other, fax, unknown).
   */
  async detect(callSid: string, answeredBy: string, durationMs = 2_400): Promise<number> {
    const call = this.placedCall(callSid);
    call.answeredBy = answeredBy;
    const url = call.created?.AsyncAmdStatusCallback;
    if (!url || call.created?.AsyncAmd !== 'true') throw new Error(`call ${callSid} was placed without asynchronous answering-machine detection`);
    const params = { AccountSid: call.accountSid, AnsweredBy: answeredBy, CallSid: call.sid, MachineDetectionDuration: String(durationMs) };
    return (await this.post(call, 'amd', url, params)).status;
  }

  /** The call ends without an answer (busy, no-answer, failed) or after one (completed): reported as Twilio does. */
  async finish(callSid: string, status: 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled'): Promise<number | undefined> {
    const call = this.placedCall(callSid);
    call.status = status;
    call.endedAt = Date.now();
    return this.reportStatus(call, status);
  }

  /** The request parameters Twilio sends about a placed call. */
  private callParams(call: FakeCall, extra: Record<string, string>): Record<string, string> {
    return {
      AccountSid: call.accountSid,
      ApiVersion: API_VERSION,
      CallSid: call.sid,
      CallStatus: call.status,
      Called: call.to,
      Caller: call.from,
      Direction: 'outbound-api',
      From: call.from,
      To: call.to,
      ...extra,
    };
  }

  /** A status callback, when the call asked for this event (`completed` stands for every final status). */
  private async reportStatus(call: FakeCall, status: string): Promise<number | undefined> {
    const url = call.created?.StatusCallback;
    const event = ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(status) ? 'completed' : status === 'in-progress' ? 'answered' : status;
    if (!url || !call.statusCallbackEvents?.includes(event)) return undefined;
    const extra: Record<string, string> = { CallStatus: status === 'answered' ? 'in-progress' : status, Timestamp: rfc2822(new Date()), SequenceNumber: String(this.callbacks.filter((c) => c.callSid === call.sid && c.kind === 'status').length) };
    if (event === 'completed') extra.CallDuration = String(call.answeredAt === undefined ? 0 : Math.max(1, Math.round((Date.now() - call.answeredAt) / 1000)));
    if (call.answeredBy !== undefined) extra.AnsweredBy = call.answeredBy;
    return (await this.post(call, 'status', url, this.callParams(call, extra))).status;
  }

  /** A signed form POST to the application, at the public URL mapped to `webhookOrigin`. */
  private async post(call: FakeCall, kind: FakeCallback['kind'], url: string, params: Record<string, string>): Promise<{ status: number; body: string }> {
    const account = this.accounts.get(call.accountSid);
    if (!account) throw new Error(`no account ${call.accountSid}`);
    const target = new URL(url);
    const origin = this.webhookOrigin ? new URL(this.webhookOrigin) : target;
    const response = await fetch(`${origin.protocol}//${origin.host}${target.pathname}${target.search}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'TwilioProxy/1.1',
        'x-twilio-signature': signTwilioRequest(account.authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    const body = await response.text();
    this.callbacks.push({ callSid: call.sid, kind, url, params, status: response.status });
    return { status: response.status, body };
  }

  private placedCall(callSid: string): FakeCall {
    const call = this.calls.get(callSid);
    if (!call || call.direction !== 'outbound-api') throw new Error(`no call ${callSid} was placed through the fake`);
    return call;
  }

  protected override notFound(request: FakeRequest, response: ServerResponse): void {
    sendTwilioError(response, 404, 20404, `The requested resource ${request.path} was not found`);
  }

  /** Authenticates like Twilio: any failure of the Basic credentials is 401 with code 20003 "Authenticate". */
  authenticate(request: FakeRequest, response: ServerResponse): Caller | undefined {
    const header = String(request.headers.authorization ?? '');
    const decoded = header.startsWith('Basic ') ? Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const username = colon >= 0 ? decoded.slice(0, colon) : '';
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    const account = this.accounts.get(username);
    if (account && account.authToken === password) return { accountSid: account.sid };
    const key = this.apiKeys.get(username);
    if (key && key.secret === password && this.accounts.has(key.accountSid)) return { accountSid: key.accountSid, apiKey: key };
    sendTwilioError(response, 401, 20003, 'Authenticate');
    return undefined;
  }

  /** The account named in the path, when the caller may act for it; answers the error otherwise. */
  private accountFor(request: FakeRequest, response: ServerResponse): { caller: Caller; account: FakeTwilioAccount } | undefined {
    const caller = this.authenticate(request, response);
    if (!caller) return undefined;
    const account = this.accounts.get(request.params.account!);
    if (!account || account.sid !== caller.accountSid) {
      this.notFound(request, response);
      return undefined;
    }
    return { caller, account };
  }

  private installRoutes(): void {
    const base = `/${API_VERSION}/Accounts/:account`;

    this.route('GET', `${base}.json`, (request, response) => {
      const caller = this.authenticate(request, response);
      if (!caller) return;
      // Standard API keys may not touch the Accounts resource at all.
      if (caller.apiKey?.kind === 'standard') {
        sendTwilioError(response, 401, 20003, 'Authenticate');
        return;
      }
      const found = this.accountFor(request, response);
      if (found) sendJson(response, 200, this.accountToWire(found.account));
    });

    this.route('GET', `${base}/IncomingPhoneNumbers.json`, (request, response) => {
      const found = this.accountFor(request, response);
      if (!found) return;
      const pattern = request.query.get('PhoneNumber');
      const pageSize = Math.min(Number(request.query.get('PageSize') ?? 50) || 50, 1000);
      const matches = [...this.numbers.values()].filter(
        (number) => number.accountSid === found.account.sid && (pattern === null || matchesPhonePattern(number.phoneNumber, pattern)),
      );
      const page = matches.slice(0, pageSize);
      const query = new URLSearchParams(request.query);
      query.set('PageSize', String(pageSize));
      query.set('Page', '0');
      const uri = `${request.path}?${query.toString()}`;
      sendJson(response, 200, {
        end: Math.max(page.length - 1, 0),
        first_page_uri: uri,
        incoming_phone_numbers: page.map((number) => this.numberToWire(number)),
        next_page_uri: null,
        page: 0,
        page_size: pageSize,
        previous_page_uri: null,
        start: 0,
        uri,
      });
    });

    this.route('GET', `${base}/IncomingPhoneNumbers/:sid.json`, (request, response) => {
      const found = this.accountFor(request, response);
      if (!found) return;
      const number = this.numbers.get(request.params.sid!);
      if (!number || number.accountSid !== found.account.sid) return this.notFound(request, response);
      sendJson(response, 200, this.numberToWire(number));
    });

    this.route('POST', `${base}/IncomingPhoneNumbers/:sid.json`, (request, response) => {
      const found = this.accountFor(request, response);
      if (!found) return;
      const number = this.numbers.get(request.params.sid!);
      if (!number || number.accountSid !== found.account.sid) return this.notFound(request, response);
      const form = formBody(request);
      if (form.VoiceMethod !== undefined) {
        if (form.VoiceMethod !== 'GET' && form.VoiceMethod !== 'POST') {
          sendTwilioError(response, 400, 21602, `VoiceMethod is not valid: ${form.VoiceMethod}. Use GET or POST.`);
          return;
        }
        number.voiceMethod = form.VoiceMethod;
      }
      if (form.VoiceUrl !== undefined) {
        if (form.VoiceUrl !== '' && !/^https?:\/\//.test(form.VoiceUrl)) {
          sendTwilioError(response, 400, 21502, `VoiceUrl is not valid: ${form.VoiceUrl}`);
          return;
        }
        number.voiceUrl = form.VoiceUrl === '' ? null : form.VoiceUrl;
      }
      if (form.VoiceFallbackUrl !== undefined) number.voiceFallbackUrl = form.VoiceFallbackUrl === '' ? null : form.VoiceFallbackUrl;
      if (form.VoiceApplicationSid !== undefined) number.voiceApplicationSid = form.VoiceApplicationSid === '' ? null : form.VoiceApplicationSid;
      if (form.TrunkSid !== undefined) {
        if (form.TrunkSid !== '' && !this.trunking.trunks.has(form.TrunkSid)) {
          sendTwilioError(response, 400, 20001, `TrunkSid is not valid: ${form.TrunkSid}`);
          return;
        }
        number.trunkSid = form.TrunkSid === '' ? null : form.TrunkSid;
        // Twilio: setting a trunk removes the number's TwiML App, and the other way round.
        if (number.trunkSid !== null) number.voiceApplicationSid = null;
      }
      if (form.FriendlyName !== undefined) number.friendlyName = form.FriendlyName;
      sendJson(response, 200, this.numberToWire(number));
    });

    this.route('GET', `${base}/Calls/:sid.json`, (request, response) => {
      const found = this.accountFor(request, response);
      if (!found) return;
      const sid = request.params.sid!;
      const call = this.calls.get(sid) ?? (this.knowsEveryCall && /^CA[0-9a-f]{32}$/.test(sid) ? this.addCall({ sid, accountSid: found.account.sid }) : undefined);
      if (!call || call.accountSid !== found.account.sid) return this.notFound(request, response);
      sendJson(response, 200, this.callToWire(call));
    });

    this.route('POST', `${base}/Calls/:sid.json`, (request, response) => {
      const found = this.accountFor(request, response);
      if (!found) return;
      const sid = request.params.sid!;
      const call = this.calls.get(sid) ?? (this.knowsEveryCall && /^CA[0-9a-f]{32}$/.test(sid) ? this.addCall({ sid, accountSid: found.account.sid }) : undefined);
      if (!call || call.accountSid !== found.account.sid) return this.notFound(request, response);
      const form = formBody(request);
      const live = call.status === 'queued' || call.status === 'ringing' || call.status === 'in-progress';
      if (!live) {
        sendTwilioError(response, 400, 21220, 'Call is not in-progress. Cannot redirect.');
        return;
      }
      if (form.Status !== undefined && form.Status !== 'completed' && form.Status !== 'canceled') {
        sendTwilioError(response, 400, 21218, `Invalid Status: ${form.Status}. Use completed or canceled.`);
        return;
      }
      call.updates.push(form);
      if (form.Status === 'completed') call.status = 'completed';
      if (form.Status === 'canceled') call.status = 'canceled';
      if (form.Status !== undefined) call.endedAt = Date.now();
      sendJson(response, 200, this.callToWire(call));
      this.events.emit('updated', call, form);
      // A placed call hung up, or told to say something and hang up, ends: Twilio reports it to the status callback.
      const ends = form.Status === 'completed' || form.Status === 'canceled' || (form.Twiml !== undefined && /<Hangup\s*\/>\s*<\/Response>/.test(form.Twiml));
      if (ends && call.direction === 'outbound-api') {
        if (form.Twiml !== undefined) {
          call.status = 'completed';
          call.endedAt ??= Date.now();
        }
        void this.reportStatus(call, call.status === 'canceled' ? 'canceled' : 'completed').catch(() => undefined);
      }
    });

    this.route('POST', `${base}/Calls.json`, (request, response) => {
      const found = this.accountFor(request, response);
      if (!found) return;
      const form = formBody(request);
      const raw = new URLSearchParams(request.rawBody);
      if (!form.To) return sendTwilioError(response, 400, 21201, "No 'To' number is specified");
      if (!/^\+[1-9]\d{6,14}$/.test(form.To)) return sendTwilioError(response, 400, 21211, `Invalid 'To' Phone Number: ${form.To}`);
      if (!form.From) return sendTwilioError(response, 400, 21213, "No 'From' number is specified");
      const own = [...this.numbers.values()].find((number) => number.accountSid === found.account.sid && number.phoneNumber === form.From);
      if (!own) {
        return sendTwilioError(
          response,
          400,
          21210,
          `The source phone number provided, ${form.From}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.`,
        );
      }
      if (!own.capabilities.voice) return sendTwilioError(response, 400, 21606, `The 'From' phone number provided (${form.From}) is not a valid, voice-capable phone number for this account.`);
      if (form.Url === undefined && form.Twiml === undefined && form.ApplicationSid === undefined) return sendTwilioError(response, 400, 21205, 'Url parameter is required.');
      if (form.Url !== undefined && !/^https?:\/\//.test(form.Url)) return sendTwilioError(response, 400, 21205, `Url is not valid: ${form.Url}`);
      if (form.MachineDetection !== undefined && form.MachineDetection !== 'Enable' && form.MachineDetection !== 'DetectMessageEnd') {
        return sendTwilioError(response, 400, 21626, `Invalid MachineDetection: ${form.MachineDetection}. Use Enable or DetectMessageEnd.`);
      }
      if (form.AsyncAmd !== undefined && form.AsyncAmd !== 'true' && form.AsyncAmd !== 'false') return sendTwilioError(response, 400, 21627, `Invalid AsyncAmd: ${form.AsyncAmd}. Use true or false.`);
      const events = raw.getAll('StatusCallbackEvent').flatMap((value) => value.split(/[\s,]+/)).filter((value) => value !== '');
      const unknownEvent = events.find((event) => !['initiated', 'ringing', 'answered', 'completed'].includes(event));
      if (unknownEvent !== undefined) return sendTwilioError(response, 400, 21626, `Invalid StatusCallbackEvent: ${unknownEvent}`);
      const call = this.addCall({
        accountSid: found.account.sid,
        from: form.From,
        to: form.To,
        status: 'queued',
        direction: 'outbound-api',
        created: form,
        statusCallbackEvents: events.length > 0 ? events : ['completed'],
      });
      sendJson(response, 201, this.callToWire(call));
      this.events.emit('created', call);
    });
  }

  private accountToWire(account: FakeTwilioAccount) {
    const uri = `/${API_VERSION}/Accounts/${account.sid}`;
    return {
      auth_token: account.authToken,
      date_created: rfc2822(this.created),
      date_updated: rfc2822(this.created),
      friendly_name: account.friendlyName,
      owner_account_sid: account.sid,
      sid: account.sid,
      status: account.status,
      subresource_uris: {
        calls: `${uri}/Calls.json`,
        incoming_phone_numbers: `${uri}/IncomingPhoneNumbers.json`,
        applications: `${uri}/Applications.json`,
      },
      type: account.type,
      uri: `${uri}.json`,
    };
  }

  private numberToWire(number: FakeIncomingNumber) {
    return {
      account_sid: number.accountSid,
      address_requirements: 'none',
      address_sid: null,
      api_version: API_VERSION,
      beta: false,
      bundle_sid: null,
      capabilities: number.capabilities,
      date_created: rfc2822(this.created),
      date_updated: rfc2822(this.created),
      emergency_address_sid: null,
      emergency_address_status: 'unregistered',
      emergency_status: 'Inactive',
      friendly_name: number.friendlyName,
      identity_sid: null,
      origin: 'twilio',
      phone_number: number.phoneNumber,
      sid: number.sid,
      sms_application_sid: '',
      sms_fallback_method: 'POST',
      sms_fallback_url: '',
      sms_method: 'POST',
      sms_url: '',
      status: 'in-use',
      status_callback: '',
      status_callback_method: 'POST',
      subresource_uris: { assigned_add_ons: `/${API_VERSION}/Accounts/${number.accountSid}/IncomingPhoneNumbers/${number.sid}/AssignedAddOns.json` },
      trunk_sid: number.trunkSid,
      type: 'local',
      uri: `/${API_VERSION}/Accounts/${number.accountSid}/IncomingPhoneNumbers/${number.sid}.json`,
      voice_application_sid: number.voiceApplicationSid ?? '',
      voice_caller_id_lookup: false,
      voice_fallback_method: 'POST',
      voice_fallback_url: number.voiceFallbackUrl,
      voice_method: number.voiceMethod,
      voice_receive_mode: 'voice',
      voice_url: number.voiceUrl,
    };
  }

  private callToWire(call: FakeCall) {
    const uri = `/${API_VERSION}/Accounts/${call.accountSid}/Calls/${call.sid}`;
    const time = (ms: number | undefined): string | null => (ms === undefined ? null : rfc2822(new Date(ms)));
    const changes = [call.createdAt, call.startedAt, call.answeredAt, call.endedAt].filter((ms): ms is number => ms !== undefined);
    // Twilio counts the seconds of an answered call once it ended; busy, failed, unanswered and live calls have none.
    const duration = call.status === 'completed' ? String(call.answeredAt === undefined ? 0 : Math.max(1, Math.round(((call.endedAt ?? Date.now()) - call.answeredAt) / 1000))) : null;
    return {
      account_sid: call.accountSid,
      answered_by: call.answeredBy ?? null,
      api_version: API_VERSION,
      caller_name: null,
      date_created: time(call.createdAt) ?? rfc2822(this.created),
      // The last change the fake knows of: placed, dialled, answered or ended.
      date_updated: changes.length > 0 ? time(Math.max(...changes)) : rfc2822(this.created),
      direction: call.direction ?? 'inbound',
      duration,
      end_time: time(call.endedAt),
      forwarded_from: null,
      from: call.from,
      from_formatted: call.from,
      group_sid: null,
      parent_call_sid: null,
      phone_number_sid: call.direction === 'outbound-api' ? (this.numberFor(call.from)?.sid ?? null) : (this.numberFor(call.to)?.sid ?? null),
      price: null,
      price_unit: 'USD',
      queue_time: '0',
      sid: call.sid,
      start_time: time(call.startedAt),
      // "initiated" is a status callback event only: the resource says queued until the call rings.
      status: call.status === 'initiated' ? 'queued' : call.status,
      subresource_uris: {
        events: `${uri}/Events.json`,
        notifications: `${uri}/Notifications.json`,
        recordings: `${uri}/Recordings.json`,
        streams: `${uri}/Streams.json`,
      },
      to: call.to,
      to_formatted: call.to,
      trunk_sid: null,
      uri: `${uri}.json`,
    };
  }
}

/** Twilio's PhoneNumber filter matches part of a number, with * as a wildcard digit. */
function matchesPhonePattern(phoneNumber: string, pattern: string): boolean {
  const escaped = pattern.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\d');
  return new RegExp(escaped).test(phoneNumber);
}
