// The bridge as serve runs it: one HTTP server, with each transport registered into its route table. Adding a
// transport is a folder under transports/ and one registration line here. TRANSPORT picks which one takes the calls:
// Twilio Media Streams (the audio passes through us), or OpenAI's SIP endpoint (OpenAI answers, we steer).
import type { Brain } from '../agents/brain.js';
import { sidebandFactoryFor, voiceEngineFactoryFor } from '../voice/create-voice-engine.js';
import { realtimeAcceptParams } from '../voice/realtime-voice-engine.js';
import { liveAcceptParams } from '../voice/live-voice-engine.js';
import type { VoiceEngineFactory } from '../voice/voice-engine.js';
import type { BridgeMetrics } from '../call/call-metrics.js';
import type { Config } from '../config/config.js';
import type { BridgeLog } from '../log/call-log.js';
import { browserPhone } from '../transports/browser/browser-transport.js';
import { twilioMediaStreams } from '../transports/twilio-media-streams/media-streams-transport.js';
import { publicUrlsFrom, type PublicUrls } from '../transports/twilio-media-streams/public-urls.js';
import { twilioCallControl, twilioCallPlacer, type CallControl, type CallPlacer } from '../transports/twilio-media-streams/twilio-call-actions.js';
import { createTwilioSignatureVerifier } from '../transports/twilio-media-streams/twilio-signature.js';
import { openAISipControl, type SipAcceptParams, type SipControl } from '../transports/openai-sip/sip-control.js';
import { OPENAI_WEBHOOK_PATH, openAISip } from '../transports/openai-sip/sip-transport.js';
import type { CallLogger } from '../log/call-log.js';
import type { VoiceEngine } from '../voice/voice-engine.js';
import { voicebridgeCommand } from '../util/invocation.js';
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
  /** SIP mode: verifies OpenAI's webhooks and accepts, hangs up and transfers calls; default: OpenAI's API. */
  sipControl?: SipControl;
  /** SIP mode: attaches a voice engine to an accepted call's sideband; default: the one the configuration selects. */
  attachVoice?: (callId: string, log: CallLogger) => VoiceEngine;
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
  /** Media Streams: what Twilio calls. Undefined in SIP mode, where Twilio sends calls to OpenAI, or with the browser phone alone. */
  readonly urls: PublicUrls | undefined;
  /** SIP mode: where OpenAI's webhook is to point (WEBHOOK_URL + /openai-webhook, or the path alone without one). */
  readonly openAIWebhookUrl: string | undefined;
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
  // In SIP mode Twilio sends calls to OpenAI: serve takes none of Twilio's own.
  const twilio = config.transport !== 'sip' && servesTwilio(config, options.phone !== undefined);
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
  let openAIWebhookUrl: string | undefined;
  if (config.transport === 'sip') openAIWebhookUrl = registerOpenAISip(server, options);
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
    openAIWebhookUrl,
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


/** OpenAI's SIP endpoint: OpenAI's signed webhook, verified with OPENAI_WEBHOOK_SECRET. Returns the webhook's address. */
function registerOpenAISip(server: HttpServer, options: BridgeServerOptions): string {
  const { config } = options;
  const secret = config.sip.webhookSecret;
  if (!secret) {
    throw new BridgeStartError(
      'OPENAI_WEBHOOK_SECRET is not set. In SIP mode it is what verifies that webhooks really come from OpenAI: run ' +
        `${voicebridgeCommand('setup-sip')} (it creates the webhook endpoint for WEBHOOK_URL${OPENAI_WEBHOOK_PATH} and writes its secret into .env), ` +
        'or copy the whsec_… secret of the webhook you created into .env.',
    );
  }
  if (!config.sip.projectId) {
    throw new BridgeStartError(
      'OPENAI_PROJECT_ID is not set. In SIP mode the SIP trunk sends calls to sip:<project id>@sip.api.openai.com;transport=tls: ' +
        'copy the proj_… ID from the OpenAI dashboard (Settings → Project) into .env.',
    );
  }
  requireOpenAIKey(config);
  const engine = config.openai.voiceEngine === 'live' ? 'live' : 'realtime';
  server.register(
    openAISip({
      config,
      brain: options.brain,
      engine,
      control: options.sipControl ?? openAISipControl(config, secret),
      acceptParams: sipAcceptParamsFor(config),
      attachVoice: options.attachVoice ?? sidebandFactoryFor(config),
      agentTimeoutMs: options.agentTimeoutMs,
    }),
  );
  const base = config.webhookUrl?.trim().replace(/^(['"])(.*)\1$/, '$2').replace(/\/+$/, '');
  return base ? `${base}${OPENAI_WEBHOOK_PATH}` : OPENAI_WEBHOOK_PATH;
}

function requireOpenAIKey(config: Config): void {
  if (!config.openai.apiKey) throw new BridgeStartError('OPENAI_API_KEY is not set. Put your OpenAI API key in .env.');
}

/** A SIP call is accepted with the session a Media Streams call of the same configuration would have. */
function sipAcceptParamsFor(config: Config): SipAcceptParams {
  const { openai } = config;
  if (openai.voiceEngine === 'live') return { engine: 'live', params: liveAcceptParams({ voice: openai.voice }) };
  return { engine: 'realtime', params: realtimeAcceptParams({ model: openai.realtimeModel, transcribeModel: openai.transcribeModel, voice: openai.voice }) };
}
