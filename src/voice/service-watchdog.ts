// Bounds every wait on a voice service (OpenAI Realtime, GPT-Live), so that a service that accepts the socket and
// then says nothing can never keep a caller in silence. A connection has `startTimeoutMs` from the moment it is
// opened (handshake included) to prove it works by confirming its session; once it works it is pinged when it has
// been quiet, and asked-for speech must start (and keep) producing audio within `responseTimeoutMs`. Whatever breaks
// a connection gets one reconnect per call, counted only once the new connection has proved itself in the same way;
// a second loss, or a refusal, ends the engine, and with it the call through Twilio.
//
// Worst case from a stream's start to the engine's `failed` with the defaults (the engine may have been opened
// earlier, at the webhook, which only shortens this): a session confirmed just before its start timeout whose first
// speech gets no audio, then the same again on the reconnect: 2 × (4 s + 4 s) = 16 s, leaving 4 s of the 20 s the
// caller may wait for Twilio's REST API to say why.
import type WebSocket from 'ws';

/** From opening a connection (the WebSocket handshake included) to the service confirming its session. */
export const DEFAULT_START_TIMEOUT_MS = 4_000;
/** From asking for speech to its first audio, and between its audio chunks after that. */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 4_000;
/** How often a working connection is checked for signs of life (two quiet checks in a row: lost). */
export const DEFAULT_LIVENESS_CHECK_MS = 5_000;
/** Reconnects per call. A service that loses a second connection is not worth the caller's wait. */
export const MAX_RECONNECTS_PER_CALL = 1;

export interface ServiceWatchdogTimeouts {
  /** How long a new connection may take to confirm its session, handshake included. Default 4 s. */
  startTimeoutMs?: number;
  /** How long asked-for speech may go without audio, before its first chunk or between chunks. Default 4 s. */
  responseTimeoutMs?: number;
  /**
   * How often a working connection is checked for signs of life: one that has sent nothing since the last check is
   * pinged, and one that still has not answered at the next check counts as lost. Default 5 s.
   */
  livenessCheckMs?: number;
}

/** What a lost connection means for the engine: open a new one, or give up with this message. */
export type AfterLoss = { reconnect: true } | { reconnect: false; failure: string };

/** What a connection proving itself means: the engine's first working connection, or a reconnect that worked. */
export type ProvedAlive = 'started' | 'reconnected';

export class ServiceWatchdog {
  readonly startTimeoutMs: number;
  private readonly responseTimeoutMs: number;
  private readonly livenessCheckMs: number;
  private socket: WebSocket | undefined;
  private provedAlive = false;
  private reconnects = 0;
  /** Set while a reconnect is under way: why the previous connection was lost. */
  private reconnectingAfter: string | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private responseTimer: NodeJS.Timeout | undefined;
  /** Whether audio has arrived since the speech the response timer waits for was asked for. */
  private audioSinceAsked = false;
  private heardFromService = false;
  private pingUnanswered = false;
  private stopped = false;

  /**
   * @param service the service's name for messages, e.g. "OpenAI Realtime"
   * @param silent told when a connection stays silent past a bound; the engine treats it as lost
   */
  constructor(
    private readonly service: string,
    timeouts: ServiceWatchdogTimeouts,
    private readonly silent: (socket: WebSocket, reason: string) => void,
  ) {
    this.startTimeoutMs = timeouts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.responseTimeoutMs = timeouts.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.livenessCheckMs = timeouts.livenessCheckMs ?? DEFAULT_LIVENESS_CHECK_MS;
  }

  /** Whether a reconnect is under way (the engine holds the caller's audio and its speech meanwhile). */
  get reconnecting(): boolean {
    return this.reconnectingAfter !== undefined;
  }

  /** A new connection, just opened: it has `startTimeoutMs` to confirm its session. */
  watch(socket: WebSocket): void {
    if (this.stopped) return;
    this.clearTimers();
    this.socket = socket;
    this.provedAlive = false;
    const heard = (): void => {
      if (socket === this.socket) this.heardFromService = true;
    };
    socket.on('message', heard);
    socket.on('pong', heard);
    this.startTimer = setTimeout(() => {
      if (socket === this.socket && !this.stopped) this.silent(socket, `${this.service} did not confirm the session within ${duration(this.startTimeoutMs)}`);
    }, this.startTimeoutMs);
  }

  /**
   * The watched connection confirmed its session. Returns 'started' or 'reconnected' the first time it does, and
   * undefined for a connection that had already proved itself.
   */
  alive(): ProvedAlive | undefined {
    if (this.stopped || this.provedAlive) return undefined;
    this.provedAlive = true;
    clearTimeout(this.startTimer);
    this.watchLiveness();
    if (this.reconnectingAfter === undefined) return 'started';
    this.reconnectingAfter = undefined;
    return 'reconnected';
  }

  /**
   * The watched connection is gone (`final`: refused in a way another attempt would not change). Decides whether to
   * reconnect: once per call, and never when a reconnect is already under way.
   */
  lost(message: string, final = false): AfterLoss {
    this.clearTimers();
    this.socket = undefined;
    const after = this.reconnectingAfter;
    if (after !== undefined) {
      this.reconnectingAfter = undefined;
      return { reconnect: false, failure: `${after}, and reconnecting failed: ${message}` };
    }
    if (final || this.reconnects >= MAX_RECONNECTS_PER_CALL) return { reconnect: false, failure: message };
    this.reconnects += 1;
    this.reconnectingAfter = message;
    return { reconnect: true };
  }

  /** Speech was asked for: its first audio must come within `responseTimeoutMs`. A bound already running is kept. */
  expectAudio(): void {
    if (this.stopped || this.responseTimer !== undefined) return;
    this.audioSinceAsked = false;
    this.armResponseTimer();
  }

  /** Audio arrived. `more`: the speech goes on, so the next chunk is due within `responseTimeoutMs` too. */
  audioArrived(more: boolean): void {
    this.clearResponseTimer();
    if (!more || this.stopped) return;
    this.audioSinceAsked = true;
    this.armResponseTimer();
  }

  /** No audio is owed any more (the speech ended, or the caller is talking and the service is listening). */
  audioNotExpected(): void {
    this.clearResponseTimer();
  }

  /** The engine is closed: no more timers, no more verdicts. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket = undefined;
  }

  private armResponseTimer(): void {
    const socket = this.socket;
    if (!socket) return;
    const midSpeech = this.audioSinceAsked;
    this.responseTimer = setTimeout(() => {
      this.responseTimer = undefined;
      if (socket !== this.socket || this.stopped) return;
      this.silent(
        socket,
        midSpeech
          ? `${this.service} stopped sending audio mid-speech (nothing for ${duration(this.responseTimeoutMs)})`
          : `${this.service} sent no audio within ${duration(this.responseTimeoutMs)} of being asked to speak`,
      );
    }, this.responseTimeoutMs);
  }

  /**
   * A connection the network silently lost (no close, no reset) would leave the caller in silence for good: one that
   * sends nothing, not even the answer to a ping, for two checks in a row is treated as lost.
   */
  private watchLiveness(): void {
    const socket = this.socket;
    if (!socket) return;
    this.heardFromService = true;
    this.pingUnanswered = false;
    const every = this.livenessCheckMs;
    this.livenessTimer = setInterval(() => {
      if (socket !== this.socket || this.stopped) {
        clearInterval(this.livenessTimer);
        return;
      }
      if (this.heardFromService) {
        this.heardFromService = false;
        this.pingUnanswered = false;
        return;
      }
      if (this.pingUnanswered) {
        this.silent(socket, `${this.service} stopped answering (nothing for ${duration(2 * every)}, not even a reply to a ping)`);
        return;
      }
      this.pingUnanswered = true;
      // A socket that is no longer open cannot be pinged; its close event says so soon enough.
      if (socket.readyState === socket.OPEN) socket.ping();
    }, every);
  }

  private clearResponseTimer(): void {
    clearTimeout(this.responseTimer);
    this.responseTimer = undefined;
  }

  private clearTimers(): void {
    clearTimeout(this.startTimer);
    clearInterval(this.livenessTimer);
    this.clearResponseTimer();
  }
}

/** "4 s", "1.5 s" or "40 ms": how long a bound was, for a log line. */
function duration(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
