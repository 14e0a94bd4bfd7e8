// Twilio Media Streams as a transport: the voice webhook answers TwiML that connects the call to our bidirectional
// stream with a per-call token, and the stream's WebSocket carries the call's audio both ways. Every request from
// "Twilio" is verified: the webhook and the upgrade by signature, the stream by its token. Nothing that costs money
// (an OpenAI connection, an agent conversation) is opened for a request that fails these checks; a verified webhook
// opens its call's connections at once (pre-warm), and they are released if no stream comes. The token is signed, not
// stored, so the stream may reach any instance that shares TWILIO_AUTH_TOKEN: one that did not answer the webhook has
// nothing warmed and opens the call's connections when the stream starts.
// Calls the bridge places (outbound-calls.ts, with VOICEBRIDGE_API_KEY) are answered the same way: their TwiML URL
// connects them to the same stream, whose <Parameter>s say why the agent calls; the agent then speaks first.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Brain } from '../../agents/brain.js';
import { CallSession } from '../../call/call-session.js';
import { callTools, type TransferDestinations } from '../../call/call-tools.js';
import { callToolsEndpoint } from '../../call/tools-endpoint.js';
import type { FunctionResult } from '../../call/call-session.js';
import type { CallFunctionTool, OutboundCallContext } from '../../agents/brain.js';
import { LINES_BUSY } from '../../call/caller-messages.js';
import type { Config } from '../../config/config.js';
import type { VoiceEngineFactory } from '../../voice/voice-engine.js';
import { headerValue, refuseUpgrade, sendText, type HttpHandler, type ServerContext, type Transport, type UpgradeHandler } from '../../server/http-server.js';
import type { RequestTarget } from '../../server/request-target.js';
import { CallTokens, describeTokenProblem } from './call-tokens.js';
import { MediaStreamsChannel } from './media-streams-channel.js';
import { PrewarmedCalls } from './prewarmed-calls.js';
import type { PublicUrls } from './public-urls.js';
import { OutboundCalls, outboundContextFrom, outboundParameters } from './outbound-calls.js';
import { twilioCallActions, type CallControl, type CallPlacer } from './twilio-call-actions.js';
import type { TwilioStartInfo } from './twilio-frames.js';
import { TwilioMediaStream } from './twilio-media-stream.js';
import type { TwilioSignatureVerifier } from './twilio-signature.js';
import { connectStreamTwiml, sayAndHangUpTwiml } from './twiml.js';

export interface MediaStreamsOptions {
  config: Config;
  brain: Brain;
  urls: PublicUrls;
  verifier: TwilioSignatureVerifier;
  /** TWILIO_AUTH_TOKEN: stream tokens are signed with a key derived from it, so any instance sharing it can verify them. */
  authToken: string;
  callControl: CallControl;
  /** Places outbound calls (POST /calls), when VOICEBRIDGE_API_KEY is set. */
  callPlacer?: CallPlacer;
  /** How long a placed call's first words wait for the answering-machine verdict (default 6 s). */
  amdHoldMs?: number;
  createVoiceEngine: VoiceEngineFactory;
  /** How long Twilio has to open the stream after the webhook answered. */
  tokenTtlMs?: number;
  /** How long an upgraded socket may take to send its start frame. */
  startTimeoutMs?: number;
  /** How long a started stream may send no audio before it is taken for lost (default 15 s). */
  lineSilenceTimeoutMs?: number;
  agentTimeoutMs?: number;
  /** How long a call opened ahead by its webhook waits for its stream; 0 opens nothing before the stream. */
  prewarmTimeoutMs?: number;
}

/** Twilio's frames are a few hundred bytes; anything near this is not Twilio. */
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/**
 * Twilio's voice webhook carries a few dozen parameters (a SIP call adds its headers). Checking a signature costs time
 * in the number of parameters, so a body with more than this is refused before it is parsed or checked: a flood of
 * forged webhooks then costs what a flood of small ones does.
 */
export const MAX_WEBHOOK_PARAMETERS = 128;
/** X-Twilio-Signature is a base64 HMAC (28 characters for Twilio's SHA-1): anything else is refused unchecked. */
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{16,128}={0,2}$/;
const CALL_SID = /^CA[0-9a-f]{32}$/;

/** Registers Twilio Media Streams with a server: `server.register(twilioMediaStreams(options))`. */
export function twilioMediaStreams(options: MediaStreamsOptions): (context: ServerContext) => MediaStreamsTransport {
  return (context) => new MediaStreamsTransport(options, context);
}

export class MediaStreamsTransport implements Transport {
  readonly routes: ReadonlyMap<string, HttpHandler>;
  readonly prefixRoutes: ReadonlyMap<string, HttpHandler>;
  readonly upgrades: ReadonlyMap<string, UpgradeHandler>;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly tokens: CallTokens;
  private readonly sessions = new Set<CallSession>();
  private readonly prewarmed: PrewarmedCalls;
  /** The token of each call in progress, for a repeated webhook of that call. */
  private readonly callsInProgress = new Map<string, string>();
  /** Who called whom, from each answered webhook: the agent's own functions are told. Forgotten with the call. */
  private readonly parties = new Map<string, { from: string; to: string }>();
  private readonly urls: PublicUrls;
  private readonly verifier: TwilioSignatureVerifier;
  private readonly callControl: CallControl;
  /** Where the agent may transfer a caller, and the functions the call gives it (end_call, transfer_call). */
  private readonly transfers: TransferDestinations;
  private readonly callTools: readonly CallFunctionTool[];
  /** Calls the bridge places; undefined without VOICEBRIDGE_API_KEY (then none of their routes exist). */
  private readonly outbound: OutboundCalls | undefined;
  /** Why the agent calls, for each placed call between its webhook (or stream) and its end. */
  private readonly outboundContexts = new Map<string, OutboundCallContext>();

  constructor(
    private readonly options: MediaStreamsOptions,
    private readonly context: ServerContext,
  ) {
    const { urls } = options;
    this.urls = urls;
    this.verifier = options.verifier;
    this.callControl = options.callControl;
    this.tokens = new CallTokens({ secret: options.authToken, ttlMs: options.tokenTtlMs });
    this.transfers = { defaultNumber: options.config.calls.transferNumber, named: options.config.calls.transferTargets };
    this.callTools = callTools(this.transfers);
    this.prewarmed = new PrewarmedCalls({
      timeoutMs: options.prewarmTimeoutMs ?? options.config.calls.prewarmTimeoutMs,
      openEngine: (callSid) => options.createVoiceEngine({ callSid, log: context.log.forCall(callSid) }),
      startConversation: (callSid, signal) => this.startConversation(callSid, signal),
      log: (callSid) => context.log.forCall(callSid),
      streamUrl: urls.mediaStream,
      // Released with its connections: the call no longer holds a MAX_CALLS place, nor keeps a drain waiting.
      onGivenUp: (callSid) => {
        this.tokens.withdraw(callSid);
        this.parties.delete(callSid);
        this.outboundContexts.delete(callSid);
        context.callsChanged();
      },
    });
    const webhook: HttpHandler = (request, response, target) => this.webhook(request, response, target);
    const routes = new Map([...urls.incomingCallPaths].map((path) => [path, webhook]));
    const prefixRoutes = new Map<string, HttpHandler>();
    if (options.config.outbound.apiKey && options.callPlacer) {
      this.outbound = new OutboundCalls({
        config: options.config,
        urls,
        placer: options.callPlacer,
        callControl: options.callControl,
        context,
        verifiedForm: (request, response, publicUrl) => this.verifiedForm(request, response, publicUrl),
        ...(options.amdHoldMs !== undefined ? { amdHoldMs: options.amdHoldMs } : {}),
      });
      for (const [path, handler] of this.outbound.routes()) routes.set(path, handler);
      for (const [prefix, handler] of this.outbound.prefixRoutes()) prefixRoutes.set(prefix, handler);
      const answered: HttpHandler = (request, response, target) => this.outboundWebhook(request, response, target);
      for (const path of urls.outboundCallPaths) routes.set(path, answered);
    }
    this.routes = routes;
    this.prefixRoutes = prefixRoutes;
    const stream: UpgradeHandler = (request, socket, head) => this.streamUpgrade(request, socket, head);
    this.upgrades = new Map([...urls.mediaStreamPaths].map((path) => [path, stream]));
  }

  get activeCalls(): number {
    return this.sessions.size;
  }

  get pendingCalls(): number {
    // A call being placed holds its place from the request on: MAX_CALLS counts both directions.
    return this.tokens.outstanding + (this.outbound?.ringing ?? 0);
  }

  get openStreams(): number {
    return this.sockets.clients.size;
  }

  async close(): Promise<void> {
    await Promise.all([...[...this.sessions].map((session) => session.close('the server is shutting down')), this.prewarmed.closeAll()]);
    for (const socket of this.sockets.clients) socket.terminate();
    this.sockets.close();
  }

  private async webhook(request: IncomingMessage, response: ServerResponse, target: RequestTarget): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendText(response, 405, 'The voice webhook takes POST requests from Twilio.');
      return;
    }
    await this.incomingCall(request, response, target);
  }

  /** The voice webhook: verify Twilio's signature, then connect the call to our Media Stream with a fresh token. */
  private async incomingCall(request: IncomingMessage, response: ServerResponse, url: RequestTarget): Promise<void> {
    const calledSuffix = `${url.pathname.endsWith('/') ? '/' : ''}${url.search}`;
    const params = await this.checkedForm(request, response, this.urls.incomingCall, (signature, form) => this.verifier.verifyWebhook(signature, calledSuffix, form));
    if (!params) return;
    const callSid = params.CallSid ?? '';
    if (!CALL_SID.test(callSid)) {
      this.context.log.warn('Refused a signed webhook without a valid CallSid');
      sendText(response, 400, 'Missing CallSid');
      return;
    }
    // One call, one answer: a webhook repeated (Twilio's retry, or a captured one replayed) gets the TwiML it got
    // the first time and opens nothing, so it can neither take MAX_CALLS places nor open connections.
    const answered = this.callsInProgress.get(callSid) ?? this.tokens.issuedFor(callSid);
    if (answered !== undefined) {
      this.context.unauthenticatedLog.write('repeated-webhook', 'A webhook for this call came again: answered as before, nothing new opened', (line) =>
        this.context.log.forCall(callSid).warn(line),
      );
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(await connectStreamTwiml(this.urls, answered));
      return;
    }
    const refusal = this.context.admission();
    if (refusal) {
      // Twilio plays this and hangs up: a caller hears why, rather than ringing out or a failed-call tone.
      this.context.log
        .forCall(callSid)
        .warn(
          refusal === 'refused_busy'
            ? `Turned a call away: MAX_CALLS=${this.context.maxCalls} calls are already in progress or connecting; raise MAX_CALLS or add an instance if this happens often`
            : 'Turned a call away: the server is stopping',
        );
      this.context.metrics.callEnded(refusal);
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(await sayAndHangUpTwiml(LINES_BUSY));
      return;
    }
    const token = this.tokens.issue(callSid);
    // The signed webhook is Twilio's word that this call exists: open what it needs now, not when the stream starts.
    this.prewarmed.warm(callSid);
    const twiml = await connectStreamTwiml(this.urls, token);
    this.parties.set(callSid, { from: params.From ?? '', to: params.To ?? '' });
    this.context.log.forCall(callSid).info(`Incoming call from ${params.From ?? 'unknown'} to ${params.To ?? 'unknown'}`);
    response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
    response.end(twiml);
  }

  /** A form request from Twilio, signed over `publicUrl` (with its query): its parameters, or undefined once refused. */
  private verifiedForm(request: IncomingMessage, response: ServerResponse, publicUrl: string): Promise<Record<string, string> | undefined> {
    return this.checkedForm(request, response, publicUrl, (signature, form) => this.verifier.verifyRequest(signature, publicUrl, form));
  }

  // The cheap refusals come first (size, signature shape, parameter count), so that a forged request is turned away
  // before the work a genuine one is worth: parsing its form and computing its HMAC.
  private async checkedForm(
    request: IncomingMessage,
    response: ServerResponse,
    expectedUrl: string,
    verify: (signature: string, params: Record<string, string>) => boolean,
  ): Promise<Record<string, string> | undefined> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendText(response, 405, 'Twilio POSTs its requests here.');
      return undefined;
    }
    const declaredLength = Number(headerValue(request.headers['content-length']) ?? '0');
    if (declaredLength > MAX_WEBHOOK_BODY_BYTES) {
      this.refuseWebhook(response, 413, 'Request body too large', `its body is ${declaredLength} bytes, more than Twilio sends`, expectedUrl);
      return undefined;
    }
    const signature = headerValue(request.headers['x-twilio-signature']);
    if (!signature || !SIGNATURE_SHAPE.test(signature)) {
      this.refuseWebhook(response, 403, 'Forbidden', this.signatureProblem(signature), expectedUrl);
      return undefined;
    }
    const form = await readForm(request, MAX_WEBHOOK_BODY_BYTES, MAX_WEBHOOK_PARAMETERS);
    if (form === 'too-large') {
      this.refuseWebhook(response, 413, 'Request body too large', `its body is more than ${MAX_WEBHOOK_BODY_BYTES} bytes, more than Twilio sends`, expectedUrl);
      return undefined;
    }
    if (form === 'too-many-parameters') {
      this.refuseWebhook(response, 400, 'Too many parameters', `it carries more than ${MAX_WEBHOOK_PARAMETERS} form parameters, more than Twilio sends`, expectedUrl);
      return undefined;
    }
    const params = Object.fromEntries(new URLSearchParams(form));
    if (!verify(signature, params)) {
      this.refuseWebhook(response, 403, 'Forbidden', this.signatureProblem(signature), expectedUrl);
      return undefined;
    }
    return params;
  }

  /**
   * The TwiML Twilio fetches when a call we placed is answered: the same stream as an inbound call, with the call's
   * direction, number and context (from this URL's signed query) as <Parameter>s, so any instance can run it.
   */
  private async outboundWebhook(request: IncomingMessage, response: ServerResponse, url: RequestTarget): Promise<void> {
    const params = await this.verifiedForm(request, response, `${this.urls.outboundCall}${url.search}`);
    if (!params) return;
    const callSid = params.CallSid ?? '';
    if (!CALL_SID.test(callSid)) {
      this.context.log.warn('Refused a signed outbound-call request without a valid CallSid');
      sendText(response, 400, 'Missing CallSid');
      return;
    }
    const context = new URLSearchParams(url.search).get('context')?.trim().slice(0, 1_000) || undefined;
    const to = params.To ?? '';
    const parameters = outboundParameters(to, context);
    const answered = this.callsInProgress.get(callSid) ?? this.tokens.issuedFor(callSid);
    if (answered !== undefined) {
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(await connectStreamTwiml(this.urls, answered, parameters));
      return;
    }
    // A call placed here already holds its place; one placed by another instance takes one here.
    const refusal = this.outbound?.placedHere(callSid) ? undefined : this.context.admission();
    if (refusal) {
      this.context.log.forCall(callSid).warn(`Hung up a call we placed: ${refusal === 'refused_busy' ? `MAX_CALLS=${this.context.maxCalls} calls are in progress` : 'the server is stopping'}`);
      this.context.metrics.callEnded(refusal);
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(await sayAndHangUpTwiml(LINES_BUSY));
      return;
    }
    const token = this.tokens.issue(callSid);
    this.outboundContexts.set(callSid, { to, ...(context ? { context } : {}) });
    this.outbound?.connected(callSid, 'Connecting the call to the agent');
    this.prewarmed.warm(callSid);
    this.parties.set(callSid, { from: params.From ?? '', to });
    this.context.log.forCall(callSid).info(`Outbound call to ${to} answered: connecting it to the agent`);
    response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
    response.end(await connectStreamTwiml(this.urls, token, parameters));
  }

  private startConversation(callSid: string, signal: AbortSignal) {
    const outbound = this.outboundContexts.get(callSid);
    return this.options.brain.startConversation({ callSid, signal, callTools: this.callTools, ...(outbound ? { outbound } : {}) });
  }

  private refuseWebhook(response: ServerResponse, status: number, text: string, why: string, expectedUrl: string = this.urls.incomingCall): void {
    const expected = status === 403 ? ` (expected a request signed for ${expectedUrl}; check WEBHOOK_URL and TWILIO_AUTH_TOKEN)` : '';
    this.context.unauthenticatedLog.write(`webhook-${status}`, `Refused a webhook: ${why}${expected}`, (line) => this.context.log.warn(line));
    // The body may not have been read: the connection cannot carry another request after this answer.
    response.setHeader('connection', 'close');
    sendText(response, status, text);
  }

  private signatureProblem(signature: string | undefined): string {
    return signature ? 'its Twilio signature does not match' : 'it carries no Twilio signature';
  }

  private streamUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const signature = headerValue(request.headers['x-twilio-signature']);
    if (!signature || !SIGNATURE_SHAPE.test(signature) || !this.verifier.verifyStreamUpgrade(signature)) {
      this.context.unauthenticatedLog.write(
        'upgrade-403',
        `Refused a media stream connection: ${this.signatureProblem(signature)} (expected one signed for ${this.urls.mediaStream})`,
        (line) => this.context.log.warn(line),
      );
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    // While draining, calls the webhook already answered still get their stream (the token decides).
    if (this.context.stopped) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.acceptStream(ws));
  }

  /** A signed socket: it still has to present the call's token in its start frame before anything is opened. */
  private acceptStream(ws: WebSocket): void {
    const { log } = this.context;
    let protocolErrors = 0;
    const stream: TwilioMediaStream = new TwilioMediaStream(ws, {
      onStart: (info) => {
        clearTimeout(startTimer);
        const check = this.tokens.redeem(info.customParameters.token, info.callSid);
        if (!check.ok) {
          log.forCall(info.callSid).warn(`Refused a media stream: ${describeTokenProblem(check.problem)}`);
          stream.close(1008, 'unauthenticated stream');
          return;
        }
        this.startCall(info, stream, info.customParameters.token ?? '');
      },
      onProtocolError: (problem) => {
        protocolErrors += 1;
        // Once per stream, as Twilio itself reports 31951: a flood of bad frames must not flood the log.
        if (protocolErrors === 1) log.forCall(stream.started?.callSid ?? 'unknown call').warn(`Ignored a bad frame from Twilio: ${problem}`);
      },
    });
    const startTimer = setTimeout(() => {
      log.warn(`Closed a media stream that sent no start frame within ${(this.startTimeoutMs / 1000).toFixed(0)} s`);
      stream.close(1008, 'no start frame');
    }, this.startTimeoutMs);
    stream.once('closed', () => clearTimeout(startTimer));
  }

  /** One of the agent's own functions, POSTed to TOOLS_URL with who called whom. */
  private runFunction(callSid: string, request: { name: string; arguments: string }, signal: AbortSignal): Promise<FunctionResult> {
    const { url, secret, timeoutMs } = this.options.config.tools;
    const parties = this.parties.get(callSid) ?? { from: '', to: '' };
    return callToolsEndpoint({ url: url ?? '', secret: secret ?? '', timeoutMs }, { call_sid: callSid, name: request.name, arguments: request.arguments, ...parties }, signal);
  }

  private get startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 10_000;
  }

  private startCall(info: TwilioStartInfo, stream: TwilioMediaStream, token: string): void {
    const { callSid } = info;
    const log = this.context.log.forCall(callSid);
    // A call we placed: the stream carries why (any instance may take it), and the agent speaks first. A stream whose
    // start frame lost its parameters is still known as one when this instance answered the call's TwiML.
    const outbound = outboundContextFrom(info.customParameters) ?? this.outboundContexts.get(callSid);
    if (outbound) {
      this.outboundContexts.set(callSid, outbound);
      this.outbound?.connected(callSid, 'The agent is on the line', 'stream_started');
    }
    // Adopts what the webhook opened for this call (or opens it now), so the greeting starts without set-up.
    const { engine, conversation, controller } = this.prewarmed.take(callSid);
    const channel = new MediaStreamsChannel({
      line: stream,
      engine,
      frames: this.context.metrics.frames,
      log,
      ...(this.options.lineSilenceTimeoutMs !== undefined ? { lineSilenceTimeoutMs: this.options.lineSilenceTimeoutMs } : {}),
    });
    const session = new CallSession({
      callSid,
      channel,
      conversation,
      restartConversation: () => this.startConversation(callSid, controller.signal),
      ...(outbound ? { outbound: { answered: this.outbound ? this.outbound.personAnswered(callSid, log) : Promise.resolve() } } : {}),
      greeting: this.options.config.assistant.greeting,
      log,
      agentTimeoutMs: this.options.agentTimeoutMs ?? this.options.config.calls.agentTimeoutMs,
      actions: twilioCallActions(this.callControl, callSid),
      transferNumber: this.options.config.calls.transferNumber,
      transferDestinations: this.transfers,
      ...(this.options.config.tools.url ? { runFunction: (request: { name: string; arguments: string }, signal: AbortSignal) => this.runFunction(callSid, request, signal) } : {}),
      metrics: this.context.metrics,
    });
    this.sessions.add(session);
    this.callsInProgress.set(callSid, token);
    session.once('ended', (_reason, outcome) => {
      controller.abort();
      this.sessions.delete(session);
      this.callsInProgress.delete(callSid);
      this.parties.delete(callSid);
      this.outboundContexts.delete(callSid);
      this.outbound?.sessionEnded(callSid);
      this.context.metrics.callEnded(outcome);
      this.context.callsChanged();
    });
    log.info(`Media stream started (${info.streamSid})`);
    session.start();
  }
}

const AMPERSAND = 0x26;

/**
 * A form body as text, read only as far as it can be a webhook: reading stops as soon as it passes `maxBytes` or holds
 * more than `maxParameters` parameters (counted by their '&' separators, without parsing), so an overstuffed body
 * costs no more than its first parameters.
 */
async function readForm(request: IncomingMessage, maxBytes: number, maxParameters: number): Promise<string | 'too-large' | 'too-many-parameters'> {
  const chunks: Buffer[] = [];
  let size = 0;
  let separators = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return 'too-large';
    for (let index = chunk.indexOf(AMPERSAND); index !== -1; index = chunk.indexOf(AMPERSAND, index + 1)) {
      separators += 1;
      if (separators >= maxParameters) return 'too-many-parameters';
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The client closed the connection before its request was read: not a failure of ours. */
