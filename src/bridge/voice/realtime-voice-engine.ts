// The OpenAI Realtime voice engine (GA protocol): the caller's audio goes in for voice activity detection and
// transcription; speech comes out as out-of-band responses that say given text word for word. The model never
// answers on its own (create_response: false): the agent is the brain, Realtime only the ears and the mouth.
import { EventEmitter } from 'node:events';
import type {
  RealtimeServerEvent,
  ResponseCreateEvent,
  SessionUpdateEvent,
} from 'openai/resources/realtime/realtime';
import WebSocket from 'ws';
import type { CallLogger } from '../../log/call-log.js';
import { isBase64 } from '../../transports/twilio-media-streams/twilio-frames.js';
import type { SpeakOptions, SpeechOutcome, VoiceEngine, VoiceEngineEvents } from './voice-engine.js';
import { openAISocketUrl, openOpenAISocket } from './openai-socket.js';
import { parseServiceEvent } from './parse-service-event.js';
import { ServiceWatchdog, type ServiceWatchdogTimeouts } from './service-watchdog.js';

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
}

/** The Realtime WebSocket URL for a base URL: http→ws, https→wss (so a local ws:// server works), + /realtime?model=. */
export function realtimeUrl(baseURL: string, model: string): string {
  const url = openAISocketUrl(baseURL, '/realtime');
  url.searchParams.set('model', model);
  return url.toString();
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
/** Unreadable events are logged this many times per call, then only counted: a broken peer must not flood the log. */
const MAX_LOGGED_BAD_EVENTS = 3;
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

export class RealtimeVoiceEngine extends EventEmitter<VoiceEngineEvents> implements VoiceEngine {
  readonly name = 'OpenAI Realtime';
  private socket: WebSocket;
  private ready = false;
  /** Whether `ready` was ever emitted: it is emitted once, whichever connection is the first to work. */
  private everReady = false;
  private closed = false;
  private readonly watchdog: ServiceWatchdog;
  private badEvents = 0;
  private errorEvents = 0;
  private readonly held: string[] = [];
  private readonly queue: Speech[] = [];
  private current: SpeechInProgress | undefined;
  private speechCount = 0;
  private readonly appendPrefix = '{"type":"input_audio_buffer.append","audio":"';

  constructor(private readonly options: RealtimeVoiceEngineOptions) {
    super();
    this.watchdog = new ServiceWatchdog(this.name, options, (socket, reason) => this.lost(socket, reason));
    this.socket = this.connect();
  }

  /** Opens a connection; events of a connection that has since been replaced are ignored. */
  private connect(): WebSocket {
    const { options } = this;
    const url = realtimeUrl(options.baseURL, options.model);
    const socket = openOpenAISocket(url, options.apiKey, MAX_REALTIME_MESSAGE_BYTES, this.watchdog.startTimeoutMs);
    this.watchdog.watch(socket);
    socket.on('open', () => {
      if (socket === this.socket) this.opened();
    });
    socket.on('message', (data) => {
      if (socket !== this.socket) return;
      try {
        this.received(data.toString());
      } catch (error) {
        // An event with the right type but the wrong shape: skip it, keep the call.
        this.badEvent(`OpenAI Realtime sent an event the bridge could not read (${(error as Error).message}); ignored`);
      }
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        const message = errorMessageFromBody(body) ?? response.statusMessage ?? '';
        this.lost(socket, `OpenAI Realtime refused the connection: ${response.statusCode} ${message}`.trim(), true);
      });
      response.on('error', () => this.lost(socket, `OpenAI Realtime refused the connection: ${response.statusCode}`, true));
    });
    let opened = false;
    socket.once('open', () => (opened = true));
    socket.on('error', (error) =>
      this.lost(socket, opened ? `the OpenAI Realtime connection failed: ${error.message}` : `could not reach OpenAI Realtime at ${url}: ${error.message}`),
    );
    socket.on('close', (code, reason) => this.lost(socket, `the OpenAI Realtime connection closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`));
    return socket;
  }

  /**
   * The connection is gone, or as good as gone (silent past a bound). It is opened again once per call with the same
   * settings: the speech under way ends where it was cut (or, if none of it was heard, is asked for again), queued
   * speech and the caller's audio wait for the new connection. A refusal (`final`), or a second loss, ends the engine.
   */
  private lost(socket: WebSocket, message: string, final = false): void {
    if (socket !== this.socket || this.closed) return;
    const after = this.watchdog.lost(message, final);
    if (!after.reconnect) {
      this.fail(after.failure);
      return;
    }
    this.ready = false;
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
    this.emit('reconnecting', message);
    const current = this.current;
    if (current && !current.audioSent && !current.cancelled) {
      this.current = undefined;
      this.queue.unshift({ id: current.id, text: current.text });
    } else if (current) {
      this.finishSpeech(current.cancelled ? 'cancelled' : 'failed');
    }
    this.socket = this.connect();
  }

  private badEvent(message: string): void {
    this.badEvents += 1;
    if (this.badEvents <= MAX_LOGGED_BAD_EVENTS) {
      this.emit('warning', this.badEvents === MAX_LOGGED_BAD_EVENTS ? `${message} (further ones on this call are not logged)` : message);
    }
  }

  get isReady(): boolean {
    return this.ready;
  }

  sendCallerAudio(payload: string): void {
    if (this.closed) return;
    const frame = this.appendPrefix + payload + '"}';
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame);
      return;
    }
    this.held.push(frame);
    if (this.held.length > (this.options.maxHeldFrames ?? 250)) this.held.shift();
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchdog.stop();
    this.queue.length = 0;
    this.held.length = 0;
    this.current = undefined;
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
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'call ended');
    });
  }

  private opened(): void {
    if (this.closed) return;
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
    // Held audio goes out now: the service buffers it while it applies the settings. Speech waits for
    // session.updated, the proof that this connection works; the watchdog bounds the wait for it.
    for (const frame of this.held.splice(0)) this.socket.send(frame);
  }

  /** session.updated: the settings are applied and this connection is proved to work. */
  private becomeReady(): void {
    if (this.ready || this.closed) return;
    const proved = this.watchdog.alive();
    if (proved === undefined) return;
    this.ready = true;
    if (proved === 'reconnected') this.emit('reconnected');
    if (!this.everReady) {
      this.everReady = true;
      this.emit('ready');
    }
    this.startNextSpeech();
  }

  private received(text: string): void {
    if (this.closed) return;
    const parsed = parseServiceEvent<RealtimeServerEvent>(text);
    if ('problem' in parsed) {
      this.badEvent(`OpenAI Realtime sent a message that is ${parsed.problem}; ignored`);
      return;
    }
    const { event } = parsed;
    switch (event.type) {
      case 'session.updated':
        this.becomeReady();
        return;
      case 'input_audio_buffer.speech_started':
        this.emit('callerStartedSpeaking');
        return;
      case 'conversation.item.input_audio_transcription.completed': {
        const text = typeof event.transcript === 'string' ? event.transcript.trim() : '';
        if (text === '') this.emit('callerNotUnderstood', 'the transcript of what the caller said is empty');
        else this.emit('callerSaid', { text, turnId: String(event.item_id) });
        return;
      }
      case 'conversation.item.input_audio_transcription.failed':
        this.emit('callerNotUnderstood', `OpenAI Realtime could not transcribe what the caller said: ${event.error?.message ?? 'no reason given'}`);
        return;
      case 'response.created':
        this.responseCreated(event.response.id, event.response.metadata?.voicebridge_speech);
        return;
      case 'response.output_audio.delta': {
        // Only audio of the response this call asked for is played: audio that names no response could be anything.
        if (typeof event.response_id !== 'string') {
          this.badEvent('OpenAI Realtime sent audio that names no response; dropped');
          return;
        }
        const current = this.current;
        if (!current || current.cancelled || !current.responseId || event.response_id !== current.responseId) return;
        if (typeof event.delta !== 'string' || !isBase64(event.delta)) {
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
        this.finishSpeech(outcome);
        return;
      }
      case 'error': {
        const { code, message, event_id: eventId } = event.error;
        if (code && HARMLESS_ERROR_CODES.has(code)) return;
        if (code === 'beta_api_shape_disabled') {
          this.lost(this.socket, `OpenAI Realtime rejected the session: ${message}`, true);
          return;
        }
        if (eventId === CONFIGURE_EVENT_ID && !this.ready) {
          this.lost(this.socket, `OpenAI Realtime refused the session settings: ${message}${code ? ` (${code})` : ''}`, true);
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
      default:
        return;
    }
  }

  private responseCreated(responseId: string | undefined, speechId: string | undefined): void {
    const current = this.current;
    // Only our out-of-band responses exist (the model never answers by itself) and they run one at a time, so a
    // response without our metadata is still ours when we are waiting for one.
    if (!current || !responseId || current.responseId || (speechId !== undefined && speechId !== current.id)) return;
    current.responseId = responseId;
    if (current.cancelled) this.send({ type: 'response.cancel', response_id: responseId });
  }

  /** One response at a time: parallel out-of-band responses would interleave their audio. */
  private startNextSpeech(): void {
    if (!this.ready || this.closed || this.current) return;
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
        audio: { output: { format: { type: 'audio/pcmu' }, voice: this.options.voice } },
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

  private send(event: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(event));
  }

  private emitUnlessClosed<K extends keyof VoiceEngineEvents>(name: K, ...args: VoiceEngineEvents[K]): void {
    if (!this.closed) (this.emit as (event: K, ...rest: VoiceEngineEvents[K]) => boolean)(name, ...args);
  }

  private fail(message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.watchdog.stop();
    this.ready = false;
    this.emit('failed', message);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }
}

function errorMessageFromBody(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return body.trim() === '' ? undefined : body.trim().slice(0, 200);
  }
}
