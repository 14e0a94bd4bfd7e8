// What the bridge counts about its calls, as an interface the call path reports to. Frames are counted in plain
// integers (one increment per frame, nothing else on the hot path); everything else happens once per call or turn.
// The Prometheus exposition of these numbers lives in prometheus-metrics.ts.

/** How a call ended, or why it was turned away. */
export type CallOutcome =
  /** The caller hung up (or Twilio stopped the stream). */
  | 'completed'
  /** The stream closed without a stop: the line to Twilio was lost. */
  | 'stream_lost'
  /** The agent kept failing: the caller was handed to TRANSFER_NUMBER. */
  | 'transferred'
  /** The agent kept failing: the caller heard a goodbye and the call was hung up. */
  | 'agent_failed'
  /** The voice connection failed and could not be regained. */
  | 'voice_failed'
  /** The server stopped before the call ended. */
  | 'shutdown'
  /** Turned away at the webhook: MAX_CALLS calls were in progress. */
  | 'refused_busy'
  /** Turned away at the webhook: the server is stopping. */
  | 'refused_draining';

/**
 * How a call the bridge placed was answered: by a person (the agent talked with them), by an answering machine (the
 * voicemail message was left, or the call hung up), or not at all. Counted once per call, besides how it ended.
 */
export type DialOutcome = 'answered' | 'voicemail' | 'no_answer' | 'busy' | 'failed';

/** Frames relayed so far, counted by the call path with a bare increment. */
export interface FrameCounters {
  /** Caller audio frames passed from Twilio to the voice engine. */
  toVoice: number;
  /** Speech audio chunks passed from the voice engine to Twilio. */
  toCaller: number;
}

/** What one call reports while it runs. */
export interface CallMetrics {
  readonly frames: FrameCounters;
  /** From the caller's final transcript to the first audio of the answer sent to the caller. */
  turnAnswered(seconds: number): void;
  /** A turn of the agent failed (BrainError kind: timeout, rate-limit, server, …). */
  agentError(kind: string): void;
  realtimeReconnect(result: 'ok' | 'failed'): void;
}

export interface BridgeMetrics extends CallMetrics {
  callEnded(outcome: CallOutcome): void;
  /** A call the bridge placed was answered (or not): see DialOutcome. */
  callDialled(outcome: DialOutcome): void;
  /** Where the active-call gauges read from, at scrape time. */
  watchCalls(read: () => { active: number; pending: number }): void;
  /** The text for GET /metrics, or undefined when these metrics are not exposed. */
  render(): Promise<{ contentType: string; body: string } | undefined>;
}

