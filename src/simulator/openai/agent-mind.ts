// The fake agent's mind, shared by FakeOpenAI's three agent backends (Agents API sessions, Assistants API runs,
// Responses API): what it replies, how fast it streams, how it fails, and a record of every turn it was given,
// so tests can script the agent and assert on what it received (e.g. the note after a barge-in).
import { EventEmitter } from 'node:events';
import type { FakeOpenAI } from './fake-openai.js';
import { fakeId } from './ids.js';

export type FakeAgentBackend = 'agents' | 'assistants' | 'responses';

/**
 * How a turn fails:
 * - `error`: the stream carries an `error` event (after `failAfterDeltas` deltas);
 * - `failed`: the turn/run/response ends as failed, with a server_error;
 * - `hang`: the stream opens and then says nothing until the turn is cancelled or the client goes away;
 * - `rate-limit` / `quota` / `server-error`: the turn's HTTP request is answered 429 / 429 / 500 before any stream.
 */
export type AgentFailure = 'error' | 'failed' | 'hang' | 'rate-limit' | 'quota' | 'server-error';

/** A call of one of the agent's function tools: its name and its arguments as JSON text. */
export interface FakeFunctionCall {
  name: string;
  arguments: string;
}

export interface AgentBehaviour {
  /** The agent's whole reply to a turn's input (the text it received, any interruption note included). */
  reply?: (input: string, turn: AgentTurnRecord) => string;
  /** Silence before the first delta (default 5 ms). */
  firstTokenDelayMs?: number;
  /** Pause between deltas (default 2 ms). */
  chunkDelayMs?: number;
  fail?: AgentFailure;
  /** For `error` and `failed`: how many deltas are streamed before the failure (default 0). */
  failAfterDeltas?: number;
  /** How many turns fail before the agent recovers (default: every turn while `fail` is set). */
  failTimes?: number;
  /**
   * After its reply, the agent calls this function and waits for the result, each backend in its own words: an Agents
   * API session requires action, an Assistants run requires action, a response ends with a `function_call` item. A
   * turn waiting for a result goes on once it has it (see `afterTool`), or ends when it is cancelled or its stream closed.
   */
  functionCall?: FakeFunctionCall;
  /** Several functions called together after the reply, in this order (after `functionCall`, when both are set). */
  functionCalls?: FakeFunctionCall[];
  /**
   * What the agent does once it has the results of its calls: says this text and ends the turn, or says `say` and calls
   * `calls` next. Default: it reads the outputs back ("The function said: …").
   */
  afterTool?: (results: FakeToolResult[], turn: AgentTurnRecord) => string | AgentContinuation;
}

/** What the agent does after a batch of function results: speaks, then possibly calls more functions. */
export interface AgentContinuation {
  say?: string;
  calls?: FakeFunctionCall[];
}

/** A function call the agent made, with the ID it gave it and, once the client sent it, its output. */
export interface FakeCallRecord extends FakeFunctionCall {
  callId: string;
  output?: string;
}

/** A result the client gave for one of the agent's calls. */
export interface FakeToolResult extends FakeFunctionCall {
  callId: string;
  output: string;
}

export type AgentTurnStatus = 'rejected' | 'in_progress' | 'completed' | 'cancelled' | 'failed' | 'disconnected';

export interface AgentTurnRecord {
  backend: FakeAgentBackend;
  /** The agent session, thread or conversation the turn belongs to. */
  conversationId: string;
  /** The turn, run or response ID. */
  turnId: string;
  /** Everything the agent received for this turn, as one text. */
  input: string;
  /** The reply the agent meant to give (all of it, across the function calls of the turn). */
  reply: string;
  /** What was actually streamed before the turn ended. */
  streamed: string;
  status: AgentTurnStatus;
  /** True once the client asked the server to cancel the turn. */
  cancelRequested: boolean;
  /** The first function the agent called in this turn, with the call ID it gave the call. */
  functionCall?: FakeFunctionCall & { callId: string };
  /** Every function the agent called in this turn, in order, with the outputs the client gave. */
  calls: FakeCallRecord[];
  /** For a response that went on from function outputs (Responses API): the results it was given. */
  toolResults?: FakeToolResult[];
  /**
   * The tools the agent was offered for this turn, as the request (or the saved agent or assistant) defined them:
   * for the Agents API the session's resolved tools, for an Assistants run its tools, for a response its `tools`.
   */
  offeredTools: unknown[];
}

export type TurnEnding =
  | { outcome: 'completed'; text: string }
  | { outcome: 'function_call'; text: string; calls: FakeCallRecord[] }
  | { outcome: 'cancelled' }
  | { outcome: 'disconnected' }
  | { outcome: 'failed'; code: string; message: string }
  | { outcome: 'error'; code: string; message: string };

export interface HttpFailure {
  status: number;
  error: { message: string; type: string; code: string | null; param?: string | null };
  headers?: Record<string, string>;
}

const DEFAULT_FIRST_TOKEN_DELAY_MS = 5;
const DEFAULT_CHUNK_DELAY_MS = 2;

const emitters = new WeakMap<FakeOpenAI, EventEmitter>();

function emitterFor(fake: FakeOpenAI): EventEmitter {
  let emitter = emitters.get(fake);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    emitters.set(fake, emitter);
  }
  return emitter;
}

/** Tells waiters that a turn record changed. */
export function touchAgentTurn(fake: FakeOpenAI): void {
  emitterFor(fake).emit('change');
}

/** Resolves with the first turn record that satisfies `predicate`, now or as soon as one does. */
export function waitForAgentTurn(
  fake: FakeOpenAI,
  predicate: (turn: AgentTurnRecord) => boolean,
  timeoutMs = 5_000,
): Promise<AgentTurnRecord> {
  return new Promise((resolve, reject) => {
    const emitter = emitterFor(fake);
    const check = (): boolean => {
      const found = fake.agentTurns.find(predicate);
      if (!found) return false;
      clearTimeout(timer);
      emitter.off('change', check);
      resolve(found);
      return true;
    };
    const timer = setTimeout(() => {
      emitter.off('change', check);
      reject(new Error(`no agent turn matched within ${timeoutMs} ms; turns so far: ${JSON.stringify(fake.agentTurns.map((turn) => [turn.input, turn.status]))}`));
    }, timeoutMs);
    if (!check()) emitter.on('change', check);
  });
}

/** The default reply: several short sentences that repeat the caller's words, so sentence-by-sentence speech is testable. */
export function defaultAgentReply(input: string): string {
  const paragraphs = input.trim().split(/\n\s*\n/);
  const said = (paragraphs[paragraphs.length - 1] ?? '').trim().replace(/[.!?]+$/, '');
  return `You said: ${said}. I can help with that. Here is the first thing to know. And here is the second one. Is there anything else?`;
}

/** Splits a reply into token-like deltas: each word with the whitespace before it, as OpenAI streams them. */
export function replyDeltas(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** One stretch of a turn: text to stream, then (possibly) functions to call and wait on. */
interface Segment {
  text: string;
  calls: FakeFunctionCall[];
}

function segmentAfter(behaviour: AgentBehaviour, results: FakeToolResult[], record: AgentTurnRecord): Segment {
  const next = behaviour.afterTool?.(results, record) ?? `The function said: ${results.map((result) => result.output).join(' and ')}.`;
  return typeof next === 'string' ? { text: next, calls: [] } : { text: next.say ?? '', calls: next.calls ?? [] };
}

/** A turn the fake agent is working on: streams its reply until done, cancelled, disconnected or failed. */
export class FakeAgentTurn {
  private stopped?: 'cancelled' | 'disconnected';
  private wake?: () => void;
  private results?: FakeToolResult[];
  private waiting: FakeCallRecord[] = [];

  constructor(
    private readonly fake: FakeOpenAI,
    readonly record: AgentTurnRecord,
    private readonly behaviour: AgentBehaviour,
    private readonly failure: AgentFailure | undefined,
    private segment: Segment,
  ) {}

  get ended(): boolean {
    return this.record.status !== 'in_progress';
  }

  /** The text the agent is about to stream (or streams) in this stretch of the turn. */
  get segmentText(): string {
    return this.segment.text;
  }

  /** The calls the turn waits on, while it does. */
  get pendingCalls(): readonly FakeCallRecord[] {
    return this.waiting;
  }

  /** The client asked the server to cancel the turn (Agents `input.cancel`, Assistants `runs/…/cancel`). */
  cancel(): void {
    this.record.cancelRequested = true;
    touchAgentTurn(this.fake);
    this.stop('cancelled');
  }

  /** The client closed the HTTP stream: only the Responses API stops generating then. */
  disconnect(): void {
    this.stop('disconnected');
  }

  private stop(reason: 'cancelled' | 'disconnected'): void {
    if (this.ended || this.stopped) return;
    this.stopped = reason;
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === Infinity ? undefined : setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private finish<Ending extends Exclude<TurnEnding, { outcome: 'function_call' }>>(ending: Ending): Ending {
    this.record.status = ending.outcome === 'error' ? 'failed' : ending.outcome;
    touchAgentTurn(this.fake);
    return ending;
  }

  /**
   * Streams the current stretch of the reply through `onDelta` and resolves with how the turn ended, or with the
   * functions it called (then `awaitFunctionResult`, and `play` again for what comes after the results).
   */
  async play(onDelta: (text: string) => void): Promise<TurnEnding> {
    const failure = this.failure;
    if (failure === 'hang') {
      await this.pause(Infinity);
      return this.finish({ outcome: this.stopped ?? 'cancelled' });
    }
    await this.pause(this.behaviour.firstTokenDelayMs ?? DEFAULT_FIRST_TOKEN_DELAY_MS);
    const deltas = replyDeltas(this.segment.text);
    const failAt = failure === 'error' || failure === 'failed' ? Math.min(this.behaviour.failAfterDeltas ?? 0, deltas.length) : -1;
    for (let index = 0; index <= deltas.length; index += 1) {
      if (this.stopped) return this.finish({ outcome: this.stopped });
      if (index === failAt) {
        return this.finish({ outcome: failure === 'error' ? 'error' : 'failed', code: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' });
      }
      if (index === deltas.length) break;
      const delta = deltas[index]!;
      this.record.streamed += delta;
      onDelta(delta);
      if (index < deltas.length - 1) await this.pause(this.behaviour.chunkDelayMs ?? DEFAULT_CHUNK_DELAY_MS);
    }
    if (this.segment.calls.length > 0) {
      this.waiting = this.segment.calls.map((call) => ({ ...call, callId: fakeId('call_') }));
      this.record.calls.push(...this.waiting);
      this.record.functionCall ??= { name: this.waiting[0]!.name, arguments: this.waiting[0]!.arguments, callId: this.waiting[0]!.callId };
      touchAgentTurn(this.fake);
      // Not finished: the turn is still under way until the functions' results come, or it is stopped.
      return { outcome: 'function_call', text: this.segment.text, calls: this.waiting };
    }
    return this.finish({ outcome: 'completed', text: this.segment.text });
  }

  /** A turn that called functions waits for their results: it goes on with them, or ends when cancelled or disconnected. */
  async awaitFunctionResult(): Promise<{ outcome: 'results'; results: FakeToolResult[] } | { outcome: 'cancelled' } | { outcome: 'disconnected' }> {
    while (!this.results && !this.stopped) await this.pause(Infinity);
    const results = this.results;
    this.results = undefined;
    this.waiting = [];
    if (this.stopped || !results) return this.finish({ outcome: this.stopped ?? 'cancelled' });
    this.segment = segmentAfter(this.behaviour, results, this.record);
    this.record.reply += this.segment.text;
    return { outcome: 'results', results };
  }

  /**
   * The client gave the outputs of every call the turn waits on (each server checks them first, in its own words):
   * the turn goes on with what the agent does next.
   */
  giveResults(outputs: ReadonlyArray<{ callId: string; output: string }>): void {
    const results = this.waiting.map((call) => {
      const output = outputs.find((candidate) => candidate.callId === call.callId)!.output;
      call.output = output;
      return { name: call.name, arguments: call.arguments, callId: call.callId, output };
    });
    this.results = results;
    touchAgentTurn(this.fake);
    this.wake?.();
  }

  /** A response that ends by calling a function is complete: the result would come with the next request. */
  completeWithFunctionCall(): void {
    this.waiting = [];
    this.finish({ outcome: 'completed', text: this.segment.text });
  }
}

export type BegunTurn = { turn: FakeAgentTurn; httpFailure?: undefined } | { turn?: undefined; httpFailure: HttpFailure };

function httpFailureFor(failure: AgentFailure): HttpFailure | undefined {
  switch (failure) {
    case 'rate-limit':
      return {
        status: 429,
        error: {
          message: 'Rate limit reached for gpt-6-luna in organization org-fake on tokens per min (TPM): Limit 30000, Used 30000, Requested 512. Please try again in 1.02s.',
          type: 'tokens',
          code: 'rate_limit_exceeded',
        },
        headers: { 'retry-after': '1' },
      };
    case 'quota':
      return {
        status: 429,
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      };
    case 'server-error':
      return { status: 500, error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null } };
    default:
      return undefined;
  }
}

/** Starts a turn of the fake agent for one backend: records it, and decides now whether (and how) it fails. */
export function beginAgentTurn(
  fake: FakeOpenAI,
  meta: {
    backend: FakeAgentBackend;
    conversationId: string;
    turnId?: string;
    input: string;
    /** The tools the agent has for this turn. */
    offeredTools?: unknown[];
    /** A response that goes on from function outputs (Responses API): what the agent does with them. */
    toolResults?: FakeToolResult[];
  },
): BegunTurn {
  const behaviour = fake.agentBehaviour;
  let failure = behaviour.fail;
  if (failure !== undefined && behaviour.failTimes !== undefined) {
    if (behaviour.failTimes <= 0) failure = undefined;
    else behaviour.failTimes -= 1;
  }
  const record: AgentTurnRecord = {
    backend: meta.backend,
    conversationId: meta.conversationId,
    turnId: meta.turnId ?? fakeId('turn_'),
    input: meta.input,
    reply: '',
    streamed: '',
    status: 'in_progress',
    cancelRequested: false,
    calls: [],
    offeredTools: meta.offeredTools ?? [],
    ...(meta.toolResults ? { toolResults: meta.toolResults } : {}),
  };
  let segment: Segment;
  // Outputs alone: the agent goes on from them. With new words of the caller too, it answers those.
  if (meta.toolResults && meta.input === '') {
    segment = segmentAfter(behaviour, meta.toolResults, record);
  } else {
    const calls = [...(behaviour.functionCall ? [behaviour.functionCall] : []), ...(behaviour.functionCalls ?? [])];
    segment = { text: (behaviour.reply ?? defaultAgentReply)(meta.input, record), calls };
  }
  record.reply = segment.text;
  fake.agentTurns.push(record);
  const httpFailure = failure ? httpFailureFor(failure) : undefined;
  if (httpFailure) {
    record.status = 'rejected';
    touchAgentTurn(fake);
    return { httpFailure };
  }
  touchAgentTurn(fake);
  return { turn: new FakeAgentTurn(fake, record, behaviour, failure, segment) };
}

/** The text of OpenAI input content: a string, or the text parts of message items (`input_text`, `text`, …). */
export function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (Array.isArray(input)) return input.map(inputText).filter((text) => text !== '').join('\n\n');
  if (input && typeof input === 'object') {
    const value = input as { text?: unknown; content?: unknown; type?: unknown; value?: unknown };
    if (typeof value.text === 'string') return value.text;
    if (value.text && typeof value.text === 'object') return inputText(value.text);
    if (typeof value.value === 'string') return value.value;
    if (value.content !== undefined) return inputText(value.content);
  }
  return '';
}
