// The GPT-Live voice engine against a GPT-Live service that accepts the socket and then says nothing, or stops
// answering: every wait is bounded, one new session per call is tried, and only audio of this call's session is played.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createMemoryLog } from '../../src/log/call-log.js';
import { LiveVoiceEngine } from '../../src/voice/live-voice-engine.js';
import type { ServiceWatchdogTimeouts } from '../../src/voice/service-watchdog.js';
import type { SpeechOutcome } from '../../src/voice/voice-engine.js';
import { phrasesInVoice } from '../fakes/fake-audio.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';

let fake: FakeOpenAI | undefined;
let engine: LiveVoiceEngine | undefined;
const servers: WebSocketServer[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await fake?.close();
  fake = undefined;
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

function engineOn(baseURL: string, timeouts: ServiceWatchdogTimeouts): LiveVoiceEngine {
  engine = new LiveVoiceEngine({ apiKey: FAKE_OPENAI_KEY, baseURL, voice: 'marin', log: createMemoryLog().forCall('CA1'), ...timeouts });
  return engine;
}

/** Everything the engine tells about its connection, in order. */
function recordConnection(voice: LiveVoiceEngine) {
  const events: string[] = [];
  voice.on('ready', () => events.push('ready'));
  voice.on('reconnecting', (reason) => events.push(`reconnecting: ${reason}`));
  voice.on('reconnected', () => events.push('reconnected'));
  voice.on('failed', (message) => events.push(`failed: ${message}`));
  return events;
}

function recordSpeech(voice: LiveVoiceEngine) {
  const audio = new Map<string, Buffer[]>();
  const done: Array<[string, SpeechOutcome]> = [];
  voice.on('audio', (id, payload) => audio.set(id, [...(audio.get(id) ?? []), Buffer.from(payload, 'base64')]));
  voice.on('speechDone', (id, outcome) => done.push([id, outcome]));
  return { said: (id: string) => phrasesInVoice(Buffer.concat(audio.get(id) ?? [])), done, payloads: () => [...audio.values()].flat() };
}

function until(voice: LiveVoiceEngine, event: 'failed' | 'reconnected'): Promise<void> {
  return within(2_000, new Promise<void>((resolve) => voice.once(event, () => resolve())));
}

/** Resolves as `promise` does, or rejects after `ms`: a wait on the engine that never ends fails the test quickly. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing happened within ${ms} ms`)), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** A GPT-Live service on loopback that answers as the test says; WebSocket pings are answered unless `autoPong` is false. */
async function scriptedService(answer: (event: { type: string }, socket: WebSocket) => void, options: { autoPong?: boolean } = {}): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong ?? true });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => socket.on('message', (data) => answer(JSON.parse(data.toString()) as { type: string }, socket)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const sessionStarted = JSON.stringify({ type: 'session.started', event_id: 'e1', session: { id: 'sess_1', model: 'gpt-live-1' } });

describe('the GPT-Live voice engine on a service that accepts the socket and then says nothing', () => {
  it('gives up after one more try when GPT-Live answers pings but never starts the session', async () => {
    fake = await FakeOpenAI.start();
    fake.live.hangSessions = 2;
    const voice = engineOn(fake.baseURL, { startTimeoutMs: 100 });
    const events = recordConnection(voice);
    voice.speak('Hello, how can I help?');
    await until(voice, 'failed');
    expect(events).toEqual([
      'reconnecting: GPT-Live did not confirm the session within 100 ms',
      'failed: GPT-Live did not confirm the session within 100 ms, and reconnecting failed: GPT-Live did not confirm the session within 100 ms',
    ]);
    expect(fake.live.connections).toHaveLength(2);
  });

  it('starts a new session when GPT-Live goes silent after starting, and the new one says the greeting', async () => {
    fake = await FakeOpenAI.start();
    fake.live.hangSpeech = 1;
    const voice = engineOn(fake.baseURL, { responseTimeoutMs: 200 });
    const events = recordConnection(voice);
    const speech = recordSpeech(voice);
    const greeting = voice.speak('Hello, how can I help?');
    await within(3_000, new Promise<void>((resolve) => voice.on('speechDone', (id) => id === greeting && resolve())));
    expect(events).toEqual(['ready', 'reconnecting: GPT-Live sent no audio within 200 ms of being asked to speak', 'reconnected']);
    expect(speech.said(greeting)).toEqual(['Hello, how can I help?']);
    const [first, second] = fake.live.connections;
    expect(first!.spoken).toEqual([]);
    expect(second!.spoken).toEqual(['Hello, how can I help?']);
  });

  it('gives up when the new session is silent too', async () => {
    fake = await FakeOpenAI.start();
    fake.live.hangSpeech = 2;
    const voice = engineOn(fake.baseURL, { responseTimeoutMs: 200 });
    const events = recordConnection(voice);
    voice.speak('Hello, how can I help?');
    await until(voice, 'failed');
    expect(events).toEqual([
      'ready',
      'reconnecting: GPT-Live sent no audio within 200 ms of being asked to speak',
      'reconnected',
      'failed: GPT-Live sent no audio within 200 ms of being asked to speak',
    ]);
  });

  it('does not take the silence after a refused sentence for a silent service', async () => {
    const baseURL = await scriptedService((event, socket) => {
      if (event.type === 'session.start') socket.send(sessionStarted);
      if (event.type !== 'session.commentary.append') return;
      const clientEventId = (event as { event_id?: string }).event_id;
      socket.send(JSON.stringify({ type: 'error', event_id: 'e2', client_event_id: clientEventId, error: { type: 'invalid_request_error', code: 'invalid_value', message: 'Refused.' } }));
    });
    const voice = engineOn(baseURL, { responseTimeoutMs: 100 });
    const events = recordConnection(voice);
    const speech = recordSpeech(voice);
    const id = voice.speak('Hello, how can I help?');
    await within(2_000, new Promise<void>((resolve) => voice.on('speechDone', () => resolve())));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(speech.done).toEqual([[id, 'failed']]);
    expect(events).toEqual(['ready']);
  });

  it('treats a started session that stops answering, even pings, as lost, and reconnects once per call', async () => {
    const baseURL = await scriptedService(
      (event, socket) => {
        if (event.type === 'session.start') socket.send(sessionStarted);
      },
      { autoPong: false },
    );
    const voice = engineOn(baseURL, { livenessCheckMs: 20 });
    const events = recordConnection(voice);
    await until(voice, 'failed');
    expect(events).toEqual([
      'ready',
      'reconnecting: GPT-Live stopped answering (nothing for 40 ms, not even a reply to a ping)',
      'reconnected',
      'failed: GPT-Live stopped answering (nothing for 40 ms, not even a reply to a ping)',
    ]);
  });
});

describe('the GPT-Live voice engine and audio it did not ask for', () => {
  it('plays no audio sent before the session started', async () => {
    const early = Buffer.alloc(160, 0x11).toString('base64');
    const later = Buffer.alloc(160, 0x22).toString('base64');
    const baseURL = await scriptedService((event, socket) => {
      if (event.type !== 'session.start') return;
      socket.send(JSON.stringify({ type: 'session.output_audio.delta', event_id: 'e0', delta: early }));
      socket.send(sessionStarted);
      socket.send(JSON.stringify({ type: 'session.output_audio.delta', event_id: 'e2', delta: later }));
    });
    const voice = engineOn(baseURL, {});
    const warnings: string[] = [];
    voice.on('warning', (message) => warnings.push(message));
    const played: string[] = [];
    voice.on('audio', (_id, payload) => played.push(payload));
    await within(2_000, new Promise<void>((resolve) => voice.once('audio', () => resolve())));
    expect(played).toEqual([later]);
    expect(warnings).toEqual(['GPT-Live sent audio before the session started; dropped']);
  });
});
