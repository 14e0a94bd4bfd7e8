// The bridge as serve runs it: one HTTP server, with each transport registered into its route table. Adding a
// transport is a folder under transports/ and one registration line here.
import type { Brain } from '../agents/brain.js';
import { voiceEngineFactoryFor } from '../voice/create-voice-engine.js';
import type { VoiceEngineFactory } from '../voice/voice-engine.js';
import type { BridgeMetrics } from '../call/call-metrics.js';
import type { Config } from '../config/config.js';
import type { BridgeLog } from '../log/call-log.js';
import { browserPhone } from '../transports/browser/browser-transport.js';
import { twilioMediaStreams } from '../transports/twilio-media-streams/media-streams-transport.js';
import { publicUrlsFrom, type PublicUrls } from '../transports/twilio-media-streams/public-urls.js';
import { twilioCallControl, twilioCallPlacer, type CallControl, type CallPlacer } from '../transports/twilio-media-streams/twilio-call-actions.js';
import { createTwilioSignatureVerifier } from '../transports/twilio-media-streams/twilio-signature.js';
import { HttpServer } from './http-server.js';

export { MAX_WEBHOOK_PARAMETERS } from '../transports/twilio-media-streams/media-streams-transport.js';

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
  /** Places outbound calls through Twilio's REST API (with VOICEBRIDGE_API_KEY); default: the Twilio client of the config. */
  callPlacer?: CallPlacer;
  /** How long a placed call's first words wait for the answering-machine verdict (default 6 s). */
  amdHoldMs?: number;
  /** What GET /metrics exposes; default: Prometheus metrics of this server's calls. */
  metrics?: BridgeMetrics;
  /**
   * The browser phone (GET /phone and its socket), whose socket must present `token`. Without it the page does not
   * exist. With it, Twilio Media Streams are served only when their settings (TWILIO_AUTH_TOKEN, WEBHOOK_URL) are
   * there: the browser alone needs no Twilio account.
   */
  phone?: BrowserPhoneSettings;
}

export interface BrowserPhoneSettings {
  token: string;
  /** Where the compiled page is read from (default: dist/transports/browser/page). */
  pageDirectory?: string;
  /** How long the page may send no audio before its call is taken for lost (default 15 s). */
  pageSilenceTimeoutMs?: number;
}

export interface BridgeServer {
  readonly port: number;
  /** Twilio's webhook and stream addresses; undefined when only the browser phone is served. */
  readonly urls: PublicUrls | undefined;
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

/**
 * Whether serve takes Twilio's calls: always without the browser phone; with it, only when Twilio's settings are there
 * (the browser alone needs no Twilio account, so their absence is not an error then).
 */
export function servesTwilio(config: Config, phone: boolean): boolean {
  if (!phone) return true;
  return Boolean(config.twilio.authToken?.trim()) && Boolean(config.webhookUrl?.trim());
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const { config } = options;
  const authToken = config.twilio.authToken?.trim();
  const twilio = servesTwilio(config, options.phone !== undefined);
  const urls = twilio ? publicUrlsFrom(config.webhookUrl, config.mediaStreamUrl) : undefined;
  if (twilio && !authToken) {
    throw new BridgeStartError(
      'TWILIO_AUTH_TOKEN is not set. It is the only credential that can verify that webhooks really come from Twilio ' +
        '(an API key cannot). Copy the Auth Token from the Twilio Console into .env.',
    );
  }
  if (!config.openai.apiKey) throw new BridgeStartError('OPENAI_API_KEY is not set. Put your OpenAI API key in .env.');
  const createVoiceEngine = options.createVoiceEngine ?? voiceEngineFactoryFor(config);
  const metrics = options.metrics ?? (await import('./prometheus-metrics.js')).createPrometheusMetrics();
  const server = new HttpServer({ log: options.log, metrics, maxCalls: options.maxCalls ?? config.calls.maxCalls });
  if (urls && authToken) {
    const verifier = await createTwilioSignatureVerifier(authToken, urls);
    server.register(
      twilioMediaStreams({
        config,
        brain: options.brain,
        urls,
        verifier,
        authToken,
        callControl: options.callControl ?? twilioCallControl(config),
        callPlacer: options.callPlacer ?? twilioCallPlacer(config),
        amdHoldMs: options.amdHoldMs,
        createVoiceEngine,
        tokenTtlMs: options.tokenTtlMs,
        startTimeoutMs: options.startTimeoutMs,
        lineSilenceTimeoutMs: options.lineSilenceTimeoutMs,
        agentTimeoutMs: options.agentTimeoutMs,
        prewarmTimeoutMs: options.prewarmTimeoutMs,
      }),
    );
  }
  if (options.phone) {
    server.register(
      browserPhone({
        config,
        brain: options.brain,
        createVoiceEngine,
        token: options.phone.token,
        agentTimeoutMs: options.agentTimeoutMs,
        pageDirectory: options.phone.pageDirectory,
        pageSilenceTimeoutMs: options.phone.pageSilenceTimeoutMs,
      }),
    );
  }
  await server.listen(options.port, options.host);
  return {
    get port() {
      return server.port;
    },
    urls,
    get activeCalls() {
      return server.activeCalls;
    },
    get pendingCalls() {
      return server.pendingCalls;
    },
    get openConnections() {
      return server.openConnections;
    },
    get openStreams() {
      return server.openStreams;
    },
    drain: (timeoutMs) => server.drain(timeoutMs),
    close: () => server.close(),
  };
}

