// Turn-taking for one call: the greeting as soon as the stream starts; each caller utterance to the agent; the
// agent's streamed reply spoken sentence by sentence while the rest is generated; barge-in; an apology instead of
// silence when the agent fails, and a polite end (goodbye and hang-up, or a transfer) when it keeps failing or the
// voice is lost for good. It knows the caller's line, the voice engine, the brain and Twilio's call control only by
// their interfaces.
import { EventEmitter } from 'node:events';
import { BrainError, type BrainConversation, type BrainEvent } from '../agents/brain.js';
import { DEFAULT_AGENT_TIMEOUT_MS } from '../config/defaults.js';
import type { CallMetrics, CallOutcome } from './bridge-metrics.js';
import { describeTwilioFailure, type CallControl } from './call-control.js';
import type { CallLogger } from './call-log.js';
import { AGENT_GOODBYE, AGENT_TRANSFER, DEFAULT_APOLOGY, NOT_UNDERSTOOD, VOICE_FAILED_GOODBYE, VOICE_FAILED_TRANSFER } from './caller-messages.js';
import type { CallerLine, CallerLineEvents } from './caller-line.js';
import { SentenceSplitter } from './sentence-splitter.js';
import { sayAndHangUpTwiml, sayAndTransferTwiml } from './twilio/twiml.js';
import type { CallerUtterance, SpeechOutcome, VoiceEngine, VoiceEngineEvents } from './voice/voice-engine.js';

export { DEFAULT_AGENT_TIMEOUT_MS, DEFAULT_APOLOGY };

/** Failed turns in a row after which the agent is given up on and the call ends politely (or is transferred). */
export const MAX_CONSECUTIVE_AGENT_FAILURES = 3;
/** How long the goodbye may take to play before the call is hung up anyway. */
const GOODBYE_TIMEOUT_MS = 15_000;
/**
 * Twilio sends a media frame every 20 ms for as long as the call lasts, silence included: a started stream that sends
 * none for this long was lost without a close (a network failure), and the call would otherwise hold its connections
 * for ever.
 */
export const DEFAULT_LINE_SILENCE_TIMEOUT_MS = 15_000;
/** The silence is checked this many times per timeout: one timer per call, never per frame. */
const LINE_SILENCE_CHECKS = 5;
/**
 * With an engine that stops itself when interrupted, the phone's buffer is flushed only when more than this much
 * speech is still to play there: less is over by the time a `clear` would arrive.
 */
export const FLUSH_THRESHOLD_MS = 200;
/**
 * Key presses logged per call. A caller presses a few keys; a stream sending thousands of dtmf frames is not a caller
 * and must not write thousands of log lines.
 */
export const MAX_LOGGED_KEY_PRESSES = 50;

const UNCOUNTED: CallMetrics = {
  frames: { toVoice: 0, toCaller: 0 },
  turnAnswered: () => undefined,
  agentError: () => undefined,
  realtimeReconnect: () => undefined,
};

export interface CallSessionOptions {
  callSid: string;
  line: CallerLine;
  engine: VoiceEngine;
  /** The agent's conversation for this call; it may still be being created. */
  conversation: Promise<BrainConversation>;
  /**
   * Starts the agent's conversation again. Used by a turn when creating it failed (a rate limit, a server error), so
   * one failed creation costs one apology, not the rest of the call.
   */
  restartConversation?: () => Promise<BrainConversation>;
  greeting: string;
  log: CallLogger;
  /** How long the agent may go without producing anything before the caller hears an apology. */
  agentTimeoutMs?: number;
  apology?: string;
  /** Hangs up or transfers through Twilio's REST API; without it a call is ended by closing its stream. */
  callControl?: CallControl;
  /** E.164 number to hand the caller to when the agent keeps failing or the voice is lost (TRANSFER_NUMBER). */
  transferNumber?: string;
  maxAgentFailures?: number;
  metrics?: CallMetrics;
  /** How long a started stream may send no audio before it is taken for lost (default 15 s). */
  lineSilenceTimeoutMs?: number;
}

/** 'voice': speech an engine that takes turns began on its own. */
type PieceKind = 'greeting' | 'reply' | 'apology' | 'goodbye' | 'voice';

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
  /** When the caller's words were known (performance.now()), for the turn latency. */
  heardAt: number;
  answered: boolean;
  controller: AbortController;
  reply: string;
  /** Sentences of the reply the caller has heard to the end. */
  heard: string[];
  streaming: boolean;
  interrupted: boolean;
}

export class CallSession extends EventEmitter<{ ended: [reason: string, outcome: CallOutcome] }> {
  private readonly pieces = new Map<string, Piece>();
  private readonly piecesByMark = new Map<string, Piece>();
  private conversationReady: BrainConversation | undefined;
  /** The conversation the next turn uses: the one given, or a new one after creating it failed. */
  private conversation: Promise<BrainConversation>;
  private conversationFailed = false;
  private turn: Turn | undefined;
  private turnCount = 0;
  private markCount = 0;
  private closing: Promise<void> | undefined;
  private readonly agentTimeoutMs: number;
  private readonly detach: Array<() => void> = [];
  private readonly metrics: CallMetrics;
  private consecutiveAgentFailures = 0;
  /** Set once the call is being ended by us (goodbye, transfer, voice lost): how it will have ended. */
  private ending: CallOutcome | undefined;
  private goodbyeTimer: NodeJS.Timeout | undefined;
  private reconnecting = false;
  /** Caller audio frames received, for the line's silence check. */
  private callerFrames = 0;
  private lineWatch: NodeJS.Timeout | undefined;
  private keyPresses = 0;

  constructor(private readonly options: CallSessionOptions) {
    super();
    this.agentTimeoutMs = options.agentTimeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS;
    this.metrics = options.metrics ?? UNCOUNTED;
    this.conversation = options.conversation;
    this.watchConversation(options.conversation);
  }

  private watchConversation(promise: Promise<BrainConversation>): void {
    const { log } = this.options;
    promise.then(
      (conversation) => {
        if (this.closing || promise !== this.conversation) return;
        this.conversationReady = conversation;
        // A backend that creates its object with the first utterance tells its ID when it has one.
        if (conversation.created) {
          conversation.created.then(
            (id) => {
              if (!this.closing) log.info(`Created ${conversation.kind}: ${id}`);
            },
            () => undefined,
          );
        } else {
          log.info(`Created ${conversation.kind}: ${conversation.id}`);
        }
      },
      (error: unknown) => {
        if (promise !== this.conversation) return;
        this.conversationFailed = true;
        if (!this.closing) log.error(`Could not start the agent's conversation: ${describeBrainError(error)}`);
      },
    );
  }

  /** The conversation for a new turn: started again when creating it failed, as the agent may work again by now. */
  private conversationForTurn(): Promise<BrainConversation> {
    const restart = this.options.restartConversation;
    if (this.conversationFailed && restart) {
      this.conversationFailed = false;
      this.conversation = restart();
      this.watchConversation(this.conversation);
    }
    return this.conversation;
  }

  /** Wires the line and the engine together and greets the caller. */
  start(): void {
    const { engine, log } = this.options;
    const frames = this.metrics.frames;
    this.onLine('audio', (payload) => {
      frames.toVoice += 1;
      this.callerFrames += 1;
      engine.sendCallerAudio(payload);
    });
    this.onLine('markPlayed', (name) => this.markPlayed(name));
    this.onLine('markCleared', (name) => this.markCleared(name));
    this.onLine('dtmf', (digit) => this.keyPressed(digit));
    this.onLine('stop', () => void this.close('caller hung up', 'completed'));
    this.onLine('closed', () => void this.close('stream closed', 'stream_lost'));
    this.onEngine('ready', () => log.info(`Connected to ${engine.name}`));
    this.onEngine('audio', (speechId, payload) => this.speechAudio(speechId, payload));
    this.onEngine('speechDone', (speechId, outcome) => this.speechDone(speechId, outcome));
    this.onEngine('speechStarted', (speechId) => this.engineSpeechStarted(speechId));
    this.onEngine('callerStartedSpeaking', () => (this.engineTakesTurns ? this.callerSpokeOverEngine() : this.bargeIn('caller started speaking')));
    this.onEngine('callerSaid', (utterance) => this.callerSaid(utterance));
    this.onEngine('callerNotUnderstood', (reason) => this.callerNotUnderstood(reason));
    this.onEngine('warning', (message) => log.warn(message));
    this.onEngine('reconnecting', (reason) => {
      this.reconnecting = true;
      log.warn(`The voice connection dropped (${reason}); reconnecting`);
    });
    this.onEngine('reconnected', () => {
      this.reconnecting = false;
      this.metrics.realtimeReconnect('ok');
      log.info(`Reconnected to ${engine.name}`);
    });
    this.onEngine('failed', (message) => {
      if (this.reconnecting) this.metrics.realtimeReconnect('failed');
      log.error(`The voice connection failed: ${message}`);
      void this.endAfterVoiceFailure();
    });
    if (engine.isReady) log.info(`Connected to ${engine.name}`);
    this.watchLine();
    this.speak(this.options.greeting, 'greeting', undefined);
  }

  private keyPressed(digit: string): void {
    this.keyPresses += 1;
    if (this.keyPresses > MAX_LOGGED_KEY_PRESSES) return;
    const more = this.keyPresses === MAX_LOGGED_KEY_PRESSES ? ' (further key presses on this call are not logged)' : '';
    this.options.log.info(`Caller pressed ${digit}${more}`);
  }

  /** Ends the call when Twilio's audio stops coming while the stream stays open. */
  private watchLine(): void {
    const timeoutMs = this.options.lineSilenceTimeoutMs ?? DEFAULT_LINE_SILENCE_TIMEOUT_MS;
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
      const silence = timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
      this.options.log.warn(`No audio from Twilio for ${silence} while the stream stayed open: the connection to Twilio is taken for lost`);
      void this.close('no audio from Twilio', 'stream_lost');
    }, timeoutMs / LINE_SILENCE_CHECKS);
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Ends the call's session: stops the agent, closes the voice connection, the conversation and the line. */
  close(reason: string, outcome: CallOutcome = 'shutdown'): Promise<void> {
    if (this.closing) return this.closing;
    const { engine, line, log } = this.options;
    clearTimeout(this.goodbyeTimer);
    clearInterval(this.lineWatch);
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
          this.conversation.then(
            (conversation) => conversation.close(),
            () => undefined,
          ),
          5_000,
        ),
      ]);
    })();
    // A call we were already ending ended the way we ended it, even if Twilio's stop arrived first.
    this.emit('ended', reason, this.ending ?? outcome);
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
    this.metrics.frames.toCaller += 1;
    piece.audioSent = true;
    const turn = piece.turn;
    if (turn && !turn.answered) {
      turn.answered = true;
      this.metrics.turnAnswered((performance.now() - turn.heardAt) / 1000);
    }
  }

  private speechDone(speechId: string, outcome: SpeechOutcome): void {
    const piece = this.pieces.get(speechId);
    if (!piece || piece.state !== 'speaking') return;
    if (!piece.audioSent) {
      this.pieces.delete(speechId);
      // An engine that takes turns may say several sentences in one breath, all its audio under the first one's ID.
      if (this.engineTakesTurns && outcome === 'completed' && piece.kind === 'reply' && piece.turn) piece.turn.heard.push(piece.text);
      if (piece.kind === 'goodbye') void this.hangUpAfterGoodbye();
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
    if (piece.kind === 'goodbye') void this.hangUpAfterGoodbye();
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
    if (this.closing || this.ending) return; // the goodbye is said to the end
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

  private get engineTakesTurns(): boolean {
    return this.options.engine.turnTaking === 'engine';
  }

  /** Speech an engine that takes turns began on its own: played and marked like any other. */
  private engineSpeechStarted(speechId: string): void {
    if (this.closing || this.pieces.has(speechId)) return;
    this.markCount += 1;
    this.pieces.set(speechId, { speechId, mark: `voice-${this.markCount}`, text: '', kind: 'voice', turn: undefined, state: 'speaking', audioSent: false });
  }

  /**
   * The caller spoke over an engine that stops itself when interrupted: only what the phone still has buffered would
   * play on, so it is flushed when there is more than FLUSH_THRESHOLD_MS of it. The agent is not stopped: whether the
   * caller asked something new is the engine's to say, with a new request.
   */
  private callerSpokeOverEngine(): void {
    if (this.closing || this.ending) return; // the goodbye is said to the end
    const unplayedMs = this.options.line.unplayedAudioMs();
    if (unplayedMs <= FLUSH_THRESHOLD_MS) return;
    this.options.line.clear();
    this.options.log.info(`Caller interrupted (caller started speaking with ${Math.round(unplayedMs)} ms of speech still to play)`);
  }

  /** A new request from an engine that takes turns makes the reply still being generated obsolete: stop the agent. */
  private dropObsoleteTurn(): void {
    const turn = this.turn;
    if (!turn || !turn.streaming) return;
    turn.interrupted = true;
    turn.controller.abort(new BrainError('aborted', 'the caller moved on to a new request'));
    const heard = turn.heard.join(' ');
    this.conversationReady?.noteInterrupted(heard);
    this.options.log.info(`The caller moved on before the agent finished; the rest of its reply is dropped${heard === '' ? '' : ` (the caller heard: ${heard})`}`);
  }

  private callerSaid(utterance: CallerUtterance): void {
    if (this.closing || this.ending) return;
    if (this.engineTakesTurns) this.dropObsoleteTurn();
    const text = utterance.text.trim();
    if (text === '') {
      this.callerNotUnderstood('the transcript of what the caller said is empty');
      return;
    }
    this.options.log.info(`Customer said: ${text}`);
    // Engines without a speech-started event: the finished utterance is the barge-in.
    if (!this.engineTakesTurns) this.bargeIn('new utterance');
    this.turnCount += 1;
    const turn: Turn = {
      number: this.turnCount,
      utterance,
      heardAt: performance.now(),
      answered: false,
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
    let iterator: AsyncIterator<BrainEvent> | undefined;
    try {
      const conversation = await this.withinDeadline(turn, this.conversationForTurn());
      log.info(`→ Assistant: ${text}`);
      iterator = conversation.reply(text, { signal: turn.controller.signal })[Symbol.asyncIterator]();
      const splitter = new SentenceSplitter();
      for (;;) {
        const next = await this.withinDeadline(turn, iterator.next());
        if (next.done) break;
        // Only text is spoken: the call answers no tool calls yet, and each brain ends such a turn itself.
        if (next.value.type !== 'text') continue;
        turn.reply += next.value.delta;
        // The agent answers: even if the caller cuts this reply short, it no longer counts as failing.
        this.consecutiveAgentFailures = 0;
        for (const sentence of splitter.push(next.value.delta)) this.speak(sentence, 'reply', turn);
      }
      const rest = splitter.flush();
      if (rest) this.speak(rest, 'reply', turn);
      turn.streaming = false;
      log.info(`← Assistant: ${turn.reply.trim()}`);
    } catch (error) {
      turn.streaming = false;
      if (iterator?.return) Promise.resolve(iterator.return()).catch(() => undefined);
      if (turn.interrupted || this.closing || this.ending) return;
      turn.controller.abort(error);
      this.agentFailed(turn, error);
    }
  }

  /** One failed turn: an apology and the call goes on; too many in a row: the call ends politely or is transferred. */
  private agentFailed(turn: Turn, error: unknown): void {
    const { log } = this.options;
    this.consecutiveAgentFailures += 1;
    this.metrics.agentError(error instanceof BrainError ? error.kind : 'unknown');
    log.error(`The agent did not answer: ${describeBrainError(error)}`, brainErrorFields(error));
    const limit = this.options.maxAgentFailures ?? MAX_CONSECUTIVE_AGENT_FAILURES;
    if (this.consecutiveAgentFailures < limit) {
      this.speak(this.options.apology ?? DEFAULT_APOLOGY, 'apology', turn);
      return;
    }
    void this.endAfterAgentFailures(limit);
  }

  private async endAfterAgentFailures(failures: number): Promise<void> {
    const { log, callControl, transferNumber, callSid } = this.options;
    this.ending = 'agent_failed';
    if (callControl && transferNumber) {
      log.warn(`The agent failed ${failures} turns in a row: transferring the call to ${transferNumber}`);
      try {
        await callControl.redirect(callSid, await sayAndTransferTwiml(AGENT_TRANSFER, transferNumber));
        this.ending = 'transferred';
        await this.close(`transferred to ${transferNumber}`, 'transferred');
        return;
      } catch (error) {
        log.error(`Could not transfer the call through Twilio's REST API (${describeTwilioFailure(error)}); saying goodbye instead`);
      }
    } else {
      log.warn(`The agent failed ${failures} turns in a row: saying goodbye and hanging up`);
    }
    if (this.closing) return;
    this.speak(AGENT_GOODBYE, 'goodbye', undefined);
    // A goodbye whose mark never comes back must not keep the line open.
    this.goodbyeTimer = setTimeout(() => void this.hangUpAfterGoodbye(), GOODBYE_TIMEOUT_MS);
  }

  private async hangUpAfterGoodbye(): Promise<void> {
    if (this.closing || this.ending !== 'agent_failed' || this.goodbyeTimer === undefined) return;
    clearTimeout(this.goodbyeTimer);
    this.goodbyeTimer = undefined;
    const { log, callControl, callSid } = this.options;
    if (callControl) {
      try {
        await callControl.hangUp(callSid);
        log.info('Hung up the call through Twilio after the goodbye');
      } catch (error) {
        log.error(`Could not hang up through Twilio's REST API (${describeTwilioFailure(error)}); closing the stream instead, which ends the call`);
      }
    }
    await this.close('the agent kept failing', 'agent_failed');
  }

  /** Speech that could not be made out: ask again rather than leave the caller wondering whether anyone listens. */
  private callerNotUnderstood(reason: string): void {
    if (this.closing || this.ending) return;
    this.options.log.info(`Did not catch what the caller said (${reason}); asking again`);
    this.speak(NOT_UNDERSTOOD, 'apology', undefined);
  }

  /**
   * The voice is gone for good: the caller would hear nothing more from us. Twilio's own voice says why, then hands
   * the caller to TRANSFER_NUMBER or hangs up; without call control, closing the stream ends the call.
   */
  private async endAfterVoiceFailure(): Promise<void> {
    if (this.closing) return;
    const { log, callControl, transferNumber, callSid } = this.options;
    const wasEnding = this.ending;
    this.ending = wasEnding ?? 'voice_failed';
    if (callControl) {
      try {
        if (transferNumber) {
          await callControl.redirect(callSid, await sayAndTransferTwiml(VOICE_FAILED_TRANSFER, transferNumber));
          this.ending = 'transferred';
          log.info(`Transferred the call to ${transferNumber} through Twilio`);
        } else {
          await callControl.redirect(callSid, await sayAndHangUpTwiml(VOICE_FAILED_GOODBYE));
          log.info('Ended the call through Twilio with an apology');
        }
      } catch (error) {
        log.error(`Could not end the call through Twilio's REST API (${describeTwilioFailure(error)}); closing the stream instead, which ends the call`);
      }
    }
    await this.close('voice connection failed', this.ending);
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
