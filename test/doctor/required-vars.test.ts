import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/check.js';
import { buildConfig } from '../../src/config/config.js';
import { requiredVarsCheck, requiredVarsCheckFor } from '../../src/doctor/checks/required-vars.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

const COMPLETE = {
  OPENAI_API_KEY: 'sk-proj-Hq3Lm8Zr2Tb7Vn1Wc6Yd0Hf5Jk9Pg4SeAAA',
  ASSISTANT_ID: 'agent_6f1c2a9b8d7e4f3a2b1c0d9e',
  TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_AUTH_TOKEN: '5f4dcc3b5aa765d61d8327deb882cf99',
  TWILIO_PHONE_NUMBER: '+14155550123',
  WEBHOOK_URL: 'https://voice.acme-clinic.com',
};
const API_KEY = { TWILIO_API_KEY: 'SKfedcba9876543210fedcba9876543210', TWILIO_API_SECRET: 'Zq8Lm3Xr7Tb2Vn6Wc1Yd5Hf9Jk4Pg0Se' };

async function check(env: Record<string, string>): Promise<CheckResult> {
  const result = await runCheck(requiredVarsCheck, configFrom(env));
  for (const secret of [env.OPENAI_API_KEY, env.TWILIO_AUTH_TOKEN, env.TWILIO_API_SECRET]) {
    if (secret && secret.length >= 8) expect(leaksSecret(visibleText(result), secret)).toBe(false);
  }
  return result;
}

function without(...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(COMPLETE).filter(([key]) => !keys.includes(key)));
}

describe('the required variables check', () => {
  it('passes when everything a call needs is set', async () => {
    const result = await check(COMPLETE);
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('all set: OPENAI_API_KEY, ASSISTANT_ID, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER, WEBHOOK_URL');
  });

  it('warns about a TRANSFER_NUMBER that is not in E.164 form, and says how to write it', async () => {
    const result = await check({ ...COMPLETE, TRANSFER_NUMBER: '(415) 555-0999' });
    expect(result.status).toBe('warn');
    expect(result.summary).toBe('TRANSFER_NUMBER=(415) 555-0999 is missing the + and country code: E.164 looks like +14155550999: a call whose agent keeps failing would be ended instead of transferred');
    expect(result.fix).toMatch(/E\.164 form/);
    expect((await check({ ...COMPLETE, TRANSFER_NUMBER: '+14155550999' })).status).toBe('ok');
  });

  it('lists every missing variable with where to get it', async () => {
    const result = await check({});
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('missing OPENAI_API_KEY, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER, WEBHOOK_URL, ASSISTANT_ID');
    expect(result.detail).toContain('no agent is configured: neither ASSISTANT_ID nor ASSISTANT_INSTRUCTIONS_FILE is set');
    expect(result.fix).toContain('OPENAI_API_KEY=… (an OpenAI API key, from https://platform.openai.com/api-keys)');
    expect(result.fix).toContain('ASSISTANT_ID=… (run: npx voicebridge create-assistant');
  });

  it('says who reaches WEBHOOK_URL: Twilio, or OpenAI in SIP mode', async () => {
    expect((await check(without('WEBHOOK_URL'))).fix).toContain('WEBHOOK_URL=… (the public https URL Twilio reaches this server at, e.g. the one your tunnel prints)');
    const sip = await check({ ...without('WEBHOOK_URL'), TRANSPORT: 'sip' });
    expect(sip.fix).toContain('WEBHOOK_URL=… (the public https URL OpenAI reaches this server at, e.g. the one your tunnel prints)');
  });

  it('points at a variable in .env that has another tool’s name', async () => {
    const values = { ...without('TWILIO_ACCOUNT_SID'), TWILIO_SID: COMPLETE.TWILIO_ACCOUNT_SID };
    const config = buildConfig({ path: '/project/.env', explicit: false, found: true, text: '', values }, {});
    const result = await runCheck(requiredVarsCheck, config);
    expect(result.status).toBe('fail');
    expect(result.detail).toEqual(['TWILIO_ACCOUNT_SID is not set (the .env file has TWILIO_SID: rename it to TWILIO_ACCOUNT_SID)']);
  });

  it('treats an empty value, quoted or not, as missing', async () => {
    const result = await check({ ...COMPLETE, TWILIO_PHONE_NUMBER: '', WEBHOOK_URL: '""' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('missing TWILIO_PHONE_NUMBER, WEBHOOK_URL');
    expect(result.detail).toEqual(['TWILIO_PHONE_NUMBER is empty', 'WEBHOOK_URL is empty']);
  });

  it('catches example values left in place, naming them but never echoing a secret one', async () => {
    const result = await check({
      ...COMPLETE,
      OPENAI_API_KEY: 'sk-your_openai_api_key',
      TWILIO_AUTH_TOKEN: 'your_auth_token_here',
      TWILIO_ACCOUNT_SID: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      WEBHOOK_URL: 'https://your-domain.ngrok.app',
      TWILIO_PHONE_NUMBER: '<your twilio number>',
    });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('example values in OPENAI_API_KEY, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER, WEBHOOK_URL');
    expect(result.detail).toContain('WEBHOOK_URL still holds an example value (https://your-domain.ngrok.app)');
    expect(result.detail).toContain('OPENAI_API_KEY still holds an example value');
    const text = visibleText(result);
    expect(text).not.toContain('your_openai_api_key');
    expect(text).not.toContain('your_auth_token_here');
  });

  it('catches other placeholder spellings: changeme, xxx, ...', async () => {
    for (const value of ['changeme', 'xxx', 'sk-...']) {
      const result = await check({ ...COMPLETE, OPENAI_API_KEY: value });
      expect(result.summary).toBe('example values in OPENAI_API_KEY');
    }
  });

  it('catches the example assistant ID', async () => {
    const result = await check({ ...COMPLETE, ASSISTANT_ID: 'asst_your_assistant_id_here' });
    expect(result.status).toBe('fail');
    expect(result.detail).toEqual(['ASSISTANT_ID still holds an example value (asst_your_assistant_id_here)']);
  });

  it('accepts an instructions file instead of an assistant ID', async () => {
    const result = await check({ ...without('ASSISTANT_ID'), ASSISTANT_INSTRUCTIONS_FILE: 'assistant.md' });
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('ASSISTANT_INSTRUCTIONS_FILE');
  });

  it('counts the old AGENT_WORKFLOW_ID name, with advice to rename it', async () => {
    const result = await check({ ...without('ASSISTANT_ID'), AGENT_WORKFLOW_ID: 'agent_6f1c2a9b8d7e4f3a2b1c0d9e' });
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('rename the variable to ASSISTANT_ID');
    expect(result.fix).toBe('Rename AGENT_WORKFLOW_ID to ASSISTANT_ID in your .env (the value stays the same).');
  });

  it('accepts an API key and secret for REST, but fails without the auth token: serve needs it for webhook signatures and does not start without it', async () => {
    const result = await check({ ...without('TWILIO_AUTH_TOKEN'), ...API_KEY });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('does not start without it');
    expect(result.summary).toContain('voicebridge serve needs the auth token to check Twilio’s webhook signatures');
    expect(result.fix).toContain('Add TWILIO_AUTH_TOKEN');
  });

  it('passes an API key set alongside the auth token', async () => {
    const result = await check({ ...COMPLETE, ...API_KEY });
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('TWILIO_API_KEY + TWILIO_API_SECRET and TWILIO_AUTH_TOKEN');
  });

  it('fails an API key without its secret', async () => {
    const result = await check({ ...COMPLETE, TWILIO_API_KEY: API_KEY.TWILIO_API_KEY });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('missing TWILIO_API_SECRET');
  });
});

describe('the required variables check for the browser phone alone (serve --phone without Twilio settings)', () => {
  const browserOnly = requiredVarsCheckFor({ twilio: false });

  it('needs only the OpenAI key and the agent', async () => {
    const result = await runCheck(browserOnly, configFrom({ OPENAI_API_KEY: COMPLETE.OPENAI_API_KEY, ASSISTANT_ID: COMPLETE.ASSISTANT_ID }));
    expect(result.status).toBe('ok');
    expect(result.summary).toBe('all set for the browser phone: OPENAI_API_KEY, ASSISTANT_ID');
  });

  it('ignores a half-set Twilio API key, which only phone calls would use', async () => {
    const result = await runCheck(browserOnly, configFrom({ OPENAI_API_KEY: COMPLETE.OPENAI_API_KEY, ASSISTANT_ID: COMPLETE.ASSISTANT_ID, TWILIO_API_KEY: API_KEY.TWILIO_API_KEY }));
    expect(result.status).toBe('ok');
  });

  it('still fails without the OpenAI key or an agent, naming only those', async () => {
    const result = await runCheck(browserOnly, configFrom({}));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('missing OPENAI_API_KEY, ASSISTANT_ID');
  });
});
