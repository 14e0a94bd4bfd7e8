// The fake GPT-Live service, driven by the openai SDK's own LiveWS client: the session handshake, the strict start,
// speech → transcript → delegation, commentary → paced audio, the automatic acknowledgement, barge-in and close.
import OpenAI from 'openai';
import type { ServerEvent } from 'openai/resources/live/live';
import { LiveWS } from 'openai/resources/live/ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BYTES_PER_MS, FRAME_BYTES, MULAW_SILENCE, phrasesInVoice, speechAudio, voiceAudio } from './fake-audio.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from './openai/fake-openai.js';
import { eventually } from '../bridge/call-harness.js';
import { encodeMulaw } from '../../src/softphone/mulaw.js';

let fake: FakeOpenAI | undefined;
const clients: LiveWS[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await fake?.close();
  fake = undefined;
});

const PHONE_AUDIO = { format: { type: 'audio/pcmu' as const, rate: 8000 }, output: { voice: 'marin' } };

interface Received {
  at: number;
  event: ServerEvent;
}

async function connect(options: { apiKey?: string } = {}): Promise<{ live: LiveWS; events: Received[] }> {
  fake ??= await FakeOpenAI.start();
  const live = new LiveWS(new OpenAI({ apiKey: options.apiKey ?? FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 }));
  clients.push(live);
  const events: Received[] = [];
  live.on('event', (event) => events.push({ at: performance.now(), event }));
  live.on('error', () => undefined);
  return { live, events };
}

function ofType<T extends ServerEvent['type']>(events: Received[], type: T): Array<Extract<ServerEvent, { type: T }>> {
  return events.map((each) => each.event).filter((event): event is Extract<ServerEvent, { type: T }> => event.type === type);
}

/** Streams caller audio in 20 ms frames as Twilio would (as fast as the test allows): speech, then silence. */
function sendSpeech(live: LiveWS, text: string, silenceMs = 500): void {
  const audio = Buffer.concat([speechAudio(text, 300), Buffer.alloc(silenceMs * BYTES_PER_MS, MULAW_SILENCE)]);
  for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
    live.send({ type: 'session.input_audio.append', audio: audio.subarray(offset, offset + FRAME_BYTES).toString('base64') });
  }
}

function startSession(live: LiveWS, acknowledgementDelayMs = 5_000): void {
  live.send({
    type: 'session.start',
    event_id: 'start',
    session: { model: 'gpt-live-1', instructions: 'Speak for a phone line.', audio: PHONE_AUDIO, delegation: { type: 'client', acknowledgement_delay_ms: acknowledgementDelayMs } },
  });
}

describe('the fake GPT-Live session', () => {
  it('starts on session.start and resolves the configuration it was given', async () => {
    const { live, events } = await connect();
    startSession(live);
    await eventually(() => ofType(events, 'session.started').length === 1, 'the session started');
    const [started] = ofType(events, 'session.started');
    expect(started).toMatchObject({
      client_event_id: 'start',
      session: { model: 'gpt-live-1', status: 'active', audio: PHONE_AUDIO, delegation: { type: 'client', acknowledgement_delay_ms: 5_000 } },
    });
    expect(started!.session.id).toMatch(/^sess_/);
    expect(fake!.live.connections[0]!.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
  });

  it('refuses audio before the session started, a start with unknown fields, and a model the key cannot use', async () => {
    const { live, events } = await connect();
    live.send({ type: 'session.input_audio.append', audio: Buffer.alloc(FRAME_BYTES, MULAW_SILENCE).toString('base64') });
    live.send({ type: 'session.start', event_id: 'bad', session: { model: 'gpt-live-1', modalities: ['audio'] } as never });
    live.send({ type: 'session.start', event_id: 'rate', session: { model: 'gpt-live-1', audio: { format: { type: 'audio/pcmu', rate: 16000 } } } });
    fake!.models = fake!.models.filter((model) => model.id !== 'gpt-live-1');
    live.send({ type: 'session.start', event_id: 'model', session: { model: 'gpt-live-1' } });
    await eventually(() => ofType(events, 'error').length === 4, 'four errors');
    expect(ofType(events, 'error').map((event) => [event.client_event_id, event.error.code])).toEqual([
      [undefined, 'session_not_started'],
      ['bad', 'unknown_parameter'],
      ['rate', 'invalid_value'],
      ['model', 'model_not_found'],
    ]);
    expect(ofType(events, 'session.started')).toEqual([]);
    expect(fake!.live.connections[0]!.audioBeforeStart).toBe(1);
  });

  it('refuses a bad key and a model passed in the URL before the upgrade', async () => {
    fake = await FakeOpenAI.start();
    const statusOf = (url: string, key: string): Promise<number> =>
      new Promise((resolve) => {
        const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('open', () => resolve(101));
        socket.on('error', () => undefined);
      });
    const base = fake.baseURL.replace(/^http/, 'ws');
    expect(await statusOf(`${base}/live/sessions`, 'sk-wrong-000000000000000000')).toBe(401);
    expect(await statusOf(`${base}/live/sessions?model=gpt-live-1`, FAKE_OPENAI_KEY)).toBe(400);
    expect(await statusOf(`${base}/live/elsewhere`, FAKE_OPENAI_KEY)).toBe(404);
    expect(fake.live.connections).toEqual([]);
  });

  it('turns a burst of caller speech into transcript deltas and one client delegation, and speaks the commentary', async () => {
    const { live, events } = await connect();
    startSession(live);
    await eventually(() => ofType(events, 'session.started').length === 1, 'the session started');
    sendSpeech(live, 'I would like two croissants');
    await eventually(() => ofType(events, 'session.delegation.created').length === 1, 'a delegation');
    const words = ofType(events, 'session.input_transcript.delta').map((event) => event.delta);
    expect(words.length).toBeGreaterThan(1);
    expect(words.join('')).toBe('I would like two croissants');
    const [delegation] = ofType(events, 'session.delegation.created');
    expect(delegation!.delegation).toMatchObject({ target: 'client', type: 'delegation' });

    live.send({ type: 'session.commentary.append', event_id: 'c1', delegation_id: delegation!.delegation.id, content: 'Two croissants, coming up.' });
    await eventually(() => phrasesInVoice(audioOf(events)).includes('Two croissants, coming up.'), 'the commentary was spoken');
    expect(ofType(events, 'session.commentary.appended')[0]).toMatchObject({ client_event_id: 'c1' });
    expect(ofType(events, 'session.output_transcript.delta').map((event) => event.delta)).toEqual(['Two croissants, coming up.']);
  });

  it('can send a burst\'s transcript after its delegation, timed before the delegation\'s offset', async () => {
    const { live, events } = await connect();
    fake!.live.options.transcriptAfterDelegationMs = 50;
    startSession(live);
    await eventually(() => ofType(events, 'session.started').length === 1, 'the session started');
    sendSpeech(live, 'Late words');
    await eventually(() => ofType(events, 'session.input_transcript.delta').map((event) => event.delta).join('') === 'Late words', 'the transcript');
    const types = events.map((each) => each.event.type).filter((type) => type === 'session.delegation.created' || type === 'session.input_transcript.delta');
    expect(types[0]).toBe('session.delegation.created');
    const [delegation] = ofType(events, 'session.delegation.created');
    for (const delta of ofType(events, 'session.input_transcript.delta')) expect(delta.start_ms).toBeLessThan(delegation!.offset_ms);
  });

  it('refuses commentary over 500 tokens, without delegation_id, or for a delegation that does not exist', async () => {
    const { live, events } = await connect();
    startSession(live);
    live.send({ type: 'session.commentary.append', event_id: 'long', delegation_id: null, content: 'word '.repeat(500) });
    live.send({ type: 'session.commentary.append', event_id: 'missing', content: 'Hello.' } as never);
    live.send({ type: 'session.commentary.append', event_id: 'unknown', delegation_id: 'dlg_nope', content: 'Hello.' });
    await eventually(() => ofType(events, 'error').length === 3, 'three errors');
    expect(ofType(events, 'error').map((event) => [event.client_event_id, event.error.param])).toEqual([
      ['long', 'content'],
      ['missing', 'delegation_id'],
      ['unknown', 'delegation_id'],
    ]);
    expect(fake!.live.connections[0]!.spoken).toEqual([]);
  });

  it('paces audio at real time by default and bursts ahead when told to', async () => {
    const leadOf = async (burstAhead: number): Promise<number> => {
      const { live, events } = await connect();
      fake!.live.options.burstAhead = burstAhead;
      fake!.live.options.msPerCharacter = 20;
      startSession(live);
      const sentence = 'A sentence long enough to take a while to say.';
      live.send({ type: 'session.commentary.append', delegation_id: null, content: sentence });
      const expectedBytes = voiceAudio(sentence, 20).length;
      await eventually(() => audioOf(events).length === expectedBytes, 'all the audio arrived', 10_000);
      // How far the audio received was ahead of the time since the first delta: at most a chunk when it is paced at
      // real time. Counted against the clock, not as a playback queue, so that deltas a busy test process took in
      // together (all of them due) are not mistaken for a burst.
      let firstAt: number | undefined;
      let receivedMs = 0;
      let lead = 0;
      for (const { at, event } of events) {
        if (event.type !== 'session.output_audio.delta') continue;
        firstAt ??= at;
        receivedMs += Buffer.from(event.delta, 'base64').length / BYTES_PER_MS;
        lead = Math.max(lead, receivedMs - (at - firstAt));
      }
      return lead;
    };
    const realTime = await leadOf(1);
    const burst = await leadOf(4);
    expect(realTime).toBeLessThanOrEqual(fake!.live.options.audioChunkMs + 30);
    expect(burst).toBeGreaterThan(300);
  });

  it('acknowledges a delegation by itself when no commentary comes in time, and stops talking when the caller speaks', async () => {
    const { live, events } = await connect();
    fake!.live.options.msPerCharacter = 40;
    startSession(live, 50);
    await eventually(() => ofType(events, 'session.started').length === 1, 'the session started');
    sendSpeech(live, 'Hello');
    await eventually(() => fake!.live.connections[0]!.spoken.includes('One moment.'), 'the acknowledgement');
    live.send({ type: 'session.commentary.append', delegation_id: null, content: 'This is a long answer that the caller will not wait for.' });
    await eventually(() => ofType(events, 'session.output_transcript.delta').length === 2, 'the answer began');
    sendSpeech(live, 'Stop');
    await eventually(() => ofType(events, 'session.delegation.created').length === 2, 'the second delegation');
    expect(fake!.live.connections[0]!.interruptions).toBe(1);
    const said = phrasesInVoice(audioOf(events));
    expect(said.at(-1)!.length).toBeLessThan('This is a long answer that the caller will not wait for.'.length);
  });

  it('answers session.close with session.closed and closes the socket', async () => {
    const { live, events } = await connect();
    startSession(live);
    await eventually(() => ofType(events, 'session.started').length === 1, 'the session started');
    live.send({ type: 'session.close' });
    await eventually(() => fake!.live.openConnections.length === 0, 'the socket closed');
    expect(ofType(events, 'session.closed')[0]).toMatchObject({ reason: 'close_requested', usage: { seconds: 0 } });
  });

  it('hears audio it cannot read as words (a 1.3 s tone) by its energy: the transcript says how long, and the agent is asked', async () => {
    const { live, events } = await connect();
    startSession(live);
    await eventually(() => ofType(events, 'session.started').length === 1, 'the session started');
    const samples = new Int16Array(1300 * BYTES_PER_MS).map((_, index) => Math.round(12_000 * Math.sin((2 * Math.PI * 300 * index) / 8000)));
    const audio = Buffer.concat([Buffer.alloc(200 * BYTES_PER_MS, MULAW_SILENCE), encodeMulaw(samples), Buffer.alloc(500 * BYTES_PER_MS, MULAW_SILENCE)]);
    for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
      live.send({ type: 'session.input_audio.append', audio: audio.subarray(offset, offset + FRAME_BYTES).toString('base64') });
    }
    await eventually(() => ofType(events, 'session.delegation.created').length === 1, 'the delegation');
    expect(ofType(events, 'session.input_transcript.delta').map((event) => [event.delta, event.start_ms])).toEqual([['I heard you speak for 1.3 seconds', 200]]);
    expect(ofType(events, 'session.delegation.created')[0]).toMatchObject({ offset_ms: 1880 });
  });
});

function audioOf(events: Received[]): Buffer {
  return Buffer.concat(ofType(events, 'session.output_audio.delta').map((event) => Buffer.from(event.delta, 'base64')));
}
