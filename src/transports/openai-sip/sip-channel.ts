// The call channel of a call OpenAI answered over SIP: the voice engine attached to the call's sideband is the whole
// line. No audio reaches the bridge. The service says when a piece of speech starts and stops playing to the caller
// (Realtime's output_audio_buffer events), which stand in for Media Streams' marks; an engine that says nothing of
// playback (GPT-Live) ends a piece when it has voiced it. Barge-in is the engine's cancel plus the service dropping
// what it still has to play; the caller's hang-up is the service ending the session.
import type { CallChannel, SayOptions, SpeechEnd } from '../../call/call-channel.js';
import type { VoiceEngine } from '../../voice/voice-engine.js';
import { EngineChannel } from '../common/engine-channel.js';

export interface SipChannelOptions {
  engine: VoiceEngine;
  /** Whether the engine reports playback (playbackStarted/playbackEnded): a piece then ends when it has played. */
  playbackNews: boolean;
}

interface Piece {
  speechId: string;
  /** Its first audio reached the caller's line. */
  audible: boolean;
  /** The engine has produced all of it; with playback news it still has to finish playing. */
  voiced: boolean;
}

export class SipChannel extends EngineChannel implements CallChannel {
  private readonly pieces = new Map<string, Piece>();
  /** The engine failed, or the service ended the session: nothing more can be said over this channel. */
  private voiceGone = false;

  constructor(private readonly options: SipChannelOptions) {
    super(options.engine);
  }

  /** Whether the voice can still speak on this call: connected, or about to be. */
  get voiceAlive(): boolean {
    return this.closing === undefined && !this.voiceGone;
  }

  start(): void {
    this.forwardVoiceNews();
    this.onEngine('audio', (speechId) => this.audible(speechId));
    this.onEngine('playbackStarted', (speechId) => this.audible(speechId));
    this.onEngine('playbackEnded', (speechId, end) => this.ended(speechId, end));
    this.onEngine('speechDone', (speechId, outcome) => this.voiced(speechId, outcome));
    this.onEngine('speechStarted', (speechId) => {
      if (!this.closing && !this.pieces.has(speechId)) this.pieces.set(speechId, { speechId, audible: false, voiced: false });
    });
    this.onEngine('keypad', (digit) => this.emit('keypad', digit));
    this.onEngine('failed', (message) => {
      this.voiceGone = true;
      this.emit('voiceFailed', message);
    });
    this.onEngine('sessionEnded', () => {
      this.voiceGone = true;
      this.emit('hungUp');
    });
  }

  say(text: string, options: SayOptions): string {
    const speechId = this.speak(text, options);
    this.pieces.set(speechId, { speechId, audible: false, voiced: false });
    return speechId;
  }

  /** Says `text` outside the call core's turns (the words before a transfer) and resolves once it has been heard. */
  sayAndWait(text: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const speechId = this.say(text, { label: 'farewell' });
      const done = (id: string): void => {
        if (id !== speechId) return;
        clearTimeout(timer);
        this.off('speechEnded', done);
        resolve();
      };
      const timer = setTimeout(() => done(speechId), timeoutMs);
      this.on('speechEnded', done);
    });
  }

  stopTalking(): void {
    const unplayed = [...this.pieces.values()];
    if (unplayed.length > 0) this.engine.cancelSpeaking();
    if (unplayed.some((piece) => piece.audible)) this.engine.flushPlayback?.();
    this.pieces.clear();
  }

  /** The service plays the speech itself and keeps no more than it is saying: nothing waits on the caller's phone. */
  unplayedAudioMs(): number {
    return 0;
  }

  flushPlayback(): void {
    this.engine.flushPlayback?.();
  }

  protected dropPlayback(): void {
    this.pieces.clear();
  }

  private audible(speechId: string): void {
    const piece = this.pieces.get(speechId);
    if (!piece || piece.audible) return;
    piece.audible = true;
    this.emit('speechAudible', speechId);
  }

  private voiced(speechId: string, outcome: 'completed' | 'cancelled' | 'failed'): void {
    const piece = this.pieces.get(speechId);
    if (!piece) return;
    piece.voiced = true;
    // Speech the service produced ends when it says the speech stopped playing; anything else ends here.
    if (this.options.playbackNews && outcome === 'completed') return;
    this.pieces.delete(speechId);
    this.emit('speechEnded', speechId, outcome);
  }

  private ended(speechId: string, end: SpeechEnd): void {
    const piece = this.pieces.get(speechId);
    if (!piece) return;
    this.pieces.delete(speechId);
    this.emit('speechEnded', speechId, end);
  }
}
