// Tells what the caller hears as it happens, from the marks the bridge puts after each piece of speech: each piece
// heard to the end, each one cut off by a clear, and anything Twilio would report as a protocol error. Keeps the
// audio that played, for recording.
import { BYTES_PER_MS, type TwilioStreamClient } from './twilio-stream-client.js';

export interface CallNarrationOptions {
  print: (line: string) => void;
  /** The words in a piece of the agent's audio, for voices whose audio can be read back (the simulator's). */
  wordsIn?: (audio: Buffer) => string | undefined;
}

export class CallNarration {
  /** Marks echoed after their audio played, in order. */
  readonly marksPlayed: string[] = [];
  /** Marks flushed by a clear: their audio was not all heard. */
  readonly marksCleared: string[] = [];
  readonly protocolErrors: string[] = [];
  clears = 0;
  private readonly heard: Buffer[] = [];
  private piece: Buffer[] = [];

  constructor(
    private readonly stream: TwilioStreamClient,
    private readonly options: CallNarrationOptions,
  ) {
    stream.on('played', (audio) => {
      this.heard.push(audio);
      this.piece.push(audio);
    });
    stream.on('mark', (name, cleared) => this.mark(name, cleared));
    stream.on('clear', (droppedBytes) => {
      this.clears += 1;
      this.print(`clear: the bridge dropped ${seconds(droppedBytes)} of unplayed audio (the caller spoke over the agent)`);
    });
    stream.on('protocolError', (problem) => {
      this.protocolErrors.push(problem);
      this.print(`! Twilio would report error ${problem}`);
    });
  }

  /** Everything that played to the caller, in order (8 kHz μ-law). */
  heardAudio(): Buffer {
    return Buffer.concat(this.heard);
  }

  /** A line stamped with the time into the call. */
  print(text: string): void {
    this.options.print(`${(this.stream.elapsedMs() / 1000).toFixed(2).padStart(6)}s  ${text}`);
  }

  private mark(name: string, cleared: boolean): void {
    const audio = Buffer.concat(this.piece);
    this.piece = [];
    const words = audio.length > 0 ? this.options.wordsIn?.(audio) : undefined;
    const said = words ? `: "${words}"` : '';
    if (cleared) {
      this.marksCleared.push(name);
      this.print(`${name} cut off by clear (${seconds(audio.length)} heard)${said}`);
    } else {
      this.marksPlayed.push(name);
      this.print(`heard ${name} (${seconds(audio.length)})${said}`);
    }
  }
}

function seconds(bytes: number): string {
  return `${(bytes / BYTES_PER_MS / 1000).toFixed(1)} s`;
}
