// A fake of OpenAI's Realtime WebSocket (GA protocol) on FakeOpenAI's HTTP server: `GET /v1/realtime?model=…`
// upgraded to a WebSocket. It checks auth, refuses the retired beta shape (OpenAI-Beta header → error
// beta_api_shape_disabled, then close), detects speech from audio energy (server VAD), "transcribes" the words the
// fake caller's speech carries (see fake-audio.ts), else the next queued transcript, else says honestly how long the
// caller spoke (real speech it cannot read), and speaks responses as paced μ-law audio deltas. Everything sent and received is recorded per connection.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BYTES_PER_MS, FRAME_BYTES, syntheticWords, voiceAudio } from '../fake-audio.js';
import { EnergyDetector, heardSpeechTranscript, type SpeechBurst } from '../voice-activity.js';
import type { FakeOpenAI } from './fake-openai.js';
import { OVERLOADED, refuseUnauthorizedUpgrade, refuseUpgrade } from './openai-errors.js';
import { fakeId } from './ids.js';
import type { FakeSipCall } from './sip.js';

export interface FakeRealtimeOptions {
  /** How long the fake voice takes per character of text. */
  msPerCharacter: number;
  /** Audio per output delta, and the wall-clock interval between deltas (the real service runs ahead of real time). */
  audioChunkMs: number;
  deltaIntervalMs: number;
  /** Delay between response.create and its first audio. */
  firstAudioDelayMs: number;
  /** Delay between the end of speech and its transcript. */
  transcriptionDelayMs: number;
  /** Mean μ-law amplitude above which a 20 ms frame counts as speech. */
  speechAmplitude: number;
}

/** What the fake model says when a response is created by VAD itself (create_response left on): a bridge bug. */
export const FAKE_MODEL_OWN_ANSWER = 'This is the Realtime model answering on its own.';

type Json = Record<string, unknown>;

export interface FakeRealtimeConnection {
  id: number;
  model: string | null;
  headers: IncomingHttpHeaders;
  /** Every client event received, in order (audio appends included). */
  clientEvents: Json[];
  serverEvents: Json[];
  /** Event types in the order they crossed the socket: `in:<type>` from the client, `out:<type>` from the fake. */
  timeline: string[];
  /** The session as configured by session.update (merged). */
  session: Json;
  appendedAudioBytes: number;
  closed: boolean;
  socket: WebSocket;
  /** A SIP call's sideband (`?call_id=`): the call it steers. No audio crosses it; the caller is played by the call. */
  sip?: FakeSipCall;
}

interface ActiveResponse {
  id: string;
  itemId: string;
  timer: NodeJS.Timeout | undefined;
  audio: Buffer;
  sent: number;
  text: string;
  response: Json;
}

export class FakeRealtime {
  readonly connections: FakeRealtimeConnection[] = [];
  readonly options: FakeRealtimeOptions = {
    msPerCharacter: 2,
    audioChunkMs: 100,
    deltaIntervalMs: 20,
    firstAudioDelayMs: 10,
    transcriptionDelayMs: 20,
    speechAmplitude: 2000,
  };
  /** Transcripts for speech bursts that carry no words (e.g. a plain tone), used in order; without one, the length of the speech is described. */
  readonly transcripts: string[] = [];
  /** Script mode: the k-th burst of caller speech on a connection is heard as the k-th line, whatever its audio. */
  script: readonly string[] | undefined;
  /** How many of the next connection attempts to refuse with 503, as an overloaded service would. */
  refuseConnections = 0;
  /**
   * How many of the next connections hang after the upgrade: they answer WebSocket pings but send no event at all, so
   * the session is never confirmed (a service stuck behind a working load balancer).
   */
  hangSessions = 0;
  /** How many of the next connections confirm the session and then never answer response.create. */
  hangResponses = 0;
  /** How many of the next transcriptions fail (`conversation.item.input_audio_transcription.failed`). */
  failTranscriptions = 0;
  /** Told of each event just before the fake sends it: lets a benchmark time the bridge against the fake's events. */
  onServerEvent: ((connection: FakeRealtimeConnection, event: Json) => void) | undefined;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly cleanups = new Set<() => void>();

  constructor(private readonly fake: FakeOpenAI) {
    fake.webSocket('/v1/realtime', (request: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(request, socket, head));
    fake.server.on('close', () => this.stopAll());
  }

  /** Client events of one type across every connection, or one connection. */
  clientEvents(type: string, connection?: FakeRealtimeConnection): Json[] {
    return (connection ? [connection] : this.connections).flatMap((each) => each.clientEvents.filter((event) => event.type === type));
  }

  get openConnections(): FakeRealtimeConnection[] {
    return this.connections.filter((connection) => !connection.closed);
  }

  /** Drops every connection as a network failure would. */
  dropAll(): void {
    for (const connection of this.openConnections) connection.socket.terminate();
  }

  private stopAll(): void {
    for (const cleanup of this.cleanups) cleanup();
    this.cleanups.clear();
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (url.pathname !== '/v1/realtime') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.refuseConnections > 0) {
      this.refuseConnections -= 1;
      refuseUpgrade(socket, '503 Service Unavailable', OVERLOADED);
      return;
    }
    if (refuseUnauthorizedUpgrade(this.fake, request, socket)) return;
    const callId = url.searchParams.get('call_id');
    let call: FakeSipCall | undefined;
    if (callId !== null) {
      // A sideband attaches only to a call accepted for Realtime and still in progress.
      call = this.fake.sip.find(callId);
      if (!call || call.callId !== callId || !call.attachable('realtime')) {
        refuseUpgrade(socket, '404 Not Found', { message: `Call '${callId}' not found or not active.`, type: 'invalid_request_error', param: 'call_id', code: 'not_found' });
        return;
      }
      call.sidebands += 1;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, url, call));
  }

  private accept(socket: WebSocket, request: IncomingMessage, url: URL, call?: FakeSipCall): void {
    const connection: FakeRealtimeConnection = {
      id: this.connections.length + 1,
      model: url.searchParams.get('model'),
      headers: request.headers,
      clientEvents: [],
      serverEvents: [],
      timeline: [],
      session: {
        type: 'realtime',
        id: fakeId('sess_'),
        object: 'realtime.session',
        model: url.searchParams.get('model'),
        output_modalities: ['audio'],
        instructions: 'You are a helpful assistant.',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            transcription: null,
            noise_reduction: null,
            turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true },
          },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
        },
      },
      appendedAudioBytes: 0,
      closed: false,
      socket,
      ...(call ? { sip: call } : {}),
    };
    if (call) {
      // The accept configured the session; SIP negotiated G.711 μ-law with the trunk.
      const accepted = (call.acceptBody ?? {}) as Json;
      connection.model = typeof accepted.model === 'string' ? accepted.model : null;
      connection.session = mergeSession(connection.session, { ...accepted, model: connection.model });
      const audio = connection.session.audio as Json;
      audio.input = { ...(audio.input as Json), format: { type: 'audio/pcmu' } };
      audio.output = { ...(audio.output as Json), format: { type: 'audio/pcmu' } };
    }
    this.connections.push(connection);
    const hangsSession = this.hangSessions > 0;
    if (hangsSession) this.hangSessions -= 1;
    const hangsResponses = !hangsSession && this.hangResponses > 0;
    if (hangsResponses) this.hangResponses -= 1;
    const responses = new Map<string, ActiveResponse>();
    const timers = new Set<NodeJS.Timeout>();
    const vad = new EnergyDetector(this.options.speechAmplitude);
    let speechItemId = '';
    let audioMs = 0;
    let leftover = Buffer.alloc(0);
    let previousItemId: string | null = null;
    let bursts = 0;

    const send = (event: Json): void => {
      if (hangsSession) return;
      const full = { event_id: fakeId('event_'), ...event };
      connection.serverEvents.push(full);
      connection.timeline.push(`out:${String(event.type)}`);
      this.onServerEvent?.(connection, full);
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(full));
    };
    const later = (ms: number, action: () => void): void => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        action();
      }, ms);
      timers.add(timer);
    };
    const error = (message: string, code: string | null, extra: Json = {}): void =>
      send({ type: 'error', error: { type: 'invalid_request_error', code, message, param: null, event_id: null, ...extra } });
    const cleanup = (): void => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const response of responses.values()) clearTimeout(response.timer);
      responses.clear();
    };
    this.cleanups.add(cleanup);
    socket.on('close', () => {
      connection.closed = true;
      cleanup();
      this.cleanups.delete(cleanup);
      for (const each of playback) clearTimeout(each.timer);
      if (call) {
        call.off('say', callerSays);
        call.off('press', pressed);
        call.off('ended', callEnded);
      }
    });
    socket.on('error', () => socket.terminate());

    const session = (): Json => connection.session;
    const input = (): Json => ((session().audio as Json).input as Json);
    const output = (): Json => ((session().audio as Json).output as Json);
    const turnDetection = (): Json | null => (input().turn_detection as Json | null) ?? null;

    // A SIP call's caller, played by the test through the call: their words, their keys, their hang-up.
    const callerSays = (text: string): void => {
      speechItemId = fakeId('item_');
      const startMs = Math.round(audioMs);
      send({ type: 'input_audio_buffer.speech_started', audio_start_ms: startMs, item_id: speechItemId });
      audioMs += 400;
      later(this.options.transcriptionDelayMs, () => endOfSpeech({ audio: Buffer.alloc(0), voicedMs: 400, startMs }, text));
    };
    const pressed = (digit: string): void => send({ type: 'input_audio_buffer.dtmf_event_received', event: digit, received_at: Math.floor(Date.now() / 1000) });
    const callEnded = (): void => {
      if (socket.readyState === socket.OPEN) socket.close(1000, 'call ended');
    };
    if (call) {
      call.on('say', callerSays);
      call.on('press', pressed);
      call.on('ended', callEnded);
    }
    // The call's output audio buffer: responses play to the caller one after another, in real time.
    const playback: Array<{ responseId: string; text: string; timer: NodeJS.Timeout | undefined; started: boolean }> = [];
    const playNext = (): void => {
      const next = playback[0];
      if (!next || next.started) return;
      next.started = true;
      send({ type: 'output_audio_buffer.started', response_id: next.responseId });
      next.timer = setTimeout(() => {
        playback.shift();
        call?.heard.push(next.text);
        send({ type: 'output_audio_buffer.stopped', response_id: next.responseId });
        playNext();
      }, Math.max(1, next.text.length * this.options.msPerCharacter));
    };
    const clearPlayback = (): void => {
      const playing = playback.find((each) => each.started);
      for (const each of playback.splice(0)) clearTimeout(each.timer);
      if (playing) {
        call?.cutOff.push(playing.text);
        send({ type: 'output_audio_buffer.cleared', response_id: playing.responseId });
      }
    };

    // The retired beta protocol: accepted at the HTTP level, then refused, as OpenAI does today.
    if (String(request.headers['openai-beta'] ?? '').includes('realtime')) {
      error(
        "The Realtime API beta shape is no longer supported. Remove the 'OpenAI-Beta: realtime=v1' header and use the GA event shapes.",
        'beta_api_shape_disabled',
      );
      socket.close(1008, 'beta_api_shape_disabled');
      return;
    }
    send({ type: 'session.created', session: connection.session });

    const finishResponse = (response: ActiveResponse, status: 'completed' | 'cancelled', reason?: string): void => {
      clearTimeout(response.timer);
      responses.delete(response.id);
      const base = { response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0 };
      send({ type: 'response.output_audio.done', ...base });
      send({ type: 'response.output_audio_transcript.done', ...base, transcript: response.text });
      send({ type: 'response.content_part.done', ...base, part: { type: 'audio', transcript: response.text } });
      send({
        type: 'response.output_item.done',
        response_id: response.id,
        output_index: 0,
        item: { id: response.itemId, type: 'message', role: 'assistant', status: status === 'completed' ? 'completed' : 'incomplete', content: [] },
      });
      send({
        type: 'response.done',
        response: {
          ...response.response,
          status,
          status_details: status === 'completed' ? null : { type: 'cancelled', reason: reason ?? 'client_cancelled' },
          usage: { total_tokens: 10, input_tokens: 5, output_tokens: 5 },
        },
      });
    };

    const startResponse = (params: Json): void => {
      const id = fakeId('resp_');
      const itemId = fakeId('item_');
      const instructions = typeof params.instructions === 'string' ? params.instructions : String(session().instructions ?? '');
      const text = params.auto === true ? FAKE_MODEL_OWN_ANSWER : textToSay(instructions);
      const responseAudio = ((params.audio as Json | undefined)?.output as Json | undefined) ?? {};
      const format = ((responseAudio.format as Json | undefined) ?? (output().format as Json)).type;
      // Audio in any format but pcmu would be noise on a phone line: the caller hears nothing recognisable.
      const audio = format === 'audio/pcmu' ? voiceAudio(text, this.options.msPerCharacter) : Buffer.alloc(0);
      const conversation = params.conversation === 'none' ? null : 'conv_default';
      const wire: Json = {
        id,
        object: 'realtime.response',
        status: 'in_progress',
        status_details: null,
        conversation_id: conversation,
        output: [],
        output_modalities: params.output_modalities ?? ['audio'],
        metadata: params.metadata ?? null,
        audio: { output: { format: { type: format }, voice: responseAudio.voice ?? output().voice } },
      };
      const response: ActiveResponse = { id, itemId, timer: undefined, audio, sent: 0, text, response: wire };
      responses.set(id, response);
      send({ type: 'response.created', response: wire });
      send({ type: 'response.output_item.added', response_id: id, output_index: 0, item: { id: itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
      send({ type: 'response.content_part.added', response_id: id, item_id: itemId, output_index: 0, content_index: 0, part: { type: 'audio', transcript: '' } });
      if (call) {
        // Over SIP the audio goes to the caller, not over this socket: the words come, then the response is done;
        // its audio plays from the call's output buffer.
        // It generates four times faster than it plays: the answer starts playing while it is still being generated.
        response.timer = setTimeout(() => {
          if (!responses.has(id)) return;
          if (text !== '') send({ type: 'response.output_audio_transcript.delta', response_id: id, item_id: itemId, output_index: 0, content_index: 0, delta: text });
          if (text !== '') {
            playback.push({ responseId: id, text, timer: undefined, started: false });
            playNext();
          }
          response.timer = setTimeout(() => {
            if (responses.has(id)) finishResponse(response, 'completed');
          }, (text.length * this.options.msPerCharacter) / 4);
        }, this.options.firstAudioDelayMs);
        return;
      }
      const chunk = Math.max(1, this.options.audioChunkMs * BYTES_PER_MS);
      const pump = (): void => {
        if (!responses.has(id)) return;
        if (response.sent === 0 && text !== '') {
          send({ type: 'response.output_audio_transcript.delta', response_id: id, item_id: itemId, output_index: 0, content_index: 0, delta: text });
        }
        if (response.sent < audio.length) {
          const delta = audio.subarray(response.sent, response.sent + chunk);
          response.sent += delta.length;
          send({ type: 'response.output_audio.delta', response_id: id, item_id: itemId, output_index: 0, content_index: 0, delta: delta.toString('base64') });
        }
        if (response.sent >= audio.length) {
          finishResponse(response, 'completed');
          return;
        }
        response.timer = setTimeout(pump, this.options.deltaIntervalMs);
      };
      response.timer = setTimeout(pump, this.options.firstAudioDelayMs);
    };

    /** `spoken`: what a SIP caller said, heard as is. */
    const endOfSpeech = (speech: SpeechBurst, spoken?: string): void => {
      const itemId = speechItemId;
      const burst = speech.audio;
      const scripted = this.script?.[bursts];
      bursts += 1;
      send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(audioMs), item_id: itemId });
      send({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: previousItemId });
      previousItemId = itemId;
      const item = { id: itemId, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_audio', transcript: null }] };
      send({ type: 'conversation.item.added', previous_item_id: null, item });
      send({ type: 'conversation.item.done', previous_item_id: null, item });
      if (input().transcription) {
        later(this.options.transcriptionDelayMs, () => {
          if (this.failTranscriptions > 0) {
            this.failTranscriptions -= 1;
            send({
              type: 'conversation.item.input_audio_transcription.failed',
              item_id: itemId,
              content_index: 0,
              error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'The audio could not be transcribed.', param: null },
            });
            return;
          }
          const transcript = spoken ?? scripted ?? syntheticWords(burst) ?? this.transcripts.shift() ?? heardSpeechTranscript(speech.voicedMs);
          // Split between characters, never inside one (an emoji is two UTF-16 units).
          const characters = [...transcript];
          const middle = Math.ceil(characters.length / 2);
          for (const delta of [characters.slice(0, middle).join(''), characters.slice(middle).join('')]) {
            if (delta) send({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta });
          }
          send({
            type: 'conversation.item.input_audio_transcription.completed',
            item_id: itemId,
            content_index: 0,
            transcript,
            usage: { type: 'duration', seconds: Math.max(1, Math.round(burst.length / BYTES_PER_MS / 1000)) },
          });
        });
      }
      if (turnDetection()?.create_response !== false) startResponse({ auto: true });
    };

    const hearFrame = (frame: Buffer): void => {
      const detection = turnDetection();
      if (detection) {
        vad.threshold = this.options.speechAmplitude;
        // The fake understands only μ-law: audio declared as anything else is heard as nothing.
        const heard = vad.hear(frame, Number(detection.silence_duration_ms ?? 500), (input().format as Json).type === 'audio/pcmu');
        if (heard?.type === 'started') {
          speechItemId = fakeId('item_');
          const padding = Number(detection.prefix_padding_ms ?? 300);
          send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.max(0, Math.round(audioMs - padding)), item_id: speechItemId });
          if (detection.interrupt_response !== false) {
            for (const response of [...responses.values()]) {
              if (response.response.conversation_id !== null) finishResponse(response, 'cancelled', 'turn_detected');
            }
          }
        }
        if (heard?.type === 'stopped') endOfSpeech(heard.burst);
      }
      audioMs += frame.length / BYTES_PER_MS;
    };

    socket.on('message', (data) => {
      let event: Json;
      try {
        event = JSON.parse(data.toString()) as Json;
      } catch {
        error('We could not parse the JSON body of your request.', 'invalid_json');
        return;
      }
      connection.clientEvents.push(event);
      connection.timeline.push(`in:${String(event.type)}`);
      switch (event.type) {
        case 'session.update': {
          const update = (event.session ?? {}) as Json;
          if (update.type !== 'realtime') {
            error("Missing required parameter: 'session.type'.", 'missing_required_parameter', { param: 'session.type' });
            return;
          }
          connection.session = mergeSession(connection.session, update);
          send({ type: 'session.updated', session: connection.session });
          return;
        }
        case 'input_audio_buffer.append': {
          const audio = typeof event.audio === 'string' ? event.audio : '';
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(audio) || audio.length % 4 !== 0) {
            error('Invalid base64 audio.', 'invalid_value', { param: 'audio' });
            return;
          }
          const bytes = Buffer.from(audio, 'base64');
          connection.appendedAudioBytes += bytes.length;
          leftover = leftover.length === 0 ? bytes : Buffer.concat([leftover, bytes]);
          while (leftover.length >= FRAME_BYTES) {
            hearFrame(leftover.subarray(0, FRAME_BYTES));
            leftover = leftover.subarray(FRAME_BYTES);
          }
          return;
        }
        case 'input_audio_buffer.clear':
          leftover = Buffer.alloc(0);
          vad.reset();
          send({ type: 'input_audio_buffer.cleared' });
          return;
        case 'input_audio_buffer.commit': {
          const burst = vad.finish();
          if (burst) endOfSpeech(burst);
          return;
        }
        case 'response.create':
          if (hangsResponses) return;
          startResponse((event.response ?? {}) as Json);
          return;
        case 'response.cancel': {
          const id = typeof event.response_id === 'string' ? event.response_id : [...responses.values()].find((each) => each.response.conversation_id !== null)?.id;
          const response = id ? responses.get(id) : undefined;
          if (!response) {
            error('Cancellation failed: no active response found', 'response_cancel_not_active');
            return;
          }
          finishResponse(response, 'cancelled', 'client_cancelled');
          return;
        }
        case 'output_audio_buffer.clear':
          if (call) clearPlayback();
          return;
        case 'conversation.item.create':
        case 'conversation.item.truncate':
        case 'conversation.item.delete':
        case 'conversation.item.retrieve':
          return;
        default:
          error(`Invalid value: '${String(event.type)}'. Supported values are: 'session.update', 'input_audio_buffer.append', 'response.create', 'response.cancel', ….`, 'invalid_value', {
            param: 'type',
          });
      }
    });
  }
}

/** The text a speech instruction asks for: the lines after the first, else the whole instruction. */
function textToSay(instructions: string): string {
  const newline = instructions.indexOf('\n');
  return (newline >= 0 ? instructions.slice(newline + 1) : instructions).trim();
}

function mergeSession(current: Json, update: Json): Json {
  const merged: Json = { ...current, ...update };
  const currentAudio = (current.audio ?? {}) as Json;
  const updateAudio = (update.audio ?? {}) as Json;
  merged.audio = {
    input: { ...((currentAudio.input ?? {}) as Json), ...((updateAudio.input ?? {}) as Json) },
    output: { ...((currentAudio.output ?? {}) as Json), ...((updateAudio.output ?? {}) as Json) },
  };
  return merged;
}
