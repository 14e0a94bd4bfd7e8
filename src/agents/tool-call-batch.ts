// The function calls the agent makes at one point of a turn. The consumer answers them one by one, as it reads the
// events; the backend needs them all before it can go on, so the brain waits here until the last one is answered (or
// the turn is given up) and then submits the outputs together.
import type { BrainToolCallEvent } from './brain.js';

/** One call's output, as every backend submits it: the call's ID and the output text. */
export interface ToolOutput {
  callId: string;
  output: string;
}

export class ToolCallBatch {
  private readonly order: string[] = [];
  private readonly outputs = new Map<string, string>();
  private wake: (() => void) | undefined;

  get size(): number {
    return this.order.length;
  }

  /** Adds a call and returns its event, whose `answer` records the output (the first answer counts). */
  add(call: { callId: string; name: string; arguments: string }): BrainToolCallEvent {
    this.order.push(call.callId);
    return {
      type: 'tool_call',
      callId: call.callId,
      name: call.name,
      arguments: call.arguments,
      answer: (output: string) => {
        if (this.outputs.has(call.callId)) return;
        this.outputs.set(call.callId, output);
        const resolve = this.wake;
        this.wake = undefined;
        resolve?.();
      },
    };
  }

  /**
   * Resolves with every call's output, in the order of the calls, once all are answered; with undefined if `signal`
   * aborts first (the turn is cut short, and what it asked will not be submitted).
   */
  async answered(signal: AbortSignal): Promise<ToolOutput[] | undefined> {
    while (this.outputs.size < this.order.length) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal.aborted) return undefined;
    return this.order.map((callId) => ({ callId, output: this.outputs.get(callId)! }));
  }

  /** The calls' outputs as far as they were given, for a backend that must still close every call it was asked. */
  partial(): Array<{ callId: string; output: string | undefined }> {
    return this.order.map((callId) => ({ callId, output: this.outputs.get(callId) }));
  }
}
