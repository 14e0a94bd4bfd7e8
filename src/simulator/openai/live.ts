// A fake of OpenAI's GPT-Live primary WebSocket (`/v1/live/sessions`) on FakeOpenAI's HTTP server, faithful to the
// event shapes in `openai/resources/live`: Bearer auth, `session.start` first (strictly checked) answered by
// `session.started`, caller audio in, input transcript deltas and a client `session.delegation.created` from each
// burst of caller speech (the words read from the fake caller's audio, see fake-audio.ts; for audio it cannot read,
// how long the caller spoke), commentary spoken as
// `session.output_audio.delta` paced against the clock (real time by default, faster with `burstAhead`), an automatic
// acknowledgement when a delegation waits too long, barge-in (the voice stops itself when the caller speaks),
// `session.close` → `session.closed`, and `error` events for anything the service would refuse.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BYTES_PER_MS, FRAME_BYTES, syntheticWords, voiceAudio } from '../fake-audio.js';
import { EnergyDetector, heardSpeechTranscript, type SpeechBurst } from '../voice-activity.js';
import type { FakeOpenAI } from './fake-openai.js';
import { OVERLOADED, refuseUnauthorizedUpgrade, refuseUpgrade } from './openai-errors.js';
import { fakeId } from './ids.js';
import type { FakeSipCall } from './sip.js';

export const LIVE_SESSIONS_PATH = '/v1/live/sessions';
/** The sideband of a SIP session (`/v1/live/sessions/{session_id}/attach`), registered under this pattern. */
export const LIVE_ATTACH_PATH = '/v1/live/sessions/{session_id}/attach';

export interface FakeLiveOptions {
  /** How long the fake voice takes per character it says. */
  msPerCharacter: number;
  /** Audio per `session.output_audio.delta`. */
  audioChunkMs: number;
  /**
   * How much faster than real time audio is delivered: 1 sends each chunk when it is due to play (a full-duplex model
   * generating in step with the clock), 4 sends a second of speech in 250 ms.
   */
  burstAhead: number;
  /** Delay between a commentary (or acknowledgement) and its first audio. */
  firstAudioDelayMs: number;
  /** Delay between session.start and session.started (a slow start: caller audio must wait for it). */
  startDelayMs: number;
  /** Mean μ-law amplitude above which a 20 ms frame counts as speech. */
  speechAmplitude: number;
  /** Silence that ends a burst of caller speech. */
  silenceMs: number;
  /** Delay between the end of a burst and its `session.delegation.created`. */
  delegationDelayMs: number;
  /**
   * When set, transcription lags the turn decision: a burst's input transcript deltas (timed as always, before the
   * delegation's offset) are sent this long after its `session.delegation.created` instead of while the caller speaks.
   */
  transcriptAfterDelegationMs: number | undefined;
  /** What the voice says by itself when a delegation gets no commentary within `acknowledgement_delay_ms`. */
  acknowledgement: string;
  /** Whether the voice stops talking (and forgets what it was going to say) when the caller starts to speak. */
  stopsWhenInterrupted: boolean;
}

type Json = Record<string, unknown>;

export interface FakeLiveConnection {
  id: number;
  headers: IncomingHttpHeaders;
  url: string;
  /** Every client event received, in order (audio appends included). */
  clientEvents: Json[];
  serverEvents: Json[];
  /** Event types in the order they crossed the socket: `in:<type>` from the client, `out:<type>` from the fake. */
  timeline: string[];
  /** The session as session.started resolved it; undefined until then. */
  session: Json | undefined;
  appendedAudioBytes: number;
  /** Audio appends that arrived before session.started (the service refuses them). */
  audioBeforeStart: number;
  /** Client delegations created, in order. */
  delegations: string[];
  /** What the voice began to say, in order: greetings, commentary and acknowledgements. */
  spoken: string[];
  /** How many times the caller's speech stopped the voice mid-sentence. */
  interruptions: number;
  closed: boolean;
  /** The reason of the session.closed the fake sent, if it sent one. */
  closedReason: string | undefined;
  socket: WebSocket;
  /** A SIP session's sideband (`/attach`): the call it steers. The caller is played by the call, not by audio. */
  sip?: FakeSipCall;
}

const SESSION_KEYS = new Set(['model', 'audio', 'client', 'delegation', 'input', 'instructions', 'safety_identifier', 'store', 'triggers']);
const AUDIO_KEYS = new Set(['format', 'output']);
/** The documented default acknowledgement delay for sessions that are not Decisions sessions. */
const DEFAULT_ACKNOWLEDGEMENT_DELAY_MS = 0;
/** OpenAI's rule of thumb (about four bytes of English per token) for the 500-token commentary limit. */
const MAX_COMMENTARY_TOKENS = 500;

/** What the voice is saying now: its audio, how much of it went out, and when its first chunk was due. */
interface Utterance {
  text: string;
  audio: Buffer;
  sent: number;
  dueFrom: number;
  timer: NodeJS.Timeout | undefined;
}

class LiveRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export class FakeLive {
  readonly connections: FakeLiveConnection[] = [];
  readonly options: FakeLiveOptions = {
    msPerCharacter: 2,
    audioChunkMs: 40,
    burstAhead: 1,
    firstAudioDelayMs: 10,
    startDelayMs: 0,
    speechAmplitude: 2000,
    silenceMs: 400,
    delegationDelayMs: 20,
    transcriptAfterDelegationMs: undefined,
    acknowledgement: 'One moment.',
    stopsWhenInterrupted: true,
  };
  /** Transcripts for speech bursts that carry no words (e.g. a plain tone), used in order; without one, the length of the speech is described. */
  readonly transcripts: string[] = [];
  /** How many of the next connection attempts to refuse with 503, as an overloaded service would. */
  refuseConnections = 0;
  /**
   * How many of the next connections hang after the upgrade: they answer WebSocket pings but send no event at all, so
   * the session never starts (a service stuck behind a working load balancer).
   */
  hangSessions = 0;
  /** How many of the next connections start the session and then never say anything. */
  hangSpeech = 0;
  /** Told of each event just before the fake sends it: lets a benchmark time the bridge against the fake's events. */
  onServerEvent: ((connection: FakeLiveConnection, event: Json) => void) | undefined;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly closers = new Map<FakeLiveConnection, (reason: string) => void>();
  private readonly cleanups = new Set<() => void>();

  constructor(private readonly fake: FakeOpenAI) {
    fake.webSocket(LIVE_SESSIONS_PATH, (request, socket, head) => this.upgrade(request, socket, head));
    fake.webSocket(LIVE_ATTACH_PATH, (request, socket, head) => this.attach(request, socket, head));
    fake.server.on('close', () => this.stopAll());
  }

  get openConnections(): FakeLiveConnection[] {
    return this.connections.filter((connection) => !connection.closed);
  }

  /** Client events of one type across every connection, or one connection. */
  clientEvents(type: string, connection?: FakeLiveConnection): Json[] {
    return (connection ? [connection] : this.connections).flatMap((each) => each.clientEvents.filter((event) => event.type === type));
  }

  /** Server events of one type across every connection, or one connection. */
  serverEvents(type: string, connection?: FakeLiveConnection): Json[] {
    return (connection ? [connection] : this.connections).flatMap((each) => each.serverEvents.filter((event) => event.type === type));
  }

  /** Ends every open session from the service's side (`expired`: the session duration limit), as OpenAI does. */
  endSessions(reason: 'expired' | 'content' | 'remote_hangup' | 'connection_lost' = 'expired'): void {
    for (const connection of this.openConnections) this.closers.get(connection)?.(reason);
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
    const refuse = (status: string, error: Parameters<typeof refuseUpgrade>[2]): void => refuseUpgrade(socket, status, error);
    if (this.refuseConnections > 0) {
      this.refuseConnections -= 1;
      refuse('503 Service Unavailable', OVERLOADED);
      return;
    }
    if (refuseUnauthorizedUpgrade(this.fake, request, socket)) return;
    // The model belongs in session.start, never in the URL.
    if (url.search !== '') {
      const [name] = [...url.searchParams.keys()];
      refuse('400 Bad Request', { message: `Unknown parameter: '${name ?? ''}'. Connect without query parameters and send the model in session.start.`, type: 'invalid_request_error', code: 'unknown_parameter', param: name ?? null });
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
  }

  /** A sideband attaching to a SIP session accepted for GPT-Live and still in progress. */
  private attach(request: IncomingMessage, socket: Socket, head: Buffer): void {
    if (refuseUnauthorizedUpgrade(this.fake, request, socket)) return;
    const sessionId = decodeURIComponent(/^\/v1\/live\/sessions\/([^/]+)\/attach$/.exec(new URL(request.url ?? '/', 'http://fake').pathname)?.[1] ?? '');
    const call = this.fake.sip.find(sessionId);
    if (!call || call.sessionId !== sessionId || !call.attachable('live')) {
      refuseUpgrade(socket, '404 Not Found', { message: `Session '${sessionId}' not found or not active.`, type: 'invalid_request_error', param: 'session_id', code: 'not_found' });
      return;
    }
    call.sidebands += 1;
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, call));
  }

  private accept(socket: WebSocket, request: IncomingMessage, call?: FakeSipCall): void {
    const options = this.options;
    const connection: FakeLiveConnection = {
      id: this.connections.length + 1,
      headers: request.headers,
      url: request.url ?? '',
      clientEvents: [],
      serverEvents: [],
      timeline: [],
      session: undefined,
      appendedAudioBytes: 0,
      audioBeforeStart: 0,
      delegations: [],
      spoken: [],
      interruptions: 0,
      closed: false,
      closedReason: undefined,
      socket,
      ...(call ? { sip: call } : {}),
    };
    this.connections.push(connection);
    const hangsSession = this.hangSessions > 0;
    if (hangsSession) this.hangSessions -= 1;
    const hangsSpeech = !hangsSession && this.hangSpeech > 0;
    if (hangsSpeech) this.hangSpeech -= 1;
    const timers = new Set<NodeJS.Timeout>();
    let startedAt = 0;
    let starting = false;
    let inputMs = 0;
    let leftover = Buffer.alloc(0);
    let acknowledgementDelayMs = DEFAULT_ACKNOWLEDGEMENT_DELAY_MS;
    const pendingAcknowledgements = new Map<string, NodeJS.Timeout>();
    const ears = new EnergyDetector(options.speechAmplitude);
    const burst = { startMs: 0, emitted: 0, lagging: [] as Json[] };
    /** A transcript delta: sent at once, or held for after the delegation when transcription lags. */
    const transcriptDelta = (delta: string): void => {
      const event = { type: 'session.input_transcript.delta', delta, start_ms: burst.startMs, end_ms: Math.round(inputMs) };
      if (options.transcriptAfterDelegationMs === undefined) send(event);
      else burst.lagging.push(event);
    };
    // freeAt: when the audio already sent will have been delivered at the voice's pace; the next utterance goes on
    // from there, so consecutive utterances form one stream paced like a single one.
    const voice: { queue: string[]; current: Utterance | undefined; freeAt: number } = { queue: [], current: undefined, freeAt: 0 };

    const sessionMs = (): number => (startedAt === 0 ? 0 : Math.round(performance.now() - startedAt));
    const send = (event: Json): void => {
      if (hangsSession) return;
      const full = { event_id: fakeId('event_'), ...event };
      connection.serverEvents.push(full);
      connection.timeline.push(`out:${String(event.type)}`);
      this.onServerEvent?.(connection, full);
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(full));
    };
    const later = (ms: number, action: () => void): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        action();
      }, ms);
      timers.add(timer);
      return timer;
    };
    const error = (refusal: LiveRefusal, clientEventId: unknown): void => {
      const correlation = typeof clientEventId === 'string' ? { client_event_id: clientEventId } : {};
      send({
        type: 'error',
        ...correlation,
        error: { type: 'invalid_request_error', code: refusal.code, message: refusal.message, ...(refusal.param ? { param: refusal.param } : {}), ...correlation },
      });
    };
    const stopVoice = (): void => {
      if (voice.current) clearTimeout(voice.current.timer);
      if (voice.current && voice.current.sent < voice.current.audio.length) call?.cutOff.push(voice.current.text);
      voice.current = undefined;
      voice.queue.length = 0;
      voice.freeAt = 0;
    };
    const cleanup = (): void => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const timer of pendingAcknowledgements.values()) clearTimeout(timer);
      pendingAcknowledgements.clear();
      stopVoice();
    };
    this.cleanups.add(cleanup);
    const closeSession = (reason: string): void => {
      if (connection.closed || connection.closedReason !== undefined) return;
      cleanup();
      connection.closedReason = reason;
      send({ type: 'session.closed', reason, session: connection.session ?? {}, usage: { seconds: Math.round(inputMs / 1000) } });
      socket.close(1000, reason);
    };
    this.closers.set(connection, closeSession);
    socket.on('close', () => {
      connection.closed = true;
      cleanup();
      this.cleanups.delete(cleanup);
      this.closers.delete(connection);
      if (call) {
        call.off('say', callerSays);
        call.off('press', pressed);
        call.off('ended', callEnded);
      }
    });
    socket.on('error', () => socket.terminate());

    // The voice: one utterance at a time, each chunk sent when it is due (real time × burstAhead).
    const speakNext = (): void => {
      if (voice.current || voice.queue.length === 0 || connection.closed) return;
      const text = voice.queue.shift()!;
      connection.spoken.push(text);
      const audio = voiceAudio(text, options.msPerCharacter);
      const durationMs = audio.length / BYTES_PER_MS;
      send({ type: 'session.output_transcript.delta', delta: text, start_ms: sessionMs(), end_ms: sessionMs() + Math.round(durationMs) });
      const pace = Math.max(0.01, options.burstAhead);
      const dueFrom = Math.max(performance.now() + options.firstAudioDelayMs, voice.freeAt);
      voice.freeAt = dueFrom + durationMs / pace;
      const current: Utterance = { text, audio, sent: 0, dueFrom, timer: undefined };
      voice.current = current;
      const chunkBytes = Math.max(1, Math.round(options.audioChunkMs * BYTES_PER_MS));
      const pump = (): void => {
        if (voice.current !== current) return;
        const elapsed = performance.now() - current.dueFrom;
        const dueBytes = Math.min(audio.length, (Math.floor((elapsed * pace) / options.audioChunkMs) + 1) * chunkBytes);
        while (current.sent < dueBytes) {
          const delta = audio.subarray(current.sent, current.sent + chunkBytes);
          current.sent += delta.length;
          send({ type: 'session.output_audio.delta', delta: delta.toString('base64') });
        }
        if (current.sent >= audio.length) {
          voice.current = undefined;
          // Over SIP the caller has heard it by now: the fake plays in step with what it sends.
          call?.heard.push(text);
          speakNext();
          return;
        }
        const nextDue = current.dueFrom + ((current.sent / chunkBytes) * options.audioChunkMs) / pace;
        current.timer = later(Math.max(1, nextDue - performance.now()), pump);
      };
      current.timer = later(Math.max(0, dueFrom - performance.now()), pump);
    };
    const say = (text: string): void => {
      if (hangsSpeech) return;
      voice.queue.push(text);
      speakNext();
    };
    const cancelAcknowledgements = (): void => {
      for (const timer of pendingAcknowledgements.values()) clearTimeout(timer);
      pendingAcknowledgements.clear();
    };

    // The ears: energy detection over 20 ms frames; words stream out as transcript deltas while the caller speaks.
    const emitWords = (audio: Buffer, final: boolean): void => {
      const text = syntheticWords(audio, !final);
      if (text === undefined) return;
      const unsent = text.slice(burst.emitted);
      const match = final ? unsent : /^\s*\S+\s+/.exec(unsent)?.[0];
      if (!match) return;
      burst.emitted += match.length;
      transcriptDelta(match);
    };
    const endOfBurst = (speech: SpeechBurst): void => {
      emitWords(speech.audio, true);
      if (burst.emitted === 0) {
        // Speech it cannot read as words (a person on a microphone) is described by its length, never guessed at;
        // the fake caller's own speech with no words in it is no turn at all.
        const said = this.transcripts.shift() ?? (syntheticWords(speech.audio) === undefined ? heardSpeechTranscript(speech.voicedMs) : undefined);
        if (said === undefined) {
          burst.lagging = [];
          return;
        }
        transcriptDelta(said);
      }
      const lagging = burst.lagging;
      burst.lagging = [];
      burst.emitted = 0;
      delegate(Math.round(inputMs), lagging);
    };
    const delegate = (offset: number, lagging: Json[]): void => {
      later(options.delegationDelayMs, () => {
        const id = fakeId('dlg_');
        connection.delegations.push(id);
        send({ type: 'session.delegation.created', delegation: { id, target: 'client', type: 'delegation' }, offset_ms: offset });
        if (lagging.length > 0) later(options.transcriptAfterDelegationMs ?? 0, () => lagging.forEach(send));
        const timer = later(acknowledgementDelayMs, () => {
          pendingAcknowledgements.delete(id);
          say(options.acknowledgement);
        });
        pendingAcknowledgements.set(id, timer);
      });
    };
    const hearFrame = (frame: Buffer, pcmu: boolean): void => {
      ears.threshold = options.speechAmplitude;
      // The fake understands only μ-law: audio declared as anything else is heard as nothing.
      const heard = ears.hear(frame, options.silenceMs, pcmu);
      if (heard?.type === 'started') {
        burst.startMs = Math.round(inputMs);
        burst.emitted = 0;
        if (options.stopsWhenInterrupted && voice.current) {
          connection.interruptions += 1;
          stopVoice();
        }
        emitWords(ears.currentAudio, false);
      } else if (heard?.type === 'stopped') {
        endOfBurst(heard.burst);
      } else if (ears.inSpeech) {
        emitWords(ears.currentAudio, false);
      }
      inputMs += frame.length / BYTES_PER_MS;
    };

    // A SIP caller, played by the test through the call: their words (transcribed as said), keys and hang-up.
    const callerSays = (text: string): void => {
      if (options.stopsWhenInterrupted && voice.current) {
        connection.interruptions += 1;
        stopVoice();
      }
      burst.startMs = Math.round(inputMs);
      transcriptDelta(text);
      inputMs += 400;
      const lagging = burst.lagging;
      burst.lagging = [];
      delegate(Math.round(inputMs), lagging);
    };
    const pressed = (digit: string): void => send({ type: 'transport.dtmf.received', event: digit });
    const callEnded = (): void => closeSession('remote_hangup');
    if (call) {
      call.on('say', callerSays);
      call.on('press', pressed);
      call.on('ended', callEnded);
      // The accept started the session; SIP negotiated G.711 μ-law with the trunk.
      const accepted = ((call.acceptBody ?? {}).session ?? {}) as Json;
      const delegation = (accepted.delegation ?? { type: 'client' }) as Json;
      acknowledgementDelayMs = typeof delegation.acknowledgement_delay_ms === 'number' ? delegation.acknowledgement_delay_ms : DEFAULT_ACKNOWLEDGEMENT_DELAY_MS;
      connection.session = {
        id: call.sessionId,
        model: accepted.model,
        status: 'active',
        audio: { format: { type: 'audio/pcmu', rate: 8000 }, output: { voice: ((((accepted.audio ?? {}) as Json).output ?? {}) as Json).voice ?? 'marin' } },
        delegation: { acknowledgement_delay_ms: acknowledgementDelayMs, ...delegation },
        instructions: accepted.instructions ?? null,
      };
      startedAt = performance.now();
    }

    const start = (event: Json): void => {
      const session = checkSessionConfig(event.session);
      const model = String(session.model);
      if (!this.fake.models.some((entry) => entry.id === model)) {
        throw new LiveRefusal('model_not_found', `The model '${model}' does not exist or you do not have access to it.`, 'session.model');
      }
      const delegation = (session.delegation ?? { type: 'client' }) as Json;
      acknowledgementDelayMs = typeof delegation.acknowledgement_delay_ms === 'number' ? delegation.acknowledgement_delay_ms : DEFAULT_ACKNOWLEDGEMENT_DELAY_MS;
      const audio = (session.audio ?? {}) as Json;
      const resolved: Json = {
        id: fakeId('sess_'),
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        model,
        status: 'active',
        audio: {
          format: audio.format ?? { type: 'audio/pcm', rate: 24000 },
          output: { voice: ((audio.output ?? {}) as Json).voice ?? 'marin' },
        },
        delegation: { acknowledgement_delay_ms: acknowledgementDelayMs, ...delegation },
        instructions: session.instructions ?? null,
        store: session.store ?? false,
      };
      starting = true;
      const started = (): void => {
        connection.session = resolved;
        startedAt = performance.now();
        send({ type: 'session.started', ...(typeof event.event_id === 'string' ? { client_event_id: event.event_id } : {}), session: resolved });
      };
      if (options.startDelayMs > 0) later(options.startDelayMs, started);
      else started();
    };

    const appendContext = (event: Json, kind: 'commentary' | 'thinking' | 'instructions'): void => {
      const content = event.content;
      if (typeof content !== 'string' || content.trim() === '') throw new LiveRefusal('missing_required_parameter', "Missing required parameter: 'content'.", 'content');
      const tokens = Math.ceil(Buffer.byteLength(content, 'utf8') / 4);
      if (tokens > MAX_COMMENTARY_TOKENS) {
        throw new LiveRefusal('string_above_max_length', `'content' is ${tokens} tokens long; at most ${MAX_COMMENTARY_TOKENS} are allowed. Send it in several messages.`, 'content');
      }
      if (!('delegation_id' in event)) throw new LiveRefusal('missing_required_parameter', "Missing required parameter: 'delegation_id' (use null for general context).", 'delegation_id');
      const delegationId = event.delegation_id;
      if (delegationId !== null && (typeof delegationId !== 'string' || !connection.delegations.includes(delegationId))) {
        throw new LiveRefusal('invalid_value', `Invalid 'delegation_id': no client delegation '${String(delegationId)}' exists in this session.`, 'delegation_id');
      }
      // Any appended commentary or thinking cancels every pending acknowledgement.
      if (kind !== 'instructions') cancelAcknowledgements();
      const now = sessionMs();
      send({ type: `session.${kind}.appended`, start_ms: now, end_ms: now, ...(typeof event.event_id === 'string' ? { client_event_id: event.event_id } : {}) });
      if (kind === 'commentary') say(content);
    };

    socket.on('message', (data) => {
      let event: Json;
      try {
        event = JSON.parse(data.toString()) as Json;
      } catch {
        error(new LiveRefusal('invalid_json', 'We could not parse the JSON body of your message.'), undefined);
        return;
      }
      if (typeof event !== 'object' || event === null) {
        error(new LiveRefusal('invalid_json', 'Each message must be a JSON object.'), undefined);
        return;
      }
      connection.clientEvents.push(event);
      connection.timeline.push(`in:${String(event.type)}`);
      try {
        if (!connection.session) {
          if (event.type === 'session.input_audio.append') connection.audioBeforeStart += 1;
          if (event.type !== 'session.start') throw new LiveRefusal('session_not_started', `'${String(event.type)}' was sent before the session started. Send session.start first and wait for session.started.`);
          if (starting) throw new LiveRefusal('session_already_started', 'The session is already starting; wait for session.started.');
          start(event);
          return;
        }
        switch (event.type) {
          case 'session.start':
            throw new LiveRefusal('session_already_started', 'The session has already started; its model, instructions, voice and audio format cannot change.');
          case 'session.input_audio.append': {
            const audio = typeof event.audio === 'string' ? event.audio : '';
            if (!/^[A-Za-z0-9+/]*={0,2}$/.test(audio) || audio.length % 4 !== 0) throw new LiveRefusal('invalid_value', 'Invalid base64 audio.', 'audio');
            const bytes = Buffer.from(audio, 'base64');
            connection.appendedAudioBytes += bytes.length;
            const pcmu = ((connection.session.audio as Json).format as Json).type === 'audio/pcmu';
            leftover = leftover.length === 0 ? bytes : Buffer.concat([leftover, bytes]);
            while (leftover.length >= FRAME_BYTES) {
              hearFrame(leftover.subarray(0, FRAME_BYTES), pcmu);
              leftover = leftover.subarray(FRAME_BYTES);
            }
            return;
          }
          case 'session.commentary.append':
            appendContext(event, 'commentary');
            return;
          case 'session.thinking.append':
            appendContext(event, 'thinking');
            return;
          case 'session.instructions.append':
            appendContext(event, 'instructions');
            return;
          case 'session.input_audio.mute':
          case 'session.input_audio.unmute':
            send({ type: event.type === 'session.input_audio.mute' ? 'session.input_audio.muted' : 'session.input_audio.unmuted' });
            return;
          case 'session.update': {
            const update = (event.session ?? {}) as Json;
            if (update.delegation && typeof (update.delegation as Json).acknowledgement_delay_ms === 'number') {
              acknowledgementDelayMs = (update.delegation as Json).acknowledgement_delay_ms as number;
            }
            send({ type: 'session.updated', session: connection.session });
            return;
          }
          case 'session.close':
            closeSession('close_requested');
            return;
          default:
            throw new LiveRefusal('invalid_value', `Invalid value: '${String(event.type)}'. Supported client events include 'session.input_audio.append', 'session.commentary.append', 'session.thinking.append' and 'session.close'.`, 'type');
        }
      } catch (caught) {
        if (!(caught instanceof LiveRefusal)) throw caught;
        error(caught, event.event_id);
      }
    });
  }
}

/** The strict startup configuration check: unknown fields, a missing model and unsupported formats are refused. */
function checkSessionConfig(value: unknown): Json {
  if (typeof value !== 'object' || value === null) throw new LiveRefusal('missing_required_parameter', "Missing required parameter: 'session'.", 'session');
  const session = value as Json;
  for (const key of Object.keys(session)) {
    if (!SESSION_KEYS.has(key)) throw new LiveRefusal('unknown_parameter', `Unknown parameter: 'session.${key}'.`, `session.${key}`);
  }
  if (typeof session.model !== 'string' || session.model === '') throw new LiveRefusal('missing_required_parameter', "Missing required parameter: 'session.model'.", 'session.model');
  const audio = (session.audio ?? {}) as Json;
  for (const key of Object.keys(audio)) {
    if (!AUDIO_KEYS.has(key)) throw new LiveRefusal('unknown_parameter', `Unknown parameter: 'session.audio.${key}'.`, `session.audio.${key}`);
  }
  if (audio.format !== undefined) {
    const format = audio.format as Json;
    const g711 = format.type === 'audio/pcmu' || format.type === 'audio/pcma';
    if (!g711 && format.type !== 'audio/pcm') {
      throw new LiveRefusal('invalid_value', `Invalid 'session.audio.format.type': '${String(format.type)}'. Supported: 'audio/pcm', 'audio/pcmu', 'audio/pcma'.`, 'session.audio.format.type');
    }
    const rateOk = g711 ? format.rate === 8000 : format.rate === 16000 || format.rate === 24000;
    if (!rateOk) {
      throw new LiveRefusal('invalid_value', `Invalid 'session.audio.format.rate': ${String(format.rate)}. ${g711 ? 'G.711 audio uses 8000 Hz.' : 'PCM audio supports 16000 or 24000 Hz.'}`, 'session.audio.format.rate');
    }
  }
  const delegation = session.delegation as Json | null | undefined;
  if (delegation !== undefined && delegation !== null && delegation.type !== 'client') {
    throw new LiveRefusal('unsupported_value', `This simulator supports only client delegation (got '${String(delegation.type)}').`, 'session.delegation.type');
  }
  return session;
}
