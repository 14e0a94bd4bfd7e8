// The OpenAI Realtime voice engine (GA protocol): the caller's audio goes in for voice activity detection and
// transcription; speech comes out as out-of-band responses that say given text word for word. The model never
// answers on its own (create_response: false): the agent is the brain, Realtime only the ears and the mouth.
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import type { ResponseCreateEvent, SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import type { CallLogger } from '../log/call-log.js';
import { isBase64 } from '../util/base64.js';
import type { SpeakOptions, SpeechOutcome } from './voice-engine.js';
import { openAISocketUrl } from './openai-socket.js';
import { readRealtimeEvent, type RealtimeEvent } from './realtime-events.js';
import { ServiceVoiceEngine } from './service-voice-engine.js';
import type { ServiceWatchdogTimeouts } from './service-watchdog.js';

export interface RealtimeVoiceEngineOptions extends ServiceWatchdogTimeouts {
  apiKey: string;
  /** OPENAI_BASE_URL, e.g. https://api.openai.com/v1 */
  baseURL: string;
  model: string;
  transcribeModel: string;
  voice: string;
  log: CallLogger;
  /** Silence that ends a caller's turn. Shorter answers sooner but cuts in on pauses. */
  silenceDurationMs?: number;
  /** Caller audio held while the socket opens (20 ms frames). */
  maxHeldFrames?: number;
  /**
   * A call OpenAI answered over SIP and the bridge accepted: the engine attaches to it (`?call_id=`) instead of opening
   * a session of its own. The accept configured the session; no audio crosses this socket, and the service says when
   * its speech plays to the caller.
   */
  sideband?: { callId: string; project?: string | undefined };
}

/** The Realtime WebSocket URL for a base URL: http→ws, https→wss (so a local ws:// server works), + /realtime?model=. */
export function realtimeUrl(baseURL: string, model: string): string {
  const url = openAISocketUrl(baseURL, '/realtime');
  url.searchParams.set('model', model);
  return url.toString();
}

/** The sideband WebSocket URL of a SIP call OpenAI answered: the Realtime URL with `?call_id=` instead of a model. */
export function realtimeSidebandUrl(baseURL: string, callId: string): string {
  const url = openAISocketUrl(baseURL, '/realtime');
  url.searchParams.set('call_id', callId);
  return url.toString();
}

/**
 * How a SIP call is accepted for Realtime: the session a Media Streams call configures, minus what SIP negotiates (the
 * audio format) and what the accept endpoint refuses (the VAD threshold, prefix padding and silence duration).
 */
export function realtimeAcceptParams(options: { model: string; transcribeModel: string; voice: string }): CallAcceptParams {
  return {
    type: 'realtime',
    model: options.model,
    instructions: SESSION_INSTRUCTIONS,
    output_modalities: ['audio'],
    audio: {
      input: {
        transcription: { model: options.transcribeModel },
        noise_reduction: { type: 'near_field' },
        // The agent answers, not the Realtime model; and barge-in is ours to handle (cancel, clear, abort).
        turn_detection: { type: 'server_vad', create_response: false, interrupt_response: false },
      },
      output: { voice: options.voice },
    },
  };
}

const SESSION_INSTRUCTIONS =
  'You are the voice of a telephone assistant. You never answer the caller on your own. Each response gives you ' +
  'text to say: say exactly that text, word for word, in a warm, natural, unhurried voice, and nothing else.';

/** The first line of every speech instruction; the text to say follows on the next line. */
export const VERBATIM_INSTRUCTION =
  'Say the text on the next line out loud, exactly as written, word for word. Do not add, drop or change anything, ' +
  'and do not answer or comment on it.';

/** Realtime's answer to a cancel that arrived after the response finished: expected in a race, not a problem. */
const HARMLESS_ERROR_CODES = new Set(['response_cancel_not_active']);

/** The client event ID of our session.update, so an error about it can be told apart. */
const CONFIGURE_EVENT_ID = 'configure_session';
/** Realtime events are small (audio deltas of a few KB); anything this large is not the service talking. */
export const MAX_REALTIME_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Realtime `error` events logged per call; a service that sends a stream of them is noted once more, then not. */
const MAX_LOGGED_ERROR_EVENTS = 10;

interface Speech {
  id: string;
  text: string;
}

interface SpeechInProgress extends Speech {
  responseId?: string;
  cancelled: boolean;
  /** Whether any of its audio went out: speech cut before its first audio can be asked for again, unheard. */
  audioSent: boolean;
}

export class RealtimeVoiceEngine extends ServiceVoiceEngine<RealtimeEvent> {
  readonly name = 'OpenAI Realtime';
  private errorEvents = 0;
  private readonly queue: Speech[] = [];
  private current: SpeechInProgress | undefined;
  private speechCount = 0;
  /** Over a sideband: the speech each response of ours says, until the service has finished playing it. */
  private readonly playing = new Map<string, string>();

  constructor(private readonly options: RealtimeVoiceEngineOptions) {
    super({
      service: 'OpenAI Realtime',
      url: options.sideband ? realtimeSidebandUrl(options.baseURL, options.sideband.callId) : realtimeUrl(options.baseURL, options.model),
      apiKey: options.apiKey,
      project: options.sideband?.project,
      maxMessageBytes: MAX_REALTIME_MESSAGE_BYTES,
      maxHeldFrames: options.maxHeldFrames,
      startTimeoutMs: options.startTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      livenessCheckMs: options.livenessCheckMs,
      audioEventPrefix: '{"type":"input_audio_buffer.append","audio":"',
      // Realtime buffers audio while it applies the settings: the caller's first words go out with them.
      sendAudioOnceSession: 'opened',
      readEvent: readRealtimeEvent,
    });
  }

  speak(text: string, _options?: SpeakOptions): string {
    this.speechCount += 1;
    const id = `speech-${this.speechCount}`;
    this.queue.push({ id, text });
    this.startNextSpeech();
    return id;
  }

  cancelSpeaking(): void {
    for (const speech of this.queue.splice(0)) this.emitUnlessClosed('speechDone', speech.id, 'cancelled');
    const current = this.current;
    if (!current || current.cancelled) return;
    current.cancelled = true;
    // Without its ID a cancel would target the default conversation, not this out-of-band response: if the
    // response is not created yet, the cancel goes out when response.created names it.
    if (current.responseId) this.send({ type: 'response.cancel', response_id: current.responseId });
  }

  /** Over a sideband: the service drops what it still has to play to the caller (it follows a response.cancel). */
  flushPlayback(): void {
    if (this.options.sideband && this.playing.size > 0) this.send({ type: 'output_audio_buffer.clear' });
  }

  protected override callEndedOnClose(code: number): boolean {
    // The service closes a call's sideband normally when the call ends; any other close is a connection lost.
    return this.options.sideband !== undefined && code === 1000;
  }

  /**
   * A new connection replaces the lost one: the speech under way ends where it was cut (or, if none of it was heard,
   * is asked for again); queued speech waits for the new connection.
   */
  protected connectionReplaced(): void {
    // Whether the caller heard the rest of what was playing cannot be known from a new connection.
    for (const speechId of this.playing.values()) this.emit('playbackEnded', speechId, 'flushed');
    this.playing.clear();
    const current = this.current;
    if (current && !current.audioSent && !current.cancelled) {
      this.current = undefined;
      this.queue.unshift({ id: current.id, text: current.text });
    } else if (current) {
      this.finishSpeech(current.cancelled ? 'cancelled' : 'failed');
    }
  }

  protected stopped(): void {
    this.playing.clear();
    this.queue.length = 0;
    this.current = undefined;
  }

  /** Speech waits for session.updated, the proof that this connection works; the watchdog bounds the wait for it. */
  protected sessionOpened(): void {
    if (this.options.sideband) {
      // The accept configured the session; an update without audio fields (SIP negotiated them) is answered by
      // session.updated, the proof that this connection works.
      const attach: SessionUpdateEvent = {
        type: 'session.update',
        event_id: CONFIGURE_EVENT_ID,
        session: { type: 'realtime', instructions: SESSION_INSTRUCTIONS, output_modalities: ['audio'] },
      };
      this.send(attach);
      return;
    }
    const update: SessionUpdateEvent = {
      type: 'session.update',
      event_id: CONFIGURE_EVENT_ID,
      session: {
        type: 'realtime',
        model: this.options.model,
        instructions: SESSION_INSTRUCTIONS,
        output_modalities: ['audio'],
        audio: {
          input: {
            // G.711 μ-law at 8 kHz, exactly what Twilio sends: no transcoding anywhere.
            format: { type: 'audio/pcmu' },
            transcription: { model: this.options.transcribeModel },
            noise_reduction: { type: 'near_field' },
            turn_detection: {
              type: 'server_vad',
              threshold: 0.5,
              prefix_padding_ms: 300,
              silence_duration_ms: this.options.silenceDurationMs ?? 500,
              // The agent answers, not the Realtime model; and barge-in is ours to handle (clear, cancel, abort).
              create_response: false,
              interrupt_response: false,
            },
          },
          output: { format: { type: 'audio/pcmu' }, voice: this.options.voice },
        },
      },
    };
    this.send(update);
  }

  protected sessionResumed(): void {
    this.startNextSpeech();
  }

  protected eventReceived(event: RealtimeEvent): void {
    switch (event.type) {
      case 'session.updated':
        // The settings are applied and this connection is proved to work.
        this.confirmSession();
        return;
      case 'input_audio_buffer.speech_started':
        this.emit('callerStartedSpeaking');
        return;
      case 'conversation.item.input_audio_transcription.completed': {
        const text = event.transcript.trim();
        if (text === '') this.emit('callerNotUnderstood', 'the transcript of what the caller said is empty');
        else this.emit('callerSaid', { text, turnId: event.item_id });
        return;
      }
      case 'conversation.item.input_audio_transcription.failed':
        this.emit('callerNotUnderstood', `OpenAI Realtime could not transcribe what the caller said: ${event.error?.message ?? 'no reason given'}`);
        return;
      case 'response.created':
        this.responseCreated(event.response.id, event.response.metadata?.voicebridge_speech);
        return;
      case 'response.output_audio.delta': {
        // Only audio of the response this call asked for is played (the schema makes every delta name one).
        const current = this.current;
        if (!current || current.cancelled || !current.responseId || event.response_id !== current.responseId) return;
        if (!isBase64(event.delta)) {
          this.badEvent('OpenAI Realtime sent audio that is not valid base64; dropped');
          return;
        }
        current.audioSent = true;
        this.watchdog.audioArrived(true);
        this.emit('audio', current.id, event.delta);
        return;
      }
      case 'response.done': {
        const current = this.current;
        if (!current || !current.responseId || event.response.id !== current.responseId) return;
        const status = event.response.status;
        const outcome: SpeechOutcome = current.cancelled || status === 'cancelled' ? 'cancelled' : status === 'completed' ? 'completed' : 'failed';
        if (outcome === 'failed') {
          const detail = event.response.status_details?.error?.message ?? event.response.status_details?.reason ?? status;
          this.emit('warning', `OpenAI Realtime could not speak a sentence (${detail})`);
        }
        // Speech cut before it started playing will not play: no playback news is owed for it.
        if (outcome !== 'completed' && !current.audioSent) this.playing.delete(current.responseId);
        this.finishSpeech(outcome);
        return;
      }
      case 'response.output_audio_transcript.delta':
        // Over a sideband the words are the sign that the service is speaking: no audio comes here.
        if (this.options.sideband && this.current?.responseId === event.response_id) this.watchdog.audioArrived(false);
        return;
      case 'output_audio_buffer.started': {
        const speechId = this.playing.get(event.response_id);
        if (!speechId) return;
        if (this.current?.id === speechId) this.current.audioSent = true;
        this.watchdog.audioArrived(false);
        this.emit('playbackStarted', speechId);
        return;
      }
      case 'output_audio_buffer.stopped':
      case 'output_audio_buffer.cleared': {
        const ended = event.type === 'output_audio_buffer.stopped' ? 'heard' : 'flushed';
        // A clear names the response it cut; one that names none cut everything still playing.
        const responseIds = event.response_id !== undefined ? [event.response_id] : [...this.playing.keys()];
        for (const responseId of responseIds) {
          const speechId = this.playing.get(responseId);
          if (!speechId) continue;
          this.playing.delete(responseId);
          this.emit('playbackEnded', speechId, ended);
        }
        return;
      }
      case 'input_audio_buffer.dtmf_event_received':
        this.emit('keypad', event.event);
        return;
      case 'error': {
        const { code, message, event_id: eventId } = event.error;
        if (code && HARMLESS_ERROR_CODES.has(code)) return;
        if (code === 'beta_api_shape_disabled') {
          this.refused(`OpenAI Realtime rejected the session: ${message}`);
          return;
        }
        if (eventId === CONFIGURE_EVENT_ID && !this.sessionConfirmed) {
          this.refused(`OpenAI Realtime refused the session settings: ${message}${code ? ` (${code})` : ''}`);
          return;
        }
        this.errorEvents += 1;
        if (this.errorEvents <= MAX_LOGGED_ERROR_EVENTS) {
          const more = this.errorEvents === MAX_LOGGED_ERROR_EVENTS ? ' (further errors on this call are not logged)' : '';
          this.emit('warning', `OpenAI Realtime error: ${message}${code ? ` (${code})` : ''}${more}`);
        }
        // A response.create that was refused never produces response.done: move on to the next sentence.
        if (this.current && !this.current.responseId && eventId === `speak_${this.current.id}`) this.finishSpeech('failed');
        return;
      }
    }
  }

  private responseCreated(responseId: string | undefined, speechId: string | undefined): void {
    const current = this.current;
    // Only our out-of-band responses exist (the model never answers by itself) and they run one at a time, so a
    // response without our metadata is still ours when we are waiting for one.
    if (!current || !responseId || current.responseId || (speechId !== undefined && speechId !== current.id)) return;
    current.responseId = responseId;
    if (this.options.sideband) this.playing.set(responseId, current.id);
    if (current.cancelled) this.send({ type: 'response.cancel', response_id: responseId });
  }

  /** One response at a time: parallel out-of-band responses would interleave their audio. */
  private startNextSpeech(): void {
    if (!this.sessionConfirmed || this.closed || this.current) return;
    const next = this.queue.shift();
    if (!next) return;
    this.current = { ...next, cancelled: false, audioSent: false };
    const create: ResponseCreateEvent = {
      type: 'response.create',
      event_id: `speak_${next.id}`,
      response: {
        // Out of band with an empty context: the model says this text and nothing from earlier.
        conversation: 'none',
        input: [],
        output_modalities: ['audio'],
        instructions: `${VERBATIM_INSTRUCTION}\n${next.text}`,
        metadata: { voicebridge_speech: next.id },
        // Over a sideband SIP negotiated the format and the accept set the voice.
        ...(this.options.sideband ? {} : { audio: { output: { format: { type: 'audio/pcmu' }, voice: this.options.voice } } }),
      },
    };
    this.send(create);
    // A service that takes the request and then says nothing must not hold the caller in silence.
    this.watchdog.expectAudio();
  }

  private finishSpeech(outcome: SpeechOutcome): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    this.watchdog.audioNotExpected();
    this.emit('speechDone', current.id, outcome);
    this.startNextSpeech();
  }
}
