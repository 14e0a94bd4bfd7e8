// A fake Twilio call that does what Twilio does, built on the product's softphone (src/softphone): the signed voice
// webhook POST, the TwiML read back, the signed WebSocket upgrade to the <Stream> URL (its public host mapped to the
// local server), then connected/start and one 20 ms media frame after another with string counters, while it "plays"
// the audio it receives in real time: marks are echoed once the audio before them has played, `clear` drops what is
// buffered and echoes pending marks at once. Everything received is recorded, and frames Twilio would reject are
// listed as protocol errors. On top of the softphone, tests can send bad signatures and forged start frames.
import { randomBytes } from 'node:crypto';
import { phrasesInVoice, speechAudio } from '../fake-audio.js';
import { mapToServer } from '../../../src/softphone/place-call.js';
import { readStreamTwiml, StreamTwimlError } from '../../../src/softphone/stream-twiml.js';
import { signTwilioRequest } from '../../../src/softphone/twilio-request-signer.js';
import { StreamRefusedError, TwilioStreamClient } from '../../../src/softphone/twilio-stream-client.js';

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
  private stream: TwilioStreamClient | undefined;
  private readonly heardAudio: Buffer[] = [];
  private heardBytes = 0;
  /** How much of the heard audio the bridge knows was heard: the audio played before the last echoed mark. */
  private markedBytes = 0;

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
    const response = await fetch(mapToServer(this.options.voiceUrl, this.options.serverOrigin, 'http'), {
      method: 'POST',
      headers,
      body: new URLSearchParams(params).toString(),
    });
    const body = await response.text();
    try {
      const twiml = readStreamTwiml(body);
      return { status: response.status, body, streamUrl: twiml.url, parameters: twiml.parameters };
    } catch (error) {
      if (error instanceof StreamTwimlError) return { status: response.status, body, parameters: {} };
      throw error;
    }
  }

  /** Opens the Media Stream the TwiML asked for and starts streaming. Rejects when the upgrade is refused. */
  async connectStream(answer: Pick<WebhookAnswer, 'streamUrl' | 'parameters'>, options: StreamOptions = {}): Promise<void> {
    const streamUrl = answer.streamUrl;
    if (!streamUrl?.startsWith('wss://')) throw new Error(`Twilio needs a wss:// Stream URL, got ${streamUrl}`);
    const signature = options.signature ?? 'valid';
    try {
      this.stream = await TwilioStreamClient.open({
        socketUrl: mapToServer(streamUrl, this.options.serverOrigin, 'ws'),
        ...(signature === 'missing' ? {} : { signature: this.sign(streamUrl, {}, signature) }),
        start: { accountSid: this.accountSid, callSid: options.callSid ?? this.callSid, streamSid: this.streamSid, customParameters: options.parameters ?? answer.parameters },
      });
    } catch (error) {
      if (error instanceof StreamRefusedError) throw new Error(`the bridge refused the WebSocket upgrade: ${error.status}`, { cause: error });
      throw error;
    }
    const stream = this.stream;
    stream.on('frame', (frame) => this.received.push(frame));
    stream.on('protocolError', (problem) => this.protocolErrors.push(problem));
    stream.on('played', (audio) => {
      this.heardAudio.push(audio);
      this.heardBytes += audio.length;
    });
    stream.on('mark', (name, cleared) => {
      this.echoedMarks.push({ name, cleared });
      this.markedBytes = this.heardBytes;
    });
    stream.on('clear', () => (this.clears += 1));
    stream.on('closed', (code, reason) => (this.closed = { code, reason }));
  }

  /** Speaks: loud audio carrying `text`, then back to silence. Resolves once the last frame of it is sent. */
  say(text: string, options: { durationMs?: number } = {}): Promise<void> {
    return this.opened().say(speechAudio(text, options.durationMs ?? 300));
  }

  /** Each utterance heard so far, as far as it played (a cleared one is cut short). */
  heard(): string[] {
    return phrasesInVoice(Buffer.concat(this.heardAudio));
  }

  /** Milliseconds of received audio still waiting to play. */
  bufferedMs(): number {
    return this.stream?.bufferedMs() ?? 0;
  }

  /** Waits until `condition` holds (checked on every frame in or out). */
  async waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const stream = this.opened();
    // Once the stream is closed nothing changes any more, but the condition may already hold.
    const held = (await stream.waitFor(condition, timeoutMs)) || condition();
    if (!held) {
      const why = stream.closed ? `the stream closed (${stream.closed.code}) before` : 'timed out waiting until';
      throw new Error(`${why} ${what}; heard so far: ${JSON.stringify(this.heard())}`);
    }
  }

  /**
   * Waits until `text` has been heard, to its last character, and the mark after it echoed: from then on the bridge
   * knows it was heard, so what the caller says next is an answer, not a barge-in. (Without the mark, a stalled test
   * process can play the rest of the audio before the mark arrives.) Once the stream is closed, heard is enough.
   */
  waitToHear(text: string, timeoutMs = 10_000): Promise<void> {
    const heardIn = (audio: Buffer): boolean => phrasesInVoice(audio).some((phrase) => phrase.includes(text));
    return this.waitFor(
      () => {
        const audio = Buffer.concat(this.heardAudio);
        return heardIn(this.closed ? audio : audio.subarray(0, this.markedBytes));
      },
      `the caller heard "${text}"`,
      timeoutMs,
    );
  }

  /** Presses keys on the keypad, one dtmf frame each. */
  pressKeys(digits: string): void {
    const stream = this.opened();
    for (const digit of digits) stream.pressKey(digit);
  }

  /** The caller hangs up: Twilio sends stop and closes the socket. */
  async hangUp(): Promise<void> {
    if (!this.stream || this.closed) return;
    await this.stream.hangUp();
  }

  waitForClose(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    if (!this.stream) return Promise.reject(new Error('the stream was never opened'));
    return this.stream.waitForClose(timeoutMs);
  }

  /** Stops the clock and drops the connection without a stop frame (a network failure). */
  drop(): void {
    this.stream?.drop();
  }

  private opened(): TwilioStreamClient {
    if (!this.stream) throw new Error('the stream was never opened');
    return this.stream;
  }

  private sign(url: string, params: Record<string, string>, mode: SignatureMode): string {
    return signTwilioRequest(mode === 'wrong' ? hex(16) : this.options.authToken, url, params);
  }
}
