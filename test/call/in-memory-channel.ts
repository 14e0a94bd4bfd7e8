// An in-memory call channel and a scripted agent for the call core's tests: no sockets, no frames, no timers of their
// own, so a test drives every event by hand under vi.useFakeTimers() and pins exact thresholds.
import { EventEmitter } from 'node:events';
import type { BrainConversation, BrainEvent, ReplyOptions } from '../../src/agents/brain.js';
import type { CallActions } from '../../src/call/call-actions.js';
import type { CallChannel, CallChannelEvents, SayOptions, SpeechEnd } from '../../src/call/call-channel.js';

export interface Said {
  speechId: string;
  text: string;
  label: string;
  inReplyTo?: string;
}

export class InMemoryChannel extends EventEmitter<CallChannelEvents> implements CallChannel {
  readonly voiceName = 'Test Voice';
  voiceReady = true;
  turnTaking: 'bridge' | 'engine' = 'bridge';
  readonly said: Said[] = [];
  /** What the channel was asked to do besides saying: 'stopTalking', 'flushPlayback', 'close'. */
  readonly requests: string[] = [];
  unplayedMs = 0;
  private count = 0;

  start(): void {
    this.requests.push('start');
  }

  say(text: string, options: SayOptions): string {
    this.count += 1;
    const speechId = `speech-${this.count}`;
    this.said.push({ speechId, text, label: options.label, ...(options.inReplyTo !== undefined ? { inReplyTo: options.inReplyTo } : {}) });
    return speechId;
  }

  stopTalking(): void {
    this.requests.push('stopTalking');
  }

  unplayedAudioMs(): number {
    return this.unplayedMs;
  }

  flushPlayback(): void {
    this.requests.push('flushPlayback');
  }

  close(): Promise<void> {
    this.requests.push('close');
    return Promise.resolve();
  }

  /** The texts said so far, in order. */
  get texts(): string[] {
    return this.said.map((entry) => entry.text);
  }

  /** The caller heard this piece to its end (its first audio reached them first). */
  hear(text: string): void {
    const entry = this.find(text);
    this.emit('speechAudible', entry.speechId);
    this.emit('speechEnded', entry.speechId, 'heard');
  }

  /** Its first audio reached the caller; the rest is still playing. */
  startPlaying(text: string): void {
    this.emit('speechAudible', this.find(text).speechId);
  }

  end(text: string, end: SpeechEnd): void {
    this.emit('speechEnded', this.find(text).speechId, end);
  }

  callerSays(text: string, turnId = `item-${this.said.length}`): void {
    this.emit('callerSaid', { text, turnId });
  }

  private find(text: string): Said {
    const entry = [...this.said].reverse().find((candidate) => candidate.text === text);
    if (!entry) throw new Error(`"${text}" was never said; said: ${JSON.stringify(this.texts)}`);
    return entry;
  }
}

/** A reply the test releases piece by piece: `push` a delta, `finish`, or `fail`. */
export class ScriptedReply {
  private readonly queue: Array<{ value?: BrainEvent; error?: unknown }> = [];
  private wake: (() => void) | undefined;
  signal: AbortSignal | undefined;

  push(delta: string): void {
    this.queue.push({ value: { type: 'text', delta } });
    this.wake?.();
  }

  /** What the consumer answered each tool call with, by call ID. */
  readonly answers = new Map<string, string>();

  /** The agent asks for one of its functions; the answer is recorded in `answers`. */
  callTool(name: string, args: string, callId = `call_${name}`): void {
    this.queue.push({ value: { type: 'tool_call', callId, name, arguments: args, answer: (output) => void this.answers.set(callId, output) } });
    this.wake?.();
  }

  finish(): void {
    this.queue.push({ value: { type: 'done' } });
    this.wake?.();
  }

  fail(error: unknown): void {
    this.queue.push({ error });
    this.wake?.();
  }

  async *stream(): AsyncGenerator<BrainEvent> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      const next = this.queue.shift()!;
      if (next.error !== undefined) throw next.error;
      yield next.value!;
      if (next.value!.type === 'done') return;
    }
  }
}

/** What `asked` records for an opening turn. */
export const OPENED = '(opening turn)';

/** An agent conversation whose every reply is a ScriptedReply the test holds. */
export class ScriptedConversation implements BrainConversation {
  readonly kind = 'conversation' as const;
  readonly id = 'conv_test';
  readonly replies: ScriptedReply[] = [];
  readonly asked: string[] = [];
  readonly interruptions: string[] = [];
  closed = false;

  reply(callerText: string, options: ReplyOptions): AsyncIterable<BrainEvent> {
    const reply = new ScriptedReply();
    reply.signal = options.signal;
    this.asked.push(callerText);
    this.replies.push(reply);
    return reply.stream();
  }

  /** The opening turn of a call the agent placed: recorded in `asked` as OPENED. */
  open(options: ReplyOptions): AsyncIterable<BrainEvent> {
    return this.reply(OPENED, options);
  }

  noteInterrupted(heardText: string): void {
    this.interruptions.push(heardText);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  get latest(): ScriptedReply {
    const reply = this.replies.at(-1);
    if (!reply) throw new Error('the agent was never asked');
    return reply;
  }
}

/** Call actions that record what was asked of them. */
export function recordingActions(): CallActions & { done: string[] } {
  const done: string[] = [];
  return {
    done,
    via: 'the test transport',
    api: "the test transport's API",
    hangUp: () => Promise.resolve(void done.push('hangUp')),
    sayAndHangUp: (message) => Promise.resolve(void done.push(`sayAndHangUp: ${message}`)),
    sayAndTransfer: (message, destination) => Promise.resolve(void done.push(`sayAndTransfer ${destination}: ${message}`)),
    describeFailure: (error) => String(error),
  };
}
