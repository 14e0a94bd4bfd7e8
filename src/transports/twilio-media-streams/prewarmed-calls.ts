// Calls opened ahead of their media stream. When Twilio's signed webhook announces a call, its voice connection and
// the agent's conversation start opening at once, so that when Twilio opens the stream a moment later the greeting
// and the first reply wait for no set-up. A call whose stream never comes is released after a timeout: its sockets
// closed, its conversation closed, its timer gone.
import type { BrainConversation } from '../../agents/brain.js';
import type { CallLogger } from '../../log/call-log.js';
import type { VoiceEngine } from '../../voice/voice-engine.js';

/** What a call needs before it can speak: a voice engine (connecting) and the agent's conversation (being created). */
export interface CallResources {
  engine: VoiceEngine;
  conversation: Promise<BrainConversation>;
  /** Aborts the conversation's creation; aborted when the call ends. */
  controller: AbortController;
}

export interface PrewarmedCallsOptions {
  /** How long a warmed call waits for its stream before it is released; 0 turns pre-warming off. */
  timeoutMs: number;
  openEngine(callSid: string): VoiceEngine;
  startConversation(callSid: string, signal: AbortSignal): Promise<BrainConversation>;
  log(callSid: string): CallLogger;
  /** Where Twilio should have connected, for the explanation when it never does. */
  streamUrl: string;
  /** A call whose stream did not start in time was released: it is given up, and no longer counts as answered. */
  onGivenUp?(callSid: string): void;
}

interface WarmCall {
  resources: CallResources;
  timer: NodeJS.Timeout | undefined;
  /** Why the engine failed while waiting, if it did: the stream then gets a fresh one. */
  engineFailure: string | undefined;
  conversationFailed: boolean;
  unwatch(): void;
}

export class PrewarmedCalls {
  private readonly calls = new Map<string, WarmCall>();

  constructor(private readonly options: PrewarmedCallsOptions) {}

  /** Calls warmed and still waiting for their stream. */
  get size(): number {
    return this.calls.size;
  }

  get enabled(): boolean {
    return this.options.timeoutMs > 0;
  }

  /**
   * Starts opening the call's resources. A call already warming under this CallSid (a repeated webhook) is released
   * first, so one CallSid never holds more than one set of connections.
   */
  warm(callSid: string): void {
    if (!this.enabled) return;
    void this.release(callSid);
    const log = this.options.log(callSid);
    const resources = this.open(callSid);
    const { engine } = resources;
    const warm: WarmCall = { resources, timer: undefined, engineFailure: undefined, conversationFailed: false, unwatch: () => undefined };
    const onFailed = (message: string): void => {
      warm.engineFailure = message;
      log.warn(`The voice connection opened ahead of the stream failed (${message}); the call opens a new one when its stream starts`);
    };
    const onWarning = (message: string): void => log.warn(message);
    engine.on('failed', onFailed);
    engine.on('warning', onWarning);
    warm.unwatch = () => {
      engine.off('failed', onFailed);
      engine.off('warning', onWarning);
    };
    warm.timer = setTimeout(() => {
      if (this.calls.get(callSid) !== warm) return;
      log.warn(
        `Released the connections opened for this call: its media stream did not start within ${formatSeconds(this.options.timeoutMs)}. ` +
          `If every call ends like this, Twilio cannot reach ${this.options.streamUrl}: check that your proxy or tunnel passes WebSocket upgrades.`,
      );
      void this.release(callSid);
      this.options.onGivenUp?.(callSid);
    }, this.options.timeoutMs);
    resources.conversation.then(
      () => undefined,
      () => {
        warm.conversationFailed = true;
      },
    );
    this.calls.set(callSid, warm);
  }

  /**
   * The call's resources for its stream: the warmed ones, with any part that failed while waiting opened afresh, or
   * new ones when nothing was warmed (pre-warming off, the call released, or its webhook reached another instance).
   */
  take(callSid: string): CallResources {
    const warm = this.calls.get(callSid);
    if (!warm) return this.open(callSid);
    this.forget(callSid, warm);
    const { controller } = warm.resources;
    let { engine, conversation } = warm.resources;
    if (warm.engineFailure !== undefined) {
      void engine.close();
      engine = this.options.openEngine(callSid);
    }
    if (warm.conversationFailed) conversation = this.options.startConversation(callSid, controller.signal);
    return { engine, conversation, controller };
  }

  /** Releases every call still waiting for its stream (the server is stopping). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.calls.keys()].map((callSid) => this.release(callSid)));
  }

  private open(callSid: string): CallResources {
    const controller = new AbortController();
    return { engine: this.options.openEngine(callSid), conversation: this.options.startConversation(callSid, controller.signal), controller };
  }

  private forget(callSid: string, warm: WarmCall): void {
    this.calls.delete(callSid);
    clearTimeout(warm.timer);
    warm.unwatch();
  }

  private release(callSid: string): Promise<void> {
    const warm = this.calls.get(callSid);
    if (!warm) return Promise.resolve();
    this.forget(callSid, warm);
    return releaseCallResources(warm.resources);
  }
}

/** Closes a call's voice connection and its conversation (one still being created is aborted). Never rejects. */
export async function releaseCallResources(resources: CallResources): Promise<void> {
  resources.controller.abort();
  await Promise.all([
    resources.engine.close().catch(() => undefined),
    resources.conversation.then(
      (conversation) => conversation.close(),
      () => undefined,
    ),
  ]);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
