// Malformed input from both sides of the bridge, at volume: mutated Twilio Media Stream frames (bad JSON, unknown
// events, wrong streamSid, invalid base64, binary and oversized frames, fields of the wrong type or missing) and mutated
// OpenAI Realtime server events, from a seeded generator so every run sends the same messages. The process must not
// crash, nothing may leak (streams, Realtime sockets, timers), and a healthy call in the middle of it all must still
// hear its replies.
import { request } from 'node:http';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_REALTIME_MESSAGE_BYTES } from '../../src/voice/realtime-voice-engine.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FRAME_BYTES, MULAW_SILENCE } from '../fakes/fake-audio.js';
import type { FakeRealtimeConnection } from '../fakes/openai/realtime.js';
import { eventually, PUBLIC_BASE, startCallBridge, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, type CallBridge } from './call-harness.js';

const SEED = 0x5eed;
const TWILIO_MESSAGES = 6_000;
const REALTIME_MESSAGES = 6_000;
/** Twilio frames above the bridge's limit (64 KB) close the stream that sent them. */
const OVERSIZED_TWILIO_BYTES = 80 * 1024;

type Json = Record<string, unknown>;

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (probability: number): boolean => next() < probability;
  const text = (length: number): string => Array.from({ length }, () => String.fromCharCode(32 + int(95))).join('');
  return { next, int, pick, chance, text };
}
type Random = ReturnType<typeof prng>;

const hex = (random: Random, length: number): string => Array.from({ length }, () => '0123456789abcdef'[random.int(16)]).join('');

function randomValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 2 ? 7 : 9)) {
    case 0:
      return null;
    case 1:
      return random.int(2) === 0;
    case 2:
      return random.pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER, 3.14]);
    case 3:
      return '';
    case 4:
      return random.text(random.int(40));
    case 5:
      return random.pick(['media', 'start', 'stop', 'mark', '====', 'AAAA', '\u0000', '💥', '__proto__', 'constructor']);
    case 6:
      return 'x'.repeat(random.int(4000));
    case 7:
      return [randomValue(random, depth + 1), randomValue(random, depth + 1)];
    default:
      return { [random.pick(['a', 'type', 'event', 'payload', '__proto__'])]: randomValue(random, depth + 1) };
  }
}

/** Every path to a value in a JSON object, e.g. ['media', 'payload']. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...prefix, key]))].filter((path) => path.length > 0);
}

function setPath(root: Json, path: string[], value: unknown, remove: boolean): void {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null) return;
    node = child as Json;
  }
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
}

/** One mutated message: a valid one changed in one of the ways a broken or hostile peer would change it. */
function mutate(random: Random, valid: Json, oversizedBytes: number): string | Buffer {
  const roll = random.next();
  if (roll < 0.15) return JSON.stringify(valid);
  if (roll < 0.25) {
    const json = JSON.stringify(valid);
    return json.slice(0, random.int(json.length)); // cut short
  }
  if (roll < 0.3) {
    const json = JSON.stringify(valid);
    const at = random.int(json.length);
    return json.slice(0, at) + random.pick(['"', '{', '}', ',', '\\', ':', ']']) + json.slice(at);
  }
  if (roll < 0.34) return random.pick(['', 'null', '42', '"media"', '[]', '[{}]', 'true', '{', '}', '['.repeat(5_000), '{"a":'.repeat(2_000)]);
  if (roll < 0.38) return Buffer.from(Array.from({ length: random.int(300) }, () => random.int(256)));
  if (roll < 0.385) return 'x'.repeat(oversizedBytes);
  const copy = structuredClone(valid);
  const targets = paths(copy);
  const path = random.pick(targets);
  setPath(copy, path, randomValue(random), random.chance(0.3));
  if (random.chance(0.2)) setPath(copy, random.pick(paths(copy)), randomValue(random), false);
  return JSON.stringify(copy);
}

const silence = Buffer.alloc(FRAME_BYTES, MULAW_SILENCE).toString('base64');

/** A valid Twilio frame for this stream (a stop is rare: it ends the stream). */
function twilioFrame(random: Random, streamSid: string, sequence: number): Json {
  const base = { sequenceNumber: String(sequence), streamSid };
  switch (random.int(12)) {
    case 0:
      return { event: 'connected', protocol: 'Call', version: '1.0.0' };
    case 1:
      return { ...base, event: 'mark', mark: { name: random.pick(['greeting-1', 'reply-2', 'unknown', '']) } };
    case 2:
      return { ...base, event: 'dtmf', dtmf: { track: 'inbound_track', digit: random.pick(['1', '#', '*']) } };
    case 3:
      return {
        ...base,
        event: 'start',
        start: { streamSid, accountSid: TWILIO_ACCOUNT_SID, callSid: `CA${'0'.repeat(32)}`, tracks: ['inbound'], customParameters: { token: 'x' }, mediaFormat: {} },
      };
    case 4:
      return random.chance(0.05) ? { ...base, event: 'stop', stop: { accountSid: TWILIO_ACCOUNT_SID, callSid: `CA${'0'.repeat(32)}` } } : { ...base, event: random.text(8) };
    case 5:
      return { ...base, streamSid: `MZ${'f'.repeat(32)}`, event: 'media', media: { track: 'inbound', chunk: '1', timestamp: '20', payload: silence } };
    case 6:
      return { ...base, event: 'media', media: { track: 'inbound', chunk: '1', timestamp: '20', payload: random.pick(['@@@@', 'AAA', 'AA=A', `${silence}=`, '']) } };
    default:
      return { ...base, event: 'media', media: { track: random.pick(['inbound', 'outbound', 'inbound_track']), chunk: String(sequence), timestamp: String(sequence * 20), payload: silence } };
  }
}

/** A valid Realtime server event (transcripts are rare: each starts an agent turn). */
function realtimeEvent(random: Random): Json {
  const responseId = random.pick(['resp_fuzz', 'resp_other', '']);
  const itemId = `item_${random.int(1000)}`;
  switch (random.int(16)) {
    case 0:
      return { type: 'session.updated', session: { type: 'realtime' } };
    case 1:
      return { type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: itemId };
    case 2:
      return { type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: itemId };
    case 3:
      return random.chance(0.1)
        ? { type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: random.text(12) }
        : { type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, delta: random.text(5) };
    case 4:
      return random.chance(0.1)
        ? { type: 'conversation.item.input_audio_transcription.failed', item_id: itemId, error: { message: 'unintelligible' } }
        : { type: 'conversation.item.added', item: { id: itemId } };
    case 5:
      return { type: 'response.created', response: { id: responseId, metadata: random.chance(0.5) ? { voicebridge_speech: `speech-${random.int(5)}` } : null } };
    case 6:
    case 7:
    case 8:
      return { type: 'response.output_audio.delta', response_id: responseId, item_id: itemId, delta: random.pick([silence, 'AAAA', '@@', '']) };
    case 9:
      return { type: 'response.done', response: { id: responseId, status: random.pick(['completed', 'cancelled', 'failed', 'incomplete']), status_details: null } };
    case 10:
      return {
        type: 'error',
        error: { type: 'invalid_request_error', code: random.pick(['invalid_value', 'response_cancel_not_active', null, 'unknown']), message: 'fuzz', event_id: random.pick([null, 'configure_session', 'speak_speech-1']) },
      };
    case 11:
      return { type: 'rate_limits.updated', rate_limits: [] };
    default:
      return { type: random.pick(['response.output_audio_transcript.delta', 'session.created', 'output_audio_buffer.started', random.text(10)]), event_id: 'event_fuzz' };
  }
}

/** Waits for the socket's buffered data to go out, so the sender never outruns the receiver by much. */
async function flushed(socket: WebSocket): Promise<void> {
  while (socket.readyState === WebSocket.OPEN && socket.bufferedAmount > 256 * 1024) await new Promise((resolve) => setTimeout(resolve, 1));
  await new Promise((resolve) => setImmediate(resolve));
}

interface RawStream {
  socket: WebSocket;
  callSid: string;
  streamSid: string;
  closed: boolean;
}

let bridge: CallBridge | undefined;
const rawSockets = new Set<WebSocket>();
afterEach(async () => {
  for (const socket of rawSockets) socket.terminate();
  rawSockets.clear();
  await bridge?.stop();
  bridge = undefined;
});

/** The signed voice webhook, on a connection that closes after the answer (no keep-alive socket left behind). */
function postWebhook(callSid: string): Promise<string> {
  const params = { AccountSid: TWILIO_ACCOUNT_SID, CallSid: callSid, From: '+14155550123', To: '+14155550100', CallStatus: 'ringing', Direction: 'inbound' };
  const body = new URLSearchParams(params).toString();
  const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, `${PUBLIC_BASE}/incoming-call`, params);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: bridge!.server.port, path: '/incoming-call', method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, connection: 'close' } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A call as Twilio opens it (webhook, signed stream, connected + start), driven by hand: it sends only what it is told. */
async function openRawStream(random: Random, options: { start: boolean }): Promise<RawStream> {
  const callSid = `CA${hex(random, 32)}`;
  const streamSid = `MZ${hex(random, 32)}`;
  const twiml = await postWebhook(callSid);
  const token = /name="token" value="([^"]+)"/.exec(twiml)?.[1];
  const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, bridge!.server.urls!.mediaStream, {});
  const socket = new WebSocket(`ws://127.0.0.1:${bridge!.server.port}/media-stream`, { headers: { 'x-twilio-signature': signature } });
  rawSockets.add(socket);
  const stream: RawStream = { socket, callSid, streamSid, closed: false };
  socket.on('close', () => {
    stream.closed = true;
    rawSockets.delete(socket);
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', () => reject(new Error('the bridge refused the stream')));
  });
  socket.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  if (options.start) {
    socket.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: { streamSid, accountSid: TWILIO_ACCOUNT_SID, callSid, tracks: ['inbound'], customParameters: { token }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
      }),
    );
  }
  return stream;
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

describe('malformed input from Twilio and from OpenAI Realtime', () => {
  it(`survives at least ${TWILIO_MESSAGES + REALTIME_MESSAGES} mutated messages without a crash or a leak, and a healthy call is unaffected`, async () => {
    const crashes: unknown[] = [];
    const onCrash = (error: unknown): void => void crashes.push(error);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    try {
      // Calls the fuzz answers but never streams are released after a second (pre-warmed connections, tokens), so
      // that everything it opened can be seen to close within the test.
      bridge = await startCallBridge('responses', { server: { startTimeoutMs: 1_000, prewarmTimeoutMs: 1_000, tokenTtlMs: 1_000 } });
      const healthy = await bridge.dial();
      await healthy.waitToHear(DEFAULT_GREETING);
      const healthyConnection = bridge.fake.realtime.connections.at(-1)!;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = countResources();

      // The fuzz goes on at least until the healthy caller has had their answer, so the two really overlap.
      let healthyAnswered = false;
      const fuzzing = (sent: number, quota: number): boolean => sent < quota || (!healthyAnswered && sent < quota * 3);

      // Twilio's side: streams that started a call, and streams that never did, each sent mutated frames.
      let twilioSent = 0;
      const twilioStreams: RawStream[] = [];
      const twilioSender = async (lane: number): Promise<void> => {
        // One generator per sender: the messages each sends do not depend on how the senders interleave.
        const random = prng(SEED + lane);
        let stream: RawStream | undefined;
        let sequence = 2;
        while (twilioSent < TWILIO_MESSAGES) {
          if (!stream || stream.closed) {
            stream = await openRawStream(random, { start: lane !== 0 });
            twilioStreams.push(stream);
          }
          const message = mutate(random, twilioFrame(random, stream.streamSid, sequence), OVERSIZED_TWILIO_BYTES);
          sequence += 1;
          stream.socket.send(message, { binary: Buffer.isBuffer(message) });
          twilioSent += 1;
          if (twilioSent % 25 === 0) await flushed(stream.socket);
        }
      };

      // OpenAI's side: calls whose Realtime connection sends them mutated server events.
      let realtimeSent = 0;
      const realtimeCalls: Array<{ stream: RawStream; connection: FakeRealtimeConnection }> = [];
      const realtimeSender = async (): Promise<void> => {
        const random = prng(SEED + 100);
        let target: { stream: RawStream; connection: FakeRealtimeConnection } | undefined;
        while (fuzzing(realtimeSent, REALTIME_MESSAGES)) {
          if (!target || target.connection.closed || target.stream.closed) {
            const known = new Set(bridge!.fake.realtime.connections);
            const stream = await openRawStream(random, { start: true });
            await eventually(() => bridge!.fake.realtime.connections.some((each) => !known.has(each) && !each.closed), 'the fuzzed call opens its Realtime connection');
            const connection = bridge!.fake.realtime.connections.find((each) => !known.has(each) && !each.closed)!;
            target = { stream, connection };
            realtimeCalls.push(target);
          }
          const message = realtimeSent === REALTIME_MESSAGES / 2 ? 'x'.repeat(MAX_REALTIME_MESSAGE_BYTES + 1) : mutate(random, realtimeEvent(random), 1024);
          target.connection.socket.send(message, { binary: Buffer.isBuffer(message) });
          realtimeSent += 1;
          if (realtimeSent % 25 === 0) await flushed(target.connection.socket);
        }
      };

      // Halfway through, the healthy caller asks something and must hear the answer.
      const healthyTurn = (async () => {
        await eventually(() => twilioSent + realtimeSent > (TWILIO_MESSAGES + REALTIME_MESSAGES) / 3, 'the fuzz is well under way', 20_000);
        await healthy.say('Is the bakery open');
        await healthy.waitToHear('You said: Is the bakery open.', 15_000);
        healthyAnswered = true;
      })();

      // One side after the other, so that each new Realtime connection can only belong to the call just opened.
      await Promise.all([twilioSender(0), twilioSender(1), twilioSender(2)]);
      await realtimeSender();
      await healthyTurn;
      expect(twilioSent + realtimeSent).toBeGreaterThanOrEqual(10_000);
      expect(twilioStreams.length).toBeGreaterThan(3);
      expect(realtimeCalls.length).toBeGreaterThanOrEqual(1);
      // The oversized Realtime message was taken for a broken connection: reopened, and the call went on.
      expect(bridge.lines.join('\n')).toMatch(/The voice connection dropped \(the OpenAI Realtime connection failed: Max payload size exceeded\); reconnecting/);
      // Whatever the peers sent, the log kept one event per line, each tagged with a real CallSid or none.
      for (const line of bridge.lines) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (\[(CA[0-9a-f]{32}|unknown call)\] )?[^\n\r]*$/);

      // Everything the fuzz opened goes away; only the healthy call is left.
      for (const socket of rawSockets) socket.close();
      await eventually(() => bridge!.server.activeCalls === 1 && bridge!.server.openStreams === 1, 'only the healthy call is left', 10_000);
      await eventually(() => bridge!.fake.realtime.openConnections.length === 1, 'only the healthy call keeps a Realtime connection', 10_000);
      expect(bridge.fake.realtime.openConnections[0]).toBe(healthyConnection);
      await eventually(() => bridge!.server.pendingCalls === 0, 'no answered call is waiting for its stream', 5_000);
      await eventually(() => (countResources().Timeout ?? 0) <= (before.Timeout ?? 0), `the timers are back to ${before.Timeout ?? 0} (now ${JSON.stringify(countResources())})`, 10_000);

      // The healthy call still works after the storm.
      await healthy.say('And on Sunday');
      await healthy.waitToHear('You said: And on Sunday.');
      expect(healthy.protocolErrors).toEqual([]);
      expect(healthy.closed).toBeUndefined();
      expect(bridge.callLog(healthy).join('\n')).not.toMatch(/Ignored a bad frame|could not read|not JSON/);
      expect(crashes).toEqual([]);
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    }
  }, 30_000);
});
