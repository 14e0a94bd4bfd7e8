// The brain interface: what the bridge needs from an agent backend (Agents API, Assistants API, Responses API).
// The call session talks only to this; it never knows which backend answers.

export type BrainBackend = 'agents' | 'assistants' | 'responses';

/** Why a turn failed, in categories the call can act on (apologise and continue, or end the call). */
export type BrainErrorKind = 'timeout' | 'rate-limit' | 'quota' | 'auth' | 'not-found' | 'bad-request' | 'network' | 'server' | 'aborted' | 'unknown';

export class BrainError extends Error {
  constructor(
    readonly kind: BrainErrorKind,
    message: string,
    /** The doctor-style explanation and fix, for the log (e.g. "workflow ID used as assistant ID"). */
    readonly explanation?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BrainError';
  }
}

export interface ReplyOptions {
  /** Aborting stops the stream at once (barge-in, hang-up) and cancels the turn at the backend where it can. */
  signal: AbortSignal;
}

/** One caller's conversation with the agent: a thread, an agent session or a Conversation. */
export interface BrainConversation {
  /** What the backend calls it, for the log line `Created <kind>: <id>`. */
  readonly kind: 'thread' | 'session' | 'conversation';
  readonly id: string;
  /**
   * Set by backends that create their server object lazily (the Agents API creates the session with the first
   * utterance): resolves with the ID once it exists. Where absent, `id` is known from the start.
   */
  readonly created?: Promise<string>;
  /** Streams the agent's reply to one caller utterance as text deltas, as they are generated. Throws BrainError. */
  reply(callerText: string, options: ReplyOptions): AsyncIterable<string>;
  /**
   * After a barge-in: the caller heard only `heardText` of the last reply. The next turn tells the agent so,
   * keeping its history true to what the caller really heard.
   */
  noteInterrupted(heardText: string): void;
  /** Releases what the backend holds for this call (e.g. deletes the agent session). Never throws. */
  close(): Promise<void>;
}

export interface Brain {
  readonly backend: BrainBackend;
  /** One line for the start-up banner, e.g. "Agents API agent agent_123 (gpt-6-luna)". */
  describe(): string;
  startConversation(context: { callSid: string; signal?: AbortSignal }): Promise<BrainConversation>;
}
