// `voicebridge setup-sip`, run as a user runs it (the built CLI, no terminal) against the fake Twilio (Elastic SIP
// Trunking) and the fake OpenAI (webhook endpoints): what it creates, that a second run changes nothing, that a dry
// run changes nothing anywhere, and that what exists is updated in place and never deleted. A test that runs the CLI
// several times has 60 s: each run starts Node and its SDKs, which takes seconds on a busy machine.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireEnvLock } from '../../src/config/env-lock.js';
import { BIN, runCli, type CliResult } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_NUMBER_SID, FAKE_TWILIO_PHONE_NUMBER, FakeTwilioRest } from '../fakes/twilio/fake-twilio-rest.js';

const PROJECT_ID = 'proj_Voicebridge0123456789ab';
const SIP_URI = `sip:${PROJECT_ID}@sip.api.openai.com;transport=tls`;
const WEBHOOK_URL = 'https://voice.example.com';
const ENDPOINT_URL = 'https://voice.example.com/openai-webhook';

let openai: FakeOpenAI;
let twilio: FakeTwilioRest;
let dir: string;
let envPath: string;

function envText(extra = ''): string {
  return [
    '# voicebridge',
    `OPENAI_API_KEY=${FAKE_OPENAI_KEY}`,
    `OPENAI_PROJECT_ID=${PROJECT_ID}`,
    `TWILIO_ACCOUNT_SID=${FAKE_TWILIO_ACCOUNT_SID}`,
    `TWILIO_AUTH_TOKEN=${FAKE_TWILIO_AUTH_TOKEN}`,
    `TWILIO_PHONE_NUMBER=${FAKE_TWILIO_PHONE_NUMBER}`,
    `WEBHOOK_URL=${WEBHOOK_URL}`,
    'TRANSPORT=sip',
    extra,
  ].join('\n');
}

function setupSip(args: string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['setup-sip', ...args], { cwd: dir, env: { OPENAI_BASE_URL: openai.baseURL, TWILIO_API_BASE_URL: twilio.baseURL, ...env } });
}

/** Requests that could change something on a service. */
function writes(fake: { requests: Array<{ method: string; path: string }> }): string[] {
  return fake.requests.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.path}`);
}

beforeEach(async () => {
  openai = await FakeOpenAI.start({ projectId: PROJECT_ID });
  twilio = await FakeTwilioRest.start();
  dir = await mkdtemp(join(tmpdir(), 'voicebridge-setup-sip-'));
  envPath = join(dir, '.env');
});
afterEach(async () => {
  await openai.close();
  await twilio.close();
  await rm(dir, { recursive: true, force: true });
});

describe('setup-sip on accounts with nothing set up yet', () => {
  it('creates the trunk, its origination URL, puts the number on it, creates the webhook endpoint and writes its secret', async () => {
    await writeFile(envPath, envText());
    const result = await setupSip();

    expect(result.code, result.stderr).toBe(0);
    const trunks = [...twilio.trunking.trunks.values()];
    expect(trunks).toHaveLength(1);
    const trunk = trunks[0]!;
    expect(trunk).toMatchObject({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all' });
    expect(twilio.trunking.urlsOf(trunk.sid).map(({ sipUrl, enabled, priority, weight, friendlyName }) => ({ sipUrl, enabled, priority, weight, friendlyName }))).toEqual([
      { sipUrl: SIP_URI, enabled: true, priority: 10, weight: 10, friendlyName: `OpenAI ${PROJECT_ID}` },
    ]);
    expect(twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid).toBe(trunk.sid);

    const endpoints = [...openai.webhookEndpoints.values()];
    expect(endpoints.map(({ name, url, event_types }) => ({ name, url, event_types }))).toEqual([
      { name: 'voicebridge', url: ENDPOINT_URL, event_types: ['realtime.call.incoming'] },
    ]);
    const secret = endpoints[0]!.secret;
    const after = await readFile(envPath, 'utf8');
    expect(after).toBe(envText().replace(`OPENAI_PROJECT_ID=${PROJECT_ID}\n`, `OPENAI_PROJECT_ID=${PROJECT_ID}\nOPENAI_WEBHOOK_SECRET=${secret}\n`));
    expect(dotenvParse(after).OPENAI_WEBHOOK_SECRET).toBe(secret);

    // The secret and the credentials never show; the masked secret does.
    const printed = result.stdout + result.stderr;
    expect(printed).not.toContain(secret);
    expect(printed).not.toContain(FAKE_OPENAI_KEY);
    expect(printed).not.toContain(FAKE_TWILIO_AUTH_TOKEN);
    expect(printed).toContain(`OPENAI_WEBHOOK_SECRET=whsec_…${secret.slice(-4)}`);
    expect(result.stdout).toContain(`✔ Twilio trunk ${trunk.sid} ("voicebridge") created, with secure media (SRTP) and transfers (enable-all)`);
    expect(result.stdout).toContain(`✔ origination URL ${SIP_URI} added to the trunk`);
    expect(result.stdout).toContain(`✔ ${FAKE_TWILIO_PHONE_NUMBER} attached to the trunk`);
    expect(result.stdout).toContain(`✔ OpenAI webhook endpoint ${endpoints[0]!.id} ("voicebridge") created: ${ENDPOINT_URL}, for realtime.call.incoming`);
    expect(result.stdout).toContain('Next: run npx voicebridge serve, and check with npx voicebridge doctor.');
  });

  it('changes nothing when run again: "nothing to change", exit 0, no request that writes, .env untouched', { timeout: 60_000 }, async () => {
    await writeFile(envPath, envText());
    expect((await setupSip()).code).toBe(0);
    const envAfterFirst = await readFile(envPath, 'utf8');
    const mtime = (await stat(envPath)).mtimeMs;
    const twilioRequests = twilio.requests.length;
    const openaiRequests = openai.requests.length;

    const second = await setupSip();

    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('✔ Nothing to change: the trunk, the number and the webhook endpoint are already set up.');
    expect(writes({ requests: twilio.requests.slice(twilioRequests) })).toEqual([]);
    expect(writes({ requests: openai.requests.slice(openaiRequests) })).toEqual([]);
    expect(await readFile(envPath, 'utf8')).toBe(envAfterFirst);
    expect((await stat(envPath)).mtimeMs).toBe(mtime);
    expect(twilio.trunking.trunks.size).toBe(1);
    expect(openai.webhookEndpoints.size).toBe(1);

    const json = await setupSip(['--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; changed: boolean; changes: unknown[]; webhook: { secret: string } };
    expect(report).toMatchObject({ ok: true, changed: false, changes: [], webhook: { secret: 'kept' } });
  });

  it('--dry-run shows every change and makes none: no write on either service, .env untouched', async () => {
    await writeFile(envPath, envText());
    const result = await setupSip(['--dry-run']);

    expect(result.code, result.stderr).toBe(0);
    expect(writes(twilio)).toEqual([]);
    expect(writes(openai)).toEqual([]);
    expect(twilio.trunking.trunks.size).toBe(0);
    expect(twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid).toBeNull();
    expect(openai.webhookEndpoints.size).toBe(0);
    expect(await readFile(envPath, 'utf8')).toBe(envText());
    expect(result.stdout).toContain('Would change:');
    expect(result.stdout).toContain('  • Twilio trunk "voicebridge" created, with secure media (SRTP) and transfers (enable-all)');
    expect(result.stdout).toContain(`  • origination URL ${SIP_URI} added to the trunk`);
    expect(result.stdout).toContain(`  • ${FAKE_TWILIO_PHONE_NUMBER} attached to the trunk (its voice URL is no longer used)`);
    expect(result.stdout).toContain(`  • OpenAI webhook endpoint "voicebridge" created: ${ENDPOINT_URL}, for realtime.call.incoming`);
    expect(result.stdout).toContain('+ OPENAI_WEBHOOK_SECRET=<the new secret>');
    expect(result.stdout).toContain('Dry run: nothing was changed on Twilio or OpenAI, and no file was written.');
  });

  it('--json prints the documented shape', async () => {
    await writeFile(envPath, envText());
    const result = await setupSip(['--json']);

    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['ok', 'dryRun', 'changed', 'envFile', 'engine', 'event', 'unavailableEvents', 'trunk', 'number', 'webhook', 'changes', 'env', 'warnings', 'error']);
    const trunk = [...twilio.trunking.trunks.values()][0]!;
    const endpoint = [...openai.webhookEndpoints.values()][0]!;
    expect(report).toMatchObject({
      ok: true,
      dryRun: false,
      changed: true,
      engine: 'realtime',
      event: 'realtime.call.incoming',
      unavailableEvents: [],
      trunk: { sid: trunk.sid, friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all', originationUrl: SIP_URI },
      number: { phoneNumber: FAKE_TWILIO_PHONE_NUMBER, sid: FAKE_TWILIO_NUMBER_SID, previousTrunkSid: null },
      webhook: { id: endpoint.id, url: ENDPOINT_URL, eventTypes: ['realtime.call.incoming'], secret: 'created' },
      env: { written: true, changes: [{ key: 'OPENAI_WEBHOOK_SECRET', action: 'added' }] },
      warnings: [],
      error: null,
    });
    expect((report.changes as Array<{ service: string; object: string; action: string }>).map((change) => `${change.service} ${change.object} ${change.action}`)).toEqual([
      'twilio trunk create',
      'twilio origination-url create',
      'twilio phone-number attach',
      'openai webhook-endpoint create',
      'env env-file write',
    ]);
    expect(result.stdout).not.toContain(endpoint.secret);
  });

  it('subscribes to live.transport.incoming for GPT-Live', async () => {
    await writeFile(envPath, envText('VOICE_ENGINE=live\n'));
    const result = await setupSip();

    expect(result.code, result.stderr).toBe(0);
    expect([...openai.webhookEndpoints.values()].map((endpoint) => endpoint.event_types)).toEqual([['live.transport.incoming']]);
  });
});

describe('setup-sip where things exist already', () => {
  it('updates a trunk and an endpoint that differ, in place; moves the number; deletes nothing made by hand', { timeout: 60_000 }, async () => {
    // A trunk from an earlier run, for another project, without secure media; the number on the office PBX's trunk.
    const ours = twilio.trunking.addTrunk({ friendlyName: 'voicebridge', secure: false, transferMode: 'disable-all' });
    const oldUrl = twilio.trunking.addOriginationUrl({ trunkSid: ours.sid, sipUrl: 'sip:proj_OldProject000000000000@sip.api.openai.com;transport=tls', enabled: false });
    const office = twilio.trunking.addTrunk({ friendlyName: 'Office PBX', secure: true, transferMode: 'sip-only' });
    twilio.trunking.addOriginationUrl({ trunkSid: office.sid, sipUrl: 'sip:pbx.example.com' });
    twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid = office.sid;
    // An endpoint made by hand at the same URL, for other events; and one elsewhere that is none of this command's business.
    const handMade = openai.addWebhookEndpoint({ name: 'Batch jobs', url: ENDPOINT_URL, event_types: ['batch.completed'] });
    const oldSecret = handMade.secret;
    const elsewhere = openai.addWebhookEndpoint({ name: 'Other app', url: 'https://other.example.com/hook', event_types: ['response.completed'] });
    await writeFile(envPath, envText());

    const result = await setupSip();

    expect(result.code, result.stderr).toBe(0);
    expect([...twilio.trunking.trunks.keys()].sort()).toEqual([ours.sid, office.sid].sort());
    expect(twilio.trunking.trunks.get(ours.sid)).toMatchObject({ secure: true, transferMode: 'enable-all', friendlyName: 'voicebridge' });
    expect(twilio.trunking.trunks.get(office.sid)).toMatchObject({ secure: true, transferMode: 'sip-only', friendlyName: 'Office PBX' });
    expect(twilio.trunking.urlsOf(ours.sid).map(({ sid, sipUrl, enabled }) => ({ sid, sipUrl, enabled }))).toEqual([{ sid: oldUrl.sid, sipUrl: SIP_URI, enabled: true }]);
    expect(twilio.trunking.urlsOf(office.sid).map((url) => url.sipUrl)).toEqual(['sip:pbx.example.com']);
    expect(twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid).toBe(ours.sid);
    expect(twilio.trunking.deleted).toEqual([]);

    expect([...openai.webhookEndpoints.keys()]).toEqual([handMade.id, elsewhere.id]);
    expect(openai.webhookEndpoints.get(handMade.id)).toMatchObject({ name: 'Batch jobs', url: ENDPOINT_URL, event_types: ['batch.completed', 'realtime.call.incoming'] });
    expect(openai.webhookEndpoints.get(elsewhere.id)).toMatchObject({ name: 'Other app', url: 'https://other.example.com/hook', event_types: ['response.completed'] });
    expect(openai.deletedWebhookEndpoints).toEqual([]);
    // Its secret could not be read, so it got a new one; the old one stays valid meanwhile.
    const endpoint = openai.webhookEndpoints.get(handMade.id)!;
    expect(endpoint.secret).not.toBe(oldSecret);
    expect(endpoint.previousSecret).toBe(oldSecret);
    expect(dotenvParse(await readFile(envPath, 'utf8')).OPENAI_WEBHOOK_SECRET).toBe(endpoint.secret);

    expect(result.stdout).toContain(`✔ Twilio trunk ${ours.sid} ("voicebridge"): secure media (SRTP): off → on, transfers: disable-all → enable-all`);
    expect(result.stdout).toContain(
      `✔ origination URL ${oldUrl.sid}: sip:proj_OldProject000000000000@sip.api.openai.com;transport=tls → ${SIP_URI}, disabled → enabled`,
    );
    expect(result.stdout).toContain(`✔ ${FAKE_TWILIO_PHONE_NUMBER} moved from trunk ${office.sid} ("Office PBX") to this one (that trunk itself is left as it is)`);
    expect(result.stdout).toContain(`✔ OpenAI webhook endpoint ${handMade.id} ("Batch jobs"): now also subscribed to realtime.call.incoming`);

    // And now it is all in place.
    const again = await setupSip(['--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, changed: false });
  });

  it('keeps the endpoint\'s secret when .env already holds it, and corrects the URL of its own endpoint after the tunnel moved', async () => {
    const endpoint = openai.addWebhookEndpoint({ name: 'voicebridge', url: 'https://old-tunnel.example.com/openai-webhook', event_types: ['realtime.call.incoming'] });
    const trunk = twilio.trunking.addTrunk({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all' });
    twilio.trunking.addOriginationUrl({ trunkSid: trunk.sid, sipUrl: SIP_URI });
    twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid = trunk.sid;
    await writeFile(envPath, envText(`OPENAI_WEBHOOK_SECRET=${endpoint.secret}\n`));
    const before = await readFile(envPath, 'utf8');

    const result = await setupSip();

    expect(result.code, result.stderr).toBe(0);
    expect(openai.webhookEndpoints.size).toBe(1);
    expect(openai.webhookEndpoints.get(endpoint.id)).toMatchObject({ url: ENDPOINT_URL, secret: endpoint.secret });
    expect(await readFile(envPath, 'utf8')).toBe(before);
    expect(writes(twilio)).toEqual([]);
    expect(writes(openai)).toEqual([`POST /v1/webhook_endpoints/${endpoint.id}`]);
    expect(result.stdout).toContain(`✔ OpenAI webhook endpoint ${endpoint.id} ("voicebridge"): URL https://old-tunnel.example.com/openai-webhook → ${ENDPOINT_URL}`);
  });

  it('takes an endpoint whose URL differs only in the case of its host as the one at WEBHOOK_URL: no second endpoint', async () => {
    const endpoint = openai.addWebhookEndpoint({ name: 'voicebridge', url: 'https://Voice.Example.com/openai-webhook', event_types: ['realtime.call.incoming'] });
    const trunk = twilio.trunking.addTrunk({ friendlyName: 'voicebridge', secure: true, transferMode: 'enable-all' });
    twilio.trunking.addOriginationUrl({ trunkSid: trunk.sid, sipUrl: SIP_URI });
    twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid = trunk.sid;
    await writeFile(envPath, envText(`OPENAI_WEBHOOK_SECRET=${endpoint.secret}\n`));

    const result = await setupSip();

    expect(result.code, result.stderr).toBe(0);
    expect(writes(openai)).toEqual([]);
    expect([...openai.webhookEndpoints.keys()]).toEqual([endpoint.id]);
    expect(result.stdout).toContain('✔ Nothing to change');
  });

  it('finds the trunk that points at this project on a later page of the trunk list', async () => {
    for (let index = 0; index < 55; index += 1) twilio.trunking.addTrunk({ friendlyName: `Trunk ${index}` });
    const trunk = twilio.trunking.addTrunk({ friendlyName: 'Made by hand', secure: true, transferMode: 'enable-all' });
    twilio.trunking.addOriginationUrl({ trunkSid: trunk.sid, sipUrl: SIP_URI });
    await writeFile(envPath, envText());

    const result = await setupSip();

    expect(result.code, result.stderr).toBe(0);
    expect(twilio.trunking.trunks.size).toBe(56);
    expect(twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.trunkSid).toBe(trunk.sid);
    expect(twilio.requests.some((request) => request.path === '/v1/Trunks' && request.query.get('Page') === '1')).toBe(true);
  });
});

describe('setup-sip refusing', () => {
  it('says plainly when the project cannot subscribe to the event, and changes nothing', { timeout: 60_000 }, async () => {
    await openai.close();
    openai = await FakeOpenAI.start({ webhookEventTypes: ['batch.completed', 'realtime.call.incoming'] });
    await writeFile(envPath, envText('VOICE_ENGINE=live\n'));

    const result = await setupSip();

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '✖ this OpenAI project cannot subscribe a webhook endpoint to live.transport.incoming, the event GPT-Live (VOICE_ENGINE=live) is offered SIP calls with',
    );
    expect(result.stderr).toContain('GET /webhook_event_types lists: batch.completed, realtime.call.incoming');
    expect(result.stderr).toContain('Nothing was changed on Twilio or OpenAI.');
    expect(writes(twilio)).toEqual([]);
    expect(writes(openai)).toEqual([]);
    expect(await readFile(envPath, 'utf8')).toBe(envText('VOICE_ENGINE=live\n'));

    const json = JSON.parse((await setupSip(['--json'])).stdout) as { ok: boolean; unavailableEvents: string[]; error: { kind: string } };
    expect(json).toMatchObject({ ok: false, unavailableEvents: ['live.transport.incoming'], error: { kind: 'event-unavailable' } });
  });

  it('refuses an https WEBHOOK_URL OpenAI cannot reach (this machine, a private network) before anything is made', async () => {
    for (const local of ['https://localhost:5077', 'https://192.168.1.20', 'https://[::1]:8443']) {
      await writeFile(envPath, envText().replace(`WEBHOOK_URL=${WEBHOOK_URL}`, `WEBHOOK_URL=${local}`));

      const result = await setupSip();

      expect(result.code, local).toBe(1);
      expect(result.stderr).toContain('✖ setup-sip needs WEBHOOK_URL');
      expect(result.stderr).toContain(`WEBHOOK_URL points at ${new URL(local).host}, which OpenAI cannot reach (`);
      expect(twilio.requests).toEqual([]);
      expect(openai.requests).toEqual([]);
    }
  }, 60_000);

  it('names every missing or malformed setting and changes nothing', async () => {
    await writeFile(envPath, envText().replace(`OPENAI_PROJECT_ID=${PROJECT_ID}`, 'OPENAI_PROJECT_ID=org-abc123').replace(`WEBHOOK_URL=${WEBHOOK_URL}`, 'WEBHOOK_URL=http://localhost:5000'));

    const result = await setupSip();

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('✖ setup-sip needs OPENAI_PROJECT_ID, WEBHOOK_URL');
    expect(result.stderr).toContain('OPENAI_PROJECT_ID is an organization ID (org-…), not a project ID (proj_…)');
    expect(result.stderr).toContain('WEBHOOK_URL uses http: OpenAI delivers webhooks to https:// URLs only');
    expect(twilio.requests).toEqual([]);
    expect(openai.requests).toEqual([]);

    await writeFile(envPath, envText().replace(`WEBHOOK_URL=${WEBHOOK_URL}`, `WEBHOOK_URL=${ENDPOINT_URL}`));
    const fullAddress = await setupSip();
    expect(fullAddress.code).toBe(1);
    expect(fullAddress.stderr).toContain('WEBHOOK_URL ends in /openai-webhook: set it to the base URL of voicebridge serve (setup-sip adds /openai-webhook itself)');
    expect(twilio.requests).toEqual([]);
    expect(openai.requests).toEqual([]);
  });

  it('says that the file --env names does not exist, rather than only which settings are missing', async () => {
    const result = await setupSip(['--env', 'nope.env']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`✖ ${join(dir, 'nope.env')} does not exist, and setup-sip needs OPENAI_API_KEY, OPENAI_PROJECT_ID,`);
    expect(result.stderr).toContain('→ Check the path given to --env (it is relative to the current folder), or create that file with these settings; then run this command again. Nothing was changed.');
    expect([...twilio.requests, ...openai.requests]).toEqual([]);
  });

  it('stops before changing anything when .env cannot be written, or another run is changing it', async () => {
    await writeFile(envPath, envText());
    await chmod(envPath, 0o444);
    const readOnly = await setupSip();
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain(`✖ ${envPath} cannot be changed:`);
    expect(readOnly.stderr).toContain('Nothing was changed.');
    await chmod(envPath, 0o644);

    const lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
    try {
      const busy = await setupSip();
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`✖ another voicebridge run is changing ${envPath} right now (voicebridge create-assistant, process ${process.pid} on this machine`);
    } finally {
      await lock.release();
    }
    expect(twilio.requests).toEqual([]);
    expect(openai.requests).toEqual([]);
    expect(await readFile(envPath, 'utf8')).toBe(envText());
  });

  it('refuses a key of another project before creating the endpoint', async () => {
    await openai.close();
    openai = await FakeOpenAI.start({ projectId: 'proj_SomeOtherProject000000' });
    await writeFile(envPath, envText());

    const result = await setupSip();

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`✖ OPENAI_PROJECT_ID (${PROJECT_ID}) is not the project of the key sk-proj-…WXYZ (401 mismatched_project)`);
    expect(writes(openai)).toEqual([]);
    expect(writes(twilio)).toEqual([]);
    expect(await readFile(envPath, 'utf8')).toBe(envText());
  });
});

describe('setup-sip --help', () => {
  /** Runs the CLI with a loader hook that makes importing either SDK fail, so a command that loads one cannot finish. */
  function withoutSdks(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const hook = `data:text/javascript,${encodeURIComponent(
      "export async function resolve(specifier, context, next) { if (/^(openai|twilio)(\\/|$)/.test(specifier)) throw new Error('SDK loaded: ' + specifier); return next(specifier, context); }",
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', register, BIN, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints its help without loading the OpenAI or Twilio SDK', { timeout: 60_000 }, async () => {
    const help = await withoutSdks(['setup-sip', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: voicebridge setup-sip [options]');
    expect(help.stdout).toContain('--dry-run');

    // The hook works: the command itself needs an SDK, and cannot run without one.
    await writeFile(envPath, envText());
    const run = await withoutSdks(['setup-sip', '--dry-run']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SDK loaded: ');
  });
});
