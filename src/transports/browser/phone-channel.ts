// The call channel of a browser phone call: the page's socket on one side, the voice engine on the other. It works
// as a Media Streams call does (caller audio to the engine untouched; each piece of speech followed by a mark whose
// echo says the caller heard it; barge-in is `clear` plus the engine's cancel), and it also tells the page what is
// happening, so the conversation shows as it is heard: the caller's words, each of the agent's sentences as its audio
// starts, and the sentences the caller cut short.
import { EventEmitter } from 'node:events';
import type { CallChannel, CallChannelEvents, SayOptions } from '../../call/call-channel.js';
import type { FrameCounters } from '../../call/call-metrics.js';
import type { CallLogger } from '../../log/call-log.js';
import type { VoiceEngine, VoiceEngineEvents } from '../../voice/voice-engine.js';
import type { PhoneLine, PhoneLineEvents } from './phone-line.js';

/**
 * The page sends a frame every 20 ms while the call lasts, silence included: a socket that stays open and sends none
 * for this long belongs to a page that froze or lost its network, and the call would otherwise hold its connections.
 */
export const DEFAULT_PAGE_SILENCE_TIMEOUT_MS = 15_000;
const SILENCE_CHECKS = 5;

export interface PhoneChannelOptions {
  line: PhoneLine;
  engine: VoiceEngine;
  frames: FrameCounters;
  log: CallLogger;
  /** How long the page may send no audio before the call is taken for lost (default 15 s). */
  pageSilenceTimeoutMs?: number;
}

interface Playback {
  speechId: string;
  mark: string;
  /** What is said, for the page's transcript; empty for speech an engine began on its own. */
  text: string;
  state: 'speaking' | 'playing';
  audioSent: boolean;
}

export class PhoneChannel extends EventEmitter<CallChannelEvents> implements CallChannel {
  private readonly playback = new Map<string, Playback>();
  private readonly byMark = new Map<string, Playback>();
  private markCount = 0;
  private callerFrames = 0;
  private lineWatch: NodeJS.Timeout | undefined;
  private readonly detach: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly options: PhoneChannelOptions) {
    super();
  }

  get voiceName(): string {
    return this.options.engine.name;
  }

  get voiceReady(): boolean {
    return this.options.engine.isReady;
  }

  get turnTaking(): 'bridge' | 'engine' {
    return this.options.engine.turnTaking ?? 'bridge';
  }

  start(): void {
    const { engine, frames, line } = this.options;
    this.onLine('audio', (payload) => {
      frames.toVoice += 1;
      this.callerFrames += 1;
      engine.sendCallerAudio(payload);
    });
    this.onLine('markPlayed', (name) => this.markEchoed(name, 'heard'));
    this.onLine('markCleared', (name) => this.markEchoed(name, 'flushed'));
    this.onLine('dtmf', (digit) => this.emit('keypad', digit));
    this.onLine('hangUp', () => this.emit('hungUp'));
    this.onLine('closed', () => this.emit('lost', 'the page closed its socket'));
    this.onEngine('ready', () => this.emit('voiceReady'));
    this.onEngine('audio', (speechId, payload) => this.speechAudio(speechId, payload));
    this.onEngine('speechDone', (speechId, outcome) => this.speechDone(speechId, outcome));
    this.onEngine('speechStarted', (speechId) => this.engineSpeechStarted(speechId));
    this.onEngine('callerStartedSpeaking', () => this.emit('callerStartedSpeaking'));
    this.onEngine('callerSaid', (utterance) => {
      line.send({ type: 'caller', text: utterance.text });
      this.emit('callerSaid', utterance);
    });
    this.onEngine('callerNotUnderstood', (reason) => this.emit('callerNotUnderstood', reason));
    this.onEngine('warning', (message) => this.emit('warning', message));
    this.onEngine('reconnecting', (reason) => this.emit('voiceReconnecting', reason));
    this.onEngine('reconnected', () => this.emit('voiceReconnected'));
    this.onEngine('failed', (message) => this.emit('voiceFailed', message));
    this.watchLine();
  }

  say(text: string, options: SayOptions): string {
    const speechId = this.options.engine.speak(text, options.inReplyTo !== undefined ? { inReplyTo: options.inReplyTo } : {});
    this.markCount += 1;
    this.playback.set(speechId, { speechId, mark: `${options.label}-${this.markCount}`, text, state: 'speaking', audioSent: false });
    return speechId;
  }

  stopTalking(): void {
    const unplayed = [...this.playback.values()];
    if (unplayed.some((piece) => piece.audioSent)) this.options.line.clear();
    if (unplayed.length > 0) this.options.engine.cancelSpeaking();
    for (const piece of unplayed) if (piece.audioSent) this.options.line.send({ type: 'interrupted', id: piece.speechId });
    this.playback.clear();
    this.byMark.clear();
  }

  unplayedAudioMs(): number {
    return this.options.line.unplayedAudioMs();
  }

  flushPlayback(): void {
    this.options.line.clear();
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    clearInterval(this.lineWatch);
    for (const undo of this.detach.splice(0)) undo();
    this.playback.clear();
    this.byMark.clear();
    this.options.line.close();
    this.closing = this.options.engine.close();
    return this.closing;
  }

  private speechAudio(speechId: string, payload: string): void {
    const piece = this.playback.get(speechId);
    if (!piece || piece.state !== 'speaking') return; // dropped by a barge-in: never reaches the caller
    const first = !piece.audioSent;
    // The sentence shows on the page as its audio starts, not when it was asked for.
    if (first && piece.text) this.options.line.send({ type: 'agent', id: speechId, text: piece.text });
    this.options.line.sendAudio(payload);
    this.options.frames.toCaller += 1;
    if (first) {
      piece.audioSent = true;
      this.emit('speechAudible', speechId);
    }
  }

  private speechDone(speechId: string, outcome: 'completed' | 'cancelled' | 'failed'): void {
    const piece = this.playback.get(speechId);
    if (!piece || piece.state !== 'speaking') return;
    if (!piece.audioSent) {
      this.playback.delete(speechId);
      this.emit('speechEnded', speechId, outcome);
      return;
    }
    piece.state = 'playing';
    this.byMark.set(piece.mark, piece);
    this.options.line.sendMark(piece.mark);
  }

  private markEchoed(name: string, end: 'heard' | 'flushed'): void {
    const piece = this.byMark.get(name);
    if (!piece) return;
    this.byMark.delete(name);
    this.playback.delete(piece.speechId);
    this.emit('speechEnded', piece.speechId, end);
  }

  /** Speech an engine that takes turns began on its own: played and marked like any other. */
  private engineSpeechStarted(speechId: string): void {
    if (this.closing || this.playback.has(speechId)) return;
    this.markCount += 1;
    this.playback.set(speechId, { speechId, mark: `voice-${this.markCount}`, text: '', state: 'speaking', audioSent: false });
  }

  /** Takes the call for lost when the page's audio stops coming while its socket stays open. */
  private watchLine(): void {
    const timeoutMs = this.options.pageSilenceTimeoutMs ?? DEFAULT_PAGE_SILENCE_TIMEOUT_MS;
    let framesSeen = this.callerFrames;
    let quietChecks = 0;
    this.lineWatch = setInterval(() => {
      if (this.callerFrames !== framesSeen) {
        framesSeen = this.callerFrames;
        quietChecks = 0;
        return;
      }
      quietChecks += 1;
      if (quietChecks < SILENCE_CHECKS) return;
      clearInterval(this.lineWatch);
      const silence = timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
      this.options.log.warn(`No audio from the page for ${silence} while its socket stayed open: the page is taken for lost`);
      this.emit('lost', 'no audio from the page');
    }, timeoutMs / SILENCE_CHECKS);
  }

  private onLine<K extends keyof PhoneLineEvents>(event: K, listener: (...args: PhoneLineEvents[K]) => void): void {
    const line = this.options.line as unknown as EventEmitter;
    line.on(event, listener as (...args: unknown[]) => void);
    this.detach.push(() => line.off(event, listener as (...args: unknown[]) => void));
  }

  private onEngine<K extends keyof VoiceEngineEvents>(event: K, listener: (...args: VoiceEngineEvents[K]) => void): void {
    const engine = this.options.engine as unknown as EventEmitter;
    engine.on(event, listener as (...args: unknown[]) => void);
    this.detach.push(() => engine.off(event, listener as (...args: unknown[]) => void));
  }
}
