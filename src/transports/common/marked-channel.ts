// The call channel of a line that carries the audio itself (a Twilio stream, the browser phone's socket): caller audio
// goes to the engine untouched; each piece of speech the engine produces goes down the line followed by a mark, and
// the mark's echo is the news that the caller heard it to the end. Barge-in is the line's `clear` plus the engine's
// cancel. The mark ledger, `clear`, the playback estimate and the silent-line check live here, once, so every such
// line tells the call core exactly the same story of what the caller heard.
import type { CallChannel, SayOptions } from '../../call/call-channel.js';
import type { FrameCounters } from '../../call/call-metrics.js';
import type { CallLogger } from '../../log/call-log.js';
import type { VoiceEngine } from '../../voice/voice-engine.js';
import { EngineChannel } from './engine-channel.js';

/** What the channel needs of the line to the caller; its events are those of `MarkedLineEvents`. */
export interface MarkedLine {
  sendAudio(payload: string): void;
  sendMark(name: string): void;
  /** Drops everything buffered for playback at the caller's end. */
  clear(): void;
  /** Estimated milliseconds of audio sent but not yet played to the caller. */
  unplayedAudioMs(): number;
  close(): void;
}

/** The line's events the channel reads alike on every line (each line has its own hang-up). */
export interface MarkedLineEvents {
  /** Caller audio: base64 G.711 μ-law at 8 kHz, passed through untouched. */
  audio: [payload: string];
  /** The audio sent before this mark has played to the caller. */
  markPlayed: [name: string];
  /** This mark was flushed by `clear`: the audio before it was not (all) heard. */
  markCleared: [name: string];
  dtmf: [digit: string];
  closed: [];
}

/** How the channel speaks of its line when the line goes away. */
export interface LineWording {
  /** The `lost` reason when the line closes without a hang-up. */
  closed: string;
  /** The `lost` reason when the line stays open but sends no audio. */
  silent: string;
  /** The warning logged then, given how long the silence lasted ("15 s"). */
  silentWarning: (silence: string) => string;
}

export interface MarkedChannelOptions<Line extends MarkedLine> {
  line: Line;
  engine: VoiceEngine;
  /** Counted with a bare increment per frame, nothing else on the hot path. */
  frames: FrameCounters;
  log: CallLogger;
  /** How long an open line may send no audio before it is taken for lost. */
  silenceTimeoutMs: number;
}

/** A piece of speech on its way to the caller: being produced by the engine, then sent and waiting for its mark. */
export interface Playback {
  speechId: string;
  mark: string;
  /** What is said; empty for speech an engine began on its own. */
  text: string;
  state: 'speaking' | 'playing';
  audioSent: boolean;
}

/** The silence is checked this many times per timeout: one timer per call, never per frame. */
const LINE_SILENCE_CHECKS = 5;

export abstract class MarkedChannel<Line extends MarkedLine, LineEvents extends MarkedLineEvents & Record<keyof LineEvents, unknown[]>>
  extends EngineChannel
  implements CallChannel
{
  private readonly playback = new Map<string, Playback>();
  private readonly byMark = new Map<string, Playback>();
  private markCount = 0;
  private callerFrames = 0;
  private lineWatch: NodeJS.Timeout | undefined;
  protected readonly line: Line;

  constructor(
    private readonly options: MarkedChannelOptions<Line>,
    private readonly wording: LineWording,
  ) {
    super(options.engine);
    this.line = options.line;
  }

  start(): void {
    const { engine, frames } = this.options;
    this.onLine('audio', (payload) => {
      frames.toVoice += 1;
      this.callerFrames += 1;
      engine.sendCallerAudio(payload);
    });
    this.onLine('markPlayed', (name) => this.markEchoed(name, 'heard'));
    this.onLine('markCleared', (name) => this.markEchoed(name, 'flushed'));
    this.onLine('dtmf', (digit) => this.emit('keypad', digit));
    this.onLine('closed', () => this.emit('lost', this.wording.closed));
    this.listenForHangUp();
    this.forwardVoiceNews();
    this.onEngine('audio', (speechId, payload) => this.speechAudio(speechId, payload));
    this.onEngine('speechDone', (speechId, outcome) => this.speechDone(speechId, outcome));
    this.onEngine('speechStarted', (speechId) => this.engineSpeechStarted(speechId));
    this.onEngine('failed', (message) => this.emit('voiceFailed', message));
    this.watchLine();
  }

  say(text: string, options: SayOptions): string {
    const speechId = this.speak(text, options);
    this.markCount += 1;
    this.playback.set(speechId, { speechId, mark: `${options.label}-${this.markCount}`, text, state: 'speaking', audioSent: false });
    return speechId;
  }

  stopTalking(): void {
    const unplayed = [...this.playback.values()];
    if (unplayed.some((piece) => piece.audioSent)) this.line.clear();
    if (unplayed.length > 0) this.engine.cancelSpeaking();
    for (const piece of unplayed) if (piece.audioSent) this.cutShort(piece);
    this.playback.clear();
    this.byMark.clear();
  }

  unplayedAudioMs(): number {
    return this.line.unplayedAudioMs();
  }

  flushPlayback(): void {
    this.line.clear();
  }

  /** Listens for the line's own news that the caller hung up, and emits `hungUp`. */
  protected abstract listenForHangUp(): void;

  /** The first audio of this piece is about to go down the line. */
  protected audioStarting(_piece: Playback): void {}

  /** This piece had audio on the line when a barge-in flushed it. */
  protected cutShort(_piece: Playback): void {}

  /** This piece was said within the audio of an earlier one (a voice that takes turns speaks in stretches). */
  protected saidAlong(_piece: Playback): void {}

  protected onLine<K extends keyof LineEvents & string>(event: K, listener: (...args: LineEvents[K]) => void): void {
    this.listen(this.line, event, listener as (...args: unknown[]) => void);
  }

  protected dropPlayback(): void {
    clearInterval(this.lineWatch);
    this.playback.clear();
    this.byMark.clear();
    this.line.close();
  }

  private speechAudio(speechId: string, payload: string): void {
    const piece = this.playback.get(speechId);
    if (!piece || piece.state !== 'speaking') return; // dropped by a barge-in: never reaches the caller
    const first = !piece.audioSent;
    if (first) this.audioStarting(piece);
    this.line.sendAudio(payload);
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
      // A voice that takes turns says several sentences in one breath, all its audio under the first one's ID: a
      // sentence completed with no audio of its own was said along with that one.
      if (outcome === 'completed' && this.engine.turnTaking === 'engine' && piece.text.trim() !== '') this.saidAlong(piece);
      this.emit('speechEnded', speechId, outcome);
      return;
    }
    piece.state = 'playing';
    this.byMark.set(piece.mark, piece);
    this.line.sendMark(piece.mark);
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

  /** Takes the call for lost when the line's audio stops coming while it stays open. */
  private watchLine(): void {
    const timeoutMs = this.options.silenceTimeoutMs;
    let framesSeen = this.callerFrames;
    let quietChecks = 0;
    this.lineWatch = setInterval(() => {
      if (this.callerFrames !== framesSeen) {
        framesSeen = this.callerFrames;
        quietChecks = 0;
        return;
      }
      quietChecks += 1;
      if (quietChecks < LINE_SILENCE_CHECKS) return;
      clearInterval(this.lineWatch);
      const silence = timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
      this.options.log.warn(this.wording.silentWarning(silence));
      this.emit('lost', this.wording.silent);
    }, timeoutMs / LINE_SILENCE_CHECKS);
  }
}
