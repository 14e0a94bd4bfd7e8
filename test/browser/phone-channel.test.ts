// The browser phone's channel and line on their own, with a stand-in socket and voice engine and a fake clock: what
// the page is sent (binary audio, the sentence as its audio starts, marks, clear, the interrupted sentence), what its
// echoes mean (heard, or flushed by a clear), and a page whose audio stops coming taken for lost after 15 s.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import type { SpeechEnd } from '../../src/call/call-channel.js';
import type { CallLogger } from '../../src/log/call-log.js';
import { PhoneChannel } from '../../src/transports/browser/phone-channel.js';
import { PhoneLine } from '../../src/transports/browser/phone-line.js';
import type { VoiceEngine } from '../../src/voice/voice-engine.js';

class StandInSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Array<string | Buffer> = [];
  send(data: string | Buffer): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
    this.emit('close');
  }
  /** What the page would receive as text, parsed. */
  messages(): unknown[] {
    return this.sent.filter((data): data is string => typeof data === 'string').map((data) => JSON.parse(data) as unknown);
  }
  audio(): Buffer[] {
    return this.sent.filter((data): data is Buffer => Buffer.isBuffer(data));
  }
  fromPage(data: string | Buffer): void {
    this.emit('message', Buffer.isBuffer(data) ? data : Buffer.from(data), Buffer.isBuffer(data));
  }
}

class StandInEngine extends EventEmitter {
  readonly name = 'Stand-in voice';
  readonly isReady = true;
  readonly heardFromCaller: string[] = [];
  /** GPT-Live takes the turns itself ('engine'); Realtime leaves them to the bridge. */
  turnTaking: 'bridge' | 'engine' | undefined = undefined;
  cancelled = 0;
  private speeches = 0;
  sendCallerAudio(payload: string): void {
    this.heardFromCaller.push(payload);
  }
  speak(): string {
    this.speeches += 1;
    return `speech-${this.speeches}`;
  }
  cancelSpeaking(): void {
    this.cancelled += 1;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const warnings: string[] = [];
const log: CallLogger = { info: () => undefined, warn: (message) => warnings.push(message), error: () => undefined };

let socket: StandInSocket;
let engine: StandInEngine;
let channel: PhoneChannel;
let ends: Array<[string, SpeechEnd]>;
let lost: string[];
let protocolErrors: string[];

beforeEach(() => {
  vi.useFakeTimers();
  warnings.length = 0;
  socket = new StandInSocket();
  engine = new StandInEngine();
  protocolErrors = [];
  const line = new PhoneLine(socket as unknown as WebSocket, (problem) => protocolErrors.push(problem), () => Date.now());
  channel = new PhoneChannel({ line, engine: engine as unknown as VoiceEngine, frames: { toVoice: 0, toCaller: 0 }, log });
  ends = [];
  lost = [];
  channel.on('speechEnded', (id, end) => ends.push([id, end]));
  channel.on('lost', (reason) => lost.push(reason));
  channel.start();
});

afterEach(async () => {
  await channel.close();
  vi.useRealTimers();
});

describe('the browser phone channel', () => {
  it('sends the sentence as its audio starts, the audio as binary, then a mark whose echo means heard', () => {
    const id = channel.say('We open at nine.', { label: 'reply' });
    expect(socket.sent).toEqual([]);
    engine.emit('audio', id, Buffer.from([1, 2, 3, 4]).toString('base64'));
    engine.emit('audio', id, Buffer.from([5, 6]).toString('base64'));
    engine.emit('speechDone', id, 'completed');
    expect(socket.messages()).toEqual([
      { type: 'agent', id: 'speech-1', text: 'We open at nine.' },
      { type: 'mark', name: 'reply-1' },
    ]);
    expect(socket.audio()).toEqual([Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6])]);
    // 6 bytes of 8 kHz μ-law: 0.75 ms still to play.
    expect(channel.unplayedAudioMs()).toBe(0.75);
    expect(ends).toEqual([]);
    socket.fromPage(JSON.stringify({ type: 'mark', name: 'reply-1' }));
    expect(ends).toEqual([['speech-1', 'heard']]);
  });

  it('barge-in: clear, the interrupted sentence named, and the pending mark’s echo taken as flushed by the line, not as a bad message', () => {
    const id = channel.say('We open at nine.', { label: 'reply' });
    engine.emit('audio', id, Buffer.from([1, 2]).toString('base64'));
    engine.emit('speechDone', id, 'completed');
    channel.stopTalking();
    expect(engine.cancelled).toBe(1);
    expect(socket.messages().slice(2)).toEqual([{ type: 'clear' }, { type: 'interrupted', id: 'speech-1' }]);
    expect(channel.unplayedAudioMs()).toBe(0);
    socket.fromPage(JSON.stringify({ type: 'mark', name: 'reply-1' }));
    expect(ends).toEqual([]);
    expect(protocolErrors).toEqual([]);
  });

  it('shows a sentence a voice that takes turns said in one breath with the one before, which has no audio of its own', () => {
    engine.turnTaking = 'engine';
    const first = channel.say('I heard you.', { label: 'reply' });
    const second = channel.say('I am the simulated agent.', { label: 'reply' });
    engine.emit('audio', first, Buffer.from([1, 2]).toString('base64'));
    engine.emit('speechDone', first, 'completed');
    engine.emit('speechDone', second, 'completed');
    expect(socket.messages()).toEqual([
      { type: 'agent', id: 'speech-1', text: 'I heard you.' },
      { type: 'mark', name: 'reply-1' },
      { type: 'agent', id: 'speech-2', text: 'I am the simulated agent.' },
    ]);
    expect(ends).toEqual([['speech-2', 'completed']]);
  });

  it('shows nothing for a sentence that ended without audio when the bridge takes the turns, or that was cancelled', () => {
    const silent = channel.say('Never voiced.', { label: 'reply' });
    engine.emit('speechDone', silent, 'completed');
    engine.turnTaking = 'engine';
    const cancelled = channel.say('Dropped.', { label: 'reply' });
    engine.emit('speechDone', cancelled, 'cancelled');
    expect(socket.messages()).toEqual([]);
    expect(ends).toEqual([
      ['speech-1', 'completed'],
      ['speech-2', 'cancelled'],
    ]);
  });

  it('passes the page’s frames to the voice as base64, and takes keypad digits and a hang-up', () => {
    const hungUp: number[] = [];
    const keys: string[] = [];
    channel.on('hungUp', () => hungUp.push(1));
    channel.on('keypad', (digit) => keys.push(digit));
    socket.fromPage(Buffer.alloc(160, 0xff));
    socket.fromPage(JSON.stringify({ type: 'dtmf', digit: '7' }));
    socket.fromPage(JSON.stringify({ type: 'dtmf', digit: 'x' }));
    socket.fromPage(JSON.stringify({ type: 'hangup' }));
    expect(engine.heardFromCaller).toEqual([Buffer.alloc(160, 0xff).toString('base64')]);
    expect(keys).toEqual(['7']);
    expect(hungUp).toEqual([1]);
    expect(protocolErrors).toEqual(['a dtmf message without a keypad digit']);
  });

  it('takes a page whose audio stops for 15 s for lost, within one check (3 s) of it and not before', () => {
    for (let at = 0; at < 100; at += 1) {
      socket.fromPage(Buffer.alloc(160, 0xff));
      vi.advanceTimersByTime(20);
    }
    vi.advanceTimersByTime(15_000);
    expect(lost).toEqual([]);
    vi.advanceTimersByTime(3_000);
    expect(lost).toEqual(['no audio from the page']);
    expect(warnings).toEqual(['No audio from the page for 15 s while its socket stayed open: the page is taken for lost']);
  });

  it('tells the page why the call ended when it closes the line', async () => {
    await channel.close();
    expect(socket.messages()).toEqual([{ type: 'ended', reason: 'The call ended.' }]);
    expect(socket.readyState).toBe(3);
  });
});
