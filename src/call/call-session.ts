// The call core: turn-taking for one call. The greeting as soon as the call starts; each caller utterance to the
// agent; the agent's streamed reply spoken sentence by sentence while the rest is generated; the barge-in decision; an
// apology instead of silence when the agent fails, and a polite end (goodbye and hang-up, or a transfer) when it keeps
// failing or the voice is lost for good. It knows the call only through its channel (what the caller says and hears)
// and its actions (hang up, transfer), and the agent only through the brain's interface: no transport, no frame, no
// mark, no TwiML.
import { EventEmitter } from 'node:events';
import { BrainError, type BrainConversation, type BrainEvent, type BrainToolCallEvent } from '../agents/brain.js';
import { DEFAULT_AGENT_TIMEOUT_MS } from '../config/defaults.js';
import type { CallLogger } from '../log/call-log.js';
import type { CallActions } from './call-actions.js';
import type { CallChannel, CallChannelEvents, CallerUtterance, SpeechEnd } from './call-channel.js';
import type { CallMetrics, CallOutcome } from './call-metrics.js';
import { chooseTransfer, END_CALL, TRANSFER_CALL, type TransferDestinations } from './call-tools.js';
import {
  AGENT_GOODBYE,
  AGENT_TRANSFER,
  AGENT_TRANSFERRING,
  DEFAULT_APOLOGY,
  NOT_TRANSFERRED,
  NOT_UNDERSTOOD,
  ONE_MOMENT,
  VOICE_FAILED_GOODBYE,
  VOICE_FAILED_TRANSFER,
} from './caller-messages.js';
import { SentenceSplitter } from './sentence-splitter.js';

export { DEFAULT_AGENT_TIMEOUT_MS, DEFAULT_APOLOGY };

/** Failed turns in a row after which the agent is given up on and the call ends politely (or is transferred). */
export const MAX_CONSECUTIVE_AGENT_FAILURES = 3;
/** How long the goodbye may take to play before the call is hung up anyway. */
export const GOODBYE_TIMEOUT_MS = 15_000;
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
/** Key presses this close together are one message to the agent ('#' ends one at once). */
export const KEYPAD_GROUP_MS = 1_500;
/** A function of the agent's own that has not answered after this long: the caller hears that we are on it, once. */
export const FILLER_AFTER_MS = 1_500;

/** What one of the agent's own functions answered, or why it could not. */
export interface FunctionResult {
  ok: boolean;
  /** The output for the agent: JSON text. */
  output: string;
  /** For the log, when it failed: what happened and what to check. */
  problem?: string;
}

/** The opening input for a conversation that cannot open by itself (started without the call's outbound context). */
const OPENING_WITHOUT_CONTEXT = '[Note: this is a phone call you placed, and a person has just answered. Speak first: greet them and say why you are calling.]';

/** Output for a function the call cannot run: the agent hears why and the turn goes on. */
const NOT_AVAILABLE = JSON.stringify({ error: 'This function is not available on phone calls.' });

const UNCOUNTED: CallMetrics = {
  frames: { toVoice: 0, toCaller: 0 },
  turnAnswered: () => undefined,
  agentError: () => undefined,
  realtimeReconnect: () => undefined,
};

export interface CallSessionOptions {
  callSid: string;
  /** The call's transport: what the caller says and hears. */
  channel: CallChannel;
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
  /** Hangs up or transfers the call; without them a call is ended by closing its channel. */
  actions?: CallActions;
  /** E.164 number to hand the caller to when the agent keeps failing or the voice is lost (TRANSFER_NUMBER). */
  transferNumber?: string;
  /** Where the agent's transfer_call may send the caller: TRANSFER_NUMBER and TRANSFER_TARGETS, nothing else. */
  transferDestinations?: TransferDestinations;
  /** Runs a function of the agent's own (TOOLS_URL). Without it such a call gets "not available on phone calls". */
  runFunction?: (request: { name: string; arguments: string }, signal: AbortSignal) => Promise<FunctionResult>;
  maxAgentFailures?: number;
  metrics?: CallMetrics;
  /**
   * A call the agent placed: no greeting; once `answered` resolves (a person answered), the agent's conversation opens
   * with why it called and its first words are spoken. Until then nothing is said: the line may be an answering machine.
   */
  outbound?: { answered: Promise<void> };
}

type PieceKind = 'greeting' | 'reply' | 'apology' | 'goodbye' | 'filler';

/** One piece of speech asked of the channel: a sentence of a reply, the greeting, an apology or the goodbye. */
interface Piece {
  text: string;
  kind: PieceKind;
  turn: Turn | undefined;
}

interface Turn {
  number: number;
  /** The agent's opening turn on a call it placed: no caller words, the agent speaks first. */
  opening?: boolean;
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
  /** What the agent asked to happen once its reply has been heard: end the call, or transfer it. */
  then?: { action: 'end'; reason: string } | { action: 'transfer'; number: string; reason: string };
}

export class CallSession extends EventEmitter<{ ended: [reason: string, outcome: CallOutcome] }> {
  /** Speech asked for and not yet ended, by the channel's speech ID. */
  private readonly pieces = new Map<string, Piece>();
  private conversationReady: BrainConversation | undefined;
  /** The conversation the next turn uses: the one given, or a new one after creating it failed. */
  private conversation: Promise<BrainConversation>;
  private conversationFailed = false;
  private turn: Turn | undefined;
  private turnCount = 0;
  private closing: Promise<void> | undefined;
  private readonly agentTimeoutMs: number;
  private readonly detach: Array<() => void> = [];
  private readonly metrics: CallMetrics;
  private consecutiveAgentFailures = 0;
  /** Set once the call is being ended by us (goodbye, transfer, voice lost): how it will have ended. */
  private ending: CallOutcome | undefined;
  private goodbyeTimer: NodeJS.Timeout | undefined;
  private reconnecting = false;
  private keyPresses = 0;
  private keypadDigits: string[] = [];
  private keypadTimer: NodeJS.Timeout | undefined;
  /** On a call the agent placed: true until its opening turn starts. The callee's words wait for the agent's opening. */
  private awaitingOpening = false;

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

  /** Listens to the channel and greets the caller. */
  start(): void {
    const { channel, log } = this.options;
    // Whether the voice has worked on this call yet: a retry before it has is a start-up retry, not a reconnect.
    let voiceConnected = channel.voiceReady;
    this.on_('keypad', (digit) => this.keyPressed(digit));
    this.on_('hungUp', () => void this.close('caller hung up', 'completed'));
    this.on_('lost', (reason) => void this.close(reason, 'stream_lost'));
    this.on_('voiceReady', () => {
      voiceConnected = true;
      log.info(`Connected to ${channel.voiceName}`);
    });
    this.on_('speechAudible', (speechId) => this.speechAudible(speechId));
    this.on_('speechEnded', (speechId, end) => this.speechEnded(speechId, end));
    this.on_('callerStartedSpeaking', () => (this.voiceTakesTurns ? this.callerSpokeOverVoice() : this.bargeIn('caller started speaking')));
    this.on_('callerSaid', (utterance) => this.callerSaid(utterance));
    this.on_('callerNotUnderstood', (reason) => this.callerNotUnderstood(reason));
    this.on_('warning', (message) => log.warn(message));
    this.on_('voiceReconnecting', (reason) => {
      this.reconnecting = true;
      log.warn(voiceConnected ? `The voice connection dropped (${reason}); reconnecting` : `The voice connection did not start (${reason}); trying once more`);
    });
    this.on_('voiceReconnected', () => {
      this.reconnecting = false;
      this.metrics.realtimeReconnect('ok');
      // Before the voice ever worked, voiceReady follows and says "Connected".
      if (voiceConnected) log.info(`Reconnected to ${channel.voiceName}`);
    });
    this.on_('voiceFailed', (message) => {
      if (this.reconnecting) this.metrics.realtimeReconnect('failed');
      log.error(`The voice connection failed: ${message}`);
      void this.endAfterVoiceFailure();
    });
    if (channel.voiceReady) log.info(`Connected to ${channel.voiceName}`);
    channel.start();
    const outbound = this.options.outbound;
    if (!outbound) {
      this.speak(this.options.greeting, 'greeting', undefined);
      return;
    }
    this.awaitingOpening = true;
    outbound.answered.then(
      () => this.open(),
      () => undefined,
    );
  }

  /** The agent speaks first on a call it placed: its opening turn, in place of the greeting. */
  private open(): void {
    if (!this.awaitingOpening || this.closing || this.ending) return;
    this.awaitingOpening = false;
    this.startTurn({ text: '', turnId: '' }, true);
  }

  /**
   * A key press reaches the agent as the caller's words: keys pressed within KEYPAD_GROUP_MS of each other, or up to
   * '#', are one message. A key pressed while the agent speaks is a barge-in, as speech is.
   */
  private keyPressed(digit: string): void {
    this.keyPresses += 1;
    if (this.keyPresses <= MAX_LOGGED_KEY_PRESSES) {
      const more = this.keyPresses === MAX_LOGGED_KEY_PRESSES ? ' (further key presses on this call are not logged)' : '';
      this.options.log.info(`Caller pressed ${digit}${more}`);
    }
    if (this.closing || this.ending || this.awaitingOpening) return;
    if (this.voiceTakesTurns) this.callerSpokeOverVoice();
    else this.bargeIn('caller pressed a key');
    this.keypadDigits.push(digit);
    clearTimeout(this.keypadTimer);
    if (digit === '#') this.keypadMessage();
    else this.keypadTimer = setTimeout(() => this.keypadMessage(), KEYPAD_GROUP_MS);
  }

  private keypadMessage(): void {
    clearTimeout(this.keypadTimer);
    const digits = this.keypadDigits.splice(0);
    if (digits.length === 0 || this.closing || this.ending) return;
    this.options.log.info(`Customer pressed: ${digits.join(' ')}`);
    if (this.voiceTakesTurns) this.dropObsoleteTurn();
    // No utterance of the voice's stands behind it: the answer is spoken as the voice's own words.
    this.startTurn({ text: `The caller pressed ${digits.join(' ')} on the keypad.`, turnId: '' });
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Ends the call's session: stops the agent, closes the voice connection, the conversation and the line. */
  close(reason: string, outcome: CallOutcome = 'shutdown'): Promise<void> {
    if (this.closing) return this.closing;
    const { channel, log } = this.options;
    clearTimeout(this.goodbyeTimer);
    clearTimeout(this.keypadTimer);
    for (const undo of this.detach.splice(0)) undo();
    if (this.turn) {
      this.turn.interrupted = true;
      this.turn.controller.abort(new BrainError('aborted', 'the call ended'));
    }
    this.pieces.clear();
    log.info(`Call ended (${reason})`);
    this.closing = (async () => {
      await Promise.all([
        channel.close(),
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
    // A call we were already ending ended the way we ended it, even if the caller's hang-up arrived first.
    this.emit('ended', reason, this.ending ?? outcome);
    return this.closing;
  }

  private on_<K extends keyof CallChannelEvents>(event: K, listener: (...args: CallChannelEvents[K]) => void): void {
    const channel = this.options.channel as unknown as EventEmitter;
    channel.on(event, listener as (...args: unknown[]) => void);
    this.detach.push(() => channel.off(event, listener as (...args: unknown[]) => void));
  }

  private speak(text: string, kind: PieceKind, turn: Turn | undefined): void {
    if (this.closing) return;
    const inReplyTo = turn?.utterance.turnId;
    const speechId = this.options.channel.say(text, { label: kind, ...(inReplyTo ? { inReplyTo } : {}) });
    this.pieces.set(speechId, { text, kind, turn });
  }

  /** The first audio of a piece reached the caller: for a reply, the turn is answered. */
  private speechAudible(speechId: string): void {
    const turn = this.pieces.get(speechId)?.turn;
    if (turn && !turn.answered) {
      turn.answered = true;
      this.metrics.turnAnswered((performance.now() - turn.heardAt) / 1000);
    }
  }

  private speechEnded(speechId: string, end: SpeechEnd): void {
    const piece = this.pieces.get(speechId);
    if (!piece) return; // dropped by a barge-in: it no longer counts
    this.pieces.delete(speechId);
    if (end === 'flushed') return;
    // A voice that takes turns may say several sentences in one breath, all its audio under the first one's ID.
    const heard = end === 'heard' || (this.voiceTakesTurns && end === 'completed');
    if (heard && piece.kind === 'reply' && piece.turn) piece.turn.heard.push(piece.text);
    if (piece.kind === 'goodbye') void this.hangUpAfterGoodbye();
    if (piece.turn?.then) this.afterReplyIfHeard(piece.turn);
  }

  /**
   * The caller spoke over us: stop talking (the speech, and what the phone still has buffered), stop the agent, drop what was not
   * said, and tell the agent what the caller actually heard.
   */
  private bargeIn(why: string): void {
    if (this.closing || this.ending) return; // the goodbye is said to the end
    const unplayed = [...this.pieces.values()];
    const turn = this.turn;
    const replyCutShort = turn !== undefined && (turn.streaming || unplayed.some((piece) => piece.turn === turn && piece.kind === 'reply'));
    if (unplayed.length === 0 && !replyCutShort) return;
    if (unplayed.length > 0) this.options.channel.stopTalking();
    this.pieces.clear();
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

  private get voiceTakesTurns(): boolean {
    return this.options.channel.turnTaking === 'engine';
  }

  /**
   * The caller spoke over an engine that stops itself when interrupted: only what the phone still has buffered would
   * play on, so it is flushed when there is more than FLUSH_THRESHOLD_MS of it. The agent is not stopped: whether the
   * caller asked something new is the engine's to say, with a new request.
   */
  private callerSpokeOverVoice(): void {
    if (this.closing || this.ending) return; // the goodbye is said to the end
    const unplayedMs = this.options.channel.unplayedAudioMs();
    if (unplayedMs <= FLUSH_THRESHOLD_MS) return;
    this.options.channel.flushPlayback();
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
    if (this.awaitingOpening) {
      // "Hello?" before the agent opened: the opening greets them, and answering it too would talk over it.
      this.options.log.info(`Callee said before the agent's opening: ${utterance.text.trim()}`);
      return;
    }
    if (this.voiceTakesTurns) this.dropObsoleteTurn();
    const text = utterance.text.trim();
    if (text === '') {
      this.callerNotUnderstood('the transcript of what the caller said is empty');
      return;
    }
    this.options.log.info(`Customer said: ${text}`);
    // Engines without a speech-started event: the finished utterance is the barge-in.
    if (!this.voiceTakesTurns) this.bargeIn('new utterance');
    this.startTurn({ ...utterance, text });
  }

  private startTurn(utterance: CallerUtterance, opening = false): void {
    this.turnCount += 1;
    const turn: Turn = {
      number: this.turnCount,
      ...(opening ? { opening } : {}),
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
    void this.runTurn(turn, utterance.text);
  }

  private async runTurn(turn: Turn, text: string): Promise<void> {
    const { log } = this.options;
    let iterator: AsyncIterator<BrainEvent> | undefined;
    try {
      const conversation = await this.withinDeadline(turn, this.conversationForTurn());
      const replyOptions = { signal: turn.controller.signal };
      if (turn.opening) {
        log.info('→ Assistant: (the callee answered: the agent opens the call it placed)');
        iterator = (conversation.open ? conversation.open(replyOptions) : conversation.reply(OPENING_WITHOUT_CONTEXT, replyOptions))[Symbol.asyncIterator]();
      } else {
        log.info(`→ Assistant: ${text}`);
        iterator = conversation.reply(text, replyOptions)[Symbol.asyncIterator]();
      }
      const splitter = new SentenceSplitter();
      for (;;) {
        const next = await this.withinDeadline(turn, iterator.next());
        if (next.done) break;
        // A function call is answered before the turn goes on: the brain then streams what the agent does next.
        if (next.value.type === 'tool_call') {
          await this.toolCall(turn, next.value);
          continue;
        }
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
      if (turn.then) this.afterReplyIfHeard(turn);
    } catch (error) {
      turn.streaming = false;
      if (iterator?.return) Promise.resolve(iterator.return()).catch(() => undefined);
      // What the agent asked for stands even if its turn broke off afterwards.
      if (turn.then && !this.closing) {
        this.afterReplyIfHeard(turn);
        return;
      }
      if (turn.interrupted || this.closing || this.ending) return;
      turn.controller.abort(error);
      this.agentFailed(turn, error);
    }
  }

  /**
   * One function call of the agent's, answered before the turn goes on: end_call and transfer_call are the call's own
   * (they take effect once the reply has been heard); any other goes to the user's functions (TOOLS_URL), or is
   * answered "not available on phone calls". No turn fails because the agent called a function.
   */
  private async toolCall(turn: Turn, call: BrainToolCallEvent): Promise<void> {
    const { log } = this.options;
    const answer = call.answer;
    // A backend that cannot take answers ends the turn itself, as a phone call cannot give what was asked.
    if (!answer) return;
    const args = parseArguments(call.arguments);
    if (call.name === END_CALL) {
      const reason = stringArgument(args, 'reason') ?? 'the conversation is over';
      log.info(`Agent ended the call: ${reason}`);
      turn.then = { action: 'end', reason };
      this.ending = 'completed';
      answer(JSON.stringify({ result: 'The call ends once the caller has heard your goodbye. Say it now if you have not.' }));
      return;
    }
    if (call.name === TRANSFER_CALL) {
      const reason = stringArgument(args, 'reason') ?? 'the caller asked for a person';
      const choice = chooseTransfer(this.options.transferDestinations ?? { defaultNumber: this.options.transferNumber, named: {} }, stringArgument(args, 'destination'));
      if (!choice.ok || !this.options.actions) {
        const error = choice.ok ? 'Transfers are not possible on this call.' : choice.error;
        log.warn(`Refused the agent's transfer: ${error}`);
        answer(JSON.stringify({ error }));
        return;
      }
      log.info(`Agent transfers the call to ${choice.name ? `${choice.name} (${choice.number})` : choice.number}: ${reason}`);
      turn.then = { action: 'transfer', number: choice.number, reason };
      this.ending = 'transferred';
      answer(JSON.stringify({ result: 'The caller is transferred once they have heard your reply. Tell them in one short sentence if you have not.' }));
      return;
    }
    const run = this.options.runFunction;
    if (!run) {
      log.warn(`The agent called its function ${call.name}, which is not available on phone calls: set TOOLS_URL to answer it`);
      answer(NOT_AVAILABLE);
      return;
    }
    log.info(`The agent called its function ${call.name}`);
    // A caller waiting in silence for a slow system hears that we are on it, once.
    const filler = setTimeout(() => this.speak(ONE_MOMENT, 'filler', undefined), FILLER_AFTER_MS);
    try {
      const result = await run({ name: call.name, arguments: call.arguments }, turn.controller.signal);
      if (result.ok) log.info(`${call.name} answered`);
      else log.warn(`${call.name} failed: ${result.problem ?? 'no reason given'}`);
      if (!turn.controller.signal.aborted) answer(result.output);
    } finally {
      clearTimeout(filler);
    }
  }

  /** Once every piece of the turn's reply has been heard (or dropped), do what the agent asked: end or transfer. */
  private afterReplyIfHeard(turn: Turn): void {
    const then = turn.then;
    if (!then || turn.streaming || this.closing) return;
    if ([...this.pieces.values()].some((piece) => piece.turn === turn)) {
      // A reply that is never reported heard must not keep the call open.
      if (this.goodbyeTimer === undefined) this.goodbyeTimer = setTimeout(() => this.actOnReply(turn), GOODBYE_TIMEOUT_MS);
      return;
    }
    this.actOnReply(turn);
  }

  private actOnReply(turn: Turn): void {
    const then = turn.then;
    if (!then || this.closing) return;
    turn.then = undefined;
    clearTimeout(this.goodbyeTimer);
    this.goodbyeTimer = undefined;
    if (then.action === 'end') void this.endAsAgentAsked(then.reason);
    else void this.transferAsAgentAsked(then.number);
  }

  private async endAsAgentAsked(reason: string): Promise<void> {
    const { log, actions } = this.options;
    if (actions) {
      try {
        await actions.hangUp();
        log.info(`Hung up the call through ${actions.via} after the agent's goodbye`);
      } catch (error) {
        log.error(`Could not hang up through ${actions.api} (${actions.describeFailure(error)}); closing the stream instead, which ends the call`);
      }
    }
    await this.close(`the agent ended the call: ${reason}`, 'completed');
  }

  private async transferAsAgentAsked(number: string): Promise<void> {
    const { log, actions } = this.options;
    if (!actions) return;
    try {
      await actions.sayAndTransfer(AGENT_TRANSFERRING, number);
      log.info(`Transferred the call to ${number} through ${actions.via}`);
      await this.close(`transferred to ${number}`, 'transferred');
    } catch (error) {
      log.error(`Could not transfer the call through ${actions.api} (${actions.describeFailure(error)}); the call goes on`);
      this.ending = undefined;
      this.speak(NOT_TRANSFERRED, 'apology', undefined);
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
    const { log, actions, transferNumber } = this.options;
    this.ending = 'agent_failed';
    if (actions && transferNumber) {
      log.warn(`The agent failed ${failures} turns in a row: transferring the call to ${transferNumber}`);
      try {
        await actions.sayAndTransfer(AGENT_TRANSFER, transferNumber);
        this.ending = 'transferred';
        await this.close(`transferred to ${transferNumber}`, 'transferred');
        return;
      } catch (error) {
        log.error(`Could not transfer the call through ${actions.api} (${actions.describeFailure(error)}); saying goodbye instead`);
      }
    } else {
      log.warn(`The agent failed ${failures} turns in a row: saying goodbye and hanging up`);
    }
    if (this.closing) return;
    this.speak(AGENT_GOODBYE, 'goodbye', undefined);
    // A goodbye that is never reported heard must not keep the line open.
    this.goodbyeTimer = setTimeout(() => void this.hangUpAfterGoodbye(), GOODBYE_TIMEOUT_MS);
  }

  private async hangUpAfterGoodbye(): Promise<void> {
    if (this.closing || this.ending !== 'agent_failed' || this.goodbyeTimer === undefined) return;
    clearTimeout(this.goodbyeTimer);
    this.goodbyeTimer = undefined;
    const { log, actions } = this.options;
    if (actions) {
      try {
        await actions.hangUp();
        log.info(`Hung up the call through ${actions.via} after the goodbye`);
      } catch (error) {
        log.error(`Could not hang up through ${actions.api} (${actions.describeFailure(error)}); closing the stream instead, which ends the call`);
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
   * The voice is gone for good: the caller would hear nothing more from us. The transport's own voice says why, then hands
   * the caller to TRANSFER_NUMBER or hangs up; without call control, closing the stream ends the call.
   */
  private async endAfterVoiceFailure(): Promise<void> {
    if (this.closing) return;
    const { log, actions, transferNumber } = this.options;
    const wasEnding = this.ending;
    this.ending = wasEnding ?? 'voice_failed';
    if (actions) {
      try {
        if (transferNumber) {
          await actions.sayAndTransfer(VOICE_FAILED_TRANSFER, transferNumber);
          this.ending = 'transferred';
          log.info(`Transferred the call to ${transferNumber} through ${actions.via}`);
        } else {
          await actions.sayAndHangUp(VOICE_FAILED_GOODBYE);
          log.info(`Ended the call through ${actions.via} with an apology`);
        }
      } catch (error) {
        log.error(`Could not end the call through ${actions.api} (${actions.describeFailure(error)}); closing the stream instead, which ends the call`);
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

/** The model's arguments as an object; anything else (not JSON, not an object) as none. */
function parseArguments(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function stringArgument(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
}
