// What every backend's conversation shares: one turn at a time (the next waits until the server has settled the last),
// the interruption note on the turn after a barge-in, aborts, and a close that never throws.
import type { BrainConversation, BrainEvent, OutboundCallContext, ReplyOptions } from './brain.js';
import { BrainError } from './brain.js';
import { abortedError, toBrainError, type BrainErrorContext } from './brain-errors.js';
import { withInterruptionNote } from './interruption-note.js';
import { outboundOpening } from './outbound-opening.js';
import { streamTurn, type TurnSource } from './turn-stream.js';

export interface TurnTakingOptions {
  /** The error context of the brain (config, backend); each call fills in its action. */
  errors: Omit<BrainErrorContext, 'action'>;
  /** How long a cut-short turn may take to settle at the server before the next one goes ahead anyway (default 5 s). */
  settleTimeoutMs?: number;
  /** A call the agent placed: whom and why, for its opening turn (see open()). */
  outbound?: OutboundCallContext;
}

const REPLY = "the agent's reply";
const DEFAULT_SETTLE_TIMEOUT_MS = 5_000;

/** Resolves when `promise` settles, `ms` pass, or `signal` aborts, whichever comes first. */
function waitBounded(promise: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}

export abstract class TurnTakingConversation implements BrainConversation {
  abstract readonly kind: BrainConversation['kind'];
  private heardBeforeInterruption: string | undefined;
  private settled: Promise<void> = Promise.resolve();
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;
  protected readonly settleTimeoutMs: number;

  protected constructor(
    private readonly initialId: string,
    protected readonly options: TurnTakingOptions,
  ) {
    this.settleTimeoutMs = options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS;
  }

  /** The backend's ID for this conversation; a backend that creates it lazily overrides this. */
  get id(): string {
    return this.initialId;
  }

  /** Starts one turn at the backend with this input. Called only when the previous turn has settled. */
  protected abstract openTurn(input: string): TurnSource;

  /** Frees what the backend holds for the call. May throw: close() swallows it. */
  protected abstract release(): Promise<void>;

  protected errorContext(action: string): BrainErrorContext {
    return { ...this.options.errors, action };
  }

  protected toError(error: unknown, action: string): Promise<BrainError> {
    return toBrainError(error, this.errorContext(action));
  }

  noteInterrupted(heardText: string): void {
    this.heardBeforeInterruption = heardText;
  }

  reply(callerText: string, options: ReplyOptions): AsyncIterable<BrainEvent> {
    return this.takeTurn(callerText, options.signal);
  }

  /** The opening turn of a call the agent placed: the note that says whom it called and why is its input. */
  get open(): ((options: ReplyOptions) => AsyncIterable<BrainEvent>) | undefined {
    const outbound = this.options.outbound;
    if (!outbound) return undefined;
    return (options) => this.takeTurn(outboundOpening(outbound), options.signal);
  }

  private async *takeTurn(callerText: string, callerSignal: AbortSignal): AsyncGenerator<BrainEvent, void, undefined> {
    if (this.closed) throw new BrainError('aborted', `${REPLY} was not started: the call's conversation is closed`);
    const signal = AbortSignal.any([callerSignal, this.closing.signal]);
    if (signal.aborted) throw abortedError(REPLY);
    const previous = this.settled;
    let markSettled = (): void => undefined;
    this.settled = new Promise((resolve) => {
      markSettled = resolve;
    });
    let opened = false;
    try {
      await waitBounded(previous, this.settleTimeoutMs + 1_000, signal);
      if (signal.aborted) throw abortedError(REPLY);
      const heard = this.heardBeforeInterruption;
      const input = withInterruptionNote(callerText, heard);
      if (input.trim() === '') throw new BrainError('bad-request', `${REPLY} was not requested: the caller's words were empty`);
      this.heardBeforeInterruption = undefined;
      let source: TurnSource;
      try {
        source = this.openTurn(input);
      } catch (error) {
        this.heardBeforeInterruption ??= heard;
        throw await this.toError(error, REPLY);
      }
      opened = true;
      let spoken = 0;
      try {
        const turn = streamTurn(source, {
          signal,
          action: REPLY,
          toError: (error) => this.toError(error, REPLY),
          settleTimeoutMs: this.settleTimeoutMs,
          onSettled: markSettled,
        });
        for await (const event of turn) {
          if (event.type === 'text') spoken += 1;
          yield event;
        }
      } catch (error) {
        // A turn refused before it said anything never reached the agent: keep the note for the next one.
        const refused = error instanceof BrainError && error.kind !== 'aborted' && spoken === 0;
        if (refused && heard !== undefined && this.heardBeforeInterruption === undefined) this.heardBeforeInterruption = heard;
        throw error;
      }
    } finally {
      if (!opened) markSettled();
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      // Aborting cuts the turn under way short at the server, even while nobody is reading it.
      this.closing.abort();
      await waitBounded(this.settled, this.settleTimeoutMs + 1_000);
      try {
        await this.release();
      } catch {
        // Nothing useful to do on hang-up: the backend expires what it still holds.
      }
    })();
    return this.closed;
  }
}
