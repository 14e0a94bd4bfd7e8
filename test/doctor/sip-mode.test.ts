// `voicebridge doctor` with TRANSPORT=sip, as a user runs it (the built CLI) against the fake Twilio (with Elastic SIP
// Trunking) and the fake OpenAI (with webhook endpoints): the SIP checks take the place of the number's voice URL,
// each names what it found beside what it expected, and --fix runs setup-sip.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sipChecks } from '../../src/doctor/checks/index.js';
import { setupSip } from '../../src/provision/sip/setup-sip.js';
import { maskSecret } from '../../src/util/mask-secret.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_API_KEY, FAKE_TWILIO_API_SECRET, FAKE_TWILIO_PHONE_NUMBER, FakeTwilioRest } from '../fakes/twilio/fake-twilio-rest.js';
import { leaksSecret } from './openai-check-context.js';

const PROJECT_ID = 'proj_Voicebridge0123456789ab';
const SIP_URI = `sip:${PROJECT_ID}@sip.api.openai.com;transport=tls`;
const WEBHOOK_URL = 'https://voicebridge-sip.invalid'; // public-looking: OpenAI could not deliver to a local address
const ENDPOINT_URL = `${WEBHOOK_URL}/openai-webhook`;
/** A secret of the right shape that no endpoint has. */
const STRAY_SECRET = 'whsec_c3RyYXlTZWNyZXRUaGF0Tm9FbmRwb2ludEhhcw==';

let openai: FakeOpenAI;
let twilio: FakeTwilioRest;
let folder: string;
let agentId: string;

beforeEach(async () => {
  [openai, twilio] = await Promise.all([FakeOpenAI.start({ projectId: PROJECT_ID }), FakeTwilioRest.start()]);
  const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: openai.baseURL, maxRetries: 0 });
  agentId = (await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna', instructions: 'Answer the phone.' })).id;
  folder = mkdtempSync(join(tmpdir(), 'voicebridge-doctor-sip-'));
});
afterEach(async () => {
  await Promise.all([openai.close(), twilio.close()]);
  rmSync(folder, { recursive: true, force: true });
});

/** A SIP setup with an API key and no auth token: over SIP no Twilio webhook needs verifying. */
function writeEnv(extra: Record<string, string> = {}): void {
  const vars: Record<string, string> = {
    TRANSPORT: 'sip',
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_PROJECT_ID: PROJECT_ID,
    ASSISTANT_ID: agentId,
    TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
    TWILIO_API_KEY: FAKE_TWILIO_API_KEY,
    TWILIO_API_SECRET: FAKE_TWILIO_API_SECRET,
    TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER,
    TWILIO_API_BASE_URL: twilio.baseURL,
    WEBHOOK_URL,
    PORT: '0',
    ...extra,
  };
  writeFileSync(join(folder, '.env'), Object.entries(vars).map(([key, value]) => `${key}=${value}\n`).join(''));
}

function doctor(args: string[]): Promise<CliResult> {
  return runCli(['doctor', ...args], { cwd: folder, env: { VOICEBRIDGE_TODAY: '2026-11-24' }, timeoutMs: 30_000 });
}

interface JsonCheck {
  id: string;
  status: string;
  summary: string;
  detail?: string[];
  fix: string | null;
}

function checksOf(result: CliResult): Record<string, JsonCheck> {
  const report = JSON.parse(result.stdout) as { checks: JsonCheck[] };
  return Object.fromEntries(report.checks.map((check) => [check.id, check]));
}

describe('doctor with TRANSPORT=sip', () => {
  it('passes a setup that setup-sip made, with the SIP checks in place of the voice URL check', async () => {
    writeEnv();
    const setup = await setupSip({}, { env: {}, cwd: folder });
    expect(setup.error).toBeUndefined();
    const secret = dotenvParse(readFileSync(join(folder, '.env'), 'utf8')).OPENAI_WEBHOOK_SECRET!;
    const trunk = [...twilio.trunking.trunks.values()][0]!;
    const endpoint = [...openai.webhookEndpoints.values()][0]!;

    const result = await doctor(['--json']);

    const report = JSON.parse(result.stdout) as { checks: JsonCheck[] };
    expect(report.checks.map((check) => check.id)).toEqual(sipChecks.map((check) => check.id));
    expect(report.checks.map((check) => check.id)).not.toContain('phone-number');
    const checks = checksOf(result);
    expect(checks['required-vars']).toMatchObject({ status: 'ok' });
    expect(checks['required-vars']!.summary).toContain('TWILIO_API_KEY + TWILIO_API_SECRET, TWILIO_PHONE_NUMBER');
    expect(checks['sip-settings']).toMatchObject({ status: 'ok', summary: `calls go to ${SIP_URI}; OPENAI_WEBHOOK_SECRET has the shape of a signing secret` });
    expect(checks['sip-trunk']).toMatchObject({ status: 'ok', summary: `${FAKE_TWILIO_PHONE_NUMBER} → trunk ${trunk.sid} ("voicebridge") → ${SIP_URI}, secure media (SRTP) on` });
    expect(checks['openai-webhook']).toMatchObject({ status: 'ok', summary: `${endpoint.id} ("voicebridge") at ${ENDPOINT_URL} is subscribed to realtime.call.incoming` });
    expect(leaksSecret(result.stdout, secret)).toBe(false);
  });

  it('a number still on its voice URL and no webhook endpoint: "it rings and nothing answers", both failing with the fix', async () => {
    writeEnv({ OPENAI_WEBHOOK_SECRET: STRAY_SECRET });
    const result = await doctor(['--json']);

    expect(result.code).toBe(1);
    const checks = checksOf(result);
    expect(checks['sip-trunk']).toMatchObject({
      status: 'fail',
      summary: `${FAKE_TWILIO_PHONE_NUMBER} is on no SIP trunk: calls go to its voice URL (https://demo.twilio.com/welcome/voice/), so with TRANSPORT=sip it rings and nothing answers`,
      detail: [`expected: ${FAKE_TWILIO_PHONE_NUMBER} on a trunk whose origination URL is ${SIP_URI}`],
    });
    expect(checks['openai-webhook']).toMatchObject({
      status: 'fail',
      summary: `this project has no webhook endpoint at ${ENDPOINT_URL}: OpenAI has nowhere to announce a call, so it rings and nothing answers`,
      detail: ['the project has no webhook endpoints'],
    });
    expect(checks['openai-webhook']!.fix).toContain('npx voicebridge setup-sip');
  });

  it('shows the origination URL found beside the one expected when the trunk points at another project', async () => {
    const trunk = twilio.trunking.addTrunk({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all' });
    twilio.trunking.addOriginationUrl({ trunkSid: trunk.sid, sipUrl: 'sip:proj_OtherProject0000000000@sip.api.openai.com;transport=tls' });
    twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid = trunk.sid;
    writeEnv({ OPENAI_WEBHOOK_SECRET: STRAY_SECRET });

    const checks = checksOf(await doctor(['--json']));

    expect(checks['sip-trunk']).toMatchObject({
      status: 'fail',
      summary: `${FAKE_TWILIO_PHONE_NUMBER} is on trunk ${trunk.sid} ("voicebridge"), which sends calls to another OpenAI project (proj_OtherProject0000000000), not ${PROJECT_ID}`,
      detail: [`expected origination URL: ${SIP_URI}`, 'found:                    sip:proj_OtherProject0000000000@sip.api.openai.com;transport=tls'],
    });
  });

  it('tells this project\'s address without transport=tls from another project\'s, showing both', async () => {
    const trunk = twilio.trunking.addTrunk({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all' });
    twilio.trunking.addOriginationUrl({ trunkSid: trunk.sid, sipUrl: `sip:${PROJECT_ID}@sip.api.openai.com` });
    twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid = trunk.sid;
    writeEnv({ OPENAI_WEBHOOK_SECRET: STRAY_SECRET });

    const checks = checksOf(await doctor(['--json']));

    expect(checks['sip-trunk']).toMatchObject({
      status: 'fail',
      summary: `${FAKE_TWILIO_PHONE_NUMBER} is on trunk ${trunk.sid} ("voicebridge"), which sends calls to this project but not at ${SIP_URI}: without TLS signalling, which secure media (SRTP) needs`,
      detail: [`expected origination URL: ${SIP_URI}`, `found:                    sip:${PROJECT_ID}@sip.api.openai.com`],
    });
  });

  it('judges secure media by the engine: a failure for GPT-Live, a warning for Realtime', { timeout: 60_000 }, async () => {
    const trunk = twilio.trunking.addTrunk({ friendlyName: 'voicebridge', secure: false, transferMode: 'enable-all' });
    twilio.trunking.addOriginationUrl({ trunkSid: trunk.sid, sipUrl: SIP_URI });
    twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid = trunk.sid;

    writeEnv({ OPENAI_WEBHOOK_SECRET: STRAY_SECRET });
    expect(checksOf(await doctor(['--json']))['sip-trunk']).toMatchObject({
      status: 'warn',
      summary: `trunk ${trunk.sid} ("voicebridge") sends calls to ${SIP_URI} without secure media (SRTP): the call audio travels unencrypted`,
    });
    writeEnv({ OPENAI_WEBHOOK_SECRET: STRAY_SECRET, VOICE_ENGINE: 'live' });
    expect(checksOf(await doctor(['--json']))['sip-trunk']).toMatchObject({
      status: 'fail',
      summary: `trunk ${trunk.sid} ("voicebridge") sends calls to ${SIP_URI} without secure media (SRTP), which GPT-Live over SIP needs`,
    });
  });

  it('fails a secret that is not the endpoint\'s, and a project ID or secret of the wrong shape, without showing them', { timeout: 60_000 }, async () => {
    const endpoint = openai.addWebhookEndpoint({ name: 'voicebridge', url: ENDPOINT_URL, event_types: ['realtime.call.incoming'] });
    writeEnv({ OPENAI_WEBHOOK_SECRET: STRAY_SECRET });
    const mismatch = checksOf(await doctor(['--json']));
    expect(mismatch['openai-webhook']).toMatchObject({
      status: 'fail',
      summary: `OPENAI_WEBHOOK_SECRET (${maskSecret(STRAY_SECRET)}) is not the secret of ${endpoint.id} ("voicebridge") (whsec_…${endpoint.secret.slice(-4)}): serve would refuse every call's webhook as not from OpenAI`,
    });

    writeEnv({ OPENAI_PROJECT_ID: 'org-abc123', OPENAI_WEBHOOK_SECRET: FAKE_OPENAI_KEY });
    const result = await doctor(['--json']);
    const shapes = checksOf(result);
    expect(shapes['sip-settings']).toMatchObject({
      status: 'fail',
      summary: 'OPENAI_PROJECT_ID is an organization ID (org-…), not a project ID (proj_…)',
      detail: ['OPENAI_WEBHOOK_SECRET is an API key, not a webhook signing secret (whsec_…)'],
    });
    expect(shapes['sip-trunk']!.status).toBe('skip');
    expect(leaksSecret(result.stdout, FAKE_OPENAI_KEY)).toBe(false);
  });

  it('--fix --yes runs setup-sip, and the checks then pass', async () => {
    writeEnv();
    const result = await doctor(['--fix', '--yes', '--json']);

    const report = JSON.parse(result.stdout) as { checks: JsonCheck[]; fixes: Array<{ id: string; status: string; change: string[] }> };
    const fix = report.fixes.find((record) => record.id === 'sip.setup-sip');
    expect(fix).toMatchObject({ status: 'applied' });
    expect(report.fixes.filter((record) => record.id === 'sip.setup-sip')).toHaveLength(1);
    const trunk = [...twilio.trunking.trunks.values()][0]!;
    const endpoint = [...openai.webhookEndpoints.values()][0]!;
    expect(fix!.change).toEqual([
      `Twilio trunk ${trunk.sid} ("voicebridge") created, with secure media (SRTP) and transfers (enable-all)`,
      `origination URL ${SIP_URI} added to the trunk`,
      `${FAKE_TWILIO_PHONE_NUMBER} attached to the trunk (its voice URL is no longer used)`,
      `OpenAI webhook endpoint ${endpoint.id} ("voicebridge") created: ${ENDPOINT_URL}, for realtime.call.incoming`,
      'new line 5:',
      `+ OPENAI_WEBHOOK_SECRET=whsec_…${endpoint.secret.slice(-4)}`,
    ]);
    const checks = Object.fromEntries(report.checks.map((check) => [check.id, check.status]));
    expect(checks).toMatchObject({ 'sip-settings': 'ok', 'sip-trunk': 'ok', 'openai-webhook': 'ok' });
    expect(dotenvParse(readFileSync(join(folder, '.env'), 'utf8')).OPENAI_WEBHOOK_SECRET).toBe(endpoint.secret);
    expect(leaksSecret(result.stdout, endpoint.secret)).toBe(false);
  });
});
