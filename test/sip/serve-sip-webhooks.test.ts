// OpenAI's webhook as the internet sees it: only a webhook signed with OPENAI_WEBHOOK_SECRET, within five minutes, is
// acted on, and each webhook ID once; a full or draining instance answers 503 so that OpenAI's retry reaches another
// instance, and an instance that finds the call already accepted elsewhere leaves it alone.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { fakeWebhookSecret, signStandardWebhook } from '../fakes/openai/sip.js';
import { openAISipControl, type SipControl } from '../../src/transports/openai-sip/sip-control.js';
import { startBackend } from '../agents/brain-harness.js';
import { eventually, PROJECT_ID, startSipBridge, WEBHOOK_SECRET, type SipBridge } from './sip-harness.js';

const bridges: SipBridge[] = [];
/** Backends a test started itself, for a bridge it built around them. */
const backends: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const bridge of bridges.splice(0).reverse()) await bridge.stop();
  for (const backend of backends.splice(0)) await backend.stop();
});

async function bridgeFor(...args: Parameters<typeof startSipBridge>): Promise<SipBridge> {
  const bridge = await startSipBridge(...args);
  bridges.push(bridge);
  return bridge;
}

describe('the OpenAI webhook', () => {
  it('answers a forged, an unsigned and a stale webhook 400 and accepts nothing', async () => {
    const bridge = await bridgeFor('agents');
    const { sip } = bridge.fake;
    const call = sip.placeCall();
    const event = sip.incomingEvent(call, 'realtime');
    const forged = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, event, { signWith: fakeWebhookSecret() });
    const unsigned = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, event, { unsigned: true });
    const stale = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const future = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, event, { timestamp: Math.floor(Date.now() / 1000) + 301 });
    expect([forged, unsigned, stale, future].map((delivery) => [delivery.status, delivery.body])).toEqual([
      [400, 'Invalid webhook signature'],
      [400, 'Unsigned webhook'],
      [400, 'Invalid webhook signature'],
      [400, 'Invalid webhook signature'],
    ]);
    expect(call.acceptAttempts).toEqual([]);
    expect(bridge.fake.realtime.connections).toEqual([]);
    const log = bridge.lines.join('\n');
    expect(log).toContain('Refused an OpenAI webhook: The given webhook signature does not match the expected signature (check OPENAI_WEBHOOK_SECRET)');
    expect(log).toContain('Refused an OpenAI webhook: Webhook timestamp is too old');
    expect(log).not.toContain(WEBHOOK_SECRET);
    // A body changed after signing is a forgery too.
    const tampered = await fetch(bridge.webhookUrl, {
      method: 'POST',
      headers: { 'webhook-id': 'wh_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      body: JSON.stringify(event),
    });
    expect(tampered.status).toBe(400);
    expect((await fetch(bridge.webhookUrl)).status).toBe(405);
    // Signed with the right secret, but not JSON: refused without blaming the secret.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const notJson = await fetch(bridge.webhookUrl, {
      method: 'POST',
      headers: { 'webhook-id': 'wh_2', 'webhook-timestamp': timestamp, 'webhook-signature': signStandardWebhook(WEBHOOK_SECRET, 'wh_2', timestamp, '{"type":') },
      body: '{"type":',
    });
    expect([notJson.status, await notJson.text()]).toEqual([400, 'Unreadable webhook']);
    expect(bridge.lines.join('\n')).toContain('Refused an OpenAI webhook: its signature is valid but its body is not JSON');
  });

  it('acts on each webhook ID once: a replayed webhook is answered and accepts nothing', async () => {
    const bridge = await bridgeFor('agents');
    const { sip } = bridge.fake;
    const call = sip.placeCall();
    const event = sip.incomingEvent(call, 'realtime');
    const first = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, event);
    const replay = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, event, { webhookId: first.webhookId });
    expect([first.status, first.body]).toEqual([200, 'Accepted']);
    expect([replay.status, replay.body]).toEqual([200, 'Already handled']);
    expect(call.acceptAttempts).toEqual([{ runtime: 'realtime', status: 200 }]);
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    expect(bridge.fake.realtime.connections.filter((connection) => connection.sip === call)).toHaveLength(1);
    expect(bridge.server.activeCalls).toBe(1);
  });

  it('answers 503 when MAX_CALLS calls are in progress, so that the retry goes to the next instance, which takes the call', async () => {
    const busy = await bridgeFor('agents', { env: { MAX_CALLS: '1' } });
    const spare = await bridgeFor('agents', { backend: busy.backend });
    const first = await busy.ring();
    expect(first.deliveries[0]!.status).toBe(200);
    const { sip } = busy.fake;
    const call = sip.placeCall();
    const event = sip.incomingEvent(call, 'realtime');
    const refused = await sip.sendWebhook(busy.webhookUrl, WEBHOOK_SECRET, event);
    expect([refused.status, refused.body]).toEqual([503, 'Busy']);
    expect(call.acceptAttempts).toEqual([]);
    // OpenAI retries the same webhook; the load balancer sends it to the other instance.
    const retried = await sip.sendWebhook(spare.webhookUrl, WEBHOOK_SECRET, event, { webhookId: refused.webhookId });
    expect([retried.status, retried.body]).toEqual([200, 'Accepted']);
    expect(call.acceptAttempts).toEqual([{ runtime: 'realtime', status: 200 }]);
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting from the other instance');
    expect(busy.callLog(call).join('\n')).toContain('Turned a call away: MAX_CALLS=1 calls are already in progress or connecting');
    expect(spare.server.activeCalls).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${busy.server.port}/metrics`)).text();
    expect(metrics).toMatch(/voicebridge_calls_total\{outcome="refused_busy"\} 1/);
  });

  it('answers 503 while draining, and the call in progress goes on', async () => {
    const bridge = await bridgeFor('agents');
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    const drained = bridge.server.drain(5_000);
    const { sip } = bridge.fake;
    const next = sip.placeCall();
    const refused = await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, sip.incomingEvent(next, 'realtime'));
    expect([refused.status, refused.body]).toEqual([503, 'Busy']);
    expect(next.acceptAttempts).toEqual([]);
    expect(bridge.callLog(next).join('\n')).toContain('Turned a call away: the server is stopping');
    bridge.fake.agentBehaviour = { reply: () => 'Still here.' };
    call.say('Are you there?');
    await eventually(() => call.heard.includes('Still here.'), 'the call in progress was answered');
    call.hangUp();
    await drained;
    expect(call.heard).toEqual([DEFAULT_GREETING, 'Still here.']);
  });

  it('leaves a call another instance accepted alone: nothing is accepted twice', async () => {
    const first = await bridgeFor('agents');
    const second = await bridgeFor('agents', { backend: first.backend });
    const { sip } = first.fake;
    const call = sip.placeCall();
    const event = sip.incomingEvent(call, 'realtime');
    // The same webhook reaches both instances (a retry after a slow answer, sent to another instance).
    const [a, b] = await Promise.all([sip.sendWebhook(first.webhookUrl, WEBHOOK_SECRET, event), sip.sendWebhook(second.webhookUrl, WEBHOOK_SECRET, event)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body, b.body].sort()).toEqual(['Accepted', 'Call not available']);
    expect(call.acceptAttempts.map((attempt) => attempt.status).sort()).toEqual([200, 404]);
    await eventually(() => call.heard.length === 1, 'the caller heard one greeting');
    expect(first.server.activeCalls + second.server.activeCalls).toBe(1);
    expect(bridge2Log(first, second, call.callId)).toContain('Left the call alone: OpenAI no longer offers it');
    expect(call.sidebands).toBe(1);
  });

  it('takes a call whose INVITE headers are not all name and value strings: those headers are dropped, not the call', async () => {
    const bridge = await bridgeFor('agents');
    const { sip } = bridge.fake;
    const odd = sip.placeCall({ twilioCallSid: 'CA0123456789ABCDEF0123456789ABCDEF' });
    const oddEvent = sip.incomingEvent(odd, 'realtime');
    const data = oddEvent.data as { sip_headers: unknown[]; extra?: unknown };
    data.sip_headers = [...data.sip_headers, { name: 'X-Count', value: 5 }, null, 'Max-Forwards: 70'];
    data.extra = { added: 'later' };
    const noHeaders = sip.placeCall();
    const noHeadersEvent = sip.incomingEvent(noHeaders, 'realtime');
    (noHeadersEvent.data as { sip_headers: unknown }).sip_headers = null;
    const deliveries = [await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, oddEvent), await sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, noHeadersEvent)];
    expect(deliveries.map((delivery) => [delivery.status, delivery.body])).toEqual([
      [200, 'Accepted'],
      [200, 'Accepted'],
    ]);
    expect([odd.state, noHeaders.state]).toEqual(['accepted', 'accepted']);
    expect(bridge.callLog(odd).join('\n')).toContain(`[${odd.callId}] Incoming call from +14155550123 to +14155550100 (Twilio CallSid CA0123456789ABCDEF0123456789ABCDEF)`);
    expect(bridge.callLog(noHeaders).join('\n')).toContain(`[${noHeaders.callId}] Incoming call from unknown to unknown`);
    await eventually(() => odd.heard.length === 1 && noHeaders.heard.length === 1, 'both callers heard the greeting');
  });

  it('hangs up a call whose accept comes back after the server stopped, rather than steering it from a stopped server', async () => {
    const backend = await startBackend('agents', { TRANSPORT: 'sip', OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET, OPENAI_PROJECT_ID: PROJECT_ID });
    const openai = openAISipControl(backend.config, WEBHOOK_SECRET);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sipControl: SipControl = {
      ...openai,
      async accept(callId, params) {
        await openai.accept(callId, params);
        await held;
      },
    };
    const bridge = await bridgeFor('agents', { backend, server: { sipControl } });
    backends.push(backend);
    const { sip } = bridge.fake;
    const call = sip.placeCall();
    const delivery = sip.sendWebhook(bridge.webhookUrl, WEBHOOK_SECRET, sip.incomingEvent(call, 'realtime')).catch(() => undefined);
    await eventually(() => call.state === 'accepted', 'OpenAI took the accept');
    await bridge.server.close();
    release();
    await delivery;
    const said = 'Hung up the call through OpenAI: the server is stopping, and nothing would steer the call any more';
    // The fake counts the hang-up as its request arrives; the bridge logs it once OpenAI has answered.
    await eventually(() => call.hangups === 1 && bridge.callLog(call).some((line) => line.includes(said)), 'the call was hung up, and the log says so');
    expect(call.hangups).toBe(1);
    expect(call.sidebands).toBe(0);
    expect(bridge.server.activeCalls).toBe(0);
  });
});

function bridge2Log(first: SipBridge, second: SipBridge, callId: string): string {
  return [...first.lines, ...second.lines].filter((line) => line.includes(callId)).join('\n');
}
