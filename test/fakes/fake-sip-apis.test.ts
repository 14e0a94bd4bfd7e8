// The fakes' Elastic SIP Trunking (Twilio) and webhook endpoints (OpenAI), driven by the real clients, so that what
// setup-sip and the doctor are tested against answers as the SDKs expect: shapes, paging, secrets and errors.
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createTwilioClient } from '../../src/clients/twilio-client.js';
import { buildConfig } from '../../src/config/config.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from './openai/fake-openai.js';
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_NUMBER_SID, FakeTwilioRest } from './twilio/fake-twilio-rest.js';

let twilio: FakeTwilioRest | undefined;
let openai: FakeOpenAI | undefined;
afterEach(async () => {
  await twilio?.close();
  await openai?.close();
  twilio = undefined;
  openai = undefined;
});

async function twilioClient() {
  twilio = await FakeTwilioRest.start();
  const config = buildConfig(
    { path: '.env', explicit: false, found: false, values: {} },
    { TWILIO_API_BASE_URL: twilio.baseURL, TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN },
  );
  return createTwilioClient(config, { timeoutMs: 5_000 });
}

function caught(promise: Promise<unknown>): Promise<{ status?: number; code?: number }> {
  return promise.then(
    () => ({}),
    (error: unknown) => error as { status?: number; code?: number },
  );
}

describe('the fake Elastic SIP Trunking API', () => {
  it('creates, updates and lists trunks, origination URLs and numbers as twilio-node reads them', async () => {
    const client = await twilioClient();
    const trunk = await client.trunking.v1.trunks.create({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all' });
    expect(trunk).toMatchObject({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all', accountSid: FAKE_TWILIO_ACCOUNT_SID });
    expect(trunk.sid).toMatch(/^TK[0-9a-f]{32}$/);

    const url = await client.trunking.v1.trunks(trunk.sid).originationUrls.create({ sipUrl: 'sip:proj_abc123DEF456@sip.api.openai.com;transport=tls', friendlyName: 'OpenAI', priority: 10, weight: 10, enabled: true });
    expect(url).toMatchObject({ trunkSid: trunk.sid, enabled: true, priority: 10, weight: 10 });
    await client.trunking.v1.trunks(trunk.sid).originationUrls(url.sid).update({ enabled: false });
    expect((await client.trunking.v1.trunks(trunk.sid).originationUrls.list()).map((each) => each.enabled)).toEqual([false]);

    const attached = await client.trunking.v1.trunks(trunk.sid).phoneNumbers.create({ phoneNumberSid: FAKE_TWILIO_NUMBER_SID });
    expect(attached).toMatchObject({ sid: FAKE_TWILIO_NUMBER_SID, trunkSid: trunk.sid });
    expect((await client.incomingPhoneNumbers(FAKE_TWILIO_NUMBER_SID).fetch()).trunkSid).toBe(trunk.sid);

    const updated = await client.trunking.v1.trunks(trunk.sid).update({ secure: false });
    expect(updated.secure).toBe(false);
  });

  it('pages the trunk list with next_page_url, as twilio-node follows it', async () => {
    const client = await twilioClient();
    for (let index = 0; index < 7; index += 1) twilio!.trunking.addTrunk({ friendlyName: `Trunk ${index}` });
    const page = await client.trunking.v1.trunks.page({ pageSize: 3 });
    expect(page.instances).toHaveLength(3);
    expect(page.nextPageUrl).toBe('https://trunking.twilio.com/v1/Trunks?PageSize=3&Page=1&PageToken=PT3');
    expect((await client.trunking.v1.trunks.list({ pageSize: 3 })).map((trunk) => trunk.friendlyName)).toEqual([0, 1, 2, 3, 4, 5, 6].map((index) => `Trunk ${index}`));
  });

  it('answers a wrong value with 400 code 20001, an unknown trunk with 404 code 20404, bad credentials with 401 code 20003', async () => {
    const client = await twilioClient();
    expect(await caught(client.trunking.v1.trunks.create({ transferMode: 'everything' as never }))).toMatchObject({ status: 400, code: 20001 });
    expect(await caught(client.trunking.v1.trunks(`TK${'0'.repeat(32)}`).fetch())).toMatchObject({ status: 404, code: 20404 });
    twilio!.accounts.get(FAKE_TWILIO_ACCOUNT_SID)!.authToken = '0'.repeat(32);
    expect(await caught(client.trunking.v1.trunks.list())).toMatchObject({ status: 401, code: 20003 });
  });
});

describe('the fake OpenAI webhook endpoints', () => {
  it('returns the signing secret on create and rotate only, pages newest first, and lists the event types', async () => {
    openai = await FakeOpenAI.start();
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: openai.baseURL, maxRetries: 0 });
    expect((await client.webhooks.eventTypes.list()).data).toContain('realtime.call.incoming');

    const created = await client.webhooks.create({ name: 'voicebridge', url: 'https://voice.example.com/openai-webhook', event_types: ['realtime.call.incoming'] });
    expect(created.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.signing_secret_hint).toBe(`whsec_…${created.signing_secret.slice(-4)}`);
    const second = await client.webhooks.create({ name: 'other', url: 'https://other.example.com/hook', event_types: ['batch.completed'] });

    const fetched = await client.webhooks.retrieve(created.id);
    expect(fetched).not.toHaveProperty('signing_secret');
    const listed = [];
    for await (const endpoint of client.webhooks.list({ limit: 1 })) listed.push(endpoint.id);
    expect(listed).toEqual([second.id, created.id]);

    const rotated = await client.webhooks.rotateSecret(created.id, { keep_old_secret_active_for_24_hours: true });
    expect(rotated.signing_secret).not.toBe(created.signing_secret);
    expect(openai.webhookEndpoints.get(created.id)!.previousSecret).toBe(created.signing_secret);
  });

  it('refuses an event type the project cannot subscribe to and a URL that is not https, with 400 and the param', async () => {
    openai = await FakeOpenAI.start({ webhookEventTypes: ['realtime.call.incoming'] });
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: openai.baseURL, maxRetries: 0 });
    const unknown = await client.webhooks.create({ name: 'x', url: 'https://voice.example.com/hook', event_types: ['batch.completed'] }).catch((error: unknown) => error);
    expect(unknown).toMatchObject({ status: 400, param: 'event_types' });
    const plain = await client.webhooks.create({ name: 'x', url: 'http://voice.example.com/hook', event_types: ['realtime.call.incoming'] }).catch((error: unknown) => error);
    expect(plain).toMatchObject({ status: 400, param: 'url' });
    expect(openai.webhookEndpoints.size).toBe(0);
  });
});
