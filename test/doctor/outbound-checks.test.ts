// The doctor's outbound checks: the API key's strength (never shown), DIAL_ALLOWED_PREFIXES as serve reads it, and
// whether the number can place calls, from its capabilities at the fake Twilio REST API.
import { afterEach, describe, expect, it } from 'vitest';
import { dialPrefixesCheck } from '../../src/doctor/checks/dial-prefixes.js';
import { allChecks } from '../../src/doctor/checks/index.js';
import { outboundApiKeyCheck } from '../../src/doctor/checks/outbound-api-key.js';
import { outboundNumberCheck } from '../../src/doctor/checks/outbound-number.js';
import { phoneNumberCheck } from '../../src/doctor/checks/phone-number.js';
import { twilioCredentialsCheck } from '../../src/doctor/checks/twilio-credentials.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_PHONE_NUMBER, FakeTwilioRest } from '../fakes/twilio/fake-twilio-rest.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

const STRONG = '3f9a1c7e5b2d8046af13c9e7b5d20f4a86e1c3b7';

let fake: FakeTwilioRest | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('the outbound API key check', () => {
  it('is offline and listed', () => {
    expect(outboundApiKeyCheck.online).toBeFalsy();
    expect(allChecks.map((check) => check.id)).toEqual(expect.arrayContaining(['outbound-api-key', 'dial-prefixes', 'outbound-number']));
  });

  it.each([
    [undefined, 'ok', 'VOICEBRIDGE_API_KEY is not set (optional): serve places no calls (no POST /calls, no voicebridge dial)'],
    [STRONG, 'ok', 'VOICEBRIDGE_API_KEY is set (40 characters): POST /calls and voicebridge dial can place calls'],
    ['hunter2-secret', 'fail', 'VOICEBRIDGE_API_KEY is 14 characters: too short for a key that places calls (at least 32)'],
    ['abababababababababababababababababab', 'fail', 'VOICEBRIDGE_API_KEY uses only 2 different characters: it is not random enough to guess-proof'],
  ])('judges %s', async (key, status, summary) => {
    const result = await runCheck(outboundApiKeyCheck, configFrom(key === undefined ? {} : { VOICEBRIDGE_API_KEY: key }));
    expect(result.status).toBe(status);
    expect(result.summary).toBe(summary);
    if (key !== undefined) expect(leaksSecret(visibleText(result), key)).toBe(false);
    if (status === 'fail') expect(result.fix).toContain('openssl rand -hex 32');
  });
});

describe('the outbound destinations check', () => {
  it('shows the default: the country code of TWILIO_PHONE_NUMBER', async () => {
    const result = await runCheck(dialPrefixesCheck, configFrom({ TWILIO_PHONE_NUMBER: '+442071838750', VOICEBRIDGE_API_KEY: STRONG }));
    expect(result).toEqual({
      status: 'ok',
      summary: 'outbound calls may go to +44 (the country code of TWILIO_PHONE_NUMBER; set DIAL_ALLOWED_PREFIXES to change it); premium-rate ranges are always refused',
      detail: ['at most 10 calls placed per minute (DIAL_RATE_PER_MINUTE)'],
    });
  });

  it('fails a malformed DIAL_ALLOWED_PREFIXES when calls are on, warns when they are off', async () => {
    const on = await runCheck(dialPrefixesCheck, configFrom({ DIAL_ALLOWED_PREFIXES: '+1,+3', VOICEBRIDGE_API_KEY: STRONG }));
    expect(on).toEqual({ status: 'fail', summary: 'DIAL_ALLOWED_PREFIXES: "+3" does not start with a country calling code. Write the whole code (e.g. +33 for France, not +3).' });
    const off = await runCheck(dialPrefixesCheck, configFrom({ DIAL_ALLOWED_PREFIXES: '1-800' }));
    expect(off.status).toBe('warn');
    expect(off.summary).toBe('DIAL_ALLOWED_PREFIXES: "1-800" is not a prefix. Write each as + and digits, separated by commas, e.g. DIAL_ALLOWED_PREFIXES=+1,+44.');
  });

  it('lists explicit prefixes', async () => {
    const result = await runCheck(dialPrefixesCheck, configFrom({ DIAL_ALLOWED_PREFIXES: '+1, +44', DIAL_RATE_PER_MINUTE: '3', VOICEBRIDGE_API_KEY: STRONG }));
    expect(result.summary).toBe('outbound calls may go to +1,+44; premium-rate ranges are always refused');
    expect(result.detail).toEqual(['at most 3 calls placed per minute (DIAL_RATE_PER_MINUTE)']);
  });
});

describe('the number-can-place-calls check', () => {
  async function check(voice: boolean, key: string | null = STRONG) {
    fake = await FakeTwilioRest.start();
    fake.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.capabilities.voice = voice;
    const env: Record<string, string> = {
      TWILIO_API_BASE_URL: fake.baseURL,
      TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER,
      ...(key ? { VOICEBRIDGE_API_KEY: key } : {}),
    };
    return runCheck(outboundNumberCheck, configFrom(env));
  }

  it('passes a voice-capable number, read from IncomingPhoneNumbers', async () => {
    expect(await check(true)).toEqual({ status: 'ok', summary: `${FAKE_TWILIO_PHONE_NUMBER} can place calls (voice capability)` });
    expect(fake!.requests.some((request) => request.path.endsWith('/IncomingPhoneNumbers.json') && request.query.get('PhoneNumber') === FAKE_TWILIO_PHONE_NUMBER)).toBe(true);
  });

  it('fails a number without voice', async () => {
    const result = await check(false);
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`${FAKE_TWILIO_PHONE_NUMBER} has no voice capability: Twilio cannot place calls from it`);
  });

  it('judges the number even when its voice URL does not point at the bridge yet', async () => {
    fake = await FakeTwilioRest.start();
    const number = fake.numberFor(FAKE_TWILIO_PHONE_NUMBER)!;
    number.capabilities.voice = false;
    number.voiceUrl = 'https://demo.twilio.com/welcome/voice/';
    const config = configFrom({
      TWILIO_API_BASE_URL: fake.baseURL,
      TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER,
      WEBHOOK_URL: 'https://voice.example.com',
      VOICEBRIDGE_API_KEY: STRONG,
    });
    const reports = await runChecks([twilioCredentialsCheck, phoneNumberCheck, outboundNumberCheck], { config });
    expect(reports.map(({ id, status }) => [id, status])).toEqual([
      ['twilio-credentials', 'ok'],
      ['phone-number', 'fail'],
      ['outbound-number', 'fail'],
    ]);
    expect(reports[2]!.summary).toBe(`${FAKE_TWILIO_PHONE_NUMBER} has no voice capability: Twilio cannot place calls from it`);
  });

  it('asks Twilio nothing while outbound calls are off', async () => {
    expect((await check(false, null)).summary).toBe('not checked: outbound calls are off (VOICEBRIDGE_API_KEY is not set)');
    expect(fake!.requests).toEqual([]);
  });
});
