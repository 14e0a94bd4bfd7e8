// The browser phone as a transport: GET /phone serves a page that turns the microphone into 8 kHz μ-law and plays the
// agent's audio, and its socket carries one call through the same call core, voice engine and brain as a phone call,
// so what the page hears is what a caller would hear. It exists only when serve is asked for it (--phone), and its
// socket is refused without the run's token: the page's URL carries it in its fragment, printed in the console.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Brain, CallFunctionTool } from '../../agents/brain.js';
import { CallSession, type FunctionResult } from '../../call/call-session.js';
import { callTools, type TransferDestinations } from '../../call/call-tools.js';
import { LINES_BUSY } from '../../call/caller-messages.js';
import { callToolsEndpoint } from '../../call/tools-endpoint.js';
import type { Config } from '../../config/config.js';
import { headerValue, refuseUpgrade, type HttpHandler, type ServerContext, type Transport, type UpgradeHandler } from '../../server/http-server.js';
import type { VoiceEngineFactory } from '../../voice/voice-engine.js';
import { phoneCallActions } from './phone-call-actions.js';
import { PhoneChannel } from './phone-channel.js';
import { PhoneLine } from './phone-line.js';
import { defaultPageDirectory, PHONE_PAGE_PATH, PHONE_SCRIPTS, PHONE_STYLE_PATH, servePhonePage } from './phone-page.js';
import { PHONE_SOCKET_PATH, PHONE_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './phone-protocol.js';
import { phoneTokenMatches } from './phone-token.js';

export interface BrowserPhoneOptions {
  config: Config;
  brain: Brain;
  createVoiceEngine: VoiceEngineFactory;
  /** The run's token: the page's socket must present it. */
  token: string;
  agentTimeoutMs?: number;
  /** How long the page may send no audio before the call is taken for lost (default 15 s). */
  pageSilenceTimeoutMs?: number;
  /** Where the compiled page is read from (default: dist/transports/browser/page). */
  pageDirectory?: string;
}

/** The page sends 160-byte frames and short JSON messages. */
const MAX_MESSAGE_BYTES = 16 * 1024;

/** Registers the browser phone with a server: `server.register(browserPhone(options))`. */
export function browserPhone(options: BrowserPhoneOptions): (context: ServerContext) => BrowserPhoneTransport {
  return (context) => new BrowserPhoneTransport(options, context);
}

export class BrowserPhoneTransport implements Transport {
  readonly routes: ReadonlyMap<string, HttpHandler>;
  readonly upgrades: ReadonlyMap<string, UpgradeHandler>;
  private readonly sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: () => PHONE_SUBPROTOCOL,
  });
  private readonly sessions = new Set<CallSession>();
  private readonly transfers: TransferDestinations;
  private readonly callTools: readonly CallFunctionTool[];
  private readonly pageDirectory: string;

  constructor(
    private readonly options: BrowserPhoneOptions,
    private readonly context: ServerContext,
  ) {
    this.transfers = { defaultNumber: options.config.calls.transferNumber, named: options.config.calls.transferTargets };
    this.callTools = callTools(this.transfers);
    this.pageDirectory = options.pageDirectory ?? defaultPageDirectory();
    const page: HttpHandler = async (request, response, target) => {
      await servePhonePage(target.pathname, request.method, response, this.pageDirectory);
    };
    this.routes = new Map([PHONE_PAGE_PATH, PHONE_STYLE_PATH, ...PHONE_SCRIPTS.keys()].map((path) => [path, page]));
    this.upgrades = new Map([[PHONE_SOCKET_PATH, (request, socket, head) => this.upgrade(request, socket, head)]]);
  }

  get activeCalls(): number {
    return this.sessions.size;
  }

  get pendingCalls(): number {
    return 0;
  }

  get openStreams(): number {
    return this.sockets.clients.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => session.close('the server is shutting down')));
    for (const socket of this.sockets.clients) socket.terminate();
    this.sockets.close();
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const problem = this.refusal(request);
    if (problem) {
      this.context.unauthenticatedLog.write('phone-403', `Refused a browser phone connection: ${problem}`, (line) => this.context.log.warn(line));
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (this.context.stopped) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  /** Why this upgrade is not the page's, or undefined when it is: the token, and no other site's page. */
  private refusal(request: IncomingMessage): string | undefined {
    const offered = (headerValue(request.headers['sec-websocket-protocol']) ?? '').split(',').map((entry) => entry.trim());
    const presented = offered.find((entry) => entry.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    if (!offered.includes(PHONE_SUBPROTOCOL) || presented === undefined) return 'it carries no token (open the URL serve printed, with its #token)';
    if (!phoneTokenMatches(presented, this.options.token)) return 'its token is not this run\'s (open the URL serve printed this time)';
    const origin = headerValue(request.headers.origin);
    if (origin !== undefined && originHost(origin) !== headerValue(request.headers.host)) return 'it comes from a page of another site';
    return undefined;
  }

  private accept(ws: WebSocket): void {
    const callSid = `browser-${randomBytes(8).toString('hex')}`;
    const log = this.context.log.forCall(callSid);
    let protocolErrors = 0;
    const line = new PhoneLine(ws, (problem) => {
      protocolErrors += 1;
      // Once per call: a page sending garbage must not flood the log.
      if (protocolErrors === 1) log.warn(`Ignored a bad message from the browser phone: ${problem}`);
    });
    const refusal = this.context.admission();
    if (refusal) {
      log.warn(
        refusal === 'refused_busy'
          ? `Turned a browser call away: MAX_CALLS=${this.context.maxCalls} calls are already in progress or connecting`
          : 'Turned a browser call away: the server is stopping',
      );
      this.context.metrics.callEnded(refusal);
      line.endReason = LINES_BUSY;
      line.close();
      return;
    }
    this.startCall(callSid, line);
  }

  private startCall(callSid: string, line: PhoneLine): void {
    const { config, brain } = this.options;
    const log = this.context.log.forCall(callSid);
    const controller = new AbortController();
    const engine = this.options.createVoiceEngine({ callSid, log });
    const conversation = brain.startConversation({ callSid, signal: controller.signal, callTools: this.callTools });
    // A conversation that fails to start is the session's to handle (an apology, then a retry): never unhandled here.
    conversation.catch(() => undefined);
    const channel = new PhoneChannel({
      line,
      engine,
      frames: this.context.metrics.frames,
      log,
      ...(this.options.pageSilenceTimeoutMs !== undefined ? { pageSilenceTimeoutMs: this.options.pageSilenceTimeoutMs } : {}),
    });
    const session = new CallSession({
      callSid,
      channel,
      conversation,
      restartConversation: () => brain.startConversation({ callSid, signal: controller.signal, callTools: this.callTools }),
      greeting: config.assistant.greeting,
      log,
      agentTimeoutMs: this.options.agentTimeoutMs ?? config.calls.agentTimeoutMs,
      actions: phoneCallActions(line, log),
      transferNumber: config.calls.transferNumber,
      transferDestinations: this.transfers,
      ...(config.tools.url ? { runFunction: (request: { name: string; arguments: string }, signal: AbortSignal) => this.runFunction(callSid, request, signal) } : {}),
      metrics: this.context.metrics,
    });
    this.sessions.add(session);
    session.once('ended', (_reason, outcome) => {
      controller.abort();
      this.sessions.delete(session);
      this.context.metrics.callEnded(outcome);
      this.context.callsChanged();
    });
    log.info('Browser call started');
    line.send({ type: 'started', call: callSid });
    session.start();
  }

  /** One of the agent's own functions, POSTed to TOOLS_URL; the browser has no phone number to pass. */
  private runFunction(callSid: string, request: { name: string; arguments: string }, signal: AbortSignal): Promise<FunctionResult> {
    const { url, secret, timeoutMs } = this.options.config.tools;
    return callToolsEndpoint({ url: url ?? '', secret: secret ?? '', timeoutMs }, { call_sid: callSid, name: request.name, arguments: request.arguments, from: 'browser', to: '' }, signal);
  }
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
