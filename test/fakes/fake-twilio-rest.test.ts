import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTwilioClient } from '../../src/clients/twilio-client.js';
import { buildConfig } from '../../src/config/config.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_API_KEY,
  FAKE_TWILIO_API_SECRET,
  FAKE_TWILIO_AUTH_TOKEN,
  FAKE_TWILIO_NUMBER_SID,
  FAKE_TWILIO_PHONE_NUMBER,
  FakeTwilioRest,
  TWILIO_DEMO_VOICE_URL,
} from './twilio/fake-twilio-rest.js';

let fake: FakeTwilioRest | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await fake?.close();
  fake = undefined;
});

function clientFor(env: Record<string, string>) {
  const config = buildConfig({ path: '.env', explicit: false, found: false, values: {} }, { TWILIO_API_BASE_URL: fake!.baseURL, ...env });
  return createTwilioClient(config, { timeoutMs: 5_000 });
}

function caught(promise: Promise<unknown>): Promise<{ status?: number; code?: number; message?: string; moreInfo?: string }> {
  return promise.then(
    () => ({}),
    (error: unknown) => error as { status?: number; code?: number },
  );
}

describe('the fake Twilio REST API, driven by the real twilio client', () => {
  it('fetches the account with the Account SID and auth token', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    const account = await client.api.v2010.accounts(FAKE_TWILIO_ACCOUNT_SID).fetch();
    expect(account).toMatchObject({ sid: FAKE_TWILIO_ACCOUNT_SID, status: 'active', type: 'Full' });
  });

  it('rejects a wrong auth token with Twilio error 20003', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: '0'.repeat(32) });
    const error = await caught(client.api.v2010.accounts(FAKE_TWILIO_ACCOUNT_SID).fetch());
    expect(error).toMatchObject({ status: 401, code: 20003, message: 'Authenticate', moreInfo: 'https://www.twilio.com/docs/errors/20003' });
  });

  it('answers 20404 for an account the credentials cannot see', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    const error = await caught(client.api.v2010.accounts(`AC${'9'.repeat(32)}`).fetch());
    expect(error).toMatchObject({ status: 404, code: 20404 });
  });

  it('lets a Standard API key list numbers but not read the account', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor({
      TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
      TWILIO_API_KEY: FAKE_TWILIO_API_KEY,
      TWILIO_API_SECRET: FAKE_TWILIO_API_SECRET,
    });
    const numbers = await client.incomingPhoneNumbers.list({ phoneNumber: FAKE_TWILIO_PHONE_NUMBER });
    expect(numbers.map((number) => number.sid)).toEqual([FAKE_TWILIO_NUMBER_SID]);
    const error = await caught(client.api.v2010.accounts(FAKE_TWILIO_ACCOUNT_SID).fetch());
    expect(error).toMatchObject({ status: 401, code: 20003 });
  });

  it('lists a number by PhoneNumber with its voice settings, and updates its voice URL', async () => {
    fake = await FakeTwilioRest.start();
    fake.addNumber({ phoneNumber: '+14155550999' });
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    const [number, ...others] = await client.incomingPhoneNumbers.list({ phoneNumber: FAKE_TWILIO_PHONE_NUMBER });
    expect(others).toEqual([]);
    expect(number).toMatchObject({
      sid: FAKE_TWILIO_NUMBER_SID,
      phoneNumber: FAKE_TWILIO_PHONE_NUMBER,
      voiceUrl: TWILIO_DEMO_VOICE_URL,
      voiceMethod: 'POST',
      trunkSid: null,
    });
    const updated = await client.incomingPhoneNumbers(FAKE_TWILIO_NUMBER_SID).update({ voiceUrl: 'https://bridge.example.org/incoming-call', voiceMethod: 'POST' });
    expect(updated.voiceUrl).toBe('https://bridge.example.org/incoming-call');
    expect(fake.numberFor(FAKE_TWILIO_PHONE_NUMBER)?.voiceUrl).toBe('https://bridge.example.org/incoming-call');
  });

  it('hangs up a live call and refuses to redirect a finished one', async () => {
    fake = await FakeTwilioRest.start();
    const call = fake.addCall();
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    const ended = await client.calls(call.sid).update({ status: 'completed' });
    expect(ended.status).toBe('completed');
    expect(call.updates).toEqual([{ Status: 'completed' }]);
    const error = await caught(client.calls(call.sid).update({ twiml: '<Response><Say>Bye</Say></Response>' }));
    expect(error).toMatchObject({ status: 400, code: 21220 });
  });

  it('updates a live call with new TwiML', async () => {
    fake = await FakeTwilioRest.start();
    const call = fake.addCall();
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    await client.calls(call.sid).update({ twiml: '<Response><Dial>+14155550100</Dial></Response>' });
    expect(call.updates).toEqual([{ Twiml: '<Response><Dial>+14155550100</Dial></Response>' }]);
    expect(call.status).toBe('in-progress');
  });

  it('knows only the calls it placed, unless told to take any call SID of the account as one in progress (a simulation)', async () => {
    const sid = 'CA00112233445566778899aabbccddeeff';
    fake = await FakeTwilioRest.start();
    const client = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    expect(await caught(client.calls(sid).update({ status: 'completed' }))).toMatchObject({ status: 404, code: 20404 });
    await fake.close();

    fake = await FakeTwilioRest.start({ knowsEveryCall: true });
    const simulated = await clientFor({ TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    expect((await simulated.calls(sid).update({ status: 'completed' })).status).toBe('completed');
    expect(fake.calls.get(sid)).toMatchObject({ accountSid: FAKE_TWILIO_ACCOUNT_SID, status: 'completed', updates: [{ Status: 'completed' }] });
    expect(await caught(simulated.calls('CAnot-a-call-sid').update({ status: 'completed' }))).toMatchObject({ status: 404 });
    // Asked about, an unseen call of the account is one Twilio put through to our number, still going.
    const other = 'CAffeeddccbbaa99887766554433221100';
    expect(await simulated.calls(other).fetch()).toMatchObject({ sid: other, direction: 'inbound', status: 'in-progress', to: FAKE_TWILIO_PHONE_NUMBER });
    expect(await caught(simulated.calls('CAnot-a-call-sid').fetch())).toMatchObject({ status: 404, code: 20404 });
  });
});

describe('calls placed through the fake, driven by the real twilio client', () => {
  const auth = { TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN };

  it('creates a queued outbound call with every field as sent, the status events read from repeated parameters', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor(auth);
    const call = await client.calls.create({
      to: '+14155550199',
      from: FAKE_TWILIO_PHONE_NUMBER,
      url: 'https://voice.example.test/outbound-call',
      statusCallback: 'https://voice.example.test/outbound-status',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      machineDetection: 'DetectMessageEnd',
      asyncAmd: 'true',
      asyncAmdStatusCallback: 'https://voice.example.test/outbound-amd',
    });
    expect(call).toMatchObject({ status: 'queued', direction: 'outbound-api', to: '+14155550199', from: FAKE_TWILIO_PHONE_NUMBER, sid: expect.stringMatching(/^CA[0-9a-f]{32}$/) });
    const placed = fake.calls.get(call.sid)!;
    expect(placed.statusCallbackEvents).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(placed.created).toMatchObject({ MachineDetection: 'DetectMessageEnd', AsyncAmd: 'true', AsyncAmdStatusCallback: 'https://voice.example.test/outbound-amd' });
  });

  it('refuses what Twilio refuses, with its codes', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor(auth);
    const base = { to: '+14155550199', from: FAKE_TWILIO_PHONE_NUMBER, url: 'https://voice.example.test/outbound-call' };
    expect(await caught(client.calls.create({ ...base, to: '4155550199' }))).toMatchObject({ status: 400, code: 21211 });
    expect(await caught(client.calls.create({ ...base, from: '+14155550111' }))).toMatchObject({ status: 400, code: 21210 });
    expect(await caught(client.calls.create({ to: base.to, from: base.from } as never))).toMatchObject({ status: 400, code: 21205, message: 'Url parameter is required.' });
    expect(await caught(client.calls.create({ ...base, machineDetection: 'Sometimes' }))).toMatchObject({ status: 400, code: 21626 });
    fake.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.capabilities.voice = false;
    expect(await caught(client.calls.create(base))).toMatchObject({ status: 400, code: 21606 });
    expect(fake.placedCalls()).toEqual([]);
  });

  it('fetches a placed call as it goes: dialled, answered, ended, with Twilio\'s times and duration', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor(auth);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-02T10:00:00Z'));
    // No status callback: Twilio reports only to a StatusCallback, and these calls ring nowhere.
    const { sid } = await client.calls.create({ to: '+14155550199', from: FAKE_TWILIO_PHONE_NUMBER, url: 'https://voice.example.test/outbound-call' });
    const queued = await client.calls(sid).fetch();
    expect(queued).toMatchObject({ sid, status: 'queued', direction: 'outbound-api', from: FAKE_TWILIO_PHONE_NUMBER, to: '+14155550199', phoneNumberSid: FAKE_TWILIO_NUMBER_SID, answeredBy: null, startTime: null, endTime: null, duration: null, accountSid: FAKE_TWILIO_ACCOUNT_SID });
    expect(queued.dateCreated.toISOString()).toBe('2026-03-02T10:00:00.000Z');

    vi.setSystemTime(new Date('2026-03-02T10:00:02Z'));
    await fake.ring(sid);
    const ringing = await client.calls(sid).fetch();
    expect(ringing).toMatchObject({ status: 'ringing', endTime: null, duration: null });
    expect(ringing.startTime.toISOString()).toBe('2026-03-02T10:00:02.000Z');

    const placed = fake.calls.get(sid)!;
    vi.setSystemTime(new Date('2026-03-02T10:00:05Z'));
    placed.status = 'in-progress';
    placed.answeredAt = Date.now();
    placed.answeredBy = 'human';
    vi.setSystemTime(new Date('2026-03-02T10:00:47Z'));
    await fake.finish(sid, 'completed');
    const completed = await client.calls(sid).fetch();
    expect(completed).toMatchObject({ status: 'completed', answeredBy: 'human', duration: '42' });
    expect(completed.endTime.toISOString()).toBe('2026-03-02T10:00:47.000Z');
    expect(completed.dateUpdated.toISOString()).toBe('2026-03-02T10:00:47.000Z');

    const busy = await client.calls.create({ to: '+14155550198', from: FAKE_TWILIO_PHONE_NUMBER, url: 'https://voice.example.test/outbound-call' });
    await fake.ring(busy.sid);
    await fake.finish(busy.sid, 'busy');
    expect(await client.calls(busy.sid).fetch()).toMatchObject({ status: 'busy', answeredBy: null, duration: null });

    const inbound = fake.addCall();
    expect(await client.calls(inbound.sid).fetch()).toMatchObject({ direction: 'inbound', from: '+14155550199', to: FAKE_TWILIO_PHONE_NUMBER, status: 'in-progress' });
    expect(await caught(client.calls(`CA${'0'.repeat(32)}`).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('shows a call only to its own account', async () => {
    const other = `AC${'1'.repeat(32)}`;
    fake = await FakeTwilioRest.start({ accounts: [{ sid: FAKE_TWILIO_ACCOUNT_SID, authToken: FAKE_TWILIO_AUTH_TOKEN }, { sid: other, authToken: 'b'.repeat(32) }] });
    const call = fake.addCall({ accountSid: other });
    const client = await clientFor(auth);
    expect(await caught(client.calls(call.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    const owner = await clientFor({ TWILIO_ACCOUNT_SID: other, TWILIO_AUTH_TOKEN: 'b'.repeat(32) });
    expect((await owner.calls(call.sid).fetch()).sid).toBe(call.sid);
  });

  it('lists the number with its capabilities', async () => {
    fake = await FakeTwilioRest.start();
    const client = await clientFor(auth);
    const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: FAKE_TWILIO_PHONE_NUMBER });
    expect(number?.capabilities).toEqual({ voice: true, sms: true, mms: true, fax: false });
  });
});
