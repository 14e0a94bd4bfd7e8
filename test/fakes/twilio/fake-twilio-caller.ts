// A fake Twilio call that does what Twilio does: the signed voice webhook POST, the TwiML read back, the signed
// WebSocket upgrade to the <Stream> URL (its public host mapped to the local server), then connected/start and one
// 20 ms media frame after another with string counters, while it "plays" the audio it receives in real time: marks
// are echoed once the audio before them has played, `clear` drops what is buffered and echoes pending marks at once.
// Everything received is recorded, and frames Twilio would reject are listed as protocol errors.
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import WebSocket from 'ws';
import { BYTES_PER_MS, FRAME_BYTES, MULAW_SILENCE, phrasesInVoice, speechAudio } from '../../../src/simulator/fake-audio.js';

export type SignatureMode = 'valid' | 'missing' | 'wrong';

export interface FakeTwilioCallerOptions {
  /** Where the bridge really listens, e.g. http://127.0.0.1:5123 */
  serverOrigin: string;
  /** The number's voice URL, as configured at Twilio: WEBHOOK_URL/incoming-call */
  voiceUrl: string;
  authToken: string;
  accountSid?: string;
  callSid?: string;
  from?: string;
  to?: string;
}

export interface WebhookAnswer {
  status: number;
  body: string;
  /** The <Connect><Stream url> of the TwiML, when there is one. */
  streamUrl?: string;
  parameters: Record<string, string>;
}

export interface StreamOptions {
  signature?: SignatureMode;
  /** Custom parameters to put in the start frame instead of the TwiML's. */
  parameters?: Record<string, string>;
  /** Another CallSid for the start frame (a stolen token). */
  callSid?: string;
}

type Json = Record<string, unknown>;
type PlaybackItem = { audio: Buffer } | { mark: string };

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

export class FakeTwilioCaller {
  readonly callSid: string;
  readonly accountSid: string;
  readonly streamSid = `MZ${hex(16)}`;
  /** Every frame the bridge sent, parsed. */
  readonly received: Json[] = [];
  /** What Twilio would report (31951 and the like) about the bridge's frames. */
  readonly protocolErrors: string[] = [];
  /** Marks echoed back, and whether the echo was caused by a clear (audio not heard). */
  readonly echoedMarks: Array<{ name: string; cleared: boolean }> = [];
  clears = 0;
  closed: { code: number; reason: string } | undefined;
  private socket: WebSocket | undefined;
  private readonly playback: PlaybackItem[] = [];
  private readonly heardAudio: Buffer[] = [];
  private readonly outgoing: Buffer[] = [];
  private readonly sentWaiters: Array<{ frames: number; resolve: () => void }> = [];
  private readonly waiters = new Set<() => void>();
  private framesSent = 0;
  private sequence = 0;
  private startedAt = 0;
  private lastPlaybackAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closedPromise: Promise<{ code: number; reason: string }> | undefined;

  constructor(private readonly options: FakeTwilioCallerOptions) {
    this.callSid = options.callSid ?? `CA${hex(16)}`;
    this.accountSid = options.accountSid ?? `AC${hex(16)}`;
  }

  /** Places a call: webhook, then stream. Throws when the bridge refuses either. */
  static async dial(options: FakeTwilioCallerOptions): Promise<FakeTwilioCaller> {
    const caller = new FakeTwilioCaller(options);
    const answer = await caller.postWebhook();
    if (answer.status !== 200 || !answer.streamUrl) throw new Error(`the webhook answered ${answer.status}: ${answer.body}`);
    await caller.connectStream(answer);
    return caller;
  }

  /** The voice webhook, as Twilio sends it when the number is called. */
  async postWebhook(signature: SignatureMode = 'valid'): Promise<WebhookAnswer> {
    const params: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.callSid,
      CallStatus: 'ringing',
      Called: this.options.to ?? '+14155550100',
      Caller: this.options.from ?? '+14155550123',
      Direction: 'inbound',
      From: this.options.from ?? '+14155550123',
      To: this.options.to ?? '+14155550100',
    };
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1' };
    if (signature !== 'missing') headers['x-twilio-signature'] = this.sign(this.options.voiceUrl, params, signature);
    const response = await fetch(this.localUrl(this.options.voiceUrl, 'http:'), { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    const body = await response.text();
    const stream = /<Connect>\s*<Stream\b([^>]*?)\/?>([\s\S]*?)(?:<\/Stream>|$)/.exec(body);
    const streamUrl = stream ? /\burl="([^"]*)"/.exec(stream[1]!)?.[1] : undefined;
    const parameters: Record<string, string> = {};
    for (const match of (stream?.[2] ?? '').matchAll(/<Parameter\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g)) {
      parameters[unescapeXml(match[1]!)] = unescapeXml(match[2]!);
    }
    return { status: response.status, body, streamUrl: streamUrl ? unescapeXml(streamUrl) : undefined, parameters };
  }

  /** Opens the Media Stream the TwiML asked for and starts streaming. Rejects when the upgrade is refused. */
  async connectStream(answer: Pick<WebhookAnswer, 'streamUrl' | 'parameters'>, options: StreamOptions = {}): Promise<void> {
    const streamUrl = answer.streamUrl;
    if (!streamUrl?.startsWith('wss://')) throw new Error(`Twilio needs a wss:// Stream URL, got ${streamUrl}`);
    if (new URL(streamUrl).search !== '') throw new Error('Twilio rejects a Stream URL with a query string (31920)');
    const headers: Record<string, string> = {};
    if ((options.signature ?? 'valid') !== 'missing') headers['x-twilio-signature'] = this.sign(streamUrl, {}, options.signature ?? 'valid');
    const socket = new WebSocket(this.localUrl(streamUrl, 'ws:'), { headers });
    this.socket = socket;
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.stopClock();
        this.notify();
        resolve(this.closed);
      });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`the bridge refused the WebSocket upgrade: ${response.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('message', (data) => this.receive(data.toString()));
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        accountSid: this.accountSid,
        callSid: options.callSid ?? this.callSid,
        tracks: ['inbound'],
        customParameters: options.parameters ?? answer.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    this.startedAt = performance.now();
    this.lastPlaybackAt = this.startedAt;
    this.tick();
  }

  /** Speaks: loud audio carrying `text`, then back to silence. Resolves once the last frame of it is sent. */
  say(text: string, options: { durationMs?: number } = {}): Promise<void> {
    const audio = speechAudio(text, options.durationMs ?? 300);
    for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) this.outgoing.push(audio.subarray(offset, offset + FRAME_BYTES));
    const frames = this.framesSent + this.outgoing.length;
    return new Promise((resolve) => this.sentWaiters.push({ frames, resolve }));
  }

  /** Each utterance heard so far, as far as it played (a cleared one is cut short). */
  heard(): string[] {
    return phrasesInVoice(Buffer.concat(this.heardAudio));
  }

  /** Milliseconds of received audio still waiting to play. */
  bufferedMs(): number {
    return this.playback.reduce((total, item) => total + ('audio' in item ? item.audio.length : 0), 0) / BYTES_PER_MS;
  }

  /** Waits until `condition` holds (checked on every frame in or out). */
  waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting until ${what}; heard so far: ${JSON.stringify(this.heard())}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Waits until `text` has been heard, to its last character. */
  waitToHear(text: string, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.heard().some((phrase) => phrase.includes(text)), `the caller heard "${text}"`, timeoutMs);
  }

  /** The caller hangs up: Twilio sends stop and closes the socket. */
  async hangUp(): Promise<void> {
    if (!this.socket || this.closed) return;
    this.send({ event: 'stop', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, stop: { accountSid: this.accountSid, callSid: this.callSid } });
    this.socket.close(1000);
    await this.waitForClose();
  }

  waitForClose(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    if (!this.closedPromise) return Promise.reject(new Error('the stream was never opened'));
    return Promise.race([
      this.closedPromise,
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('the bridge did not close the stream')), timeoutMs).unref()),
    ]);
  }

  /** Stops the clock and drops the connection without a stop frame (a network failure). */
  drop(): void {
    this.stopClock();
    this.socket?.terminate();
  }

  private sign(url: string, params: Record<string, string>, mode: SignatureMode): string {
    const token = mode === 'wrong' ? hex(16) : this.options.authToken;
    return twilio.getExpectedTwilioSignature(token, url, params);
  }

  private localUrl(publicUrl: string, protocol: 'http:' | 'ws:'): string {
    const target = new URL(publicUrl);
    const local = new URL(this.options.serverOrigin);
    return `${protocol}//${local.host}${target.pathname}${target.search}`;
  }

  private nextSequence(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private send(frame: Json): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /** One tick of Twilio's clock: send the media frames that are due (20 ms each) and play what is buffered. */
  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    const due = Math.floor((now - this.startedAt) / 20) + 1;
    while (this.framesSent < due) {
      const audio = this.outgoing.shift() ?? Buffer.alloc(FRAME_BYTES, MULAW_SILENCE);
      this.framesSent += 1;
      this.send({
        event: 'media',
        sequenceNumber: this.nextSequence(),
        streamSid: this.streamSid,
        media: { track: 'inbound', chunk: String(this.framesSent), timestamp: String(this.framesSent * 20), payload: audio.toString('base64') },
      });
    }
    for (const waiter of this.sentWaiters.filter((each) => each.frames <= this.framesSent)) {
      this.sentWaiters.splice(this.sentWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    this.play(now);
    this.notify();
    this.timer = setTimeout(() => this.tick(), 20 - ((performance.now() - this.startedAt) % 20));
  }

  private stopClock(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Plays buffered audio in real time, echoing each mark once everything before it has played. */
  private play(now: number): void {
    let budget = Math.floor((now - this.lastPlaybackAt) * BYTES_PER_MS);
    this.lastPlaybackAt = now;
    while (this.playback.length > 0) {
      const item = this.playback[0]!;
      if ('mark' in item) {
        this.playback.shift();
        this.echoMark(item.mark, false);
        continue;
      }
      if (budget <= 0) break;
      const played = item.audio.subarray(0, budget);
      this.heardAudio.push(played);
      budget -= played.length;
      if (played.length === item.audio.length) this.playback.shift();
      else item.audio = item.audio.subarray(played.length);
    }
  }

  private echoMark(name: string, cleared: boolean): void {
    this.echoedMarks.push({ name, cleared });
    this.send({ event: 'mark', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, mark: { name } });
  }

  private receive(text: string): void {
    let frame: Json;
    try {
      frame = JSON.parse(text) as Json;
    } catch {
      this.protocolErrors.push('31951: a message from the bridge is not JSON');
      return;
    }
    this.received.push(frame);
    if (frame.streamSid !== this.streamSid) {
      this.protocolErrors.push(`31951: ${String(frame.event)} names streamSid ${String(frame.streamSid)}`);
      return;
    }
    // Play up to now first, so time spent idle is not credited to audio that only just arrived.
    this.play(performance.now());
    switch (frame.event) {
      case 'media': {
        const payload = (frame.media as Json | undefined)?.payload;
        if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 !== 0) {
          this.protocolErrors.push('31951: a media message without a valid base64 payload');
          return;
        }
        this.playback.push({ audio: Buffer.from(payload, 'base64') });
        break;
      }
      case 'mark': {
        const name = (frame.mark as Json | undefined)?.name;
        if (typeof name !== 'string') {
          this.protocolErrors.push('31951: a mark message without mark.name');
          return;
        }
        if (this.playback.length === 0) this.echoMark(name, false);
        else this.playback.push({ mark: name });
        break;
      }
      case 'clear':
        this.clears += 1;
        for (const item of this.playback.splice(0)) if ('mark' in item) this.echoMark(item.mark, true);
        break;
      default:
        this.protocolErrors.push(`31951: unknown event ${String(frame.event)}`);
        return;
    }
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
