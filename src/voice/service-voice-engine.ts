// What both OpenAI voice engines (Realtime, GPT-Live) share, whatever their protocol: one WebSocket to the service at a
// time, opened the one way both need; its messages read against the engine's event schemas, a bad event counted and
// logged a few times, never thrown; every wait bounded by the watchdog; one reconnect per call when a connection is
// lost, counted only once the new one has confirmed its session; the caller's audio held while there is no connection
// to take it; and a close that never throws. An engine adds only what its protocol changes: how the session is
// configured, how speech is asked for, and what the service's events mean for the call.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { z } from 'zod';
import { openOpenAISocket } from './openai-socket.js';
import type { ReadServiceEvent } from './parse-service-event.js';
import { ServiceWatchdog, type ServiceWatchdogTimeouts } from './service-watchdog.js';
import type { SpeakOptions, VoiceEngine, VoiceEngineEvents } from './voice-engine.js';

/** Unreadable events are logged this many times per call, then only counted: a broken peer must not flood the log. */
const MAX_LOGGED_BAD_EVENTS = 3;
/** Caller audio held by default while there is no connection to take it: 5 s of 20 ms frames. */
const DEFAULT_MAX_HELD_FRAMES = 250;
/** How long a closing connection may take to finish before it is cut. */
const CLOSE_GRACE_MS = 1_000;

export interface ServiceConnectionOptions<E> extends ServiceWatchdogTimeouts {
  /** The service's name in messages, e.g. "OpenAI Realtime". */
  service: string;
  /** The service's WebSocket URL. */
  url: string;
  apiKey: string;
  /** Sent as OpenAI-Project: a SIP call belongs to the project its SIP address names, whatever the key's default. */
  project?: string | undefined;
  /** The largest message the service may send; a larger one is taken for a broken connection. */
  maxMessageBytes: number;
  /** Caller audio held while there is no connection to take it (20 ms frames); the oldest goes first. Default 250. */
  maxHeldFrames?: number | undefined;
  /** The event that carries caller audio, up to its base64 payload: the payload goes in as is, then `"}`. */
  audioEventPrefix: string;
  /**
   * When caller audio may go to a connection: as soon as it is open (the service buffers it while it applies the
   * session's settings), or only once it has confirmed its session.
   */
  sendAudioOnceSession: 'opened' | 'confirmed';
  /** The event that asks a confirmed session to end itself when the call ends, for protocols that have one. */
  closeEvent?: object;
  /** Reads one message: an event to act on, a bad event, or one of a type the engine does not read. */
  readEvent(text: string): ReadServiceEvent<E>;
}

/** A voice engine that talks to an OpenAI voice service over a WebSocket; `E`: the service events it acts on. */
export abstract class ServiceVoiceEngine<E> extends EventEmitter<VoiceEngineEvents> implements VoiceEngine {
  abstract readonly name: string;
  /** Bounds every wait on the service; engines tell it when they ask for speech and when its audio comes. */
  protected readonly watchdog: ServiceWatchdog;
  private readonly connection: ServiceConnectionOptions<E>;
  private socket: WebSocket;
  private confirmed = false;
  /** Whether `ready` was ever emitted: it is emitted once, whichever connection is the first to work. */
  private everConfirmed = false;
  private ended = false;
  private badEvents = 0;
  private readonly held: string[] = [];

  /** Starts connecting at once. */
  constructor(connection: ServiceConnectionOptions<E>) {
    super();
    this.connection = connection;
    this.watchdog = new ServiceWatchdog(connection.service, connection, (socket, reason) => this.lost(socket, reason));
    this.socket = this.connect();
  }

  get isReady(): boolean {
    return this.confirmed && !this.ended;
  }

  abstract speak(text: string, options?: SpeakOptions): string;
  abstract cancelSpeaking(): void;

  sendCallerAudio(payload: string): void {
    if (this.ended) return;
    // Built by hand: this runs 50 times a second per call, and the payload is Twilio's base64, checked on arrival.
    const frame = this.connection.audioEventPrefix + payload + '"}';
    if ((this.confirmed || this.connection.sendAudioOnceSession === 'opened') && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame);
      return;
    }
    this.held.push(frame);
    if (this.held.length > (this.connection.maxHeldFrames ?? DEFAULT_MAX_HELD_FRAMES)) this.held.shift();
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.watchdog.stop();
    this.held.length = 0;
    this.stopped('closed');
    const socket = this.socket;
    if (socket.readyState === WebSocket.CLOSED) return;
    const { closeEvent } = this.connection;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, CLOSE_GRACE_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState !== WebSocket.OPEN) socket.terminate();
      // The session's own close lets the service finalize it; it answers and closes the socket itself.
      else if (closeEvent && this.confirmed) socket.send(JSON.stringify(closeEvent));
      else socket.close(1000, 'call ended');
    });
  }

  /** Whether the engine is closed, or has failed: it emits nothing more. */
  protected get closed(): boolean {
    return this.ended;
  }

  /** Whether the current connection has confirmed its session (speech can be asked for). */
  protected get sessionConfirmed(): boolean {
    return this.confirmed;
  }

  /** The socket is open: the engine configures its session. The watchdog bounds the wait for the confirmation. */
  protected abstract sessionOpened(): void;

  /** The session is confirmed (the first time, or after a reconnect): speech that waited for it goes out now. */
  protected abstract sessionResumed(): void;

  /**
   * The connection is lost and a new one is being opened with the same settings: the engine decides what becomes of
   * the speech under way, and what the new session must be given again.
   */
  protected abstract connectionReplaced(): void;

  /** One event the service sent, read against the engine's schemas. */
  protected abstract eventReceived(event: E): void;

  /** The engine is closed or has failed: it stops its own timers and forgets what it was waiting for. */
  protected abstract stopped(how: 'closed' | 'failed'): void;

  /** The service confirmed the session on the current connection: the proof that this connection works. */
  protected confirmSession(): void {
    if (this.confirmed || this.ended) return;
    const proved = this.watchdog.alive();
    if (proved === undefined) return;
    this.confirmed = true;
    if (this.connection.sendAudioOnceSession === 'confirmed') this.flushHeldAudio();
    if (proved === 'reconnected') this.emit('reconnected');
    if (!this.everConfirmed) {
      this.everConfirmed = true;
      this.emit('ready');
    }
    this.sessionResumed();
  }

  /**
   * Whether the service closing the connection this way means the call is over rather than the connection lost: on a
   * sideband, a normal close is the service ending the session with the call. A direct connection never does.
   */
  protected callEndedOnClose(_code: number): boolean {
    return false;
  }

  /** The service ended the session with the call (the caller hung up): nothing to reconnect to. */
  protected endedByService(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.watchdog.stop();
    this.confirmed = false;
    this.stopped('closed');
    this.emit('sessionEnded', reason);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000, 'call ended');
  }

  /** The service refused the session in a way another connection would not change: the engine fails. */
  protected refused(message: string): void {
    this.lost(this.socket, message, true);
  }

  protected send(event: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(event));
  }

  /** An event the engine could not use: logged the first few times on a call, then only counted. */
  protected badEvent(message: string): void {
    this.badEvents += 1;
    if (this.badEvents <= MAX_LOGGED_BAD_EVENTS) {
      this.emit('warning', this.badEvents === MAX_LOGGED_BAD_EVENTS ? `${message} (further ones on this call are not logged)` : message);
    }
  }

  protected emitUnlessClosed<K extends keyof VoiceEngineEvents>(name: K, ...args: VoiceEngineEvents[K]): void {
    if (!this.ended) (this.emit as (event: K, ...rest: VoiceEngineEvents[K]) => boolean)(name, ...args);
  }

  /** Opens a connection; events of a connection that has since been replaced are ignored. */
  private connect(): WebSocket {
    const { url, apiKey, maxMessageBytes, service, project } = this.connection;
    const socket = openOpenAISocket(url, apiKey, maxMessageBytes, this.watchdog.startTimeoutMs, project);
    this.watchdog.watch(socket);
    socket.on('open', () => {
      if (socket === this.socket) this.opened();
    });
    socket.on('message', (data) => {
      if (socket !== this.socket) return;
      try {
        this.received(data.toString());
      } catch (error) {
        // Whatever acting on one event throws, the call goes on without it.
        this.badEvent(`${service} sent an event the bridge could not read (${error instanceof Error ? error.message : String(error)}); ignored`);
      }
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        const message = errorMessageFromBody(body) ?? response.statusMessage ?? '';
        this.lost(socket, `${service} refused the connection: ${response.statusCode} ${message}`.trim(), true);
      });
      response.on('error', () => this.lost(socket, `${service} refused the connection: ${response.statusCode}`, true));
    });
    let opened = false;
    socket.once('open', () => (opened = true));
    socket.on('error', (error) =>
      this.lost(socket, opened ? `the ${service} connection failed: ${error.message}` : `could not reach ${service} at ${url}: ${error.message}`),
    );
    socket.on('close', (code, reason) => {
      if (socket === this.socket && !this.ended && this.callEndedOnClose(code)) {
        this.endedByService(`the ${service} session ended (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
        return;
      }
      this.lost(socket, `the ${service} connection closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
    });
    return socket;
  }

  private opened(): void {
    if (this.ended) return;
    this.sessionOpened();
    // Held audio goes out right after the settings: the service buffers it while it applies them.
    if (this.connection.sendAudioOnceSession === 'opened') this.flushHeldAudio();
  }

  private received(text: string): void {
    if (this.ended) return;
    const read = this.connection.readEvent(text);
    if (read === undefined) return;
    if ('unreadable' in read) this.badEvent(`${this.connection.service} ${read.unreadable}`);
    else this.eventReceived(read.event);
  }

  private flushHeldAudio(): void {
    for (const frame of this.held.splice(0)) this.socket.send(frame);
  }

  /**
   * The connection is gone, or as good as gone (silent past a bound). It is opened again once per call with the same
   * settings, the caller's audio held meanwhile. A refusal (`final`), or a second loss, ends the engine.
   */
  private lost(socket: WebSocket, message: string, final = false): void {
    if (socket !== this.socket || this.ended) return;
    const after = this.watchdog.lost(message, final);
    if (!after.reconnect) {
      this.fail(after.failure);
      return;
    }
    this.confirmed = false;
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
    this.emit('reconnecting', message);
    this.connectionReplaced();
    this.socket = this.connect();
  }

  private fail(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.watchdog.stop();
    this.confirmed = false;
    this.stopped('failed');
    this.emit('failed', message);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }
}

/** The body of an HTTP refusal, as OpenAI words it: `{"error": {"message": …}}`. */
const RefusalBody = z.object({ error: z.object({ message: z.string() }) });

/** What an HTTP refusal's body says: OpenAI's error message, or the start of a body that is not JSON. */
export function errorMessageFromBody(body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return body.trim() === '' ? undefined : body.trim().slice(0, 200);
  }
  const refusal = RefusalBody.safeParse(value);
  return refusal.success ? refusal.data.error.message : undefined;
}
