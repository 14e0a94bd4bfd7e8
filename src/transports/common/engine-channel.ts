// What every call channel shares, whatever carries the caller's audio: the voice engine behind it, the engine's news
// passed on to the call core as it comes, and a close that detaches every listener before the engine goes.
import { EventEmitter } from 'node:events';
import type { CallChannelEvents, CallerUtterance, SayOptions } from '../../call/call-channel.js';
import type { VoiceEngine, VoiceEngineEvents } from '../../voice/voice-engine.js';

export abstract class EngineChannel extends EventEmitter<CallChannelEvents> {
  /** Undoes every listener the channel put on its engine and line, so nothing is emitted after close. */
  protected readonly detach: Array<() => void> = [];
  protected closing: Promise<void> | undefined;

  constructor(protected readonly engine: VoiceEngine) {
    super();
  }

  get voiceName(): string {
    return this.engine.name;
  }

  get voiceReady(): boolean {
    return this.engine.isReady;
  }

  get turnTaking(): 'bridge' | 'engine' {
    return this.engine.turnTaking ?? 'bridge';
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    for (const undo of this.detach.splice(0)) undo();
    this.dropPlayback();
    this.closing = this.engine.close();
    return this.closing;
  }

  /** Forgets the speech in flight and lets go of the line, as the channel closes (its listeners are already off). */
  protected abstract dropPlayback(): void;

  /** Asks the engine to say the text word for word; returns its speech ID. */
  protected speak(text: string, options: SayOptions): string {
    return this.engine.speak(text, options.inReplyTo !== undefined ? { inReplyTo: options.inReplyTo } : {});
  }

  /** Passes on the engine's news that needs no bookkeeping of the channel's own. */
  protected forwardVoiceNews(): void {
    this.onEngine('ready', () => this.emit('voiceReady'));
    this.onEngine('callerStartedSpeaking', () => this.emit('callerStartedSpeaking'));
    this.onEngine('callerSaid', (utterance) => this.callerSaid(utterance));
    this.onEngine('callerNotUnderstood', (reason) => this.emit('callerNotUnderstood', reason));
    this.onEngine('warning', (message) => this.emit('warning', message));
    this.onEngine('reconnecting', (reason) => this.emit('voiceReconnecting', reason));
    this.onEngine('reconnected', () => this.emit('voiceReconnected'));
  }

  protected callerSaid(utterance: CallerUtterance): void {
    this.emit('callerSaid', utterance);
  }

  protected onEngine<K extends keyof VoiceEngineEvents>(event: K, listener: (...args: VoiceEngineEvents[K]) => void): void {
    this.listen(this.engine, event, listener as (...args: unknown[]) => void);
  }

  protected listen(source: unknown, event: string, listener: (...args: unknown[]) => void): void {
    const emitter = source as EventEmitter;
    emitter.on(event, listener);
    this.detach.push(() => emitter.off(event, listener));
  }
}
