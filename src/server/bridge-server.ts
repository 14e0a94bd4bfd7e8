// The bridge's one HTTP server: the Twilio voice webhook, the Media Stream WebSocket, and health/readiness probes.
// Every request from "Twilio" is verified: the webhook and the upgrade by signature, the stream by a per-call token.
// Nothing that costs money (an OpenAI connection, an agent conversation) is opened for a request that fails these
// checks; a verified webhook opens its call's connections at once (pre-warm), and they are released if no stream comes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Brain } from '../agents/brain.js';
import type { Config } from '../config/config.js';
import type { BridgeMetrics, CallOutcome } from '../call/call-metrics.js';
import { MediaStreamsChannel } from '../transports/twilio-media-streams/media-streams-channel.js';
import { twilioCallActions, twilioCallControl, type CallControl } from '../transports/twilio-media-streams/twilio-call-actions.js';
import type { BridgeLog } from '../log/call-log.js';
import { CallSession } from '../call/call-session.js';
import { LINES_BUSY } from '../call/caller-messages.js';
import { CallTokens, describeTokenProblem } from '../transports/twilio-media-streams/call-tokens.js';
import { LogBudget } from './log-budget.js';
import { PrewarmedCalls } from '../transports/twilio-media-streams/prewarmed-calls.js';
import { publicUrlsFrom, type PublicUrls } from '../transports/twilio-media-streams/public-urls.js';
import { describeTarget, parseRequestTarget, type RequestTarget } from './request-target.js';
import type { TwilioStartInfo } from '../transports/twilio-media-streams/twilio-frames.js';
import { TwilioMediaStream } from '../transports/twilio-media-streams/twilio-media-stream.js';
import { createTwilioSignatureVerifier, type TwilioSignatureVerifier } from '../transports/twilio-media-streams/twilio-signature.js';
import { connectStreamTwiml, sayAndHangUpTwiml } from '../transports/twilio-media-streams/twiml.js';
import { voiceEngineFactoryFor } from '../bridge/voice/create-voice-engine.js';
import type { VoiceEngineFactory } from '../bridge/voice/voice-engine.js';

export interface BridgeServerOptions {
  config: Config;
  brain: Brain;
  log: BridgeLog;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The voice engine for each call; by default the one the configuration selects. */
  createVoiceEngine?: VoiceEngineFactory;
  /** How long Twilio has to open the stream after the webhook answered. */
  tokenTtlMs?: number;
  /** How long an upgraded socket may take to send its start frame. */
  startTimeoutMs?: number;
  /** How long a started stream may send no audio before it is taken for lost (default 15 s). */
  lineSilenceTimeoutMs?: number;
  agentTimeoutMs?: number;
  /**
   * How long a call opened ahead by its webhook (voice connection and agent conversation) waits for its stream before
   * it is released; 0 opens nothing before the stream starts. Default: PREWARM_TIMEOUT_MS (15 s).
   */
  prewarmTimeoutMs?: number;
  /** Most calls at once, counting those answered whose stream has not started; default MAX_CALLS (no limit). */
  maxCalls?: number;
  /** Hangs up and transfers calls through Twilio's REST API; default: the Twilio client of the config. */
  callControl?: CallControl;
  /** What GET /metrics exposes; default: Prometheus metrics of this server's calls. */
  metrics?: BridgeMetrics;
}

export interface BridgeServer {
  readonly port: number;
  readonly urls: PublicUrls;
  readonly activeCalls: number;
  /** Calls answered by the webhook whose media stream has not started yet. */
  readonly pendingCalls: number;
  /** HTTP and WebSocket connections open to this server right now (idle keep-alive ones included). */
  readonly openConnections: number;
  /** Media Stream WebSockets open right now, started or not. */
  readonly openStreams: number;
  /**
   * Stops taking calls (/readyz answers 503, webhooks get a polite refusal) and waits up to `timeoutMs` for the calls in
   * progress, and those already answered, to end; then closes everything.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Stops taking calls, ends the calls in progress, closes every socket. */
  close(): Promise<void>;
}

export class BridgeStartError extends Error {}

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

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const { config } = options;
  const urls = publicUrlsFrom(config.webhookUrl, config.mediaStreamUrl);
  const authToken = config.twilio.authToken?.trim();
  if (!authToken) {
    throw new BridgeStartError(
      'TWILIO_AUTH_TOKEN is not set. It is the only credential that can verify that webhooks really come from Twilio ' +
        '(an API key cannot). Copy the Auth Token from the Twilio Console into .env.',
    );
  }
  if (!config.openai.apiKey) throw new BridgeStartError('OPENAI_API_KEY is not set. Put your OpenAI API key in .env.');
  const verifier = await createTwilioSignatureVerifier(authToken, urls);
  const metrics = options.metrics ?? (await import('./prometheus-metrics.js')).createPrometheusMetrics();
  const bridge = new Bridge(options, urls, verifier, metrics, options.callControl ?? twilioCallControl(config));
  await bridge.listen(options.port, options.host);
  return bridge;
}

class Bridge implements BridgeServer {
  private readonly server: Server;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly tokens: CallTokens;
  private readonly sessions = new Set<CallSession>();
  private readonly connections = new Set<Socket>();
  private readonly createVoiceEngine: VoiceEngineFactory;
  private readonly prewarmed: PrewarmedCalls;
  private accepting = false;
  /** Set by close(): from then on not even an answered call's stream is taken. */
  private stopped = false;
  private readonly callsChanged = new Set<() => void>();
  /** The token of each call in progress, for a repeated webhook of that call. */
  private readonly callsInProgress = new Map<string, string>();
  /** Lines that anyone on the internet can cause are budgeted, so a flood cannot flood the log. */
  private readonly unauthenticatedLog = new LogBudget();
  port = 0;

  constructor(
    private readonly options: BridgeServerOptions,
    readonly urls: PublicUrls,
    private readonly verifier: TwilioSignatureVerifier,
    private readonly metrics: BridgeMetrics,
    private readonly callControl: CallControl,
  ) {
    metrics.watchCalls(() => ({ active: this.sessions.size, pending: this.tokens.outstanding }));
    this.tokens = new CallTokens({ ttlMs: options.tokenTtlMs });
    this.createVoiceEngine = options.createVoiceEngine ?? voiceEngineFactoryFor(options.config);
    this.prewarmed = new PrewarmedCalls({
      timeoutMs: options.prewarmTimeoutMs ?? options.config.calls.prewarmTimeoutMs,
      openEngine: (callSid) => this.createVoiceEngine({ callSid, log: options.log.forCall(callSid) }),
      startConversation: (callSid, signal) => options.brain.startConversation({ callSid, signal }),
      log: (callSid) => options.log.forCall(callSid),
      streamUrl: urls.mediaStream,
      // Released with its connections: the call no longer holds a MAX_CALLS place, nor keeps a drain waiting.
      onGivenUp: (callSid) => {
        this.tokens.withdraw(callSid);
        this.notifyCallsChanged();
      },
    });
    this.server = createServer((request, response) => {
      // Nothing a request carries may take the process, and every call in it, down: whatever throws ends this request.
      try {
        this.handleRequest(request, response).catch((error: unknown) => this.requestFailed(request, response, error));
      } catch (error) {
        this.requestFailed(request, response, error);
      }
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      try {
        this.handleUpgrade(request, socket, head);
      } catch (error) {
        options.log.error(`An upgrade request to ${describeTarget(request.url)} failed: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    this.server.on('connection', (socket) => {
      this.connections.add(socket);
      socket.on('close', () => this.connections.delete(socket));
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  get activeCalls(): number {
    return this.sessions.size;
  }

  get pendingCalls(): number {
    return this.tokens.outstanding;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  get openStreams(): number {
    return this.sockets.clients.size;
  }

  async listen(port: number, host: string | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.accepting = true;
  }

  async drain(timeoutMs: number): Promise<void> {
    this.accepting = false;
    const idle = (): boolean => this.sessions.size === 0 && this.tokens.outstanding === 0;
    if (!idle()) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          clearInterval(poll);
          this.callsChanged.delete(check);
          resolve();
        };
        const check = (): void => {
          if (idle()) done();
        };
        const timer = setTimeout(done, timeoutMs);
        // An answered call whose stream never comes stops counting when its token expires: look again now and then.
        const poll = setInterval(check, 1_000);
        this.callsChanged.add(check);
      });
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.accepting = false;
    this.stopped = true;
    await Promise.all([...[...this.sessions].map((session) => session.close('the server is shutting down')), this.prewarmed.closeAll()]);
    for (const socket of this.sockets.clients) socket.terminate();
    this.sockets.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
  }

  private requestFailed(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    if (isAbandoned(request, error)) {
      // The sender went away mid-request: nothing failed on our side, and anyone can do it at will.
      this.unauthenticatedLog.write('abandoned', `A request to ${describeTarget(request.url)} was abandoned by its sender before it was read`, (line) =>
        this.options.log.info(line),
      );
      response.destroy();
      return;
    }
    this.options.log.error(`A request to ${describeTarget(request.url)} failed: ${error instanceof Error ? error.message : String(error)}`);
    if (!response.headersSent) sendText(response, 500, 'Internal error');
    else response.destroy();
  }

  private refusedTarget(kind: 'request' | 'upgrade', target: string | undefined): void {
    this.unauthenticatedLog.write('bad-target', `Refused ${kind === 'upgrade' ? 'an upgrade request' : 'a request'} whose target is not a path: ${describeTarget(target)}`, (line) =>
      this.options.log.warn(line),
    );
  }

  private async handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = parseRequestTarget(request.url);
    if (!url) {
      this.refusedTarget('request', request.url);
      response.setHeader('connection', 'close');
      sendText(response, 400, 'Bad request target');
      return;
    }
    if (url.pathname === '/healthz') {
      sendJson(response, 200, { service: 'voicebridge', status: 'ok', activeCalls: this.activeCalls });
      return;
    }
    if (url.pathname === '/readyz') {
      const status = this.accepting ? 'ready' : 'not-ready';
      sendJson(response, this.accepting ? 200 : 503, { service: 'voicebridge', status, activeCalls: this.activeCalls });
      return;
    }
    if (url.pathname === '/metrics') {
      const exposition = await this.metrics.render();
      if (!exposition) {
        sendText(response, 404, 'Not found');
        return;
      }
      response.writeHead(200, { 'content-type': exposition.contentType });
      response.end(exposition.body);
      return;
    }
    if (this.urls.incomingCallPaths.has(url.pathname)) {
      if (request.method !== 'POST') {
        response.setHeader('allow', 'POST');
        sendText(response, 405, 'The voice webhook takes POST requests from Twilio.');
        return;
      }
      await this.incomingCall(request, response, url);
      return;
    }
    sendText(response, 404, 'Not found');
  }

  /** The voice webhook: verify Twilio's signature, then connect the call to our Media Stream with a fresh token. */
  // The cheap refusals come first (size, signature shape, parameter count), so that a forged webhook is turned away
  // before the work a genuine one is worth: parsing its form and computing its HMAC.
  private async incomingCall(request: IncomingMessage, response: ServerResponse, url: RequestTarget): Promise<void> {
    const declaredLength = Number(headerValue(request.headers['content-length']) ?? '0');
    if (declaredLength > MAX_WEBHOOK_BODY_BYTES) {
      this.refuseWebhook(response, 413, 'Request body too large', `its body is ${declaredLength} bytes, more than Twilio sends`);
      return;
    }
    const signature = headerValue(request.headers['x-twilio-signature']);
    if (!signature || !SIGNATURE_SHAPE.test(signature)) {
      this.refuseWebhook(response, 403, 'Forbidden', this.signatureProblem(signature));
      return;
    }
    const form = await readForm(request, MAX_WEBHOOK_BODY_BYTES, MAX_WEBHOOK_PARAMETERS);
    if (form === 'too-large') {
      this.refuseWebhook(response, 413, 'Request body too large', `its body is more than ${MAX_WEBHOOK_BODY_BYTES} bytes, more than Twilio sends`);
      return;
    }
    if (form === 'too-many-parameters') {
      this.refuseWebhook(response, 400, 'Too many parameters', `it carries more than ${MAX_WEBHOOK_PARAMETERS} form parameters, more than Twilio sends`);
      return;
    }
    const params = Object.fromEntries(new URLSearchParams(form));
    const calledSuffix = `${url.pathname.endsWith('/') ? '/' : ''}${url.search}`;
    if (!this.verifier.verifyWebhook(signature, calledSuffix, params)) {
      this.refuseWebhook(response, 403, 'Forbidden', this.signatureProblem(signature));
      return;
    }
    const callSid = params.CallSid ?? '';
    if (!CALL_SID.test(callSid)) {
      this.options.log.warn('Refused a signed webhook without a valid CallSid');
      sendText(response, 400, 'Missing CallSid');
      return;
    }
    // One call, one answer: a webhook repeated (Twilio's retry, or a captured one replayed) gets the TwiML it got
    // the first time and opens nothing, so it can neither take MAX_CALLS places nor open connections.
    const answered = this.callsInProgress.get(callSid) ?? this.tokens.issuedFor(callSid);
    if (answered !== undefined) {
      this.unauthenticatedLog.write('repeated-webhook', 'A webhook for this call came again: answered as before, nothing new opened', (line) =>
        this.options.log.forCall(callSid).warn(line),
      );
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(await connectStreamTwiml(this.urls, answered));
      return;
    }
    const refusal = this.refusalFor();
    if (refusal) {
      // Twilio plays this and hangs up: a caller hears why, rather than ringing out or a failed-call tone.
      this.options.log
        .forCall(callSid)
        .warn(
          refusal === 'refused_busy'
            ? `Turned a call away: MAX_CALLS=${this.maxCalls} calls are already in progress or connecting; raise MAX_CALLS or add an instance if this happens often`
            : 'Turned a call away: the server is stopping',
        );
      this.metrics.callEnded(refusal);
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(await sayAndHangUpTwiml(LINES_BUSY));
      return;
    }
    const token = this.tokens.issue(callSid);
    // The signed webhook is Twilio's word that this call exists: open what it needs now, not when the stream starts.
    this.prewarmed.warm(callSid);
    const twiml = await connectStreamTwiml(this.urls, token);
    this.options.log.forCall(callSid).info(`Incoming call from ${params.From ?? 'unknown'} to ${params.To ?? 'unknown'}`);
    response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
    response.end(twiml);
  }

  private refuseWebhook(response: ServerResponse, status: number, text: string, why: string): void {
    const expected = status === 403 ? ` (expected a request signed for ${this.urls.incomingCall}; check WEBHOOK_URL and TWILIO_AUTH_TOKEN)` : '';
    this.unauthenticatedLog.write(`webhook-${status}`, `Refused a webhook: ${why}${expected}`, (line) => this.options.log.warn(line));
    // The body may not have been read: the connection cannot carry another request after this answer.
    response.setHeader('connection', 'close');
    sendText(response, status, text);
  }

  private signatureProblem(signature: string | undefined): string {
    return signature ? 'its Twilio signature does not match' : 'it carries no Twilio signature';
  }

  private handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = parseRequestTarget(request.url);
    if (!url) {
      this.refusedTarget('upgrade', request.url);
      refuseUpgrade(socket, 400, 'Bad Request');
      return;
    }
    if (!this.urls.mediaStreamPaths.has(url.pathname)) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const signature = headerValue(request.headers['x-twilio-signature']);
    if (!signature || !SIGNATURE_SHAPE.test(signature) || !this.verifier.verifyStreamUpgrade(signature)) {
      this.unauthenticatedLog.write(
        'upgrade-403',
        `Refused a media stream connection: ${this.signatureProblem(signature)} (expected one signed for ${this.urls.mediaStream})`,
        (line) => this.options.log.warn(line),
      );
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    // While draining, calls the webhook already answered still get their stream (the token decides).
    if (this.stopped) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.acceptStream(ws));
  }

  /** A signed socket: it still has to present the call's token in its start frame before anything is opened. */
  private acceptStream(ws: WebSocket): void {
    const { log } = this.options;
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

  private get startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 10_000;
  }

  private get maxCalls(): number | undefined {
    return this.options.maxCalls ?? this.options.config.calls.maxCalls;
  }

  /** Why a new call cannot be taken now, if it cannot. Answered calls still waiting for their stream count too. */
  private refusalFor(): Extract<CallOutcome, 'refused_busy' | 'refused_draining'> | undefined {
    if (!this.accepting) return 'refused_draining';
    const limit = this.maxCalls;
    if (limit !== undefined && this.sessions.size + this.tokens.outstanding >= limit) return 'refused_busy';
    return undefined;
  }

  private notifyCallsChanged(): void {
    for (const changed of [...this.callsChanged]) changed();
  }

  private startCall(info: TwilioStartInfo, stream: TwilioMediaStream, token: string): void {
    const { callSid } = info;
    const log = this.options.log.forCall(callSid);
    // Adopts what the webhook opened for this call (or opens it now), so the greeting starts without set-up.
    const { engine, conversation, controller } = this.prewarmed.take(callSid);
    const channel = new MediaStreamsChannel({
      line: stream,
      engine,
      frames: this.metrics.frames,
      log,
      ...(this.options.lineSilenceTimeoutMs !== undefined ? { lineSilenceTimeoutMs: this.options.lineSilenceTimeoutMs } : {}),
    });
    const session = new CallSession({
      callSid,
      channel,
      conversation,
      restartConversation: () => this.options.brain.startConversation({ callSid, signal: controller.signal }),
      greeting: this.options.config.assistant.greeting,
      log,
      agentTimeoutMs: this.options.agentTimeoutMs ?? this.options.config.calls.agentTimeoutMs,
      actions: twilioCallActions(this.callControl, callSid),
      transferNumber: this.options.config.calls.transferNumber,
      metrics: this.metrics,
    });
    this.sessions.add(session);
    this.callsInProgress.set(callSid, token);
    session.once('ended', (_reason, outcome) => {
      controller.abort();
      this.sessions.delete(session);
      this.callsInProgress.delete(callSid);
      this.metrics.callEnded(outcome);
      this.notifyCallsChanged();
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
function isAbandoned(request: IncomingMessage, error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return request.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (error instanceof Error && error.message === 'aborted');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function refuseUpgrade(socket: Socket, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
