// One simulated Twilio call for the benchmark, kept lean so hundreds fit in the load generator: the signed voice
// webhook, the signed Media Stream upgrade, connected + start, then one 20 ms media frame per tick (tagged silence for
// the load test, or queued speech for the turn test). Marks are echoed at once, as if played. Media frames from the
// bridge are timed on arrival and checked: exact frame shape for this stream, payload untouched.
import twilio from 'twilio';
import WebSocket from 'ws';
import type { FrameClock } from './frame-clock.js';
import type { FrameLedger } from './frame-ledger.js';
import { FRAME_BYTES, FRAME_MS, readTag, restIsUntouched, tagStream, taggedPayload } from './frame-tags.js';

export interface BridgeAddress {
  /** Where the server listens, e.g. http://127.0.0.1:5123 */
  origin: string;
  /** The number's voice URL as Twilio knows it (WEBHOOK_URL/incoming-call). */
  voiceUrl: string;
  authToken: string;
  accountSid: string;
}

export interface BenchCallOptions {
  /** Caller frames are tagged and recorded here (load test); without it the caller sends plain silence or speech. */
  inbound?: FrameLedger;
  /** Speech frames from the bridge are timed against this ledger (load test). */
  outbound?: FrameLedger;
  /** Called with the arrival time of every media frame from the bridge. */
  onMedia?: (at: number) => void;
  /** Called when the bridge's mark for a finished piece of speech arrives. */
  onMark?: (name: string) => void;
}

const SILENCE = Buffer.alloc(FRAME_BYTES, 0xff).toString('base64');
const hex = (length: number): string => {
  let text = '';
  for (let index = 0; index < length; index += 1) text += Math.floor(Math.random() * 16).toString(16);
  return text;
};

export class BenchCall {
  readonly callSid = `CA${hex(32)}`;
  readonly streamSid = `MZ${hex(32)}`;
  /** This call's number in the inbound ledger (its tags), or -1. */
  readonly stream: number;
  readonly protocolErrors: string[] = [];
  mediaFrames = 0;
  /** Speech frames that belonged to another call's Realtime session than the first one seen. */
  crossedFrames = 0;
  closed = false;
  private sessionStream = -1;
  private socket: WebSocket | undefined;
  private sequence = 0;
  private chunk = 0;
  private readonly speech: string[] = [];
  private readonly mediaPrefix: string;
  private stopAudio: (() => void) | undefined;

  constructor(
    private readonly address: BridgeAddress,
    private readonly options: BenchCallOptions = {},
  ) {
    this.stream = options.inbound ? options.inbound.addStream() : -1;
    this.mediaPrefix = `{"event":"media","streamSid":${JSON.stringify(this.streamSid)},"media":{"payload":"`;
  }

  /** The voice webhook, signed as Twilio signs it; returns the stream URL and token of the TwiML. */
  async webhook(): Promise<{ streamUrl: string; parameters: Record<string, string> }> {
    const params: Record<string, string> = {
      AccountSid: this.address.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.callSid,
      CallStatus: 'ringing',
      Called: '+14155550100',
      Caller: '+14155550123',
      Direction: 'inbound',
      From: '+14155550123',
      To: '+14155550100',
    };
    const signature = twilio.getExpectedTwilioSignature(this.address.authToken, this.address.voiceUrl, params);
    const response = await fetch(`${this.address.origin}${new URL(this.address.voiceUrl).pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    const body = await response.text();
    const streamUrl = /<Stream\b[^>]*\burl="([^"]+)"/.exec(body)?.[1];
    if (response.status !== 200 || !streamUrl) throw new Error(`the webhook answered ${response.status}: ${body.slice(0, 200)}`);
    const parameters: Record<string, string> = {};
    for (const match of body.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\s*\/>/g)) parameters[match[1]!] = match[2]!;
    return { streamUrl, parameters };
  }

  /** Opens the Media Stream and sends connected + start. */
  async connect(answer: { streamUrl: string; parameters: Record<string, string> }): Promise<void> {
    const publicUrl = new URL(answer.streamUrl);
    const signature = twilio.getExpectedTwilioSignature(this.address.authToken, answer.streamUrl, {});
    const socket = new WebSocket(`ws://${new URL(this.address.origin).host}${publicUrl.pathname}`, {
      headers: { 'x-twilio-signature': signature },
      perMessageDeflate: false,
      // An all-zero mask lets ws send frames unmasked-in-effect, without copying: the generator must stay cheaper
      // than what it measures. (Twilio masks, as every client must; the bridge unmasks either way.)
      generateMask: (mask) => mask.fill(0),
    });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`the stream upgrade was refused: ${response.statusCode}`)));
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.stopAudio?.();
    });
    socket.on('message', (data) => {
      const at = performance.now();
      this.received(data.toString(), at);
    });
    socket.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    socket.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: this.nextSequence(),
        start: {
          accountSid: this.address.accountSid,
          streamSid: this.streamSid,
          callSid: this.callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: answer.parameters,
        },
        streamSid: this.streamSid,
      }),
    );
  }

  /** Starts sending a media frame every 20 ms at `phaseMs` within the frame. */
  startAudio(clock: FrameClock, phaseMs: number): void {
    this.stopAudio = clock.add({ sendFrame: (now) => this.sendFrame(now) }, phaseMs);
  }

  /** Queues speech: these 160-byte frames go out in place of silence. */
  say(audio: Buffer): void {
    for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
      const frame = Buffer.alloc(FRAME_BYTES, 0xff);
      audio.copy(frame, 0, offset, Math.min(audio.length, offset + FRAME_BYTES));
      this.speech.push(frame.toString('base64'));
    }
  }

  get speaking(): boolean {
    return this.speech.length > 0;
  }

  /** Hangs up as Twilio does: stop, then close. */
  hangUp(): void {
    this.stopAudio?.();
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ event: 'stop', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, stop: { accountSid: this.address.accountSid, callSid: this.callSid } }));
    socket.close(1000);
  }

  terminate(): void {
    this.stopAudio?.();
    this.socket?.terminate();
  }

  private nextSequence(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private sendFrame(now: number): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    let payload: string;
    const inbound = this.options.inbound;
    if (inbound) {
      const frame = inbound.nextFrame(this.stream);
      if (frame < 0) return;
      payload = taggedPayload(this.stream, frame);
      inbound.sent(this.stream, frame, now);
    } else {
      payload = this.speech.shift() ?? SILENCE;
    }
    this.chunk += 1;
    this.sequence += 1;
    socket.send(
      `{"event":"media","sequenceNumber":"${this.sequence}","media":{"track":"inbound","chunk":"${this.chunk}","timestamp":"${this.chunk * FRAME_MS}","payload":"${payload}"},"streamSid":"${this.streamSid}"}`,
    );
  }

  private received(text: string, at: number): void {
    if (text.startsWith(this.mediaPrefix) && text.endsWith('"}}')) {
      this.mediaFrames += 1;
      this.options.onMedia?.(at);
      const outbound = this.options.outbound;
      if (!outbound) return;
      const start = this.mediaPrefix.length;
      const tag = readTag(text, start);
      if (tag < 0 || !restIsUntouched(text, start) || text.length !== start + SILENCE.length + 3) {
        outbound.altered += 1;
        return;
      }
      const session = tagStream(tag);
      if (this.sessionStream < 0) this.sessionStream = session;
      else if (session !== this.sessionStream) this.crossedFrames += 1;
      outbound.arrived(tag, at);
      return;
    }
    let frame: { event?: unknown; streamSid?: unknown; mark?: { name?: unknown } };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.protocolErrors.push('a frame from the bridge is not JSON');
      return;
    }
    if (frame.streamSid !== this.streamSid) {
      this.protocolErrors.push(`a ${String(frame.event)} frame names another stream`);
      return;
    }
    switch (frame.event) {
      case 'mark': {
        const name = frame.mark?.name;
        if (typeof name !== 'string') {
          this.protocolErrors.push('a mark frame without mark.name');
          return;
        }
        this.socket?.send(JSON.stringify({ event: 'mark', sequenceNumber: this.nextSequence(), streamSid: this.streamSid, mark: { name } }));
        this.options.onMark?.(name);
        return;
      }
      case 'clear':
        return;
      case 'media':
        this.protocolErrors.push('a media frame not in the exact shape {event, streamSid, media: {payload}}');
        return;
      default:
        this.protocolErrors.push(`an unknown event ${String(frame.event)}`);
    }
  }
}
