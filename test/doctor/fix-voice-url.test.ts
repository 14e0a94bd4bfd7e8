// `doctor --fix` and the Twilio number: the voice URL set to WEBHOOK_URL/incoming-call with POST on the fake Twilio,
// and left alone (with the reason) where a TwiML App or a SIP trunk takes the calls, or WEBHOOK_URL itself is wrong or
// on a host Twilio cannot reach (this machine, the local network).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_TWILIO_PHONE_NUMBER, TWILIO_DEMO_VOICE_URL, type FakeIncomingNumber } from '../fakes/twilio/fake-twilio-rest.js';
import { envText, healthyVars, leaksAny, makeProject, parseFixReport, SECRETS, startWorld, type FixWorld, type Project } from './fix-harness.js';

let world: FixWorld;
let project: Project | undefined;
let number: FakeIncomingNumber;
let webhookUrl: string;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  number = world.twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!;
  Object.assign(number, { voiceUrl: TWILIO_DEMO_VOICE_URL, voiceMethod: 'POST', voiceApplicationSid: null, trunkSid: null });
  world.twilio.requests.length = 0;
});
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function projectWith(overrides: Record<string, string> = {}): Promise<Project> {
  const vars = (await healthyVars(world)).map(([key, value]): [string, string] => [key, overrides[key] ?? value]);
  webhookUrl = vars.find(([key]) => key === 'WEBHOOK_URL')![1];
  project = await makeProject(envText(vars));
  return project;
}

function numberUpdates() {
  return world.twilio.requests.filter((request) => request.method === 'POST' && request.path.includes('/IncomingPhoneNumbers/'));
}

describe('doctor --fix and the phone number', () => {
  it('points the number at WEBHOOK_URL/incoming-call with POST, then checks again and passes', async () => {
    const { doctor } = await projectWith();
    const result = await doctor(['--fix', '--yes']);

    expect(numberUpdates()).toHaveLength(1);
    expect(numberUpdates()[0]!.path).toBe(`/2010-04-01/Accounts/${number.accountSid}/IncomingPhoneNumbers/${number.sid}.json`);
    expect(numberUpdates()[0]!.body).toEqual({ VoiceUrl: `${webhookUrl}/incoming-call`, VoiceMethod: 'POST' });
    expect(number.voiceUrl).toBe(`${webhookUrl}/incoming-call`);
    expect(number.voiceMethod).toBe('POST');

    expect(result.stdout).toContain(`✗ Phone number: ${FAKE_TWILIO_PHONE_NUMBER}: its voice URL does not point at this bridge`);
    expect(result.stdout).toContain(`voice URL: ${TWILIO_DEMO_VOICE_URL} (POST) → ${webhookUrl}/incoming-call (POST)`);
    expect(result.stdout).toContain(`✓ Twilio now sends calls to ${FAKE_TWILIO_PHONE_NUMBER} to ${webhookUrl}/incoming-call (POST)`);
    const after = result.stdout.slice(result.stdout.indexOf('After the change:'));
    expect(after).toContain(`✓ Phone number: ${FAKE_TWILIO_PHONE_NUMBER} sends calls to ${webhookUrl}/incoming-call (POST)`);
    expect(after).toContain('Ready to take calls (1 warning).');
    expect(result.code).toBe(0);
    expect(leaksAny(result, SECRETS)).toBe(false);
  });

  it('switches a number that Twilio calls with GET to POST', async () => {
    const { doctor } = await projectWith();
    Object.assign(number, { voiceUrl: `${webhookUrl}/incoming-call`, voiceMethod: 'GET' });
    const result = await doctor(['--fix', '--yes']);
    expect(result.stdout).toContain(`voice URL: ${webhookUrl}/incoming-call (GET) → ${webhookUrl}/incoming-call (POST)`);
    expect(number.voiceMethod).toBe('POST');
    expect(result.code).toBe(0);
  });

  it('only shows the change without a terminal and without --yes: nothing changed, exit 1, the command to run', async () => {
    const { doctor } = await projectWith();
    const result = await doctor(['--fix']);
    expect(result.stdout).toContain(`voice URL: ${TWILIO_DEMO_VOICE_URL} (POST) → ${webhookUrl}/incoming-call (POST)`);
    expect(result.stdout).toContain('Nothing was changed: there is no terminal to confirm on. To make this change, run: npx voicebridge doctor --fix --yes');
    expect(result.stdout).not.toContain('After the change');
    expect(numberUpdates()).toHaveLength(0);
    expect(number.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(result.code).toBe(1);
  });

  it('names the fix in a plain doctor run, without making it', async () => {
    const { doctor } = await projectWith();
    const result = await doctor([]);
    expect(result.stdout).toContain('npx voicebridge doctor --fix can make one change for you, each shown before it is made.');
    expect(numberUpdates()).toHaveLength(0);
    expect(result.code).toBe(1);
  });

  it('explains, and changes nothing, when a TwiML App takes the calls', async () => {
    const { doctor } = await projectWith();
    number.voiceApplicationSid = 'AP0123456789abcdef0123456789abcdef';
    const result = await doctor(['--fix', '--yes']);
    expect(result.stdout).toContain(`calls to ${FAKE_TWILIO_PHONE_NUMBER} go to the TwiML App AP0123456789abcdef0123456789abcdef, which overrides the number’s voice URL`);
    expect(result.stdout).toContain('Set the TwiML App’s Voice Request URL to');
    expect(result.stdout).toContain('Left for you (no safe automatic fix): Phone number');
    expect(result.stdout).not.toContain('Twilio now sends calls');
    expect(numberUpdates()).toHaveLength(0);
    expect(number.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(number.voiceApplicationSid).toBe('AP0123456789abcdef0123456789abcdef');
  });

  it('explains, and changes nothing, when a SIP trunk takes the calls', async () => {
    const { doctor } = await projectWith();
    number.trunkSid = 'TK0123456789abcdef0123456789abcdef';
    const result = await doctor(['--fix', '--yes']);
    expect(result.stdout).toContain('go to the SIP trunk TK0123456789abcdef0123456789abcdef, so its voice URL is never used');
    expect(result.stdout).toContain('Left for you (no safe automatic fix): Phone number');
    expect(numberUpdates()).toHaveLength(0);
    expect(result.code).toBe(1);
  });

  it('does not point the number at a WEBHOOK_URL that is itself wrong', async () => {
    const { doctor } = await projectWith({ WEBHOOK_URL: 'http://voice.test.invalid/incoming-call' });
    const result = await doctor(['--fix', '--yes']);
    expect(result.stdout).toContain('✗ Webhook URL: WEBHOOK_URL uses http');
    expect(result.stdout).toContain('Left for you (no safe automatic fix): Phone number, Webhook URL');
    expect(numberUpdates()).toHaveLength(0);
    expect(result.code).toBe(1);
  });

  it('does not point a real number at an https WEBHOOK_URL on this machine: Twilio cannot reach it', async () => {
    const { doctor } = await projectWith({ WEBHOOK_URL: 'https://localhost:5077', PORT: '5050' });
    const result = await doctor(['--fix', '--yes']);
    expect(result.stdout).toContain('! Webhook URL: Twilio cannot reach localhost:5077: localhost is this machine');
    expect(result.stdout).toContain(
      'For calls from this machine only (voicebridge call, no Twilio), WEBHOOK_URL=http://localhost:5077 is enough: no tunnel, no https.',
    );
    expect(result.stdout).toContain(`✗ Phone number: ${FAKE_TWILIO_PHONE_NUMBER}: its voice URL does not point at this bridge`);
    expect(result.stdout).toContain(
      'Leave the number as it is for now: Twilio cannot reach localhost:5077 (localhost is this machine), so calls to the number could not reach it.',
    );
    expect(result.stdout).toContain('For calls from this machine only, npx voicebridge call reaches the server directly: the number needs no change.');
    expect(result.stdout).toContain('Left for you (no safe automatic fix): Phone number, Webhook URL');
    expect(result.stdout).not.toContain('Point ');
    expect(result.stdout).not.toContain('Twilio now sends calls');
    expect(numberUpdates()).toHaveLength(0);
    expect(number.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(number.voiceMethod).toBe('POST');
    expect(result.code).toBe(1);
  });

  it('does not name a fix in a plain doctor run when WEBHOOK_URL is https on a local-network name', async () => {
    const { doctor } = await projectWith({ WEBHOOK_URL: 'https://voicebridge.local:5077' });
    const result = await doctor([]);
    expect(result.stdout).toContain(
      '! Webhook URL: Twilio cannot reach voicebridge.local:5077: voicebridge.local is a local-network name that does not resolve on the internet',
    );
    expect(result.stdout).toContain(
      'Leave the number as it is for now: Twilio cannot reach voicebridge.local:5077 (voicebridge.local is a local-network name that does not resolve on the internet)',
    );
    expect(result.stdout).not.toContain('doctor --fix can make');
    expect(numberUpdates()).toHaveLength(0);
    expect(number.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(result.code).toBe(1);
  });

  it('with --json --fix --yes and an https loopback WEBHOOK_URL, lists no fix and leaves the number alone', async () => {
    const { doctor } = await projectWith({ WEBHOOK_URL: 'https://[::1]:5077' });
    const result = await doctor(['--fix', '--yes', '--json']);
    const report = parseFixReport(result);
    expect(report.ok).toBe(false);
    expect(report.fixes).toEqual([]);
    expect(report.checks.find((check) => check.id === 'phone-number')?.status).toBe('fail');
    expect(report.checks.find((check) => check.id === 'webhook-url')?.summary).toBe('Twilio cannot reach [::1]:5077: ::1 is this machine (loopback)');
    expect(numberUpdates()).toHaveLength(0);
    expect(number.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(result.code).toBe(1);
  });

  it('offers, in a second round, the fix a first one uncovers: quotes in the auth token hid the voice URL', async () => {
    const vars = (await healthyVars(world)).map(([key, value]): [string, string] | string => (key === 'TWILIO_AUTH_TOKEN' ? `${key}='"${value}"'` : [key, value]));
    webhookUrl = (vars.find((line) => Array.isArray(line) && line[0] === 'WEBHOOK_URL') as [string, string])[1];
    project = await makeProject(envText(vars));
    const result = await project.doctor(['--fix', '--yes']);
    expect(result.stdout).toContain('- Phone number: skipped: needs "Twilio credentials" to pass first');
    expect(result.stdout).toContain('1. .env file: Strip the stray quotes and spaces from the value of TWILIO_AUTH_TOKEN');
    expect(result.stdout).toContain(`2. Phone number: Point ${FAKE_TWILIO_PHONE_NUMBER} at this bridge`);
    expect(number.voiceUrl).toBe(`${webhookUrl}/incoming-call`);
    expect(result.stdout.slice(result.stdout.indexOf('After 2 changes:'))).toContain('Ready to take calls (1 warning).');
    expect(result.code).toBe(0);
    expect(leaksAny(result, SECRETS)).toBe(false);
  });

  it('with --json, prints the report after the fix and the fix made', async () => {
    const { doctor } = await projectWith();
    const result = await doctor(['--fix', '--yes', '--json']);
    const report = parseFixReport(result);
    expect(report.ok).toBe(true);
    expect(report.checks.find((check) => check.id === 'phone-number')?.status).toBe('ok');
    expect(report.fixes).toEqual([
      {
        check: 'phone-number',
        id: 'phone-number.voice-url',
        description: `Point ${FAKE_TWILIO_PHONE_NUMBER} at this bridge: voice URL ${webhookUrl}/incoming-call, method POST`,
        change: [`voice URL: ${TWILIO_DEMO_VOICE_URL} (POST) → ${webhookUrl}/incoming-call (POST)`],
        status: 'applied',
        message: `Twilio now sends calls to ${FAKE_TWILIO_PHONE_NUMBER} to ${webhookUrl}/incoming-call (POST)`,
      },
    ]);
    expect(result.code).toBe(0);
  });

  it('with --json and no --yes, lists the fix as not made and changes nothing', async () => {
    const { doctor } = await projectWith();
    const result = await doctor(['--fix', '--json']);
    const report = parseFixReport(result);
    expect(report.ok).toBe(false);
    expect(report.fixes.map((fix) => [fix.id, fix.status])).toEqual([['phone-number.voice-url', 'not-applied']]);
    expect(report.fixes[0]!.message).toContain('--yes');
    expect(numberUpdates()).toHaveLength(0);
    expect(result.code).toBe(1);
  });
});
