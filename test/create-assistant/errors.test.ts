import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_OPENAI_KEY, FakeOpenAI, type FakeKeyBehaviour } from '../fakes/openai/fake-openai.js';
import { envWithKey, makeProject, runCreateAssistant, TODAY, type Project } from './project.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeOpenAI | undefined;
let project: Project | undefined;
afterEach(async () => {
  await fake?.close();
  await project?.remove();
  fake = undefined;
  project = undefined;
});

async function startWithKey(behaviour: FakeKeyBehaviour): Promise<FakeOpenAI> {
  fake = await FakeOpenAI.start({ keys: { [FAKE_OPENAI_KEY]: behaviour } });
  return fake;
}

/** Runs create-assistant and checks the promise every failure keeps: exit 1, nothing created, .env untouched. */
async function expectCleanFailure(args: string[] = []): Promise<string> {
  const before = await project!.readEnv();
  const result = await runCreateAssistant(project!, fake!, args);
  expect(result.code).toBe(1);
  expect(fake!.agents.size).toBe(0);
  expect(await project!.readEnv()).toBe(before);
  expect(result.stdout + result.stderr).not.toContain(FAKE_OPENAI_KEY);
  expect(result.stderr).toContain('Nothing was created');
  return result.stderr;
}

describe('create-assistant when OpenAI says no', () => {
  it('explains a bad key with where to get a good one, showing the key masked', async () => {
    fake = await FakeOpenAI.start({ keys: {} });
    project = await makeProject(envWithKey());
    const stderr = await expectCleanFailure();
    expect(stderr).toMatch(/OpenAI rejected the API key sk-proj-…WXYZ \(401 invalid_api_key\)/);
    expect(stderr).toContain('https://platform.openai.com/api-keys');
  });

  it('explains that an admin key cannot create agents', async () => {
    const adminKey = 'sk-admin-fakeAdminKeyForTests0123456789abcd';
    fake = await FakeOpenAI.start({ keys: { [adminKey]: 'admin' } });
    project = await makeProject(`OPENAI_API_KEY=${adminKey}\n`);
    const result = await runCreateAssistant(project, fake);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the key sk-admin-…abcd is an admin key \(401\)/);
    expect(result.stderr).toContain('project key (sk-proj-…)');
    expect(result.stderr).not.toContain(adminKey);
  });

  it('explains a key without access to the Agents API beta and offers the Responses backend', async () => {
    await startWithKey('no_agents_access');
    project = await makeProject(envWithKey());
    const stderr = await expectCleanFailure();
    expect(stderr).toMatch(/no access to the Agents API beta \(403\)/);
    expect(stderr).toContain('voicebridge create-assistant --api responses');
  });

  it('tells an empty account (no quota: retrying will not help) from a rate limit (wait and retry)', async () => {
    await startWithKey('insufficient_quota');
    project = await makeProject(envWithKey());
    const quota = await expectCleanFailure();
    expect(quota).toMatch(/no quota left \(429 insufficient_quota\): retrying will not help/);
    expect(quota).toContain('https://platform.openai.com/settings/organization/billing');
    await fake!.close();

    await startWithKey('rate_limited');
    const rateLimit = await expectCleanFailure();
    expect(rateLimit).toMatch(/rate-limiting this key right now \(429 rate_limit_exceeded\)/);
    expect(rateLimit).toContain('Wait 20 seconds and run this command again');
    expect(rateLimit).not.toMatch(/billing/);
  });

  it('names a model the key cannot use, before asking to create anything', async () => {
    await startWithKey('ok');
    project = await makeProject(envWithKey());
    const stderr = await expectCleanFailure(['--model', 'gpt-nonexistent']);
    expect(stderr).toContain('gpt-nonexistent is not among the models OpenAI offers this key');
    expect(stderr).toContain('Run again with --model gpt-6-luna');
    expect(fake!.requests.filter((request) => request.method === 'POST')).toEqual([]);
  });

  it("passes on the API's own words for any other 400", async () => {
    await startWithKey('ok');
    fake!.injectFault({
      method: 'POST',
      path: /^\/v1\/agents$/,
      status: 400,
      body: { error: { message: "Invalid 'name': string too long. Expected a string with maximum length 256.", type: 'invalid_request_error', param: 'name', code: 'string_above_max_length' } },
    });
    project = await makeProject(envWithKey());
    const stderr = await expectCleanFailure(['--name', 'x'.repeat(300)]);
    expect(stderr).toContain("OpenAI refused the request (400 string_above_max_length): Invalid 'name': string too long.");
  });

  it('explains a server error as an outage to wait out', async () => {
    await startWithKey('ok');
    fake!.injectFault({ method: 'POST', path: /^\/v1\/agents$/, status: 503, body: { error: { message: 'The server is overloaded.', type: 'server_error', param: null, code: null } } });
    project = await makeProject(envWithKey());
    const stderr = await expectCleanFailure();
    expect(stderr).toMatch(/server error \(503\)/);
    expect(stderr).toContain('https://status.openai.com');
  });

  it('explains a network failure with the address it tried', async () => {
    await startWithKey('ok');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    project = await makeProject(envWithKey());

    const result = await runCli(['create-assistant'], { cwd: project.dir, env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, VOICEBRIDGE_TODAY: TODAY } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`nothing answers at OPENAI_BASE_URL (http://127.0.0.1:${port}/v1): the connection was refused`);
  });
});

describe('create-assistant before it calls OpenAI', () => {
  it('asks for OPENAI_API_KEY when there is none', async () => {
    await startWithKey('ok');
    project = await makeProject('PORT=5000\n');
    const stderr = await expectCleanFailure();
    expect(stderr).toContain('OPENAI_API_KEY is not set');
    expect(fake!.requests).toEqual([]);
  });

  it('refuses a .env it cannot edit safely, naming the line, before creating anything', async () => {
    await startWithKey('ok');
    project = await makeProject(envWithKey('GREETING="Hello there\nPORT=5000\n'));
    const stderr = await expectCleanFailure();
    expect(stderr).toMatch(/line 3: the " quote opened in GREETING's value is never closed/);
    expect(fake!.requests).toEqual([]);
  });

  it('refuses a .env saved as Latin-1 rather than change its other bytes, naming the line, before creating anything', async () => {
    await startWithKey('ok');
    project = await makeProject();
    const latin1 = Buffer.from(envWithKey('NAME=Zoë\r\nASSISTANT_ID=\r\n'), 'latin1');
    await writeFile(project.envPath, latin1);
    const result = await runCreateAssistant(project, fake!);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${project.envPath}, line 3 is not UTF-8 text`);
    expect(result.stderr).toContain(`Save ${project.envPath} as UTF-8`);
    expect(result.stderr).toContain('Nothing was created');
    expect(fake!.requests).toEqual([]);
    expect(await readFile(project.envPath)).toEqual(latin1);
  });

  it('explains an instructions file that cannot be read', async () => {
    await startWithKey('ok');
    project = await makeProject(envWithKey());
    const stderr = await expectCleanFailure(['--instructions-file', 'missing.md']);
    expect(stderr).toMatch(/Cannot read the instructions file .*missing\.md: it does not exist/);
  });

  it('rejects conflicting or unknown options as usage errors (exit 2)', async () => {
    await startWithKey('ok');
    project = await makeProject(envWithKey());
    const both = await runCreateAssistant(project, fake!, ['--instructions', 'Be brief.', '--instructions-file', 'a.md']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--instructions and --instructions-file cannot be used together');

    const unknownApi = await runCreateAssistant(project, fake!, ['--api', 'workflows']);
    expect(unknownApi.code).toBe(2);
    expect(unknownApi.stderr).toContain('--api must be one of agents, assistants, responses, not "workflows"');
    expect(fake!.requests).toEqual([]);
  });
});
