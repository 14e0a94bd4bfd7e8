// The GPT-Live voice engine (`gpt-live-1`, VOICE_ENGINE=live). GPT-Live is full duplex and decides turns itself; with
// client delegation it hands each request to us (`session.delegation.created`), and through the call session to the
// caller's own agent. The engine rebuilds the request from the caller's transcript since the previous delegation and
// reports it as "caller said" with the delegation ID as the turn; speech for that turn becomes commentary for that
// delegation, and a request made obsolete by a newer one is never answered late. Audio is G.711 μ-law at 8 kHz both
// ways, so Twilio's audio passes through untouched.
import type { CommentaryAppendEvent, SessionStartEvent, SessionUpdateEvent } from 'openai/resources/live/live';
import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import { DEFAULT_LIVE_MODEL } from '../config/defaults.js';
import type { CallLogger } from '../log/call-log.js';
import { base64ByteLength, isBase64 } from '../util/base64.js';
import { commentaryChunks } from './commentary-chunks.js';
import { readLiveEvent, type LiveEvent } from './live-events.js';
import { openAISocketUrl } from './openai-socket.js';
import { ServiceVoiceEngine } from './service-voice-engine.js';
import type { ServiceWatchdogTimeouts } from './service-watchdog.js';
import type { SpeakOptions, SpeechOutcome } from './voice-engine.js';
import { VoicedSpeech } from './voiced-speech.js';
import { voicebridgeCommand } from '../util/invocation.js';

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
  /**
   * A call OpenAI answered over SIP and the bridge accepted: the engine attaches to the session
   * (`/live/sessions/{id}/attach`) instead of starting one. The accept started the session; the sideband carries its
   * events (GPT-Live's voice included, as the SDK's sideband events say) but the caller's audio never goes through us.
   */
  sideband?: { sessionId: string; project?: string | undefined };
}

/** The GPT-Live WebSocket URL for a base URL: http→ws, https→wss (so a local ws:// server works), + /live/sessions. */
export function liveSessionsUrl(baseURL: string): string {
  return openAISocketUrl(baseURL, '/live/sessions').toString();
}

/** The sideband WebSocket URL of a GPT-Live session OpenAI answered over SIP. */
export function liveSidebandUrl(baseURL: string, sessionId: string): string {
  return openAISocketUrl(baseURL, `/live/sessions/${encodeURIComponent(sessionId)}/attach`).toString();
}

/**
 * How a SIP call is accepted for GPT-Live: the session a Media Streams call starts, minus the audio format, which SIP
 * negotiates.
 */
export function liveAcceptParams(options: { voice: string; model?: string; acknowledgementDelayMs?: number }): SessionAcceptParams {
  return {
    session: {
      type: 'live',
      model: options.model ?? DEFAULT_LIVE_MODEL,
      instructions: LIVE_PHONE_INSTRUCTIONS,
      audio: { output: { voice: options.voice } },
      delegation: { type: 'client', acknowledgement_delay_ms: options.acknowledgementDelayMs ?? DEFAULT_ACKNOWLEDGEMENT_DELAY_MS },
    },
  };
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
/**
 * A delegation can arrive before the transcript of the words it is about (transcription lags the turn decision). It
 * waits this long at most for them, and answers once they have stopped coming for `LATE_WORDS_SETTLE_MS`.
 */
const WAIT_FOR_WORDS_MS = 1_500;
const LATE_WORDS_SETTLE_MS = 250;
/** Words timed before the latest delegation count as late words of it only this long after it arrived. */
const LATE_WORDS_WINDOW_MS = 5_000;

const CLOSE_REASONS = new Map([
  ['close_requested', 'closed on request'],
  ['expired', 'the session reached its duration limit'],
  ['content', 'a safety filter ended it'],
  ['remote_hangup', 'the remote side hung up'],
  ['connection_lost', 'the connection was lost'],
]);

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

export class LiveVoiceEngine extends ServiceVoiceEngine<LiveEvent> {
  readonly name = 'OpenAI GPT-Live';
  readonly turnTaking = 'engine';
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

  constructor(private readonly options: LiveVoiceEngineOptions) {
    super({
      service: 'GPT-Live',
      // The model goes in session.start, never in the URL.
      url: options.sideband ? liveSidebandUrl(options.baseURL, options.sideband.sessionId) : liveSessionsUrl(options.baseURL),
      apiKey: options.apiKey,
      project: options.sideband?.project,
      maxMessageBytes: MAX_LIVE_MESSAGE_BYTES,
      maxHeldFrames: options.maxHeldFrames,
      startTimeoutMs: options.startTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      livenessCheckMs: options.livenessCheckMs,
      audioEventPrefix: '{"type":"session.input_audio.append","audio":"',
      // Nothing goes to GPT-Live before session.started: the caller's first words wait for it.
      sendAudioOnceSession: 'confirmed',
      // session.close lets GPT-Live finalize the session; it answers session.closed and closes the socket.
      closeEvent: { type: 'session.close' },
      readEvent: readLiveEvent,
    });
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
  }

  /** The furthest GPT-Live's audio has run ahead of real time on this call: what Twilio had buffered at most. */
  get maxAudioLeadMs(): number {
    return this.maxLeadMs;
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
    if (this.sessionConfirmed) this.sendCommentary(speech);
    else this.outbox.push(speech);
    return speechId;
  }

  /** GPT-Live stops itself when the caller speaks; what the bridge can do is forget the speech still waiting. */
  cancelSpeaking(): void {
    for (const speech of this.outbox.splice(0)) queueMicrotask(() => this.emitUnlessClosed('speechDone', speech.speechId, 'cancelled'));
    this.voiced.drop(new Set(this.speechDelegation.keys()), 'cancelled');
  }

  /**
   * A new session replaces the lost one: speech the lost session never voiced goes to the new one (the greeting is
   * not said twice), and requests of the lost session are answered as general commentary, since the new session does
   * not know them.
   */
  protected connectionReplaced(): void {
    this.sessionDelegations.clear();
    const unsaid = this.voiced.takeBackWaiting().flatMap((speechId) => this.unvoiced.get(speechId) ?? []);
    this.unvoiced.clear();
    this.outbox.unshift(...unsaid);
  }

  protected stopped(how: 'closed' | 'failed'): void {
    clearTimeout(this.callerPause);
    if (this.waitingDelegation) clearTimeout(this.waitingDelegation.timer);
    this.waitingDelegation = undefined;
    this.voiced.close();
    if (how !== 'closed') return;
    this.outbox.length = 0;
    if (this.maxLeadMs > 0) this.options.log.info(`GPT-Live sent its audio up to ${Math.round(this.maxLeadMs)} ms ahead of real time on this call`);
  }

  protected override callEndedOnClose(code: number): boolean {
    // The service closes a call's sideband normally when the call ends; any other close is a connection lost.
    return this.options.sideband !== undefined && code === 1000;
  }

  protected sessionOpened(): void {
    if (this.options.sideband) {
      // The accept started the session: an update of what may change is answered by session.updated, the proof that
      // this connection works.
      const update: SessionUpdateEvent = {
        type: 'session.update',
        event_id: START_EVENT_ID,
        session: { delegation: { type: 'client', acknowledgement_delay_ms: this.options.acknowledgementDelayMs ?? DEFAULT_ACKNOWLEDGEMENT_DELAY_MS } },
      };
      this.send(update);
      return;
    }
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
    this.send(start);
  }

  protected eventReceived(event: LiveEvent): void {
    switch (event.type) {
      case 'session.started':
      case 'session.updated':
        this.confirmSession();
        return;
      case 'transport.dtmf.received':
        this.emit('keypad', event.event);
        return;
      case 'session.output_audio.delta':
        // Audio of a session that has not started is not this call's: nothing was asked of it yet.
        if (!this.sessionConfirmed) {
          this.badEvent('GPT-Live sent audio before the session started; dropped');
          return;
        }
        if (!isBase64(event.delta)) {
          this.badEvent('GPT-Live sent audio that is not valid base64; dropped');
          return;
        }
        this.watchdog.audioArrived(false);
        this.measureLead(event.delta);
        this.voiced.audio(event.delta);
        return;
      case 'session.input_transcript.delta':
        // The caller is talking: GPT-Live listens rather than speaks, so its silence is no sign of trouble.
        this.watchdog.audioNotExpected();
        this.callerTranscript(event.delta, event.start_ms);
        return;
      case 'session.delegation.created':
        if (event.delegation.target === 'client') {
          this.watchdog.audioNotExpected();
          this.sessionDelegations.add(event.delegation.id);
          this.delegated(event.delegation.id, event.offset_ms);
        }
        return;
      case 'session.closed':
        // Over SIP the caller hanging up ends the session: the call is over, nothing failed.
        if (this.options.sideband && (event.reason === 'remote_hangup' || event.reason === 'close_requested')) {
          this.endedByService(`GPT-Live ended the session (${CLOSE_REASONS.get(event.reason) ?? event.reason})`);
          return;
        }
        this.refused(`GPT-Live ended the session (${CLOSE_REASONS.get(event.reason ?? '') ?? String(event.reason)})`);
        return;
      case 'error':
        this.serviceError(event);
        return;
    }
  }

  /** Speech asked for before the session started goes out now, unless a newer request made it obsolete. */
  protected sessionResumed(): void {
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

  private serviceError(event: Extract<LiveEvent, { type: 'error' }>): void {
    const { code, message } = event.error ?? { code: '', message: 'no details given' };
    const clientEventId = event.client_event_id ?? event.error?.client_event_id;
    const detail = `${message}${code ? ` (${code})` : ''}`;
    if (!this.sessionConfirmed) {
      const hint = code === 'model_not_found' ? `. This key may not have GPT-Live yet: run ${voicebridgeCommand('doctor')}, or set VOICE_ENGINE=realtime` : '';
      this.refused(`GPT-Live refused the session: ${detail}${hint}`);
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

}

function joinWords(fragments: readonly string[]): string {
  return fragments.join('').replace(/\s+/g, ' ').trim();
}
