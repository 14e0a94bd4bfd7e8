import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIKeyCheck, listedModels, openaiKeyCheck } from '../../src/doctor/checks/openai-key.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { FAKE_OPENAI_KEY, FakeOpenAI, type FakeKeyBehaviour } from '../fakes/openai/fake-openai.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const OTHER_KEY = 'sk-proj-anotherKeyThatTheFakeTreatsSpecially9876';

async function checkWithKey(key: string, behaviour?: FakeKeyBehaviour): Promise<CheckResult> {
  fake = await FakeOpenAI.start({ keys: behaviour ? { [key]: behaviour } : { [FAKE_OPENAI_KEY]: 'ok' } });
  const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: key, OPENAI_BASE_URL: fake.baseURL }));
  expect(leaksSecret(visibleText(result), key)).toBe(false);
  return result;
}

function modelRequests(): number {
  return fake!.requests.filter((request) => request.path === '/v1/models').length;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the OpenAI key check', () => {
  it('passes a working key, shows it masked, and shares the models list with one request', async () => {
    const result = await checkWithKey(FAKE_OPENAI_KEY);
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('sk-proj-…WXYZ');
    expect(result.summary).toContain('project key');
    const models = listedModels(result);
    expect(models).toContainEqual({ id: 'gpt-realtime', shutdown_date: '2027-01-20' });
    expect(models).toContainEqual({ id: 'gpt-realtime-2.1', shutdown_date: null });
    expect(modelRequests()).toBe(1);
  });

  it('fails with the fix when OPENAI_API_KEY is missing', async () => {
    const result = await runCheck(openaiKeyCheck, configFrom({}));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('OPENAI_API_KEY is not set');
    expect(result.fix).toContain('https://platform.openai.com/api-keys');
  });

  it('refuses an admin key before calling OpenAI, since it cannot call the model APIs', async () => {
    const adminKey = 'sk-admin-Qz7Rw2Lp9Xk4Vn8Ts3Hm6Jd1Fb5Gc0Ya';
    const result = await checkWithKey(adminKey, 'admin');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('admin key');
    expect(result.summary).toContain('cannot call the model APIs');
    expect(result.fix).toContain('sk-proj-');
    expect(fake!.requests).toHaveLength(0);
  });

  it('explains a key wrapped in quotes and shows how to write it, masked', async () => {
    const result = await checkWithKey(`"${FAKE_OPENAI_KEY}"`, 'ok');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('wrapped in quotes');
    expect(result.fix).toContain('OPENAI_API_KEY=sk-proj-…WXYZ');
    expect(result.fix).toContain('no quotes or spaces');
  });

  it('explains a key with a trailing space or line break', async () => {
    const result = await checkWithKey(`${FAKE_OPENAI_KEY} `, 'ok');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('spaces or a line break');
  });

  it('explains a value that is not an OpenAI key at all', async () => {
    const result = await checkWithKey('AKIAIOSFODNN7EXAMPLEKEY', 'ok');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('does not start with sk-');
  });

  it('recognises a placeholder and an Anthropic key before calling OpenAI', async () => {
    const placeholder = await checkWithKey('sk-your-api-key-here', 'ok');
    expect(placeholder.status).toBe('fail');
    expect(placeholder.summary).toContain('placeholder');
    const anthropic = await checkWithKey('sk-ant-api03-Lp9Xk4Vn8Ts3Hm6Jd1Fb5Gc0YaQz7Rw2', 'ok');
    expect(anthropic.status).toBe('fail');
    expect(anthropic.summary).toContain('Anthropic key');
    expect(fake!.requests).toHaveLength(0);
  });

  it('names a rejected key (401 invalid_api_key) and shows it masked', async () => {
    const result = await checkWithKey(OTHER_KEY);
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('OpenAI rejected the key sk-proj-…9876');
    expect(result.summary).toContain('401 invalid_api_key');
    expect(result.fix).toContain('https://platform.openai.com/api-keys');
  });

  it('tells a wrong organization apart from a bad key', async () => {
    const result = await checkWithKey(OTHER_KEY, 'mismatched_organization');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('different organization or project');
    expect(result.summary).toContain('mismatched_organization');
    expect(result.fix).toContain('OPENAI_ORG_ID');
  });

  it('tells a restricted key without the needed scope apart from a bad key', async () => {
    const result = await checkWithKey(OTHER_KEY, 'missing_scopes');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('missing scope api.model.read');
    expect(result.summary).toContain('restricted key');
    expect(result.fix).toContain('All');
  });

  it('says an account without quota will not recover by retrying', async () => {
    const result = await checkWithKey(OTHER_KEY, 'insufficient_quota');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('no quota left');
    expect(result.summary).toContain('retrying will not help');
    expect(result.fix).toContain('billing');
    expect(modelRequests()).toBe(1);
  });

  it('reports a rate limit as a warning with the wait, without retrying it away', async () => {
    const result = await checkWithKey(OTHER_KEY, 'rate_limited');
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('rate-limiting');
    expect(result.summary).toContain('rate_limit_exceeded');
    expect(result.fix).toContain('Wait 20 s');
    expect(modelRequests()).toBe(1);
  });

  it('says nothing answers when the base URL points at a closed port', async () => {
    const port = await closedPort();
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('connection was refused');
    expect(result.summary).toContain(`127.0.0.1:${port}`);
    expect(result.fix).toContain('OPENAI_BASE_URL');
  });

  it('says the host cannot be found when OPENAI_BASE_URL names an unknown host', async () => {
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: 'http://voicebridge-no-such-host.invalid/v1' }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('voicebridge-no-such-host.invalid could not be found');
    expect(result.fix).toContain('host name in OPENAI_BASE_URL');
  });

  it('reports a timeout when the endpoint does not answer in time', async () => {
    fake = await FakeOpenAI.start();
    fake.injectFault({ path: /^\/v1\/models$/, status: 200, body: { object: 'list', data: [] }, delayMs: 1_000 });
    const check = createOpenAIKeyCheck({ requestTimeoutMs: 150 });
    const result = await runCheck(check, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL }));
    expect(result.status).toBe('fail');
    expect(result.summary).toMatch(/no answer from OPENAI_BASE_URL \(.*\) within 150 ms/);
  });

  it('suggests adding /v1 when the base URL misses it', async () => {
    fake = await FakeOpenAI.start();
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.origin }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('has no /models');
    expect(result.fix).toContain(`OPENAI_BASE_URL=${fake.origin}/v1`);
  });

  it('recognises a base URL that answers with a web page instead of the API', async () => {
    fake = await FakeOpenAI.start();
    fake.route('GET', '/site/models', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hello</body></html>');
    });
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: `${fake.origin}/site` }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('answers, but not as the OpenAI API');
    expect(result.summary).toContain('"Welcome to nginx!"');
    expect(result.fix).toContain(`OPENAI_BASE_URL=${fake.origin}/site/v1`);
  });

  it('recognises JSON that is not a models list', async () => {
    fake = await FakeOpenAI.start();
    fake.injectFault({ path: /^\/v1\/models$/, status: 200, body: { status: 'healthy' } });
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('its JSON answer has no model list');
  });

  it('points at the status page when OpenAI answers with a server error', async () => {
    fake = await FakeOpenAI.start();
    fake.injectFault({ path: /^\/v1\/models$/, status: 503, body: { error: { message: 'The server is overloaded.', type: 'server_error', param: null, code: null } } });
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('503');
    expect(result.summary).toContain('The server is overloaded.');
    expect(result.fix).toContain('status.openai.com');
    expect(modelRequests()).toBe(1);
  });

  it('warns when the key sees no models at all', async () => {
    fake = await FakeOpenAI.start({ models: [] });
    fake.models = [];
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL }));
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('sees no models');
    expect(listedModels(result)).toEqual([]);
  });

  it('rejects an OPENAI_BASE_URL that is not a URL', async () => {
    const result = await runCheck(openaiKeyCheck, configFrom({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: 'api.openai.com/v1' }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('is not a URL');
    expect(result.fix).toContain('https://api.openai.com/v1');
  });
});
