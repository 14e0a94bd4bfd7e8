// Drives one streamed turn for a call: hands out the agent's events (text, tool calls) as they arrive, stops at once
// when the call aborts (barge-in, hang-up, deadline), and lets the backend settle — cancel the turn at the server and
// read its stream to the end — in the background, whether or not anyone is still reading, so the caller never waits.
import { BrainError, type BrainDoneEvent, type BrainEvent, type BrainTextEvent, type BrainToolCallEvent } from './brain.js';
import { abortedError } from './brain-errors.js';

/** What a backend's stream reduces to: text and tool calls, then the turn's outcome. */
export type TurnEvent = BrainTextEvent | BrainToolCallEvent | BrainDoneEvent | { type: 'failed'; error: BrainError };

export interface TurnSource {
  /** The turn's events; ends once the server is done with the turn. May throw what the SDK throws. */
  events: AsyncIterator<TurnEvent>;
  /** Closes the turn's HTTP stream(s) at once. */
  stop(): void;
  /** Asks the server to cancel the turn (its events then end once it has). Absent where closing the stream cancels. */
  cancel?: () => Promise<void>;
}

export interface StreamTurnOptions {
  signal: AbortSignal;
  /** What the turn is, for messages: "the agent's reply". */
  action: string;
  toError(error: unknown): Promise<BrainError>;
  /** How long the stream may still be read after the turn's outcome or interruption, for the backend to settle. */
  settleTimeoutMs: number;
  /** Called once, when the backend has settled or the settle time ran out: the next turn may start. */
  onSettled(): void;
}

type Outcome = { type: 'done' } | { type: 'failed'; error: BrainError };

/**
 * Streams the events of one turn, ending with `done`. Throws BrainError: the turn's failure (after the events that came
 * before it), or kind `aborted` when the signal fired.
 */
export function streamTurn(source: TurnSource, options: StreamTurnOptions): AsyncGenerator<BrainEvent, void, undefined> {
  const { signal, action } = options;
  const queue: Array<BrainTextEvent | BrainToolCallEvent> = [];
  let outcome: Outcome | undefined;
  let interrupted = false;
  let wake: (() => void) | undefined;
  let settleTimer: NodeJS.Timeout | undefined;
  let settled = false;

  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const markSettled = (): void => {
    if (settled) return;
    settled = true;
    clearTimeout(settleTimer);
    signal.removeEventListener('abort', interrupt);
    source.stop();
    notify();
    options.onSettled();
  };
  // From the outcome or the interruption on, the stream is read only so the server can finish: bounded.
  const startSettleClock = (): void => {
    settleTimer ??= setTimeout(markSettled, options.settleTimeoutMs);
  };
  function interrupt(): void {
    if (outcome || interrupted) return;
    interrupted = true;
    if (source.cancel) source.cancel().catch(() => undefined);
    else source.stop();
    startSettleClock();
    notify();
  }

  signal.addEventListener('abort', interrupt, { once: true });
  if (signal.aborted) interrupt();

  void (async () => {
    try {
      for (;;) {
        const result = await source.events.next();
        if (result.done) {
          if (!outcome && !interrupted) {
            outcome = {
              type: 'failed',
              error: new BrainError(
                'network',
                `${action} stopped: the stream from OpenAI ended before the reply was complete`,
                'The connection to OpenAI closed early; usually temporary. If it keeps happening, check proxies between this server and OpenAI.',
              ),
            };
          }
          return;
        }
        if (outcome || interrupted) continue;
        const event = result.value;
        if (event.type === 'text') {
          if (event.delta !== '') queue.push(event);
        } else if (event.type === 'tool_call') {
          queue.push(event);
        } else {
          outcome = event;
          startSettleClock();
        }
        notify();
      }
    } catch (error) {
      if (!outcome && !interrupted) outcome = { type: 'failed', error: await options.toError(error) };
    } finally {
      markSettled();
    }
  })().catch(() => markSettled());

  async function* turnEvents(): AsyncGenerator<BrainEvent, void, undefined> {
    try {
      for (;;) {
        if (interrupted || signal.aborted) throw abortedError(action);
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (outcome?.type === 'done') {
          yield { type: 'done' };
          return;
        }
        if (outcome?.type === 'failed') throw outcome.error;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      // The reader left before the outcome (break, return, a throw in its loop): the turn is not wanted any more.
      interrupt();
    }
  }
  return turnEvents();
}
