// Running serve in production, in-process: MAX_CALLS turns calls away politely, a drain lets calls in progress
// finish while new ones are refused, and GET /metrics counts what happened.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_APOLOGY, LINES_BUSY } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const REFUSAL = `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${LINES_BUSY}</Say><Hangup/></Response>`;

function local(path: string): string {
  return `http://127.0.0.1:${bridge!.server.port}${path}`;
}

/** The samples of a Prometheus exposition, by name and labels as written: `name{label="value"}` → value. */
async function scrape(): Promise<{ contentType: string; samples: Map<string, number>; text: string }> {
  const response = await fetch(local('/metrics'));
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { contentType: response.headers.get('content-type') ?? '', samples, text };
}

describe('MAX_CALLS', () => {
  it('answers a polite <Say> and <Hangup/> over the limit, and takes calls again once one ends', async () => {
    bridge = await startCallBridge('responses', { env: { MAX_CALLS: '1' } });
    const first = await bridge.dial();
    await first.waitToHear(DEFAULT_GREETING);

    const second = new FakeTwilioCaller(bridge.callerOptions());
    const refused = await second.postWebhook();
    expect(refused.status).toBe(200);
    expect(refused.body).toBe(REFUSAL);
    expect(refused.streamUrl).toBeUndefined();
    expect(bridge.lines.join('\n')).toContain(`[${second.callSid}] Turned a call away: MAX_CALLS=1 calls are already in progress or connecting`);
    expect(bridge.fake.realtime.connections).toHaveLength(1);

    await first.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the first call has ended');
    const third = await bridge.dial();
    await third.waitToHear(DEFAULT_GREETING);
  });

  it('counts a call the webhook answered whose stream has not started yet', async () => {
    bridge = await startCallBridge('responses', { env: { MAX_CALLS: '1' } });
    const answered = await new FakeTwilioCaller(bridge.callerOptions()).postWebhook();
    expect(answered.streamUrl).toBeDefined();
    expect(bridge.server.pendingCalls).toBe(1);
    const refused = await new FakeTwilioCaller(bridge.callerOptions()).postWebhook();
    expect(refused.body).toBe(REFUSAL);
  });
});

describe('draining', () => {
  it('turns /readyz to 503 and refuses new calls, while the call in progress carries on until it ends', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    // Answered before the drain: its stream is still taken.
    const answered = new FakeTwilioCaller(bridge.callerOptions());
    const answer = await answered.postWebhook();

    let drained = false;
    const draining = bridge.server.drain(10_000).then(() => {
      drained = true;
    });
    const ready = await fetch(local('/readyz'));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not-ready', activeCalls: 1 });
    expect((await new FakeTwilioCaller(bridge.callerOptions()).postWebhook()).body).toBe(REFUSAL);

    await answered.connectStream(answer);
    await answered.waitToHear(DEFAULT_GREETING);
    await caller.say('One more thing');
    await caller.waitToHear('You said: One more thing.');
    expect(drained).toBe(false);

    await caller.hangUp();
    await answered.hangUp();
    await draining;
    await expect(fetch(local('/healthz'))).rejects.toThrow();
    expect(bridge.lines.join('\n')).toContain('Turned a call away: the server is stopping');
  });

  it('ends the calls still in progress when the drain timeout passes', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await bridge.server.drain(200);
    await caller.waitForClose();
    expect(bridge.callLog(caller).join('\n')).toContain('Call ended (the server is shutting down)');
    expect(bridge.fake.realtime.openConnections).toEqual([]);
  });
});

describe('GET /metrics', () => {
  it('exposes active calls, calls by outcome, turn latency, agent errors, reconnects and frames relayed', async () => {
    bridge = await startCallBridge('responses', { env: { MAX_CALLS: '1' } });
    bridge.fake.agentBehaviour = { fail: 'rate-limit', failTimes: 1 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('First');
    await caller.waitToHear(DEFAULT_APOLOGY);
    await caller.say('Second');
    await caller.waitToHear('You said: Second.');
    bridge.fake.realtime.dropAll();
    await eventually(() => bridge!.callLog(caller).some((line) => line.includes('Reconnected to OpenAI Realtime')), 'the voice has reconnected');
    expect((await new FakeTwilioCaller(bridge.callerOptions()).postWebhook()).body).toBe(REFUSAL);

    const during = await scrape();
    expect(during.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(during.samples.get('voicebridge_active_calls')).toBe(1);
    expect(during.text).toContain('# TYPE voicebridge_turn_latency_seconds histogram');

    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call has ended');
    const after = await scrape();
    const sample = (name: string) => after.samples.get(name);
    expect(sample('voicebridge_active_calls')).toBe(0);
    expect(sample('voicebridge_pending_calls')).toBe(0);
    expect(sample('voicebridge_calls_total{outcome="completed"}')).toBe(1);
    expect(sample('voicebridge_calls_total{outcome="refused_busy"}')).toBe(1);
    expect(sample('voicebridge_calls_total{outcome="agent_failed"}')).toBe(0);
    expect(sample('voicebridge_agent_errors_total{kind="rate-limit"}')).toBe(1);
    expect(sample('voicebridge_realtime_reconnects_total{result="ok"}')).toBe(1);
    expect(sample('voicebridge_realtime_reconnects_total{result="failed"}')).toBe(0);
    expect(sample('voicebridge_turn_latency_seconds_count')).toBe(2);
    expect(sample('voicebridge_turn_latency_seconds_sum')).toBeGreaterThan(0);
    expect(sample('voicebridge_turn_latency_seconds_bucket{le="+Inf"}')).toBe(2);
    // 20 ms frames for well over a second each way.
    expect(sample('voicebridge_frames_relayed_total{direction="caller_to_voice"}')).toBeGreaterThan(50);
    expect(sample('voicebridge_frames_relayed_total{direction="voice_to_caller"}')).toBeGreaterThan(5);
  });
});
