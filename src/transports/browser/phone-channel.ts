// The call channel of a browser phone call: the page's socket on one side, the voice engine on the other. It is the
// same marked channel as a Media Streams call's (caller audio to the engine untouched; each piece of speech followed
// by a mark whose echo says the caller heard it; barge-in is `clear` plus the engine's cancel), so the page hears
// exactly what a phone caller would. It also tells the page what is happening, so the conversation shows as it is
// heard: the caller's words, each of the agent's sentences as its audio starts, and the sentences the caller cut short.
import type { CallerUtterance } from '../../call/call-channel.js';
import type { FrameCounters } from '../../call/call-metrics.js';
import type { CallLogger } from '../../log/call-log.js';
import type { VoiceEngine } from '../../voice/voice-engine.js';
import { MarkedChannel, type Playback } from '../common/marked-channel.js';
import type { PhoneLine, PhoneLineEvents } from './phone-line.js';

/**
 * The page sends a frame every 20 ms while the call lasts, silence included: a socket that stays open and sends none
 * for this long belongs to a page that froze or lost its network, and the call would otherwise hold its connections.
 */
export const DEFAULT_PAGE_SILENCE_TIMEOUT_MS = 15_000;

export interface PhoneChannelOptions {
  line: PhoneLine;
  engine: VoiceEngine;
  frames: FrameCounters;
  log: CallLogger;
  /** How long the page may send no audio before the call is taken for lost (default 15 s). */
  pageSilenceTimeoutMs?: number;
}

export class PhoneChannel extends MarkedChannel<PhoneLine, PhoneLineEvents> {
  constructor(options: PhoneChannelOptions) {
    const { line, engine, frames, log } = options;
    super(
      { line, engine, frames, log, silenceTimeoutMs: options.pageSilenceTimeoutMs ?? DEFAULT_PAGE_SILENCE_TIMEOUT_MS },
      {
        closed: 'the page closed its socket',
        silent: 'no audio from the page',
        silentWarning: (silence) => `No audio from the page for ${silence} while its socket stayed open: the page is taken for lost`,
      },
    );
  }

  protected listenForHangUp(): void {
    this.onLine('hangUp', () => this.emit('hungUp'));
  }

  protected override callerSaid(utterance: CallerUtterance): void {
    this.line.send({ type: 'caller', text: utterance.text });
    super.callerSaid(utterance);
  }

  /** The sentence shows on the page as its audio starts, not when it was asked for. */
  protected override audioStarting(piece: Playback): void {
    if (piece.text) this.line.send({ type: 'agent', id: piece.speechId, text: piece.text });
  }

  /** GPT-Live said this sentence in the same breath as an earlier one: it shows too, or the page would lose it. */
  protected override saidAlong(piece: Playback): void {
    this.line.send({ type: 'agent', id: piece.speechId, text: piece.text });
  }

  protected override cutShort(piece: Playback): void {
    this.line.send({ type: 'interrupted', id: piece.speechId });
  }
}
