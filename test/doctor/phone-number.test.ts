import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/check.js';
import { phoneNumberCheck } from '../../src/doctor/checks/phone-number.js';
import { twilioCredentialsCheck } from '../../src/doctor/checks/twilio-credentials.js';
import { voiceUrlFix } from '../../src/doctor/fixes/voice-url-fix.js';
import { fixedClock } from '../../src/util/clock.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_API_KEY,
  FAKE_TWILIO_API_SECRET,
  FAKE_TWILIO_AUTH_TOKEN,
  FAKE_TWILIO_NUMBER_SID,
  FAKE_TWILIO_PHONE_NUMBER,
  FakeTwilioRest,
  TWILIO_DEMO_VOICE_URL,
  type FakeIncomingNumber,
} from '../fakes/twilio/fake-twilio-rest.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

const WEBHOOK_URL = 'https://voice.acme-clinic.com';
const VOICE_URL = `${WEBHOOK_URL}/incoming-call`;

let fake: FakeTwilioRest | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_API_BASE_URL: fake!.baseURL,
    TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER,
    WEBHOOK_URL,
    ...overrides,
  };
}

/** Runs the check with the fake's number configured as given. */
async function check(number: Partial<FakeIncomingNumber> = {}, overrides: Record<string, string> = {}): Promise<CheckResult> {
  fake ??= await FakeTwilioRest.start();
  Object.assign(fake.numberFor(FAKE_TWILIO_PHONE_NUMBER)!, number);
  const result = await runCheck(phoneNumberCheck, configFrom(env(overrides)));
  for (const secret of [FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_API_SECRET]) expect(leaksSecret(visibleText(result), secret)).toBe(false);
  return result;
}

describe('the phone number check', () => {
  it('passes a number on the account whose voice URL is WEBHOOK_URL/incoming-call with POST', async () => {
    const result = await check({ voiceUrl: VOICE_URL, voiceMethod: 'POST' });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe(`${FAKE_TWILIO_PHONE_NUMBER} sends calls to ${VOICE_URL} (POST)`);
    expect(result.facts).toEqual({ numberSid: FAKE_TWILIO_NUMBER_SID, voiceUrl: VOICE_URL, expectedVoiceUrl: VOICE_URL });
  });

  it('joins WEBHOOK_URL and the path with one slash', async () => {
    const result = await check({ voiceUrl: VOICE_URL }, { WEBHOOK_URL: `${WEBHOOK_URL}/` });
    expect(result.status).toBe('ok');
  });

  it('shows the expected and the actual voice URL when they differ', async () => {
    const result = await check({ voiceUrl: TWILIO_DEMO_VOICE_URL });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`${FAKE_TWILIO_PHONE_NUMBER}: its voice URL does not point at this bridge`);
    expect(result.detail).toEqual([`expected: ${VOICE_URL} (POST)`, `found:    ${TWILIO_DEMO_VOICE_URL} (POST)`]);
    expect(result.fix).toBe(
      `In Console > Phone Numbers > Manage > Active numbers > ${FAKE_TWILIO_PHONE_NUMBER} > Voice Configuration, set "A call comes in" to Webhook ${VOICE_URL} with HTTP POST, and save.`,
    );
  });

  it('does not tell anyone to point a real number at a local-only http://localhost WEBHOOK_URL', async () => {
    const result = await check({ voiceUrl: TWILIO_DEMO_VOICE_URL }, { WEBHOOK_URL: 'http://localhost:5077' });
    expect(result.status).toBe('fail');
    expect(result.fix).toBe(
      'Leave the number as it is for now: WEBHOOK_URL is not an https URL, so calls to the number could not reach it. ' +
        'Set WEBHOOK_URL to the public https URL of your tunnel or server (see Webhook URL), then point the number at WEBHOOK_URL/incoming-call (run the doctor again, or doctor --fix).',
    );
    expect(result.autoFixes).toBeUndefined();
  });

  it('offers to point the number at a public https WEBHOOK_URL', async () => {
    const result = await check({ voiceUrl: TWILIO_DEMO_VOICE_URL });
    expect(result.autoFixes?.map((fix) => [fix.id, fix.description])).toEqual([
      ['phone-number.voice-url', `Point ${FAKE_TWILIO_PHONE_NUMBER} at this bridge: voice URL ${VOICE_URL}, method POST`],
    ]);
  });

  it('does not offer to point a real number at an https WEBHOOK_URL on this machine: Twilio cannot reach it', async () => {
    const result = await check({ voiceUrl: TWILIO_DEMO_VOICE_URL }, { WEBHOOK_URL: 'https://localhost:5077', PORT: '5050' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`${FAKE_TWILIO_PHONE_NUMBER}: its voice URL does not point at this bridge`);
    expect(result.detail).toEqual(['expected: https://localhost:5077/incoming-call (POST)', `found:    ${TWILIO_DEMO_VOICE_URL} (POST)`]);
    expect(result.fix).toBe(
      'Leave the number as it is for now: Twilio cannot reach localhost:5077 (localhost is this machine), so calls to the number could not reach it. ' +
        'For real calls, expose the server with a tunnel (e.g. ngrok http 5050), set WEBHOOK_URL to the https URL it prints, ' +
        'then point the number at WEBHOOK_URL/incoming-call (run the doctor again, or doctor --fix). ' +
        'For calls from this machine only, npx voicebridge call reaches the server directly: the number needs no change.',
    );
    expect(result.autoFixes).toBeUndefined();
  });

  it.each([
    ['https://127.0.0.1:5077', 'Twilio cannot reach 127.0.0.1:5077 (127.0.0.1 is this machine (loopback))'],
    ['https://[::1]:5077', 'Twilio cannot reach [::1]:5077 (::1 is this machine (loopback))'],
    ['https://192.168.1.20', 'Twilio cannot reach 192.168.1.20 (192.168.1.20 is a private network address)'],
    ['https://10.0.0.5:8443/voice', 'Twilio cannot reach 10.0.0.5:8443 (10.0.0.5 is a private network address)'],
    ['https://voicebridge.local', 'Twilio cannot reach voicebridge.local (voicebridge.local is a local-network name that does not resolve on the internet)'],
  ])('does not offer to point a real number at %s, a host only this machine or network reaches', async (webhookUrl, unreachable) => {
    const result = await check({ voiceUrl: TWILIO_DEMO_VOICE_URL }, { WEBHOOK_URL: webhookUrl });
    expect(result.status).toBe('fail');
    expect(result.fix).toContain(`Leave the number as it is for now: ${unreachable}, so calls to the number could not reach it. For real calls, expose the server`);
    expect(result.fix).toContain('npx voicebridge call reaches the server directly: the number needs no change.');
    expect(result.autoFixes).toBeUndefined();
  });

  it('refuses, when asked to plan it anyway, to point the number at a host Twilio cannot reach, without asking Twilio', async () => {
    fake = await FakeTwilioRest.start();
    const fix = voiceUrlFix(configFrom(env()), { phoneNumber: FAKE_TWILIO_PHONE_NUMBER, numberSid: FAKE_TWILIO_NUMBER_SID, voiceUrl: 'https://localhost:5077/incoming-call' });
    expect(await fix.plan({ clock: fixedClock('2026-11-24T12:00:00Z') })).toEqual({
      kind: 'cannot',
      reason: `Twilio cannot reach localhost:5077, so ${FAKE_TWILIO_PHONE_NUMBER} is left as it is: set WEBHOOK_URL to the public https URL of your tunnel or server first`,
    });
    expect(fake.requests).toEqual([]);
  });

  it('fails a number with no voice URL at all', async () => {
    const result = await check({ voiceUrl: null });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('found:    (none) (POST)');
  });

  it('fails the right URL called with GET', async () => {
    const result = await check({ voiceUrl: VOICE_URL, voiceMethod: 'GET' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`${FAKE_TWILIO_PHONE_NUMBER}: Twilio calls it with GET, but voicebridge expects POST`);
  });

  it('warns that a TwiML App overrides the voice URL, and says what the app must point at', async () => {
    const result = await check({ voiceUrl: VOICE_URL, voiceApplicationSid: 'AP0123456789abcdef0123456789abcdef' });
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('go to the TwiML App AP0123456789abcdef0123456789abcdef');
    expect(result.detail?.[0]).toBe(`the app’s Voice Request URL must be ${VOICE_URL} (POST)`);
  });

  it('fails a number attached to a SIP trunk, whose calls never reach the voice URL', async () => {
    const result = await check({ voiceUrl: VOICE_URL, trunkSid: 'TK0123456789abcdef0123456789abcdef' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`calls to ${FAKE_TWILIO_PHONE_NUMBER} go to the SIP trunk TK0123456789abcdef0123456789abcdef, so its voice URL is never used`);
    expect(result.fix).toContain('Remove the number from the trunk');
  });

  it('fails a number that is not on the account and lists the ones that are', async () => {
    const result = await check({}, { TWILIO_PHONE_NUMBER: '+14155550000' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('+14155550000 is not a number on account AC…cdef');
    expect(result.detail).toEqual([`Numbers on this account: ${FAKE_TWILIO_PHONE_NUMBER}`]);
    expect(result.fix).toContain('subaccount');
  });

  it('fails a number that is not E.164 before calling Twilio, with the corrected form', async () => {
    fake = await FakeTwilioRest.start();
    const result = await check({}, { TWILIO_PHONE_NUMBER: '(415) 555-0123' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('TWILIO_PHONE_NUMBER (415) 555-0123 is missing the + and country code: E.164 looks like +14155550123');
    expect(result.fix).toBe('Write the number in E.164 form (+, country code, number; no spaces): TWILIO_PHONE_NUMBER=+14155550123');
    expect(fake.requests).toEqual([]);
  });

  it('leaves an example number to the required variables check', async () => {
    const result = await check({}, { TWILIO_PHONE_NUMBER: '+1XXXXXXXXXX' });
    expect(result).toEqual({ status: 'skip', summary: 'TWILIO_PHONE_NUMBER still holds an example value (see Required variables)' });
  });

  it('warns that the voice URL cannot be compared without WEBHOOK_URL', async () => {
    fake = await FakeTwilioRest.start();
    const config = configFrom({ ...env(), WEBHOOK_URL: '' });
    const result = await runCheck(phoneNumberCheck, config);
    expect(result.status).toBe('warn');
    expect(result.detail).toEqual([`voice URL: ${TWILIO_DEMO_VOICE_URL} (POST)`]);
  });

  it('works with API key credentials', async () => {
    const result = await check(
      { voiceUrl: VOICE_URL },
      { TWILIO_AUTH_TOKEN: '', TWILIO_API_KEY: FAKE_TWILIO_API_KEY, TWILIO_API_SECRET: FAKE_TWILIO_API_SECRET },
    );
    expect(result.status).toBe('ok');
    const listing = fake!.requests.find((request) => request.path.endsWith('/IncomingPhoneNumbers.json'));
    expect(listing?.headers.authorization).toBe(`Basic ${Buffer.from(`${FAKE_TWILIO_API_KEY}:${FAKE_TWILIO_API_SECRET}`).toString('base64')}`);
  });

  it('is skipped when the Twilio credentials fail', async () => {
    fake = await FakeTwilioRest.start();
    const config = configFrom(env({ TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef' }));
    const reports = await runChecks([twilioCredentialsCheck, phoneNumberCheck], { config });
    expect(reports.map((report) => [report.id, report.status])).toEqual([
      ['twilio-credentials', 'fail'],
      ['phone-number', 'skip'],
    ]);
    expect(reports[1]!.summary).toBe('skipped: needs "Twilio credentials" to pass first');
  });
});
