// Drives one streamed turn for a call: hands out the agent's text deltas as they arrive, stops at once when the call
// aborts (barge-in, hang-up, deadline), and afterwards lets the backend settle — cancel the turn at the server and
// read its stream to the end — in the background, so the caller never waits on it.
import { BrainError } from './brain.js';
import { abortedError } from './brain-errors.js';

/** What a backend's stream reduces to: text, then the turn's outcome. */
export type TurnEvent = { type: 'delta'; text: string } | { type: 'done' } | { type: 'failed'; error: BrainError };

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
  /** How long the stream may still be read after the call stopped listening, for the backend to settle. */
  settleTimeoutMs: number;
  /** Called once, when the backend has settled or the settle time ran out: the next turn may start. */
  onSettled(): void;
}

interface TurnState {
  /** A read of the source that was under way when the call stopped listening. */
  pending?: Promise<IteratorResult<TurnEvent>>;
  /** The source finished or threw: nothing is left to read. */
  sourceEnded: boolean;
  /** The call stopped listening before the turn ended: the server must be told. */
  interrupted: boolean;
}

/** Streams the deltas of one turn. Throws BrainError: the turn's failure, or kind `aborted` when the signal fired. */
export async function* streamTurn(source: TurnSource, options: StreamTurnOptions): AsyncGenerator<string, void, undefined> {
  const { signal } = options;
  let onAbort = (): void => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
  });
  signal.addEventListener('abort', onAbort, { once: true });
  const state: TurnState = { sourceEnded: false, interrupted: true };
  try {
    for (;;) {
      if (signal.aborted) throw abortedError(options.action);
      const pending = source.events.next();
      state.pending = pending;
      let result: IteratorResult<TurnEvent> | 'aborted';
      try {
        result = await Promise.race([pending, aborted]);
      } catch (error) {
        state.sourceEnded = true;
        state.interrupted = false;
        throw await options.toError(error);
      }
      if (result === 'aborted') throw abortedError(options.action);
      state.pending = undefined;
      if (result.done) {
        state.sourceEnded = true;
        state.interrupted = false;
        throw new BrainError(
          'network',
          `${options.action} stopped: the stream from OpenAI ended before the reply was complete`,
          'The connection to OpenAI closed early; usually temporary. If it keeps happening, check proxies between this server and OpenAI.',
        );
      }
      const event = result.value;
      if (event.type === 'delta') {
        if (event.text !== '') yield event.text;
        continue;
      }
      state.interrupted = false;
      if (event.type === 'done') return;
      throw event.error;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    void settle(source, state, options);
  }
}

/** After the call stopped listening: cancel at the server if the turn was cut short, then read to the end, bounded. */
async function settle(source: TurnSource, state: TurnState, options: StreamTurnOptions): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    if (state.sourceEnded) return;
    if (state.interrupted) {
      if (source.cancel) source.cancel().catch(() => undefined);
      else source.stop();
    }
    const drained = (async () => {
      let next = state.pending ?? source.events.next();
      for (;;) {
        const result = await next;
        if (result.done) return;
        next = source.events.next();
      }
    })().catch(() => undefined);
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.settleTimeoutMs);
    });
    await Promise.race([drained, timedOut]);
  } finally {
    clearTimeout(timer);
    source.stop();
    options.onSettled();
  }
}
