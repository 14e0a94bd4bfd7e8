// The call channel of a Media Streams call: Twilio's stream on one side, the voice engine on the other. Caller audio
// goes to the engine untouched; each piece of speech the engine produces goes to Twilio followed by a mark, and the
// mark's echo is the news that the caller heard it to the end. Barge-in is Twilio's `clear` plus the engine's cancel.
// The mark ledger, `clear`, the playback estimate and the silent-line check are the common marked channel's, so the
// call core never sees a frame or a mark.
import type { FrameCounters } from '../../call/call-metrics.js';
import type { CallLogger } from '../../log/call-log.js';
import type { VoiceEngine } from '../../voice/voice-engine.js';
import { MarkedChannel } from '../common/marked-channel.js';
import type { CallerLine, CallerLineEvents } from './caller-line.js';

/**
 * Twilio sends a media frame every 20 ms for as long as the call lasts, silence included: a started stream that sends
 * none for this long was lost without a close (a network failure), and the call would otherwise hold its connections
 * for ever.
 */
export const DEFAULT_LINE_SILENCE_TIMEOUT_MS = 15_000;

export interface MediaStreamsChannelOptions {
  line: CallerLine;
  engine: VoiceEngine;
  /** Counted with a bare increment per frame, nothing else on the hot path. */
  frames: FrameCounters;
  log: CallLogger;
  /** How long a started stream may send no audio before it is taken for lost (default 15 s). */
  lineSilenceTimeoutMs?: number;
}

export class MediaStreamsChannel extends MarkedChannel<CallerLine, CallerLineEvents> {
  constructor(options: MediaStreamsChannelOptions) {
    const { line, engine, frames, log } = options;
    super(
      { line, engine, frames, log, silenceTimeoutMs: options.lineSilenceTimeoutMs ?? DEFAULT_LINE_SILENCE_TIMEOUT_MS },
      {
        closed: 'stream closed',
        silent: 'no audio from Twilio',
        silentWarning: (silence) => `No audio from Twilio for ${silence} while the stream stayed open: the connection to Twilio is taken for lost`,
      },
    );
  }

  protected listenForHangUp(): void {
    this.onLine('stop', () => this.emit('hungUp'));
  }
}
