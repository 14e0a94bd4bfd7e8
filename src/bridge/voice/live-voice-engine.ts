// The GPT-Live voice engine (`gpt-live-1`, VOICE_ENGINE=live). GPT-Live is full duplex and decides turns itself; with
// client delegation it hands each request to us (`session.delegation.created`), and through the call session to the
// caller's own agent. The engine rebuilds the request from the caller's transcript since the previous delegation and
// reports it as "caller said" with the delegation ID as the turn; speech for that turn becomes commentary for that
// delegation, and a request made obsolete by a newer one is never answered late. Audio is G.711 μ-law at 8 kHz both
// ways, so Twilio's audio passes through untouched.
import { EventEmitter } from 'node:events';
import type { CommentaryAppendEvent, ErrorEvent, ServerEvent, SessionStartEvent } from 'openai/resources/live/live';
import WebSocket from 'ws';
import { DEFAULT_LIVE_MODEL } from '../../config/defaults.js';
import type { CallLogger } from '../../log/call-log.js';
import { base64ByteLength, isBase64 } from '../../transports/twilio-media-streams/twilio-frames.js';
import { commentaryChunks } from './commentary-chunks.js';
import type { SpeakOptions, SpeechOutcome, VoiceEngine, VoiceEngineEvents } from './voice-engine.js';
import { VoicedSpeech } from './voiced-speech.js';
import { openAISocketUrl, openOpenAISocket } from './openai-socket.js';
import { parseServiceEvent } from './parse-service-event.js';
import { ServiceWatchdog, type ServiceWatchdogTimeouts } from './service-watchdog.js';

export interface LiveVoiceEngineOptions extends ServiceWatchdogTimeouts {
  apiKey: string;
  /** OPENAI_BASE_URL, e.g. https://api.openai.com/v1 */
  baseURL: string;
  model?: string;
  voice: string;
  log: CallLogger;
  /**
   * How long GPT-Live waits for the agent's first sentence before it acknowledges the request by itself ("One
   * moment"). Shorter fills silence sooner; longer spares the caller a filler when the agent is quick.
   */
  acknowledgementDelayMs?: number;
  /** Caller audio held until the session has started (20 ms frames). */
  maxHeldFrames?: number;
  /** A pause this long in the caller's transcript ends their speaking (the next words start it again). */
  callerPauseMs?: number;
}

/** The GPT-Live WebSocket URL for a base URL: http→ws, https→wss (so a local ws:// server works), + /live/sessions. */
export function liveSessionsUrl(baseURL: string): string {
  return openAISocketUrl(baseURL, '/live/sessions').toString();
}

/** Frontend instructions, written for a phone line; the agent's own instructions stay with the agent. */
export const LIVE_PHONE_INSTRUCTIONS = [
  'You are the voice of a telephone assistant, talking with a caller on an ordinary phone line.',
  'Speak warmly and naturally, in short sentences, as people do on the phone; never read out lists, links, symbols or formatting.',
  'Do not answer from your own knowledge: delegate whatever the caller asks or wants done, and tell the caller what the',
  'delegation returns, faithfully, adding no facts of your own.',
  'Commentary that belongs to no delegation, such as the greeting, is what to say next: say it as written.',
  'If the caller starts talking while you speak, stop and listen.',
].join(' ');

const START_EVENT_ID = 'start_session';
const DEFAULT_ACKNOWLEDGEMENT_DELAY_MS = 1_200;
const DEFAULT_CALLER_PAUSE_MS = 800;
/** A delivery pause this long means the voice went quiet: the stretch of speech (and its mark) ends there. */
const VOICE_PAUSE_MS = 250;
/** The longest stretch of speech without a mark, so the caller's progress is known during a long answer. */
const MAX_STRETCH_MS = 2_000;
/** GPT-Live events are small (audio deltas of a few KB); anything this large is not the service talking. */
export const MAX_LIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
const MAX_LOGGED_BAD_EVENTS = 3;
/**
 * A delegation can arrive before the transcript of the words it is about (transcription lags the turn decision). It
 * waits this long at most for them, and answers once they have stopped coming for `LATE_WORDS_SETTLE_MS`.
 */
const WAIT_FOR_WORDS_MS = 1_500;
const LATE_WORDS_SETTLE_MS = 250;
/** Words timed before the latest delegation count as late words of it only this long after it arrived. */
const LATE_WORDS_WINDOW_MS = 5_000;

const CLOSE_REASONS: Record<string, string> = {
  close_requested: 'closed on request',
  expired: 'the session reached its duration limit',
  content: 'a safety filter ended it',
  remote_hangup: 'the remote side hung up',
  connection_lost: 'the connection was lost',
};

/** A fragment of the caller's transcript, with where it starts on the session timeline when GPT-Live says. */
interface CallerWords {
  text: string;
  startMs: number | undefined;
}

/** A delegation that came before any of the caller's words it is about: it waits for their transcript. */
interface WaitingDelegation {
  id: string;
  words: string[];
  deadline: number;
  timer: NodeJS.Timeout;
}

interface PendingSpeech {
  speechId: string;
  chunks: string[];
  delegationId: string | null;
}

export class LiveVoiceEngine extends EventEmitter<VoiceEngineEvents> implements VoiceEngine {
  readonly name = 'OpenAI GPT-Live';
  readonly turnTaking = 'engine';
  private socket: WebSocket;
  /** Whether the current connection's session has started. */
  private started = false;
  /** Whether `ready` was ever emitted: it is emitted once, whichever connection is the first to start. */
  private everStarted = false;
  private closed = false;
  private readonly watchdog: ServiceWatchdog;
  private badEvents = 0;
  private readonly held: string[] = [];
  /** Speech asked for before the session started. */
  private readonly outbox: PendingSpeech[] = [];
  /** The delegation each speech sent (and not yet voiced) answers: null for the greeting and other general speech. */
  private readonly speechDelegation = new Map<string, string | null>();
  private readonly speechByEvent = new Map<string, string>();
  /** Speech sent and not yet voiced, kept so that a new session can be given what the lost one never said. */
  private readonly unvoiced = new Map<string, PendingSpeech>();
  /** The delegations of the current session: a new session knows none of the previous one's. */
  private readonly sessionDelegations = new Set<string>();
  private latestDelegation: string | undefined;
  /** Where the latest delegation sits on the session timeline, and when it arrived here. */
  private latestDelegationAt: { offsetMs: number | undefined; arrivedAt: number } | undefined;
  private waitingDelegation: WaitingDelegation | undefined;
  /** The caller's words since the last delegation, as GPT-Live transcribed them. */
  private callerWords: CallerWords[] = [];
  private callerSpeaking = false;
  private callerPause: NodeJS.Timeout | undefined;
  private speechCount = 0;
  private readonly voiced: VoicedSpeech;
  /** When the audio received so far would have finished playing, had it been played as it arrived. */
  private audioAheadUntil = 0;
  private maxLeadMs = 0;
  private readonly appendPrefix = '{"type":"session.input_audio.append","audio":"';

  constructor(private readonly options: LiveVoiceEngineOptions) {
    super();
    this.voiced = new VoicedSpeech({
      pauseMs: VOICE_PAUSE_MS,
      maxStretchMs: MAX_STRETCH_MS,
      newSpeechId: () => this.newSpeechId('voice'),
      onOwnSpeech: (speechId) => this.emitUnlessClosed('speechStarted', speechId),
      onAudio: (speechId, payload) => {
        this.unvoiced.delete(speechId);
        this.emitUnlessClosed('audio', speechId, payload);
      },
      onDone: (speechId, outcome) => {
        this.unvoiced.delete(speechId);
        this.speechDelegation.delete(speechId);
        // Speech dropped before its voice (refused, obsolete, cancelled) is no longer owed: its silence is no fault.
        if (!this.voiced.anyWaiting) this.watchdog.audioNotExpected();
        this.emitUnlessClosed('speechDone', speechId, outcome);
      },
    });
    this.watchdog = new ServiceWatchdog('GPT-Live', options, (socket, reason) => this.lost(socket, reason));
    this.socket = this.connect();
  }

  get isReady(): boolean {
    return this.started && !this.closed;
  }

  /** The furthest GPT-Live's audio has run ahead of real time on this call: what Twilio had buffered at most. */
  get maxAudioLeadMs(): number {
    return this.maxLeadMs;
  }

  sendCallerAudio(payload: string): void {
    if (this.closed) return;
    const frame = this.appendPrefix + payload + '"}';
    if (this.started && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame);
      return;
    }
    // Nothing goes to GPT-Live before session.started: the caller's first words wait for it.
    this.held.push(frame);
    if (this.held.length > (this.options.maxHeldFrames ?? 250)) this.held.shift();
  }

  speak(text: string, options?: SpeakOptions): string {
    const speechId = this.newSpeechId('speech');
    const delegationId = options?.inReplyTo ?? null;
    const chunks = commentaryChunks(text);
    // An answer to a request the caller has since replaced is dropped, never spoken late.
    const obsolete = delegationId !== null && delegationId !== this.latestDelegation;
    if (obsolete || chunks.length === 0 || this.closed) {
      const outcome: SpeechOutcome = obsolete ? 'cancelled' : 'completed';
      queueMicrotask(() => this.emitUnlessClosed('speechDone', speechId, outcome));
      return speechId;
    }
    const speech: PendingSpeech = { speechId, chunks, delegationId };
    if (this.started) this.sendCommentary(speech);
    else this.outbox.push(speech);
    return speechId;
  }

  /** GPT-Live stops itself when the caller speaks; what the bridge can do is forget the speech still waiting. */
  cancelSpeaking(): void {
    for (const speech of this.outbox.splice(0)) queueMicrotask(() => this.emitUnlessClosed('speechDone', speech.speechId, 'cancelled'));
    this.voiced.drop(new Set(this.speechDelegation.keys()), 'cancelled');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.held.length = 0;
    this.outbox.length = 0;
    if (this.maxLeadMs > 0) this.options.log.info(`GPT-Live sent its audio up to ${Math.round(this.maxLeadMs)} ms ahead of real time on this call`);
    const socket = this.socket;
    if (socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState !== WebSocket.OPEN) socket.terminate();
      // session.close lets GPT-Live finalize the session; it answers session.closed and closes the socket.
      else if (this.started) socket.send(JSON.stringify({ type: 'session.close' }));
      else socket.close(1000, 'call ended');
    });
  }

  /** Opens a connection; events of a connection that has since been replaced are ignored. */
  private connect(): WebSocket {
    const url = liveSessionsUrl(this.options.baseURL);
    // The model goes in session.start, never in the URL.
    const socket = openOpenAISocket(url, this.options.apiKey, MAX_LIVE_MESSAGE_BYTES, this.watchdog.startTimeoutMs);
    this.watchdog.watch(socket);
    socket.on('open', () => {
      if (socket === this.socket) this.opened();
    });
    socket.on('message', (data) => {
      if (socket !== this.socket) return;
      try {
        this.received(data.toString());
      } catch (error) {
        this.badEvent(`GPT-Live sent an event the bridge could not read (${(error as Error).message}); ignored`);
      }
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => this.lost(socket, `GPT-Live refused the connection: ${response.statusCode} ${errorMessageFromBody(body) ?? response.statusMessage ?? ''}`.trim(), true));
      response.on('error', () => this.lost(socket, `GPT-Live refused the connection: ${response.statusCode}`, true));
    });
    let opened = false;
    socket.once('open', () => (opened = true));
    socket.on('error', (error) => this.lost(socket, opened ? `the GPT-Live connection failed: ${error.message}` : `could not reach GPT-Live at ${url}: ${error.message}`));
    socket.on('close', (code, reason) => this.lost(socket, `the GPT-Live connection closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`));
    return socket;
  }

  /**
   * The connection is gone, or as good as gone (silent past a bound). A new session is started once per call: the
   * caller's audio is held meanwhile, speech the lost session never voiced goes to the new one (the greeting is not
   * said twice), and requests of the lost session are answered as general commentary, since the new session does not
   * know them. A refusal (`final`), or a second loss, ends the engine.
   */
  private lost(socket: WebSocket, message: string, final = false): void {
    if (socket !== this.socket || this.closed) return;
    const after = this.watchdog.lost(message, final);
    if (!after.reconnect) {
      this.fail(after.failure);
      return;
    }
    this.started = false;
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
    this.emit('reconnecting', message);
    this.sessionDelegations.clear();
    const unsaid = this.voiced.takeBackWaiting().flatMap((speechId) => this.unvoiced.get(speechId) ?? []);
    this.unvoiced.clear();
    this.outbox.unshift(...unsaid);
    this.socket = this.connect();
  }

  private opened(): void {
    if (this.closed) return;
    const start: SessionStartEvent = {
      type: 'session.start',
      event_id: START_EVENT_ID,
      session: {
        model: this.options.model ?? DEFAULT_LIVE_MODEL,
        instructions: LIVE_PHONE_INSTRUCTIONS,
        // G.711 μ-law at 8 kHz both ways, exactly what Twilio sends and plays: no transcoding anywhere.
        audio: { format: { type: 'audio/pcmu', rate: 8000 }, output: { voice: this.options.voice } },
        delegation: { type: 'client', acknowledgement_delay_ms: this.options.acknowledgementDelayMs ?? DEFAULT_ACKNOWLEDGEMENT_DELAY_MS },
      },
    };
    socketSend(this.socket, start);
  }

  private received(text: string): void {
    if (this.closed) return;
    const parsed = parseServiceEvent<ServerEvent>(text);
    if ('problem' in parsed) {
      this.badEvent(`GPT-Live sent a message that is ${parsed.problem}; ignored`);
      return;
    }
    const { event } = parsed;
    switch (event.type) {
      case 'session.started':
        this.sessionStarted();
        return;
      case 'session.output_audio.delta':
        // Audio of a session that has not started is not this call's: nothing was asked of it yet.
        if (!this.started) {
          this.badEvent('GPT-Live sent audio before the session started; dropped');
          return;
        }
        if (typeof event.delta !== 'string' || !isBase64(event.delta)) {
          this.badEvent('GPT-Live sent audio that is not valid base64; dropped');
          return;
        }
        this.watchdog.audioArrived(false);
        this.measureLead(event.delta);
        this.voiced.audio(event.delta);
        return;
      case 'session.input_transcript.delta':
        if (typeof event.delta !== 'string') return;
        // The caller is talking: GPT-Live listens rather than speaks, so its silence is no sign of trouble.
        this.watchdog.audioNotExpected();
        this.callerTranscript(event.delta, typeof event.start_ms === 'number' ? event.start_ms : undefined);
        return;
      case 'session.delegation.created':
        if (event.delegation?.target === 'client' && typeof event.delegation.id === 'string') {
          this.watchdog.audioNotExpected();
          this.sessionDelegations.add(event.delegation.id);
          this.delegated(event.delegation.id, typeof event.offset_ms === 'number' ? event.offset_ms : undefined);
        }
        return;
      case 'session.closed':
        this.lost(this.socket, `GPT-Live ended the session (${CLOSE_REASONS[event.reason] ?? String(event.reason)})`, true);
        return;
      case 'error':
        this.serviceError(event);
        return;
      default:
        return;
    }
  }

  private sessionStarted(): void {
    if (this.started) return;
    const proved = this.watchdog.alive();
    if (proved === undefined) return;
    this.started = true;
    for (const frame of this.held.splice(0)) this.socket.send(frame);
    if (proved === 'reconnected') this.emit('reconnected');
    if (!this.everStarted) {
      this.everStarted = true;
      this.emit('ready');
    }
    for (const speech of this.outbox.splice(0)) {
      if (speech.delegationId !== null && speech.delegationId !== this.latestDelegation) this.emitUnlessClosed('speechDone', speech.speechId, 'cancelled');
      else this.sendCommentary(speech);
    }
  }

  /**
   * A fragment of the caller's transcript. Words said before the latest delegation but transcribed after it belong to
   * that delegation (and are not the caller speaking again); any others are the start of the next request.
   */
  private callerTranscript(text: string, startMs: number | undefined): void {
    const latest = this.latestDelegationAt;
    const late =
      latest?.offsetMs !== undefined &&
      startMs !== undefined &&
      startMs < latest.offsetMs &&
      performance.now() - latest.arrivedAt < LATE_WORDS_WINDOW_MS;
    if (late) {
      const waiting = this.waitingDelegation;
      if (waiting) {
        waiting.words.push(text);
        clearTimeout(waiting.timer);
        waiting.timer = setTimeout(() => this.answerWaitingDelegation(), Math.max(0, Math.min(LATE_WORDS_SETTLE_MS, waiting.deadline - performance.now())));
      }
      return;
    }
    this.callerWords.push({ text, startMs });
    this.callerActive();
  }

  /** Words from the caller: the first after a pause is the caller starting to speak (barge-in, for the bridge). */
  private callerActive(): void {
    clearTimeout(this.callerPause);
    this.callerPause = setTimeout(() => (this.callerSpeaking = false), this.options.callerPauseMs ?? DEFAULT_CALLER_PAUSE_MS);
    if (this.callerSpeaking) return;
    this.callerSpeaking = true;
    this.emit('callerStartedSpeaking');
  }

  /**
   * GPT-Live asks us for content: the caller's words since the last request, up to where this one was made on the
   * session timeline, are the task. With none transcribed yet, the request waits a little for them.
   */
  private delegated(delegationId: string, offsetMs: number | undefined): void {
    // A request still waiting for its words is replaced by this one, which takes over what it heard.
    const replaced = this.waitingDelegation;
    if (replaced) clearTimeout(replaced.timer);
    this.waitingDelegation = undefined;
    this.latestDelegation = delegationId;
    this.latestDelegationAt = { offsetMs, arrivedAt: performance.now() };
    const before = (words: CallerWords): boolean => offsetMs === undefined || words.startMs === undefined || words.startMs < offsetMs;
    const task = [...(replaced?.words ?? []), ...this.callerWords.filter(before).map((words) => words.text)];
    this.callerWords = this.callerWords.filter((words) => !before(words));
    // GPT-Live took the caller's turn: their next words are a new start (perhaps over the answer).
    clearTimeout(this.callerPause);
    this.callerSpeaking = false;
    // Speech for earlier requests that GPT-Live has not voiced yet will not be: those requests are obsolete.
    const obsolete = new Set([...this.speechDelegation].filter(([, answers]) => answers !== null).map(([speechId]) => speechId));
    if (obsolete.size > 0) this.voiced.drop(obsolete, 'cancelled');
    if (joinWords(task) !== '') {
      this.emit('callerSaid', { text: joinWords(task), turnId: delegationId });
      return;
    }
    const deadline = performance.now() + WAIT_FOR_WORDS_MS;
    this.waitingDelegation = { id: delegationId, words: [], deadline, timer: setTimeout(() => this.answerWaitingDelegation(), WAIT_FOR_WORDS_MS) };
  }

  /** The waiting request's words have come (or have not, in time): it goes to the agent with what was heard. */
  private answerWaitingDelegation(): void {
    const waiting = this.waitingDelegation;
    if (!waiting || this.closed) return;
    this.waitingDelegation = undefined;
    this.emit('callerSaid', { text: joinWords(waiting.words), turnId: waiting.id });
  }

  private sendCommentary(speech: PendingSpeech): void {
    // An answer to a request of a lost session is still the caller's answer: the new session takes it as general
    // commentary, as it would refuse a delegation it never made.
    const delegationId = speech.delegationId !== null && this.sessionDelegations.has(speech.delegationId) ? speech.delegationId : null;
    speech.chunks.forEach((content, index) => {
      const eventId = `speak_${speech.speechId}_${index}`;
      this.speechByEvent.set(eventId, speech.speechId);
      const append: CommentaryAppendEvent = { type: 'session.commentary.append', event_id: eventId, delegation_id: delegationId, content };
      this.send(append);
    });
    this.speechDelegation.set(speech.speechId, speech.delegationId);
    this.unvoiced.set(speech.speechId, speech);
    this.voiced.expect(speech.speechId);
    // A session that takes the commentary and then says nothing must not hold the caller in silence.
    this.watchdog.expectAudio();
  }

  private serviceError(event: ErrorEvent): void {
    const { code, message } = event.error ?? { code: '', message: 'no details given' };
    const clientEventId = event.client_event_id ?? event.error?.client_event_id;
    const detail = `${message}${code ? ` (${code})` : ''}`;
    if (!this.started) {
      const hint = code === 'model_not_found' ? '. This key may not have GPT-Live yet: run voicebridge doctor, or set VOICE_ENGINE=realtime' : '';
      this.lost(this.socket, `GPT-Live refused the session: ${detail}${hint}`, true);
      return;
    }
    const speechId = clientEventId ? this.speechByEvent.get(clientEventId) : undefined;
    this.emit('warning', speechId ? `GPT-Live refused a sentence: ${detail}` : `GPT-Live error: ${detail}`);
    if (speechId) this.voiced.drop(new Set([speechId]), 'failed');
  }

  private measureLead(payload: string): void {
    const now = performance.now();
    const ms = base64ByteLength(payload) / 8;
    this.audioAheadUntil = Math.max(this.audioAheadUntil, now) + ms;
    this.maxLeadMs = Math.max(this.maxLeadMs, this.audioAheadUntil - now);
  }

  private newSpeechId(kind: 'speech' | 'voice'): string {
    this.speechCount += 1;
    return `${kind}-${this.speechCount}`;
  }

  private send(event: object): void {
    socketSend(this.socket, event);
  }

  private badEvent(message: string): void {
    this.badEvents += 1;
    if (this.badEvents <= MAX_LOGGED_BAD_EVENTS) {
      this.emit('warning', this.badEvents === MAX_LOGGED_BAD_EVENTS ? `${message} (further ones on this call are not logged)` : message);
    }
  }

  private emitUnlessClosed<K extends keyof VoiceEngineEvents>(name: K, ...args: VoiceEngineEvents[K]): void {
    if (!this.closed) (this.emit as (event: K, ...rest: VoiceEngineEvents[K]) => boolean)(name, ...args);
  }

  private stopTimers(): void {
    this.watchdog.stop();
    clearTimeout(this.callerPause);
    if (this.waitingDelegation) clearTimeout(this.waitingDelegation.timer);
    this.waitingDelegation = undefined;
    this.voiced.close();
  }

  private fail(message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.emit('failed', message);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }
}

function socketSend(socket: WebSocket, event: object): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event));
}

function joinWords(fragments: readonly string[]): string {
  return fragments.join('').replace(/\s+/g, ' ').trim();
}

function errorMessageFromBody(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return body.trim() === '' ? undefined : body.trim().slice(0, 200);
  }
}
