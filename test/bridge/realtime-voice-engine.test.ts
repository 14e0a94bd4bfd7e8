// The Realtime voice engine against the fake Realtime service, through a real ws connection.
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createMemoryLog } from '../../src/log/call-log.js';
import { realtimeUrl, RealtimeVoiceEngine } from '../../src/voice/realtime-voice-engine.js';
import type { SpeechOutcome } from '../../src/voice/voice-engine.js';
import { phrasesInVoice, speechAudio } from '../fakes/fake-audio.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';

let fake: FakeOpenAI | undefined;
let engine: RealtimeVoiceEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await fake?.close();
  fake = undefined;
});

function openEngine(apiKey = FAKE_OPENAI_KEY): RealtimeVoiceEngine {
  engine = new RealtimeVoiceEngine({
    apiKey,
    baseURL: fake!.baseURL,
    model: 'gpt-realtime-2.1',
    transcribeModel: 'gpt-transcribe',
    voice: 'cedar',
    log: createMemoryLog().forCall('CA1'),
    silenceDurationMs: 200,
  });
  return engine;
}

/** Collects an engine's speech: audio per speech ID, and how each ended. */
function recordSpeech(voice: RealtimeVoiceEngine) {
  const audio = new Map<string, Buffer[]>();
  const done: Array<[string, SpeechOutcome]> = [];
  voice.on('audio', (id, payload) => audio.set(id, [...(audio.get(id) ?? []), Buffer.from(payload, 'base64')]));
  voice.on('speechDone', (id, outcome) => done.push([id, outcome]));
  return { said: (id: string) => phrasesInVoice(Buffer.concat(audio.get(id) ?? [])), done };
}

const until = (voice: RealtimeVoiceEngine, event: 'ready' | 'failed') => new Promise<unknown[]>((resolve) => voice.once(event, (...args: unknown[]) => resolve(args)));

describe('the Realtime voice engine', () => {
  it('derives ws:// or wss:// from the base URL', () => {
    expect(realtimeUrl('http://127.0.0.1:4010/v1', 'gpt-realtime-2.1')).toBe('ws://127.0.0.1:4010/v1/realtime?model=gpt-realtime-2.1');
    expect(realtimeUrl('https://api.openai.com/v1/', 'gpt-realtime-2.1')).toBe('wss://api.openai.com/v1/realtime?model=gpt-realtime-2.1');
  });

  it('speaks one piece at a time, in order, each word for word', async () => {
    fake = await FakeOpenAI.start();
    const voice = openEngine();
    const speech = recordSpeech(voice);
    const first = voice.speak('Good morning.');
    const second = voice.speak('How are you?');
    await until(voice, 'ready');
    await new Promise<void>((resolve) => voice.on('speechDone', (id) => id === second && resolve()));
    expect(speech.done).toEqual([
      [first, 'completed'],
      [second, 'completed'],
    ]);
    expect(speech.said(first)).toEqual(['Good morning.']);
    expect(speech.said(second)).toEqual(['How are you?']);
    const [firstCreate, secondCreate] = fake.realtime.clientEvents('response.create');
    // The second response is asked for only once the first is done: their audio can never interleave.
    const timeline = fake.realtime.connections[0]!.timeline;
    expect(timeline.lastIndexOf('in:response.create')).toBeGreaterThan(timeline.indexOf('out:response.done'));
    expect(firstCreate!.response).toMatchObject({ conversation: 'none', input: [], metadata: { voicebridge_speech: first } });
    expect(secondCreate!.response).toMatchObject({ audio: { output: { format: { type: 'audio/pcmu' }, voice: 'cedar' } } });
  });

  it('cancels the speech in progress and drops what is queued', async () => {
    fake = await FakeOpenAI.start();
    fake.realtime.options.msPerCharacter = 50; // long enough to be cut short
    const voice = openEngine();
    const speech = recordSpeech(voice);
    await until(voice, 'ready');
    const long = voice.speak('This sentence takes a good while to say out loud.');
    const queued = voice.speak('Never said.');
    await new Promise<void>((resolve) => voice.once('audio', () => resolve()));
    voice.cancelSpeaking();
    await new Promise<void>((resolve) => voice.on('speechDone', (id) => id === long && resolve()));
    expect(speech.done).toEqual([
      [queued, 'cancelled'],
      [long, 'cancelled'],
    ]);
    const [cancel] = fake.realtime.clientEvents('response.cancel');
    expect(cancel!.response_id).toMatch(/^resp_/);
    expect(fake.realtime.clientEvents('response.create').length).toBe(1);
  });

  it('hears the caller start and finish speaking, with the words they said', async () => {
    fake = await FakeOpenAI.start();
    const voice = openEngine();
    await until(voice, 'ready');
    const started = new Promise<void>((resolve) => voice.once('callerStartedSpeaking', () => resolve()));
    const said = new Promise<string>((resolve) => voice.once('callerSaid', (utterance) => resolve(utterance.text)));
    const audio = Buffer.concat([speechAudio('Opening hours please', 200), Buffer.alloc(160 * 15, 0xff)]);
    for (let offset = 0; offset < audio.length; offset += 160) voice.sendCallerAudio(audio.subarray(offset, offset + 160).toString('base64'));
    await started;
    expect(await said).toBe('Opening hours please');
  });

  it('holds caller audio that arrives before the socket is open', async () => {
    fake = await FakeOpenAI.start();
    const voice = openEngine();
    voice.sendCallerAudio(Buffer.alloc(160, 0xff).toString('base64'));
    await until(voice, 'ready');
    expect(fake.realtime.connections[0]!.appendedAudioBytes).toBe(160);
  });

  it('reports a refused key as a failure, without the key', async () => {
    fake = await FakeOpenAI.start();
    const voice = openEngine('sk-proj-notAKeyTheFakeKnows0000000000000');
    const [message] = await until(voice, 'failed');
    expect(message).toMatch(/OpenAI Realtime refused the connection: 401 Incorrect API key provided/);
    expect(message).not.toContain('notAKeyTheFakeKnows');
  });
});

describe('the Realtime voice engine with a terse service', () => {
  it('still speaks when the service does not echo response metadata', async () => {
    // A bare-bones Realtime service: confirms the settings and answers response.create with audio, nothing more.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.on('message', (data) => {
        const event = JSON.parse(data.toString()) as { type: string };
        if (event.type === 'session.update') socket.send(JSON.stringify({ type: 'session.updated', event_id: 'e0', session: { type: 'realtime' } }));
        if (event.type !== 'response.create') return;
        socket.send(JSON.stringify({ type: 'response.created', event_id: 'e1', response: { id: 'resp_1', status: 'in_progress' } }));
        socket.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: 'e2', response_id: 'resp_1', item_id: 'i', output_index: 0, content_index: 0, delta: '/w==' }));
        socket.send(JSON.stringify({ type: 'response.done', event_id: 'e3', response: { id: 'resp_1', status: 'completed' } }));
      });
    });
    const { port } = server.address() as AddressInfo;
    engine = new RealtimeVoiceEngine({ apiKey: FAKE_OPENAI_KEY, baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', transcribeModel: 't', voice: 'v', log: createMemoryLog().forCall('CA1') });
    const warnings: string[] = [];
    engine.on('warning', (message) => warnings.push(message));
    const speech = recordSpeech(engine);
    const id = engine.speak('Hello');
    await new Promise<void>((resolve) => engine!.on('speechDone', () => resolve()));
    expect(speech.done).toEqual([[id, 'completed']]);
    expect(warnings).toEqual([]);
    await engine.close();
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('the Realtime voice engine on a connection that goes quiet', () => {
  /** A Realtime service that confirms the session and then says nothing more; `autoPong: false` ignores pings too. */
  async function quietService(options: { autoPong: boolean }) {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong });
    await new Promise((resolve) => server.once('listening', resolve));
    let connections = 0;
    server.on('connection', (socket) => {
      connections += 1;
      socket.on('message', (data) => {
        const event = JSON.parse(data.toString()) as { type: string };
        if (event.type === 'session.update') socket.send(JSON.stringify({ type: 'session.updated', event_id: 'e1', session: { type: 'realtime' } }));
      });
    });
    const { port } = server.address() as AddressInfo;
    const open = (): RealtimeVoiceEngine =>
      new RealtimeVoiceEngine({ apiKey: FAKE_OPENAI_KEY, baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', transcribeModel: 't', voice: 'v', log: createMemoryLog().forCall('CA1'), livenessCheckMs: 20 });
    return { open, connections: () => connections, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('treats a connection that answers nothing, not even a ping, as dropped, and reconnects', async () => {
    const service = await quietService({ autoPong: false });
    engine = service.open();
    await until(engine, 'ready');
    const reasons: string[] = [];
    engine.on('reconnecting', (reason) => reasons.push(reason));
    await new Promise<void>((resolve) => engine!.once('reconnected', () => resolve()));
    expect(reasons).toEqual(['OpenAI Realtime stopped answering (nothing for 40 ms, not even a reply to a ping)']);
    expect(service.connections()).toBe(2);
    await engine.close();
    await service.close();
  });

  it('reconnects once per call: a second connection that goes quiet ends the engine', async () => {
    const service = await quietService({ autoPong: false });
    engine = service.open();
    const reasons: string[] = [];
    engine.on('reconnecting', (reason) => reasons.push(reason));
    const [message] = await within(3_000, until(engine, 'failed'));
    expect(reasons).toEqual(['OpenAI Realtime stopped answering (nothing for 40 ms, not even a reply to a ping)']);
    expect(message).toBe('OpenAI Realtime stopped answering (nothing for 40 ms, not even a reply to a ping)');
    expect(service.connections()).toBe(2);
    await service.close();
  });

  it('keeps a quiet connection that still answers pings', async () => {
    const service = await quietService({ autoPong: true });
    engine = service.open();
    await until(engine, 'ready');
    const reasons: string[] = [];
    engine.on('reconnecting', (reason) => reasons.push(reason));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reasons).toEqual([]);
    expect(service.connections()).toBe(1);
    await engine.close();
    await service.close();
  });
});

describe('the fake Realtime service', () => {
  it('refuses the retired beta protocol as OpenAI does: an error event, then close', async () => {
    fake = await FakeOpenAI.start();
    const socket = new WebSocket(realtimeUrl(fake.baseURL, 'gpt-realtime-2.1'), {
      headers: { Authorization: `Bearer ${FAKE_OPENAI_KEY}`, 'OpenAI-Beta': 'realtime=v1' },
    });
    const messages: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(messages).toMatchObject([{ type: 'error', error: { code: 'beta_api_shape_disabled' } }]);
  });
});

/** Resolves as `promise` does, or rejects after `ms`: a wait on the engine that never ends fails the test quickly. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing happened within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

type ClientEvent = { type: string } & Record<string, unknown>;

/**
 * A Realtime service on loopback that answers as the test says: `answer` gets each client event with the socket and
 * the connection's number (1 for the first). WebSocket pings are answered unless `autoPong` is false.
 */
async function scriptedService(answer: (event: ClientEvent, socket: WebSocket, connection: number) => void, options: { autoPong?: boolean } = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong ?? true });
  await new Promise((resolve) => server.once('listening', resolve));
  let connections = 0;
  server.on('connection', (socket) => {
    connections += 1;
    const connection = connections;
    socket.on('message', (data) => answer(JSON.parse(data.toString()) as ClientEvent, socket, connection));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    connections: () => connections,
    close: () => {
      // ws's server reports closed only once its clients are gone.
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function engineOn(baseURL: string, timeouts: { startTimeoutMs?: number; responseTimeoutMs?: number; livenessCheckMs?: number }): RealtimeVoiceEngine {
  engine = new RealtimeVoiceEngine({ apiKey: FAKE_OPENAI_KEY, baseURL, model: 'm', transcribeModel: 't', voice: 'v', log: createMemoryLog().forCall('CA1'), ...timeouts });
  return engine;
}

const sessionUpdated = JSON.stringify({ type: 'session.updated', event_id: 'e0', session: { type: 'realtime' } });

/** Everything the engine tells about its connection, in order. */
function recordConnection(voice: RealtimeVoiceEngine) {
  const events: string[] = [];
  voice.on('ready', () => events.push('ready'));
  voice.on('reconnecting', (reason) => events.push(`reconnecting: ${reason}`));
  voice.on('reconnected', () => events.push('reconnected'));
  voice.on('failed', (message) => events.push(`failed: ${message}`));
  return events;
}

describe('the Realtime voice engine on a service that accepts the socket and then says nothing', () => {
  it('gives up after one more try when the service answers pings but never confirms the session', async () => {
    fake = await FakeOpenAI.start();
    fake.realtime.hangSessions = 2;
    const voice = engineOn(fake.baseURL, { startTimeoutMs: 100 });
    const events = recordConnection(voice);
    const speech = recordSpeech(voice);
    voice.speak('Hello.');
    await within(2_000, until(voice, 'failed'));
    expect(events).toEqual([
      'reconnecting: OpenAI Realtime did not confirm the session within 100 ms',
      'failed: OpenAI Realtime did not confirm the session within 100 ms, and reconnecting failed: OpenAI Realtime did not confirm the session within 100 ms',
    ]);
    expect(fake.realtime.connections).toHaveLength(2);
    expect(fake.realtime.clientEvents('response.create')).toEqual([]);
    expect(speech.done).toEqual([]);
  });

  it('starts once the second try confirms the session, and speaks there', async () => {
    fake = await FakeOpenAI.start();
    fake.realtime.hangSessions = 1;
    const voice = engineOn(fake.baseURL, { startTimeoutMs: 100 });
    const events = recordConnection(voice);
    const speech = recordSpeech(voice);
    const id = voice.speak('Hello.');
    await within(2_000, new Promise<void>((resolve) => voice.on('speechDone', () => resolve())));
    expect(events).toEqual(['reconnecting: OpenAI Realtime did not confirm the session within 100 ms', 'reconnected', 'ready']);
    expect(speech.done).toEqual([[id, 'completed']]);
    expect(speech.said(id)).toEqual(['Hello.']);
  });

  it('reconnects when the service confirms the session but never answers a speech request, and asks again there', async () => {
    fake = await FakeOpenAI.start();
    fake.realtime.hangResponses = 1;
    const voice = engineOn(fake.baseURL, { responseTimeoutMs: 200 });
    const events = recordConnection(voice);
    const speech = recordSpeech(voice);
    const id = voice.speak('Good morning.');
    await within(2_000, new Promise<void>((resolve) => voice.on('speechDone', () => resolve())));
    expect(events).toEqual(['ready', 'reconnecting: OpenAI Realtime sent no audio within 200 ms of being asked to speak', 'reconnected']);
    // Nothing of it was heard on the first connection: the caller hears it once, whole.
    expect(speech.done).toEqual([[id, 'completed']]);
    expect(speech.said(id)).toEqual(['Good morning.']);
    expect(fake.realtime.clientEvents('response.create')).toHaveLength(2);
  });

  it('gives up when the reconnected service does not answer a speech request either', async () => {
    fake = await FakeOpenAI.start();
    fake.realtime.hangResponses = 2;
    const voice = engineOn(fake.baseURL, { responseTimeoutMs: 200 });
    const events = recordConnection(voice);
    voice.speak('Good morning.');
    await within(2_000, until(voice, 'failed'));
    expect(events).toEqual([
      'ready',
      'reconnecting: OpenAI Realtime sent no audio within 200 ms of being asked to speak',
      'reconnected',
      'failed: OpenAI Realtime sent no audio within 200 ms of being asked to speak',
    ]);
  });

  it('treats speech whose audio stops mid-way as a lost connection; the rest of that sentence is lost, the next is said', async () => {
    const service = await scriptedService((event, socket, connection) => {
      if (event.type === 'session.update') socket.send(sessionUpdated);
      if (event.type !== 'response.create') return;
      const speechId = (event.response as { metadata: { voicebridge_speech: string } }).metadata.voicebridge_speech;
      const responseId = `resp_${connection}_${speechId}`;
      socket.send(JSON.stringify({ type: 'response.created', event_id: 'e1', response: { id: responseId, status: 'in_progress', metadata: { voicebridge_speech: speechId } } }));
      socket.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: 'e2', response_id: responseId, item_id: 'i', output_index: 0, content_index: 0, delta: '/w==' }));
      // The first connection stalls after its first chunk; the second finishes.
      if (connection > 1) socket.send(JSON.stringify({ type: 'response.done', event_id: 'e3', response: { id: responseId, status: 'completed' } }));
    });
    const voice = engineOn(service.baseURL, { responseTimeoutMs: 200 });
    const events = recordConnection(voice);
    const speech = recordSpeech(voice);
    const cut = voice.speak('Cut short.');
    const next = voice.speak('Said in full.');
    await within(2_000, new Promise<void>((resolve) => voice.on('speechDone', (id) => id === next && resolve())));
    expect(events).toEqual(['ready', 'reconnecting: OpenAI Realtime stopped sending audio mid-speech (nothing for 200 ms)', 'reconnected']);
    expect(speech.done).toEqual([
      [cut, 'failed'],
      [next, 'completed'],
    ]);
    await service.close();
  });

  it('counts a reconnect only once the new connection confirms its session, and gives up on a dead service after one', async () => {
    // Confirms the first session, then goes dead: no answer to pings, no session confirmed ever again.
    const service = await scriptedService(
      (event, socket, connection) => {
        if (event.type === 'session.update' && connection === 1) socket.send(sessionUpdated);
      },
      { autoPong: false },
    );
    const voice = engineOn(service.baseURL, { livenessCheckMs: 20, startTimeoutMs: 150 });
    const events = recordConnection(voice);
    await within(2_000, until(voice, 'failed'));
    expect(events).toEqual([
      'ready',
      'reconnecting: OpenAI Realtime stopped answering (nothing for 40 ms, not even a reply to a ping)',
      'failed: OpenAI Realtime stopped answering (nothing for 40 ms, not even a reply to a ping), and reconnecting failed: OpenAI Realtime did not confirm the session within 150 ms',
    ]);
    expect(service.connections()).toBe(2);
    await service.close();
  });
});

describe('the Realtime voice engine and audio it did not ask for', () => {
  it('plays no audio that names no response', async () => {
    const stray = Buffer.alloc(160, 0x11).toString('base64');
    const ours = Buffer.alloc(160, 0x22).toString('base64');
    const service = await scriptedService((event, socket) => {
      if (event.type === 'session.update') socket.send(sessionUpdated);
      if (event.type !== 'response.create') return;
      const speechId = (event.response as { metadata: { voicebridge_speech: string } }).metadata.voicebridge_speech;
      socket.send(JSON.stringify({ type: 'response.created', event_id: 'e1', response: { id: 'resp_1', status: 'in_progress', metadata: { voicebridge_speech: speechId } } }));
      socket.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: 'e2', item_id: 'i', output_index: 0, content_index: 0, delta: stray }));
      socket.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: 'e3', response_id: 'resp_1', item_id: 'i', output_index: 0, content_index: 0, delta: ours }));
      socket.send(JSON.stringify({ type: 'response.done', event_id: 'e4', response: { id: 'resp_1', status: 'completed' } }));
    });
    const voice = engineOn(service.baseURL, {});
    const warnings: string[] = [];
    voice.on('warning', (message) => warnings.push(message));
    const played: string[] = [];
    voice.on('audio', (_id, payload) => played.push(payload));
    voice.speak('Hello.');
    await within(2_000, new Promise<void>((resolve) => voice.on('speechDone', () => resolve())));
    expect(played).toEqual([ours]);
    expect(warnings).toEqual(['OpenAI Realtime sent audio that names no response; dropped']);
    await service.close();
  });
});
