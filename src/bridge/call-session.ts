// Turn-taking for one call: the greeting as soon as the stream starts; each caller utterance to the agent; the
// agent's streamed reply spoken sentence by sentence while the rest is generated; barge-in; an apology instead of
// silence when the agent fails. It knows the caller's line, the voice engine and the brain only by their interfaces.
import { EventEmitter } from 'node:events';
import { BrainError, type BrainConversation } from '../agents/brain.js';
import type { CallLogger } from './call-log.js';
import type { CallerLine, CallerLineEvents } from './caller-line.js';
import { SentenceSplitter } from './sentence-splitter.js';
import type { CallerUtterance, SpeechOutcome, VoiceEngine, VoiceEngineEvents } from './voice/voice-engine.js';

export const DEFAULT_APOLOGY = "I'm sorry, I'm having trouble answering right now. Could you say that again in a moment?";
export const DEFAULT_AGENT_TIMEOUT_MS = 10_000;

export interface CallSessionOptions {
  callSid: string;
  line: CallerLine;
  engine: VoiceEngine;
  /** The agent's conversation for this call; it may still be being created. */
  conversation: Promise<BrainConversation>;
  greeting: string;
  log: CallLogger;
  /** How long the agent may go without producing anything before the caller hears an apology. */
  agentTimeoutMs?: number;
  apology?: string;
}

type PieceKind = 'greeting' | 'reply' | 'apology';

/** One piece of speech: a sentence of a reply, the greeting or an apology, followed by one mark. */
interface Piece {
  speechId: string;
  mark: string;
  text: string;
  kind: PieceKind;
  turn: Turn | undefined;
  /** speaking: the engine is producing audio; playing: all audio sent, waiting for its mark to be played. */
  state: 'speaking' | 'playing';
  audioSent: boolean;
}

interface Turn {
  number: number;
  utterance: CallerUtterance;
  controller: AbortController;
  reply: string;
  /** Sentences of the reply the caller has heard to the end. */
  heard: string[];
  streaming: boolean;
  interrupted: boolean;
}

export class CallSession extends EventEmitter<{ ended: [reason: string] }> {
  private readonly pieces = new Map<string, Piece>();
  private readonly piecesByMark = new Map<string, Piece>();
  private conversationReady: BrainConversation | undefined;
  private turn: Turn | undefined;
  private turnCount = 0;
  private markCount = 0;
  private closing: Promise<void> | undefined;
  private readonly agentTimeoutMs: number;
  private readonly detach: Array<() => void> = [];

  constructor(private readonly options: CallSessionOptions) {
    super();
    this.agentTimeoutMs = options.agentTimeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS;
    options.conversation.then(
      (conversation) => {
        if (this.closing) return;
        this.conversationReady = conversation;
        // A backend that creates its object with the first utterance tells its ID when it has one.
        if (conversation.created) {
          conversation.created.then(
            (id) => {
              if (!this.closing) options.log.info(`Created ${conversation.kind}: ${id}`);
            },
            () => undefined,
          );
        } else {
          options.log.info(`Created ${conversation.kind}: ${conversation.id}`);
        }
      },
      (error: unknown) => {
        if (!this.closing) options.log.error(`Could not start the agent's conversation: ${describeBrainError(error)}`);
      },
    );
  }

  /** Wires the line and the engine together and greets the caller. */
  start(): void {
    const { engine, log } = this.options;
    this.onLine('audio', (payload) => engine.sendCallerAudio(payload));
    this.onLine('markPlayed', (name) => this.markPlayed(name));
    this.onLine('markCleared', (name) => this.markCleared(name));
    this.onLine('dtmf', (digit) => log.info(`Caller pressed ${digit}`));
    this.onLine('stop', () => void this.close('caller hung up'));
    this.onLine('closed', () => void this.close('stream closed'));
    this.onEngine('ready', () => log.info(`Connected to ${engine.name}`));
    this.onEngine('audio', (speechId, payload) => this.speechAudio(speechId, payload));
    this.onEngine('speechDone', (speechId, outcome) => this.speechDone(speechId, outcome));
    this.onEngine('callerStartedSpeaking', () => this.bargeIn('caller started speaking'));
    this.onEngine('callerSaid', (utterance) => this.callerSaid(utterance));
    this.onEngine('warning', (message) => log.warn(message));
    this.onEngine('failed', (message) => {
      log.error(`The voice connection failed: ${message}`);
      void this.close('voice connection failed');
    });
    if (engine.isReady) log.info(`Connected to ${engine.name}`);
    this.speak(this.options.greeting, 'greeting', undefined);
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Ends the call's session: stops the agent, closes the voice connection, the conversation and the line. */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    const { engine, line, log } = this.options;
    for (const undo of this.detach.splice(0)) undo();
    if (this.turn) {
      this.turn.interrupted = true;
      this.turn.controller.abort(new BrainError('aborted', 'the call ended'));
    }
    this.pieces.clear();
    this.piecesByMark.clear();
    log.info(`Call ended (${reason})`);
    this.closing = (async () => {
      line.close();
      await Promise.all([
        engine.close(),
        // A conversation still being created is closed when it arrives, but the call does not wait for ever.
        settleWithin(
          this.options.conversation.then(
            (conversation) => conversation.close(),
            () => undefined,
          ),
          5_000,
        ),
      ]);
    })();
    this.emit('ended', reason);
    return this.closing;
  }

  private onLine<K extends keyof CallerLineEvents>(event: K, listener: (...args: CallerLineEvents[K]) => void): void {
    const line = this.options.line as unknown as EventEmitter;
    line.on(event, listener as (...args: unknown[]) => void);
    this.detach.push(() => line.off(event, listener as (...args: unknown[]) => void));
  }

  private onEngine<K extends keyof VoiceEngineEvents>(event: K, listener: (...args: VoiceEngineEvents[K]) => void): void {
    const engine = this.options.engine as unknown as EventEmitter;
    engine.on(event, listener as (...args: unknown[]) => void);
    this.detach.push(() => engine.off(event, listener as (...args: unknown[]) => void));
  }

  private speak(text: string, kind: PieceKind, turn: Turn | undefined): void {
    if (this.closing) return;
    const speechId = this.options.engine.speak(text, turn ? { inReplyTo: turn.utterance.turnId } : {});
    this.markCount += 1;
    const piece: Piece = { speechId, mark: `${kind}-${this.markCount}`, text, kind, turn, state: 'speaking', audioSent: false };
    this.pieces.set(speechId, piece);
  }

  private speechAudio(speechId: string, payload: string): void {
    const piece = this.pieces.get(speechId);
    if (!piece || piece.state !== 'speaking') return; // dropped by a barge-in: never reaches the caller
    this.options.line.sendAudio(payload);
    piece.audioSent = true;
  }

  private speechDone(speechId: string, _outcome: SpeechOutcome): void {
    const piece = this.pieces.get(speechId);
    if (!piece || piece.state !== 'speaking') return;
    if (!piece.audioSent) {
      this.pieces.delete(speechId);
      return;
    }
    piece.state = 'playing';
    this.piecesByMark.set(piece.mark, piece);
    this.options.line.sendMark(piece.mark);
  }

  private markPlayed(name: string): void {
    const piece = this.piecesByMark.get(name);
    if (!piece) return;
    this.piecesByMark.delete(name);
    this.pieces.delete(piece.speechId);
    if (piece.kind === 'reply' && piece.turn) piece.turn.heard.push(piece.text);
  }

  private markCleared(name: string): void {
    const piece = this.piecesByMark.get(name);
    if (!piece) return;
    this.piecesByMark.delete(name);
    this.pieces.delete(piece.speechId);
  }

  /**
   * The caller spoke over us: flush what Twilio has buffered, stop the speech, stop the agent, drop what was not
   * said, and tell the agent what the caller actually heard.
   */
  private bargeIn(why: string): void {
    if (this.closing) return;
    const unplayed = [...this.pieces.values()];
    const turn = this.turn;
    const replyCutShort = turn !== undefined && (turn.streaming || unplayed.some((piece) => piece.turn === turn && piece.kind === 'reply'));
    if (unplayed.length === 0 && !replyCutShort) return;
    if (unplayed.some((piece) => piece.audioSent)) this.options.line.clear();
    if (unplayed.length > 0) this.options.engine.cancelSpeaking();
    this.pieces.clear();
    this.piecesByMark.clear();
    if (!turn || !replyCutShort) {
      this.options.log.info(`Caller interrupted (${why})`);
      return;
    }
    turn.interrupted = true;
    turn.controller.abort(new BrainError('aborted', 'the caller interrupted'));
    const heard = turn.heard.join(' ');
    this.conversationReady?.noteInterrupted(heard);
    this.options.log.info(
      heard === '' ? `Caller interrupted the assistant before hearing any of its reply (${why})` : `Caller interrupted the assistant after hearing: ${heard} (${why})`,
    );
  }

  private callerSaid(utterance: CallerUtterance): void {
    if (this.closing) return;
    const text = utterance.text.trim();
    if (text === '') return;
    this.options.log.info(`Customer said: ${text}`);
    // Engines without a speech-started event: the finished utterance is the barge-in.
    this.bargeIn('new utterance');
    this.turnCount += 1;
    const turn: Turn = {
      number: this.turnCount,
      utterance,
      controller: new AbortController(),
      reply: '',
      heard: [],
      streaming: true,
      interrupted: false,
    };
    this.turn = turn;
    void this.runTurn(turn, text);
  }

  private async runTurn(turn: Turn, text: string): Promise<void> {
    const { log } = this.options;
    let iterator: AsyncIterator<string> | undefined;
    try {
      const conversation = await this.withinDeadline(turn, this.options.conversation);
      log.info(`→ Assistant: ${text}`);
      iterator = conversation.reply(text, { signal: turn.controller.signal })[Symbol.asyncIterator]();
      const splitter = new SentenceSplitter();
      for (;;) {
        const next = await this.withinDeadline(turn, iterator.next());
        if (next.done) break;
        turn.reply += next.value;
        for (const sentence of splitter.push(next.value)) this.speak(sentence, 'reply', turn);
      }
      const rest = splitter.flush();
      if (rest) this.speak(rest, 'reply', turn);
      turn.streaming = false;
      log.info(`← Assistant: ${turn.reply.trim()}`);
    } catch (error) {
      turn.streaming = false;
      if (iterator?.return) Promise.resolve(iterator.return()).catch(() => undefined);
      if (turn.interrupted || this.closing) return;
      turn.controller.abort(error);
      log.error(`The agent did not answer: ${describeBrainError(error)}`, brainErrorFields(error));
      this.speak(this.options.apology ?? DEFAULT_APOLOGY, 'apology', turn);
    }
  }

  /**
   * Resolves with the promise, unless the turn is aborted (barge-in, hang-up) or the agent stays silent past the
   * deadline. A backend that ignores its abort signal cannot hold the call hostage.
   */
  private withinDeadline<T>(turn: Turn, promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined); // an abandoned promise must not surface as an unhandled rejection
    const signal = turn.controller.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new BrainError('aborted', 'the turn was stopped'));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        reject(new BrainError('timeout', `the agent produced nothing for ${(this.agentTimeoutMs / 1000).toFixed(1)} s`));
      }, this.agentTimeoutMs);
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}

function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** The error for the log: the BrainError's own message with its doctor-style explanation, never a stack. */
export function describeBrainError(error: unknown): string {
  if (error instanceof BrainError) return error.explanation ? `${error.message} — ${error.explanation}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

function brainErrorFields(error: unknown): Record<string, unknown> {
  return error instanceof BrainError ? { kind: error.kind } : {};
}
