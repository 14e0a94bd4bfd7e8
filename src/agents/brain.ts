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

/**
 * What the agent does in one turn, in the order the backend streams it. A turn that succeeds ends with `done`; one
 * that fails or is aborted throws a BrainError from the stream instead.
 */
export type BrainEvent = BrainTextEvent | BrainToolCallEvent | BrainDoneEvent;

/** A piece of the reply's text, as it is generated: spoken in order. Never empty. */
export interface BrainTextEvent {
  type: 'text';
  delta: string;
}

/**
 * The agent asks the call to run one of its function tools (the Agents API's `requires_action` function call, a
 * Responses `function_call` item, an Assistants run's `submit_tool_outputs` tool call).
 *
 * The consumer answers every tool call with `answer(output)` before it pulls the next event: the stream then goes on
 * with what the agent does once it has the results (the brain submits them together, once the last call of a batch is
 * answered — an Agents API `agent.session.input.tool_result`, a Responses `function_call_output` item in a follow-up
 * request, an Assistants `submit_tool_outputs`). Several calls in one turn are yielded and answered in order.
 */
export interface BrainToolCallEvent {
  type: 'tool_call';
  /** The ID an answer must quote: the Agents API and Responses `call_id`, the Assistants tool call's `id`. */
  callId: string;
  /** The function's name, as the agent's tools define it. */
  name: string;
  /** The arguments as JSON text, as the model wrote them. */
  arguments: string;
  /**
   * The function's output for the agent: JSON text (an error is an output too, e.g. `{"error":"…"}`). The turn waits
   * for it: a call left unanswered holds the turn until it is aborted (then it is cancelled at the backend, as any cut
   * short turn). Every backend gives it; optional so that a consumer also copes with events built without it.
   */
  answer?(output: string): void;
}

/** The turn is over: the agent said all it had to say. Always the last event. */
export interface BrainDoneEvent {
  type: 'done';
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
  /** Streams the agent's turn for one caller utterance as events, as they are generated. Throws BrainError. */
  reply(callerText: string, options: ReplyOptions): AsyncIterable<BrainEvent>;
  /**
   * After a barge-in: the caller heard only `heardText` of the last reply. The next turn tells the agent so,
   * keeping its history true to what the caller really heard.
   */
  noteInterrupted(heardText: string): void;
  /**
   * On a call the agent placed: its first turn, before the callee has said anything. The agent is told why it is
   * calling (the conversation's `outbound` context) and streams its opening words, as a reply. Set on every backend's
   * conversation started with `outbound`.
   */
  open?(options: ReplyOptions): AsyncIterable<BrainEvent>;
  /** Releases what the backend holds for this call (e.g. deletes the agent session). Never throws. */
  close(): Promise<void>;
}

/**
 * A function the call itself gives the agent (hang up, transfer…), added to the agent's own tools for every turn of
 * the call: for the Agents API, the saved agent's tools plus these, as the session's agent override; for Responses, in
 * the request; for an Assistants endpoint, on the run.
 */
export interface CallFunctionTool {
  name: string;
  /** Tells the model when to use it. */
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface StartConversationContext {
  callSid: string;
  signal?: AbortSignal;
  /** Functions the call gives the agent, beside its own tools. */
  callTools?: readonly CallFunctionTool[];
  /** Set when the agent places the call: whom it calls and why. The conversation then opens with `open()`. */
  outbound?: OutboundCallContext;
}

/** Why the agent is calling someone: told to the agent before it speaks first. */
export interface OutboundCallContext {
  /** The number called (E.164). */
  to: string;
  /** What the call is for, in the words of whoever placed it ("Remind Jane of her cleaning tomorrow at 3 pm"). */
  context?: string;
}

export interface Brain {
  readonly backend: BrainBackend;
  /** One line for the start-up banner, e.g. "Agents API agent agent_123 (gpt-6-luna)". */
  describe(): string;
  startConversation(context: StartConversationContext): Promise<BrainConversation>;
}
