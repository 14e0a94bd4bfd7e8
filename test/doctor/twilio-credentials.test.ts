import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/check.js';
import { twilioCredentialsCheck } from '../../src/doctor/checks/twilio-credentials.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_API_KEY,
  FAKE_TWILIO_API_SECRET,
  FAKE_TWILIO_AUTH_TOKEN,
  FakeTwilioRest,
  twilioError,
  type FakeTwilioRestOptions,
} from '../fakes/twilio/fake-twilio-rest.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

const OTHER_ACCOUNT_SID = 'ACaaaaaaaaaabbbbbbbbbbccccccccccdd';
const WRONG_TOKEN = '0123456789abcdef0123456789abcdef';
const WRONG_SECRET = 'Wr0ngSecretWr0ngSecretWr0ngSecre';

let fake: FakeTwilioRest | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function check(env: Record<string, string>, options: FakeTwilioRestOptions = {}): Promise<CheckResult> {
  fake ??= await FakeTwilioRest.start(options);
  const result = await runCheck(twilioCredentialsCheck, configFrom({ TWILIO_API_BASE_URL: fake.baseURL, ...env }));
  const text = visibleText(result);
  for (const secret of [FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_API_SECRET, WRONG_TOKEN, WRONG_SECRET]) expect(leaksSecret(text, secret)).toBe(false);
  return result;
}

const TOKEN_AUTH = { TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN };
const KEY_AUTH = { TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID, TWILIO_API_KEY: FAKE_TWILIO_API_KEY, TWILIO_API_SECRET: FAKE_TWILIO_API_SECRET };

describe('the Twilio credentials check', () => {
  it('is an online check', () => {
    expect(twilioCredentialsCheck.online).toBe(true);
  });

  it('passes an active account, naming it with its SID masked', async () => {
    const result = await check(TOKEN_AUTH);
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('Account SID and auth token accepted; account AC…cdef ("My first Twilio account") is active');
    expect(result.facts).toEqual({ accountSid: FAKE_TWILIO_ACCOUNT_SID, auth: 'auth-token', accountStatus: 'active' });
  });

  it('fails a wrong auth token as Twilio error 20003', async () => {
    const result = await check({ ...TOKEN_AUTH, TWILIO_AUTH_TOKEN: WRONG_TOKEN });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('Twilio rejected the Account SID AC…cdef with this auth token (401, error 20003 Authenticate)');
    expect(result.fix).toContain('https://console.twilio.com');
  });

  it('fails an account Twilio does not know (20404), distinct from bad credentials', async () => {
    fake = await FakeTwilioRest.start();
    fake.injectFault({ path: /^\/2010-04-01\/Accounts\/AC[0-9a-f]+\.json$/, status: 404, body: twilioError(404, 20404, 'The requested resource was not found') });
    const result = await check(TOKEN_AUTH);
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('Twilio has no account AC…cdef for these credentials (404, error 20404 not found)');
    expect(result.fix).toContain('Check TWILIO_ACCOUNT_SID');
  });

  it('fails a suspended account', async () => {
    const result = await check(TOKEN_AUTH, { accounts: [{ sid: FAKE_TWILIO_ACCOUNT_SID, authToken: FAKE_TWILIO_AUTH_TOKEN, status: 'suspended' }] });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('account AC…cdef ("My first Twilio account") is suspended: Twilio connects no calls for it');
    expect(result.fix).toContain('Billing');
  });

  it('fails a closed account', async () => {
    const result = await check(TOKEN_AUTH, { accounts: [{ sid: FAKE_TWILIO_ACCOUNT_SID, authToken: FAKE_TWILIO_AUTH_TOKEN, status: 'closed' }] });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('account AC…cdef ("My first Twilio account") is closed');
    expect(result.fix).toContain('cannot be reopened');
  });

  it('warns that callers on a trial account hear the trial message first', async () => {
    const result = await check(TOKEN_AUTH, { accounts: [{ sid: FAKE_TWILIO_ACCOUNT_SID, authToken: FAKE_TWILIO_AUTH_TOKEN, type: 'Trial' }] });
    expect(result.status).toBe('warn');
    expect(result.detail?.join('\n')).toContain('trial message');
  });

  it('fails malformed values before calling Twilio at all', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...TOKEN_AUTH, TWILIO_ACCOUNT_SID: FAKE_TWILIO_API_KEY }, 'is an API key SID (SK…), not an Account SID (AC…)'],
      [{ ...TOKEN_AUTH, TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID.toUpperCase() }, 'has upper-case hex digits'],
      [{ ...TOKEN_AUTH, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN.slice(0, 31) }, 'TWILIO_AUTH_TOKEN should be 32 letters and digits (found 31 characters)'],
      [{ ...TOKEN_AUTH, TWILIO_AUTH_TOKEN: FAKE_TWILIO_ACCOUNT_SID }, 'TWILIO_AUTH_TOKEN looks like a SID (AC…), not the auth token'],
      [{ ...KEY_AUTH, TWILIO_API_KEY: FAKE_TWILIO_ACCOUNT_SID }, 'TWILIO_API_KEY (AC…cdef) is an Account SID (AC…), not an API key SID (SK…)'],
    ];
    fake = await FakeTwilioRest.start();
    for (const [env, expected] of cases) {
      const result = await check(env);
      expect(result.status).toBe('fail');
      expect(result.summary).toContain(expected);
    }
    expect(fake.requests).toEqual([]);
  });

  it('skips, pointing at the required variables, when there is nothing to check', async () => {
    const result = await check({});
    expect(result).toEqual({ status: 'skip', summary: 'TWILIO_ACCOUNT_SID is not set (see Required variables)' });
  });

  it('leaves example values to the required variables check instead of judging their format', async () => {
    const result = await check({ TWILIO_ACCOUNT_SID: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', TWILIO_AUTH_TOKEN: 'your_auth_token' });
    expect(result).toEqual({ status: 'skip', summary: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN still hold an example value (see Required variables)' });
    expect(fake!.requests).toEqual([]);
  });

  it('accepts a Standard API key, saying the account status could not be read with it', async () => {
    const result = await check(KEY_AUTH);
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('API key SK…3210 accepted for account AC…cdef');
    expect(result.detail).toEqual(['A Standard API key may not read the account itself, so the account’s status (active, suspended) was not checked.']);
  });

  it('reads the account status with a Main API key', async () => {
    const result = await check(KEY_AUTH, { apiKeys: [{ sid: FAKE_TWILIO_API_KEY, secret: FAKE_TWILIO_API_SECRET, kind: 'main' }] });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('API key SK…3210 accepted; account AC…cdef ("My first Twilio account") is active');
  });

  it('fails a wrong API secret', async () => {
    const result = await check({ ...KEY_AUTH, TWILIO_API_SECRET: WRONG_SECRET });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('Twilio rejected the API key SK…3210 and its secret (401, error 20003)');
    expect(result.fix).toContain('shown only once');
  });

  it('fails an API key that belongs to another account', async () => {
    const result = await check(
      { ...KEY_AUTH, TWILIO_ACCOUNT_SID: OTHER_ACCOUNT_SID },
      {
        accounts: [{ sid: FAKE_TWILIO_ACCOUNT_SID }, { sid: OTHER_ACCOUNT_SID }],
        apiKeys: [{ sid: FAKE_TWILIO_API_KEY, secret: FAKE_TWILIO_API_SECRET, accountSid: FAKE_TWILIO_ACCOUNT_SID }],
      },
    );
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('the API key SK…3210 is valid but cannot see account AC…ccdd (404, error 20404)');
  });

  it('also tries the auth token next to an API key, since serve verifies webhook signatures with it', async () => {
    const result = await check({ ...KEY_AUTH, TWILIO_AUTH_TOKEN: WRONG_TOKEN });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('with this auth token (401, error 20003 Authenticate)');
    expect(result.fix).toContain('Twilio signs webhooks with it');
  });

  it('passes an API key and auth token that both work', async () => {
    const result = await check({ ...KEY_AUTH, TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN });
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('API key SK…3210 and auth token accepted; account AC…cdef ("My first Twilio account") is active');
  });

  it('says Twilio could not be reached, and which base URL was tried', async () => {
    const port = await closedPort();
    const base = `http://127.0.0.1:${port}`;
    const result = await runCheck(twilioCredentialsCheck, configFrom({ ...TOKEN_AUTH, TWILIO_API_BASE_URL: base }));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`could not reach the Twilio API at ${base}: connection refused`);
    expect(result.fix).toContain(`TWILIO_API_BASE_URL is set to ${base}`);
  });

  it('does not call a 401 or 404 without Twilio’s error code bad credentials: TWILIO_API_BASE_URL points elsewhere', async () => {
    fake = await FakeTwilioRest.start();
    // What OpenAI's API answers a request without its key: a 401 in OpenAI's error shape.
    fake.injectFault({ path: /\.json$/, status: 401, body: { error: { message: "You didn't provide an API key.", type: 'invalid_request_error', param: null, code: null } } });
    const unauthorised = await check(TOKEN_AUTH);
    expect(unauthorised.status).toBe('fail');
    expect(unauthorised.summary).toBe(`TWILIO_API_BASE_URL (${fake.baseURL}) answers, but not as the Twilio API: it answered 401 without Twilio's error code`);
    expect(unauthorised.fix).toBe('Point TWILIO_API_BASE_URL at the Twilio API, or remove it to use https://api.twilio.com; then run the doctor again.');
    fake.injectFault({ path: /\.json$/, status: 404, body: 'Not Found' });
    const missing = await check(TOKEN_AUTH);
    expect(missing.summary).toBe(`TWILIO_API_BASE_URL (${fake.baseURL}) answers, but not as the Twilio API: it answered 404 without Twilio's error code`);
  });

  it('says a base URL that answers with a web page is not the Twilio API, rather than unreachable', async () => {
    const server = createHttpServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<html><title>Welcome</title></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const result = await runCheck(twilioCredentialsCheck, configFrom({ ...TOKEN_AUTH, TWILIO_API_BASE_URL: base }));
      expect(result.status).toBe('fail');
      expect(result.summary).toBe(`TWILIO_API_BASE_URL (${base}) answers, but not as the Twilio API: its answer is not JSON`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a Twilio outage as Twilio’s problem', async () => {
    fake = await FakeTwilioRest.start();
    fake.injectFault({ path: /\.json$/, status: 503, body: twilioError(503, 20503, 'Service Unavailable') });
    const result = await check(TOKEN_AUTH);
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('the Twilio API had a problem (503, error 20503): Service Unavailable');
    expect(result.fix).toContain('https://status.twilio.com');
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
