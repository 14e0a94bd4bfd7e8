// Calls the bridge places, end to end: POST /calls to the real serve, the fake Twilio REST API places the call and
// then answers it as Twilio would (signed TwiML fetch, status callbacks, the asynchronous answering-machine verdict),
// with a fake Twilio caller on the media stream standing for whoever picked up.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import type { RawEnv } from '../../src/config/config.js';
import { signTwilioRequest } from '../../src/softphone/twilio-request-signer.js';
import { twilioCallPlacer } from '../../src/transports/twilio-media-streams/twilio-call-actions.js';
import { eventually, PUBLIC_BASE, startCallBridge, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, type CallBridge } from '../bridge/call-harness.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { FAKE_TWILIO_PHONE_NUMBER, type FakeCall } from '../fakes/twilio/fake-twilio-rest.js';

const API_KEY = 'vb_8f3Kq2Lm9Xr4Tb7Vn1Wc6Yd0Hf5Jk2Pg';
const CALLEE = '+14155550199';
const CONTEXT = 'Remind Jane of her cleaning tomorrow at 3 pm';
const OPENING = 'Hi Jane, this is the dental office calling. Just a reminder of your cleaning tomorrow at 3 pm.';

let bridge: CallBridge | undefined;
const callers: FakeTwilioCaller[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const caller of callers.splice(0)) caller.drop();
  await bridge?.stop();
  bridge = undefined;
});

async function startOutbound(backend: BrainBackend = 'responses', env: RawEnv = {}, amdHoldMs = 5_000): Promise<CallBridge> {
  bridge = await startCallBridge(backend, { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY, ...env }, server: { amdHoldMs } });
  bridge.twilio.webhookOrigin = origin();
  bridge.fake.agentBehaviour = { reply: (input) => (input.includes('this is a phone call you placed') ? OPENING : `You said: ${input}.`) };
  return bridge;
}

function origin(): string {
  return `http://127.0.0.1:${bridge!.server.port}`;
}

async function api(method: 'POST' | 'GET', path: string, body?: unknown, key: string | null = API_KEY): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${origin()}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text }, headers: response.headers };
}

async function place(body: Record<string, unknown> = { to: CALLEE, context: CONTEXT }): Promise<FakeCall> {
  const placed = await api('POST', '/calls', body);
  expect(placed.status).toBe(202);
  const call = bridge!.twilio.calls.get(placed.json.call_sid as string);
  if (!call) throw new Error('the fake has no such call');
  return call;
}

/** Whoever picked up: the stream Twilio opens with the TwiML the bridge answered. */
async function pickUp(call: FakeCall): Promise<FakeTwilioCaller> {
  await bridge!.twilio.ring(call.sid);
  const answer = await bridge!.twilio.answer(call.sid);
  expect(answer.status).toBe(200);
  const caller = new FakeTwilioCaller({ serverOrigin: origin(), voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, callSid: call.sid, accountSid: call.accountSid });
  callers.push(caller);
  await caller.connectStream(answer);
  // Twilio stops the stream when the call's TwiML is replaced or the call is hung up.
  bridge!.twilio.events.on('updated', (updated) => {
    if (updated.sid === call.sid) void caller.hangUp();
  });
  return caller;
}

async function metric(outcome: string): Promise<number> {
  const text = await (await fetch(`${origin()}/metrics`)).text();
  const match = new RegExp(`^voicebridge_calls_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? NaN);
}

describe.each<BrainBackend>(['agents', 'assistants', 'responses'])('a person answers a call placed with the %s backend', (backend) => {
  it('tells the agent why it calls, holds its words for the verdict, then the agent speaks first', async () => {
    await startOutbound(backend);
    const call = await place();
    expect(call.created).toMatchObject({
      To: CALLEE,
      From: FAKE_TWILIO_PHONE_NUMBER,
      Url: `${PUBLIC_BASE}/outbound-call?context=Remind+Jane+of+her+cleaning+tomorrow+at+3+pm`,
      Method: 'POST',
      StatusCallback: `${PUBLIC_BASE}/outbound-status`,
      MachineDetection: 'DetectMessageEnd',
      AsyncAmd: 'true',
      AsyncAmdStatusCallback: `${PUBLIC_BASE}/outbound-amd?voicemail=say&message=Hello%2C+sorry+we+missed+you.+Please+call+us+back+at+plus+1+4+1+5+5+5+5+0+1+2+3.+Goodbye.`,
    });
    expect(call.statusCallbackEvents).toEqual(['initiated', 'ringing', 'answered', 'completed']);

    const callee = await pickUp(call);
    // Nothing is said before the verdict: the line could be a machine.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(callee.heard()).toEqual([]);
    expect(await bridge!.twilio.detect(call.sid, 'human', 1800)).toBe(204);

    await callee.waitToHear('tomorrow at 3 pm.');
    expect(callee.heard()).toEqual(['Hi Jane, this is the dental office calling.', 'Just a reminder of your cleaning tomorrow at 3 pm.']);
    expect(callee.heard()).not.toContain(DEFAULT_GREETING);
    const [opening] = bridge!.fake.agentTurns;
    expect(opening?.input).toBe(
      `[Note: this is a phone call you placed to ${CALLEE}, and a person has just answered. Why you are calling: ${CONTEXT} Speak first: greet them, say who you are and why you are calling, in a sentence or two, then listen.]`,
    );

    await callee.say('Thanks, see you then');
    await callee.waitToHear('You said: Thanks, see you then.');
    await callee.hangUp();
    await bridge!.twilio.finish(call.sid, 'completed');

    const followed = await api('GET', `/calls/${call.sid}`);
    expect(followed.status).toBe(200);
    expect(followed.json).toMatchObject({ call_sid: call.sid, to: CALLEE, status: 'completed', answered_by: 'human', outcome: 'answered', voicemail_left: false, done: true });
    expect((followed.json.events as Array<{ event: string }>).map((event) => event.event)).toEqual([
      'placed',
      'initiated',
      'ringing',
      'answered',
      'connected',
      'stream_started',
      'person',
      'completed',
    ]);
    expect(await metric('answered')).toBe(1);
    expect(bridge!.callLog(callee).join('\n')).toContain(`Placing a call to ${CALLEE} from ${FAKE_TWILIO_PHONE_NUMBER} (context: ${CONTEXT})`);
  });
});

describe('a placed call', () => {
  it('speaks first once the hold passes without a verdict (it went to another instance)', async () => {
    await startOutbound('responses', {}, 300);
    const call = await place();
    const callee = await pickUp(call);
    await callee.waitToHear('tomorrow at 3 pm.');
    expect(bridge!.callLog(callee).join('\n')).toContain('No answering-machine verdict within 0.3 s: the agent speaks first');
  });

  it('carries its context to an instance that did not place it: the stream alone tells the agent why it calls', async () => {
    await startOutbound();
    const other = await startCallBridge('assistants', { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY }, server: { amdHoldMs: 300 } });
    try {
      other.fake.agentBehaviour = { reply: () => OPENING };
      const call = await place();
      await bridge!.twilio.ring(call.sid);
      const answer = await bridge!.twilio.answer(call.sid);
      const callee = new FakeTwilioCaller({ serverOrigin: `http://127.0.0.1:${other.server.port}`, voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, callSid: call.sid });
      callers.push(callee);
      await callee.connectStream(answer);
      await callee.waitToHear('tomorrow at 3 pm.');
      expect(other.fake.agentTurns[0]?.input).toContain(`Why you are calling: ${CONTEXT}`);
      expect(bridge!.fake.agentTurns).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('knows a call it placed whose stream carries only its token: the agent is told why and speaks first', async () => {
    await startOutbound('responses', {}, 300);
    const call = await place();
    await bridge!.twilio.ring(call.sid);
    const answer = await bridge!.twilio.answer(call.sid);
    const callee = new FakeTwilioCaller({ serverOrigin: origin(), voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, callSid: call.sid, accountSid: call.accountSid });
    callers.push(callee);
    await callee.connectStream(answer, { parameters: { token: answer.parameters.token! } });
    await callee.waitToHear('tomorrow at 3 pm.');
    expect(callee.heard()).not.toContain(DEFAULT_GREETING);
    expect(bridge!.fake.agentTurns[0]?.input).toContain(`Why you are calling: ${CONTEXT}`);
  });

  it('speaks at once when the verdict came before the stream', async () => {
    await startOutbound('responses', {}, 60_000);
    const call = await place({ to: CALLEE });
    await bridge!.twilio.ring(call.sid);
    const answer = await bridge!.twilio.answer(call.sid);
    expect(answer.parameters).toMatchObject({ direction: 'outbound', to: CALLEE });
    expect(answer.parameters.context_0).toBeUndefined();
    expect(await bridge!.twilio.detect(call.sid, 'human')).toBe(204);
    const callee = new FakeTwilioCaller({ serverOrigin: origin(), voiceUrl: `${PUBLIC_BASE}/incoming-call`, authToken: TWILIO_AUTH_TOKEN, callSid: call.sid, accountSid: call.accountSid });
    callers.push(callee);
    await callee.connectStream(answer);
    await callee.waitToHear('tomorrow at 3 pm.', 3_000);
    expect(bridge!.fake.agentTurns[0]?.input).toContain('No reason for the call was given');
  });

  it('leaves the voicemail message after the beep when a machine answers, then Twilio hangs up', async () => {
    await startOutbound();
    const call = await place({ to: CALLEE, context: CONTEXT, voicemail: 'Hi Jane, a reminder of your cleaning tomorrow at 3 pm.' });
    const machine = await pickUp(call);
    expect(await bridge!.twilio.detect(call.sid, 'machine_end_beep', 7200)).toBe(204);
    await eventually(() => call.updates.length === 1 && call.status === 'completed', 'the call was redirected to the message');
    expect(call.updates[0]!.Twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi Jane, a reminder of your cleaning tomorrow at 3 pm.</Say><Hangup/></Response>',
    );
    await machine.waitForClose();
    expect(machine.heard()).toEqual([]);
    expect(bridge!.fake.agentTurns).toEqual([]);
    await eventually(() => bridge!.twilio.callbacks.some((callback) => callback.kind === 'status' && callback.params.CallStatus === 'completed'), 'the completed callback');
    const followed = await api('GET', `/calls/${call.sid}`);
    expect(followed.json).toMatchObject({ outcome: 'voicemail', voicemail_left: true, answered_by: 'machine_end_beep', done: true });
    expect(await metric('voicemail')).toBe(1);
    expect(await metric('answered')).toBe(0);
  });

  it('hangs up on a machine at once without a voicemail', async () => {
    await startOutbound();
    const call = await place({ to: CALLEE, voicemail: false });
    expect(call.created?.AsyncAmdStatusCallback).toBe(`${PUBLIC_BASE}/outbound-amd?voicemail=none`);
    await pickUp(call);
    await bridge!.twilio.detect(call.sid, 'machine_end_silence');
    await eventually(() => call.updates.length === 1, 'the call was hung up');
    expect(call.updates[0]).toEqual({ Status: 'completed' });
    await eventually(() => bridge!.twilio.callbacks.some((callback) => callback.kind === 'status' && callback.params.CallStatus === 'completed'), 'the completed callback');
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ outcome: 'voicemail', voicemail_left: false, done: true });
  });

  it.each([
    ['no-answer', 'no_answer', 'Nobody answered'],
    ['busy', 'busy', 'The line was busy'],
    ['failed', 'failed', 'The call could not be connected'],
  ] as const)('ends %s without an answer, counted as %s', async (status, outcome, message) => {
    await startOutbound();
    const call = await place();
    await bridge!.twilio.ring(call.sid);
    expect(bridge!.server.pendingCalls).toBe(1);
    expect(await bridge!.twilio.finish(call.sid, status)).toBe(204);
    const followed = await api('GET', `/calls/${call.sid}`);
    expect(followed.json).toMatchObject({ status, outcome, done: true, answered_by: null });
    expect((followed.json.events as Array<{ message: string }>).at(-1)?.message).toBe(message);
    expect(await metric(outcome)).toBe(1);
    expect(bridge!.server.pendingCalls).toBe(0);
    expect(bridge!.fake.agentTurns).toEqual([]);
  });

  it('takes callbacks that overtake Twilio\'s answer to the request that placed the call', async () => {
    bridge = await startCallBridge('responses', {
      env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY },
      server: {
        callPlacer: {
          async place(request) {
            const placed = await twilioCallPlacer(bridge!.backend.config).place(request);
            // Twilio's callbacks for the call reach serve before the answer to the request that placed it.
            await bridge!.twilio.ring(placed.sid);
            await bridge!.twilio.finish(placed.sid, 'busy');
            return placed;
          },
        },
      },
    });
    bridge.twilio.webhookOrigin = origin();
    const placed = await api('POST', '/calls', { to: CALLEE });
    expect(placed.status).toBe(202);
    await eventually(() => bridge!.server.pendingCalls === 0, 'the call no longer holds a place');
    const followed = await api('GET', `/calls/${placed.json.call_sid as string}`);
    expect(followed.json).toMatchObject({ status: 'busy', outcome: 'busy', done: true });
    expect((followed.json.events as Array<{ event: string }>).map((event) => event.event)).toEqual(['placed', 'initiated', 'ringing', 'busy']);
    expect(await metric('busy')).toBe(1);
  });

  it('refuses AMD and status callbacks that Twilio did not sign', async () => {
    await startOutbound();
    const call = await place();
    const amdUrl = call.created!.AsyncAmdStatusCallback!;
    const params = { AccountSid: call.accountSid, AnsweredBy: 'machine_end_beep', CallSid: call.sid, MachineDetectionDuration: '4000' };
    const post = (path: string, signature: string | undefined, body: Record<string, string>) =>
      fetch(`${origin()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
        body: new URLSearchParams(body).toString(),
      });
    const amdPath = amdUrl.slice(PUBLIC_BASE.length);
    expect((await post(amdPath, undefined, params)).status).toBe(403);
    expect((await post(amdPath, signTwilioRequest('ffffffffffffffffffffffffffffffff', amdUrl, params), params)).status).toBe(403);
    // Signed for another voicemail message than the one in the URL: the query is part of what is signed.
    expect((await post('/outbound-amd?voicemail=say&message=Send+money', signTwilioRequest(TWILIO_AUTH_TOKEN, amdUrl, params), params)).status).toBe(403);
    const status = { AccountSid: call.accountSid, CallSid: call.sid, CallStatus: 'busy' };
    expect((await post('/outbound-status', undefined, status)).status).toBe(403);
    expect((await post('/outbound-status', signTwilioRequest(TWILIO_AUTH_TOKEN, `${PUBLIC_BASE}/other`, status), status)).status).toBe(403);
    expect(call.updates).toEqual([]);
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ outcome: null, done: false });
    expect(await metric('voicemail')).toBe(0);
    expect(await metric('busy')).toBe(0);
    expect(bridge!.lines.join('\n')).toContain(`Refused a webhook: its Twilio signature does not match (expected a request signed for ${PUBLIC_BASE}/outbound-status`);
  });
});

describe('callbacks as Twilio may send them: twice, out of order, late, or for a call placed elsewhere', () => {
  /** A callback signed as Twilio signs it, with the parameters Twilio sends for a placed call. */
  async function callback(call: FakeCall, url: string, extra: Record<string, string>): Promise<number> {
    const params = { AccountSid: call.accountSid, ApiVersion: '2010-04-01', CallSid: call.sid, Called: call.to, Caller: call.from, Direction: 'outbound-api', From: call.from, To: call.to, ...extra };
    const response = await fetch(`${origin()}${url.slice(PUBLIC_BASE.length)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(TWILIO_AUTH_TOKEN, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    return response.status;
  }
  const status = (call: FakeCall, CallStatus: string, SequenceNumber: string, extra: Record<string, string> = {}) =>
    callback(call, `${PUBLIC_BASE}/outbound-status`, { CallStatus, SequenceNumber, CallbackSource: 'call-progress-events', Timestamp: 'Tue, 02 Mar 2026 10:00:00 +0000', ...extra });
  const verdict = (call: FakeCall, AnsweredBy: string) => callback(call, call.created!.AsyncAmdStatusCallback!, { AnsweredBy, MachineDetectionDuration: '3100' });
  const linesOf = (call: FakeCall) => bridge!.lines.filter((line) => line.includes(`[${call.sid}]`));
  const events = async (call: FakeCall) => ((await api('GET', `/calls/${call.sid}`)).json.events as Array<{ event: string }>).map((event) => event.event);

  it('reports a call once: a repeated end, and a status older than one heard, change nothing', async () => {
    await startOutbound();
    const call = await place();
    expect(await status(call, 'ringing', '1')).toBe(204);
    expect(await status(call, 'initiated', '0')).toBe(204);
    expect(await status(call, 'ringing', '1')).toBe(204);
    expect(await status(call, 'busy', '2', { CallDuration: '0', Duration: '0' })).toBe(204);
    expect(await status(call, 'busy', '2', { CallDuration: '0', Duration: '0' })).toBe(204);
    expect(await status(call, 'ringing', '1')).toBe(204);
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ status: 'busy', outcome: 'busy', done: true });
    expect(await events(call)).toEqual(['placed', 'ringing', 'busy']);
    expect(await metric('busy')).toBe(1);
    expect(linesOf(call).filter((line) => line.includes('Ignored a late or repeated status callback'))).toHaveLength(4);
  });

  it('acts on a machine once when its verdict comes twice', async () => {
    await startOutbound();
    const call = await place({ to: CALLEE, voicemail: 'Please call us back.' });
    await pickUp(call);
    expect(await verdict(call, 'machine_end_beep')).toBe(204);
    expect(await verdict(call, 'machine_end_beep')).toBe(204);
    await eventually(() => call.status === 'completed', 'the message was left');
    expect(call.updates).toHaveLength(1);
    expect(await metric('voicemail')).toBe(1);
    expect(linesOf(call).join('\n')).toContain('Ignored a repeated answering-machine verdict (machine_end_beep after 3100 ms): the first was machine_end_beep');
  });

  it('does not act on a verdict that comes after the call ended, and counts the call once', async () => {
    await startOutbound();
    const call = await place();
    await bridge!.twilio.ring(call.sid);
    await bridge!.twilio.answer(call.sid);
    await bridge!.twilio.finish(call.sid, 'completed');
    expect(await verdict(call, 'machine_end_other')).toBe(204);
    expect(call.updates).toEqual([]);
    expect(linesOf(call).filter((line) => / (Could not|The answering-machine verdict)/.test(line))).toEqual([
      expect.stringMatching(/\] The answering-machine verdict \(machine_end_other after 3100 ms\) came after the call ended$/),
    ]);
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ status: 'completed', outcome: 'answered', answered_by: 'machine_end_other', done: true });
    expect(await metric('answered')).toBe(1);
    expect(await metric('voicemail')).toBe(0);
  });

  it('reports the call ended only once it is known whether the voicemail message was left', async () => {
    let redirected: () => void = () => undefined;
    const twilioAnswers = new Promise<void>((resolve) => {
      redirected = resolve;
    });
    bridge = await startCallBridge('responses', {
      env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY },
      server: {
        amdHoldMs: 5_000,
        callControl: {
          hangUp: async () => undefined,
          fetch: async () => undefined,
          // Twilio's answer to the redirect is slower than the call's end: the machine hung up after the beep.
          redirect: () => twilioAnswers,
        },
      },
    });
    bridge.twilio.webhookOrigin = origin();
    const call = await place({ to: CALLEE, voicemail: 'Please call us back.' });
    await bridge.twilio.ring(call.sid);
    await bridge.twilio.answer(call.sid);
    const detected = verdict(call, 'machine_end_beep');
    await eventually(() => bridge!.lines.some((line) => line.includes('leaving the voicemail message')), 'the message is being left');
    const ended = status(call, 'completed', '3', { CallDuration: '12' });
    expect(await ended).toBe(204);
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ status: 'completed', outcome: 'voicemail', voicemail_left: false, done: false });
    redirected();
    expect(await detected).toBe(204);
    await eventually(() => bridge!.lines.some((line) => line.includes('Left the voicemail message after the beep;')), 'the message was left');
    await new Promise((resolve) => setImmediate(resolve));
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ status: 'completed', outcome: 'voicemail', voicemail_left: true, done: true });
    expect(await metric('voicemail')).toBe(1);
  });

  it('takes callbacks for a call it does not know, or without a status, without failing', async () => {
    await startOutbound();
    const elsewhere = bridge!.twilio.addCall({ from: FAKE_TWILIO_PHONE_NUMBER, to: CALLEE, direction: 'outbound-api' });
    elsewhere.created = { AsyncAmdStatusCallback: `${PUBLIC_BASE}/outbound-amd?voicemail=none` };
    expect(await status(elsewhere, '', '0')).toBe(204);
    expect(await status(elsewhere, 'no-answer', '2')).toBe(204);
    expect(await status(elsewhere, 'no-answer', '2')).toBe(204);
    const answered = bridge!.twilio.addCall({ from: FAKE_TWILIO_PHONE_NUMBER, to: CALLEE, direction: 'outbound-api' });
    answered.created = elsewhere.created;
    expect(await verdict(answered, 'unknown')).toBe(204);
    expect(await verdict(answered, 'unknown')).toBe(204);
    const machine = bridge!.twilio.addCall({ accountSid: TWILIO_ACCOUNT_SID, from: FAKE_TWILIO_PHONE_NUMBER, to: CALLEE, direction: 'outbound-api', status: 'in-progress' });
    machine.created = elsewhere.created;
    expect(await verdict(machine, 'machine_end_beep')).toBe(204);
    expect(await verdict(machine, 'machine_end_beep')).toBe(204);
    await eventually(() => machine.updates.length === 1, 'the hang-up');
    expect(machine.updates).toEqual([{ Status: 'completed' }]);
    expect(linesOf(machine).join('\n')).toContain('Ignored a repeated answering-machine verdict (machine_end_beep after 3100 ms)');
    // Counted once each, on the instance the callbacks reached.
    expect(await metric('no_answer')).toBe(1);
    expect(await metric('answered')).toBe(1);
    expect(await metric('voicemail')).toBe(1);
    expect(linesOf(elsewhere).join('\n')).toContain('Ignored a status callback without a CallStatus');
    expect((await fetch(`${origin()}/healthz`)).status).toBe(200);
  });

  it('counts a fax reported only by the end of the call as failed', async () => {
    await startOutbound();
    const call = await place();
    expect(await status(call, 'completed', '3', { CallDuration: '4', AnsweredBy: 'fax' })).toBe(204);
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ outcome: 'failed', done: true });
    expect(await metric('failed')).toBe(1);
    expect(await metric('answered')).toBe(0);
  });
});

describe('the calls API', () => {
  it('does not exist without VOICEBRIDGE_API_KEY', async () => {
    bridge = await startCallBridge('responses', { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER } });
    expect((await api('POST', '/calls', { to: CALLEE })).status).toBe(404);
    expect((await api('POST', '/outbound-amd', {})).status).toBe(404);
  });

  it('asks for the key, refuses a wrong one, takes the right one; the key is never logged', async () => {
    await startOutbound();
    const without = await api('POST', '/calls', { to: CALLEE }, null);
    expect(without.status).toBe(401);
    expect(without.json).toEqual({ error: 'Send the API key as Authorization: Bearer <VOICEBRIDGE_API_KEY>.' });
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="voicebridge"');
    const wrong = await api('POST', '/calls', { to: CALLEE }, `${API_KEY.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: 'The API key does not match VOICEBRIDGE_API_KEY.' });
    expect((await api('GET', '/calls/CA0123456789abcdef0123456789abcdef', undefined, 'nope')).status).toBe(401);
    expect(bridge!.twilio.placedCalls()).toEqual([]);
    const right = await api('POST', '/calls', { to: CALLEE });
    expect(right.status).toBe(202);
    expect(right.json).toEqual({ call_sid: expect.stringMatching(/^CA[0-9a-f]{32}$/) });
    expect(bridge!.twilio.placedCalls()).toHaveLength(1);
    expect(bridge!.lines.join('\n')).not.toContain(API_KEY);
    expect((await api('GET', '/calls/CA0123456789abcdef0123456789abcdef')).status).toBe(404);
  });

  it('says what is wrong with a request', async () => {
    await startOutbound();
    expect((await api('POST', '/calls', 'not json')).json).toEqual({ error: 'The body is not JSON. Send { "to": "+14155550123" } with Content-Type: application/json.' });
    expect((await api('POST', '/calls', {})).json).toEqual({ error: '"to" is required: the number to call, in E.164 form (e.g. "+14155550123").' });
    expect((await api('POST', '/calls', { to: CALLEE, from: '+1' })).json).toEqual({ error: 'Unknown field "from": the body takes to, context, voicemail and metadata.' });
    expect((await api('POST', '/calls', { to: CALLEE, context: 'x'.repeat(1001) })).status).toBe(400);
    expect(await api('POST', '/calls', { to: '(415) 555-0199' })).toMatchObject({ status: 400, json: { error: '"to" is missing the + and country code: E.164 looks like +14155550199' } });
    expect(await api('POST', '/calls', { to: '+1 415 555 0199' })).toMatchObject({ status: 400, json: { error: '"to" is not in E.164 form: write it as +14155550199' } });
    expect(await api('POST', '/calls', { to: '+1415' })).toMatchObject({ status: 400, json: { error: '"to" is not a phone number in E.164 form (+ country code and number, e.g. +14155550123)' } });
    expect(await api('POST', '/calls', { to: 14155550199 })).toMatchObject({ status: 400, json: { error: '"to" must be a string: the number to call, in E.164 form (e.g. "+14155550123").' } });
    expect(await api('POST', '/calls', { to: CALLEE, voicemail: ' ' })).toMatchObject({
      status: 400,
      json: { error: '"voicemail" is empty. Give the message to leave on a machine, false to hang up on one, or leave it out for the default message.' },
    });
    expect(await api('POST', '/calls', { to: FAKE_TWILIO_PHONE_NUMBER })).toMatchObject({
      status: 403,
      json: { error: `${FAKE_TWILIO_PHONE_NUMBER} is TWILIO_PHONE_NUMBER, the number calls are placed from: a call to it would ring back into this server. Give the callee's number.` },
    });
    expect(bridge!.twilio.placedCalls()).toEqual([]);
  });

  it('refuses a destination outside the allowed prefixes, and premium-rate numbers, before Twilio is asked', async () => {
    await startOutbound();
    const abroad = await api('POST', '/calls', { to: '+442071838750' });
    expect(abroad.status).toBe(403);
    expect(abroad.json.error).toBe(
      '+442071838750 is outside DIAL_ALLOWED_PREFIXES (not set: the country code of TWILIO_PHONE_NUMBER, +1). To call it, add +44 to DIAL_ALLOWED_PREFIXES in .env (e.g. DIAL_ALLOWED_PREFIXES=+1,+44).',
    );
    const premium = await api('POST', '/calls', { to: '+19005550100' });
    expect(premium.status).toBe(403);
    expect(premium.json.error).toContain('premium-rate');
    expect(bridge!.twilio.placedCalls()).toEqual([]);
    expect(bridge!.lines.join('\n')).toContain('Refused to place a call: +442071838750 is outside DIAL_ALLOWED_PREFIXES');
  });

  it('places at most DIAL_RATE_PER_MINUTE calls in any minute', async () => {
    await startOutbound('responses', { DIAL_RATE_PER_MINUTE: '2' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-02T10:00:00Z'));
    expect((await api('POST', '/calls', { to: CALLEE })).status).toBe(202);
    vi.setSystemTime(new Date('2026-03-02T10:00:20Z'));
    expect((await api('POST', '/calls', { to: CALLEE })).status).toBe(202);
    vi.setSystemTime(new Date('2026-03-02T10:00:45Z'));
    const third = await api('POST', '/calls', { to: CALLEE });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('15');
    expect(third.json).toEqual({ error: 'DIAL_RATE_PER_MINUTE=2: 2 calls were placed in the last minute. Try again in 15 s, or raise DIAL_RATE_PER_MINUTE.', retry_after_seconds: 15 });
    vi.setSystemTime(new Date('2026-03-02T10:01:00Z'));
    expect((await api('POST', '/calls', { to: CALLEE })).status).toBe(202);
    expect(bridge!.twilio.placedCalls()).toHaveLength(3);
  });

  it('counts a call being placed against MAX_CALLS', async () => {
    await startOutbound('responses', { MAX_CALLS: '1' });
    await place();
    const second = await api('POST', '/calls', { to: CALLEE });
    expect(second.status).toBe(503);
    expect(second.json.error).toContain('MAX_CALLS=1 calls are already in progress, connecting or being placed');
    // An inbound call is turned away too while the placed one rings.
    const inbound = await bridge!.dial().catch((error: Error) => error);
    expect(inbound).toBeInstanceOf(Error);
  });

  it('counts a call against MAX_CALLS while Twilio has not yet answered the request placing it', async () => {
    let release: () => void = () => undefined;
    const twilioAnswers = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = 0;
    bridge = await startCallBridge('responses', {
      env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY, MAX_CALLS: '1' },
      server: {
        callPlacer: {
          async place(request) {
            asked += 1;
            await twilioAnswers;
            return twilioCallPlacer(bridge!.backend.config).place(request);
          },
        },
      },
    });
    const first = api('POST', '/calls', { to: CALLEE });
    await eventually(() => asked === 1, 'the first call is on its way to Twilio');
    expect(bridge.server.pendingCalls).toBe(1);
    const [second, third] = await Promise.all([api('POST', '/calls', { to: CALLEE }), api('POST', '/calls', { to: CALLEE })]);
    expect([second.status, third.status]).toEqual([503, 503]);
    expect(second.json.error).toBe('MAX_CALLS=1 calls are already in progress, connecting or being placed: try again when one ends, or raise MAX_CALLS.');
    release();
    expect((await first).status).toBe(202);
    expect(asked).toBe(1);
    expect(bridge.twilio.placedCalls()).toHaveLength(1);
    expect(bridge.server.pendingCalls).toBe(1);
  });

  it('frees the place of a call Twilio refused', async () => {
    await startOutbound('responses', { TWILIO_PHONE_NUMBER: '+14155550111', MAX_CALLS: '1' });
    expect((await api('POST', '/calls', { to: CALLEE })).status).toBe(502);
    expect(bridge!.server.pendingCalls).toBe(0);
    expect((await api('POST', '/calls', { to: CALLEE })).status).toBe(502);
  });

  it('answers with Twilio\'s reason when Twilio refuses the call', async () => {
    await startOutbound('responses', { TWILIO_PHONE_NUMBER: '+14155550111' });
    const refused = await api('POST', '/calls', { to: CALLEE });
    expect(refused.status).toBe(502);
    expect(refused.json.error).toBe(
      "Twilio did not place the call: Twilio answered 400 (error 21210): The source phone number provided, +14155550111, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.",
    );
  });
});

describe('GET /calls/{sid} on an instance that did not place the call', () => {
  const others: CallBridge[] = [];
  afterEach(async () => {
    for (const other of others.splice(0)) await other.stop();
  });

  /** Another instance behind the load balancer: the same auth token, API key, number and Twilio account. */
  async function secondInstance(twilioBaseURL = bridge!.twilio.baseURL): Promise<CallBridge> {
    const other = await startCallBridge('responses', { env: { TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER, VOICEBRIDGE_API_KEY: API_KEY, TWILIO_API_BASE_URL: twilioBaseURL } });
    others.push(other);
    return other;
  }

  async function follow(on: CallBridge, sid: string): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`http://127.0.0.1:${on.server.port}/calls/${sid}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    return { status: response.status, json: await response.json() };
  }

  const at = (time: string): string => `2026-03-02T${time}.000Z`;

  it('answers from Twilio how a call placed elsewhere goes, up to a person answering', async () => {
    await startOutbound();
    const other = await secondInstance();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(at('10:00:00')));
    const call = await place({ to: CALLEE, context: CONTEXT, metadata: { booking: 'B-1042' } });
    const placed = { at: at('10:00:00'), event: 'placed', message: `Calling ${CALLEE} from ${FAKE_TWILIO_PHONE_NUMBER}` };
    const common = { call_sid: call.sid, to: CALLEE, from: FAKE_TWILIO_PHONE_NUMBER, metadata: null };
    expect(await follow(other, call.sid)).toEqual({
      status: 200,
      json: { ...common, status: 'queued', answered_by: null, outcome: null, voicemail_left: false, done: false, events: [placed] },
    });

    vi.setSystemTime(new Date(at('10:00:03')));
    await bridge!.twilio.ring(call.sid);
    const ringing = { at: at('10:00:03'), event: 'ringing', message: 'Ringing' };
    expect(await follow(other, call.sid)).toEqual({
      status: 200,
      json: { ...common, status: 'ringing', answered_by: null, outcome: null, voicemail_left: false, done: false, events: [placed, ringing] },
    });

    vi.setSystemTime(new Date(at('10:00:08')));
    expect((await bridge!.twilio.answer(call.sid)).status).toBe(200);
    expect(await bridge!.twilio.detect(call.sid, 'human')).toBe(204);
    const answered = { at: at('10:00:08'), event: 'answered', message: 'Answered' };
    expect(await follow(other, call.sid)).toEqual({
      status: 200,
      json: { ...common, status: 'in-progress', answered_by: 'human', outcome: 'answered', voicemail_left: false, done: false, events: [placed, ringing, answered] },
    });

    vi.setSystemTime(new Date(at('10:00:50')));
    await bridge!.twilio.finish(call.sid, 'completed');
    expect(await follow(other, call.sid)).toEqual({
      status: 200,
      json: {
        ...common,
        status: 'completed',
        answered_by: 'human',
        outcome: 'answered',
        voicemail_left: false,
        done: true,
        events: [placed, ringing, answered, { at: at('10:00:50'), event: 'completed', message: 'Call ended after 42 s' }],
      },
    });
    // The instance that placed it still answers from its own record, with the metadata.
    expect((await api('GET', `/calls/${call.sid}`)).json).toMatchObject({ outcome: 'answered', metadata: { booking: 'B-1042' }, done: true });
  });

  it('reads a busy line and a machine the way the callbacks do; whether a message was left is not known there', async () => {
    await startOutbound();
    const other = await secondInstance();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(at('10:00:00')));
    const busy = await place();
    await bridge!.twilio.ring(busy.sid);
    vi.setSystemTime(new Date(at('10:00:04')));
    await bridge!.twilio.finish(busy.sid, 'busy');
    expect(await follow(other, busy.sid)).toEqual({
      status: 200,
      json: {
        call_sid: busy.sid,
        to: CALLEE,
        from: FAKE_TWILIO_PHONE_NUMBER,
        status: 'busy',
        answered_by: null,
        outcome: 'busy',
        voicemail_left: false,
        done: true,
        metadata: null,
        events: [
          { at: at('10:00:00'), event: 'placed', message: `Calling ${CALLEE} from ${FAKE_TWILIO_PHONE_NUMBER}` },
          { at: at('10:00:04'), event: 'busy', message: 'The line was busy' },
        ],
      },
    });

    const machine = await place({ to: CALLEE, voicemail: false });
    await bridge!.twilio.ring(machine.sid);
    expect((await bridge!.twilio.answer(machine.sid)).status).toBe(200);
    vi.setSystemTime(new Date(at('10:00:09')));
    await bridge!.twilio.detect(machine.sid, 'machine_end_silence');
    await eventually(() => machine.status === 'completed', 'the placing instance hung up on the machine');
    expect((await follow(other, machine.sid)).json).toMatchObject({ status: 'completed', answered_by: 'machine_end_silence', outcome: 'voicemail', voicemail_left: null, done: true });
  });

  it('shows no call that was not placed from our number through the API', async () => {
    await startOutbound();
    const other = await secondInstance();
    const inbound = bridge!.twilio.addCall({ from: CALLEE, to: FAKE_TWILIO_PHONE_NUMBER, direction: 'inbound' });
    const elsewhere = bridge!.twilio.addCall({ from: '+14155550111', to: CALLEE, direction: 'outbound-api', status: 'completed' });
    const unknown = `CA${'0'.repeat(32)}`;
    for (const sid of [inbound.sid, elsewhere.sid, unknown, 'CAnot-a-call-sid']) {
      expect(await follow(other, sid)).toEqual({ status: 404, json: { error: `No call ${sid} was placed from TWILIO_PHONE_NUMBER through the calls API.` } });
    }
  });

  it('answers 502 when Twilio cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    bridge = await secondInstance(`http://127.0.0.1:${port}`);
    others.splice(0);
    const sid = `CA${'0'.repeat(32)}`;
    expect(await follow(bridge, sid)).toEqual({
      status: 502,
      json: { error: `Call ${sid} was not placed by this instance, and Twilio's REST API could not be asked about it: connect ECONNREFUSED 127.0.0.1:${port}. Try again.` },
    });
    expect(bridge.lines.join('\n')).toContain(`[${sid}] Could not ask Twilio how the call goes: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
