// The browser phone's page as a test drives it: a WebSocket client speaking the page's protocol. It sends a 20 ms
// μ-law frame every 20 ms (silence, or the speech queued by `say`), records everything serve sends, and echoes marks
// as the page does: at once (the audio counts as played on arrival), or held until released; a `clear` echoes every
// held mark at once.
import WebSocket from 'ws';
import { speechAudio, phrasesInVoice, FRAME_BYTES, MULAW_SILENCE } from '../fakes/fake-audio.js';
import type { ServerMessage } from '../../src/transports/browser/phone-protocol.js';

export interface FakePageOptions {
  /** The token to present; undefined presents none. */
  token: string | undefined;
  /** The Origin header (default: the server's own). */
  origin?: string;
}

export class FakePage {
  readonly messages: ServerMessage[] = [];
  readonly audio: Buffer[] = [];
  /** Marks echoed, and whether a clear flushed them. */
  readonly echoed: Array<{ name: string; cleared: boolean }> = [];
  holdMarks = false;
  private readonly held: string[] = [];
  private readonly queued: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;
  closeCode: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        this.audio.push(bytes);
        return;
      }
      const message = JSON.parse(bytes.toString('utf8')) as ServerMessage;
      this.messages.push(message);
      if (message.type === 'mark') {
        if (this.holdMarks) this.held.push(message.name);
        else this.echo(message.name, false);
      }
      if (message.type === 'clear') for (const name of this.held.splice(0)) this.echo(name, true);
    });
    socket.on('close', (code) => (this.closeCode = code));
    this.timer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(this.queued.shift() ?? Buffer.alloc(FRAME_BYTES, MULAW_SILENCE));
    }, 20);
  }

  /** Opens the page's socket; rejects with the HTTP status when the upgrade is refused. */
  static open(port: number, options: FakePageOptions): Promise<FakePage> {
    const protocols = options.token === undefined ? ['voicebridge-phone'] : ['voicebridge-phone', `token.${options.token}`];
    const socket = new WebSocket(`ws://127.0.0.1:${port}/phone/socket`, protocols, { origin: options.origin ?? `http://127.0.0.1:${port}` });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new FakePage(socket)));
      socket.once('unexpected-response', (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** Speaks: loud audio carrying `text`, frame by frame in real time, then back to silence. */
  say(text: string): void {
    const audio = speechAudio(text);
    for (let at = 0; at < audio.length; at += FRAME_BYTES) this.queued.push(audio.subarray(at, at + FRAME_BYTES));
  }

  /** Echoes the held marks as played. */
  releaseMarks(): void {
    for (const name of this.held.splice(0)) this.echo(name, false);
  }

  /** What the agent's voice said, phrase by phrase. */
  heard(): string[] {
    return phrasesInVoice(Buffer.concat(this.audio));
  }

  of<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.messages.filter((message): message is Extract<ServerMessage, { type: T }> => message.type === type);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }

  private echo(name: string, cleared: boolean): void {
    this.echoed.push({ name, cleared });
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'mark', name }));
  }
}
