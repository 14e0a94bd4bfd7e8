// provisionAgent, called as a function against the fake OpenAI: what it created (or why not) comes back as data,
// with nothing printed, so create-assistant and doctor --fix each show it in their own words.
import { constants } from 'node:fs';
import { readFile, type access } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireEnvLock } from '../../src/config/env-lock.js';
import { provisionAgent, type ProvisionDependencies, type ProvisionOptions } from '../../src/provision/provision-agent.js';
import type { ProvisionObserver, ProvisionResult, ProvisionStep } from '../../src/provision/provision-result.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_OPENAI_KEY, FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai/fake-openai.js';
import { envWithKey, makeProject, TODAY, type Project } from './project.js';

let fake: FakeOpenAI | undefined;
let project: Project | undefined;
afterEach(async () => {
  await fake?.close();
  await project?.remove();
  fake = undefined;
  project = undefined;
});

async function setUp(envText: string, options: FakeOpenAIOptions = {}): Promise<{ fake: FakeOpenAI; project: Project }> {
  fake = await FakeOpenAI.start(options);
  project = await makeProject(envText);
  return { fake, project };
}

/** Runs it as create-assistant would in the project, recording what it told the observer. */
async function provision(options: ProvisionOptions = {}, more: Partial<ProvisionDependencies> = {}): Promise<{ result: ProvisionResult; steps: ProvisionStep[] }> {
  const steps: ProvisionStep[] = [];
  const observer: ProvisionObserver = { secrets: () => undefined, step: (step) => steps.push(step), wait: (_text, work) => work() };
  const result = await provisionAgent(options, {
    env: { OPENAI_BASE_URL: fake!.baseURL },
    cwd: project!.dir,
    clock: fixedClock(`${TODAY}T12:00:00Z`),
    observer,
    ...more,
  });
  return { result, steps };
}

function expectKind<K extends ProvisionResult['kind']>(result: ProvisionResult, kind: K): Extract<ProvisionResult, { kind: K }> {
  expect(result.kind, JSON.stringify(result, null, 2)).toBe(kind);
  return result as Extract<ProvisionResult, { kind: K }>;
}

describe('provisionAgent creates and says what it created', () => {
  it('creates an Agents API agent and writes its ID into .env', async () => {
    await setUp(envWithKey('ASSISTANT_ID=\n'));
    const { result, steps } = await provision();

    const created = expectKind(result, 'created');
    const [agent] = [...fake!.agents.values()];
    expect(created.provisioned).toEqual({ backend: 'agents', object: { id: agent!.id, name: 'Phone agent', model: 'gpt-6-luna' } });
    expect(created.request).toMatchObject({ api: 'agents', name: 'Phone agent', model: 'gpt-6-luna', instructionsSource: 'default' });
    expect(created.env).toMatchObject({ written: true, created: false, changed: true, changes: [{ key: 'ASSISTANT_ID', action: 'replaced' }] });
    expect(created.envFile).toBe(project!.envPath);
    expect(created.warnings).toEqual([]);
    expect(dotenvParse(await project!.readEnv()).ASSISTANT_ID).toBe(agent!.id);
    // The plan is told before the object is created, so a terminal shows it while the create call is under way.
    expect(steps.map((step) => step.kind)).toEqual(['plan', 'created']);
  });

  it('creates an Assistants API assistant where the endpoint still serves that API', async () => {
    await setUp(envWithKey(), { assistantsApi: 'available' });
    const { result } = await provision({ api: 'assistants', name: 'Front desk' });

    const created = expectKind(result, 'created');
    const [assistant] = [...fake!.assistants.values()];
    expect(assistant!.id).toMatch(/^asst_/);
    expect(created.provisioned).toEqual({ backend: 'assistants', object: { id: assistant!.id, name: 'Front desk', model: 'gpt-6-luna' } });
    expect(created.api).toBe('assistants');
    expect(created.env.changes).toEqual([{ key: 'ASSISTANT_ID', action: 'added' }]);
    expect(dotenvParse(await project!.readEnv()).ASSISTANT_ID).toBe(assistant!.id);
  });

  it('sets up the Responses backend: the instructions file written, .env pointing at it, nothing created on OpenAI', async () => {
    await setUp(envWithKey('ASSISTANT_ID=\n'));
    const { result, steps } = await provision({ api: 'responses' });

    const created = expectKind(result, 'created');
    const path = join(project!.dir, 'assistant.md');
    expect(created.provisioned).toEqual({ backend: 'responses', instructionsFile: { path, envValue: 'assistant.md', action: 'create' } });
    expect(created.instructionsFile).toEqual({ path, envValue: 'assistant.md', action: 'create' });
    expect(steps).toContainEqual({ kind: 'instructions-written', path });
    expect(await readFile(path, 'utf8')).toBe(created.request.instructions);
    expect(dotenvParse(await project!.readEnv())).toMatchObject({ ASSISTANT_ID: '', ASSISTANT_INSTRUCTIONS_FILE: 'assistant.md', ASSISTANT_MODEL: 'gpt-6-luna' });
    expect(fake!.agents.size + fake!.assistants.size).toBe(0);
  });

  it('in a dry run returns the change a real run would make, and makes none', async () => {
    const before = envWithKey('ASSISTANT_ID=\n');
    await setUp(before);
    const { result } = await provision({ dryRun: true });

    const planned = expectKind(result, 'dry-run');
    expect(planned.env).toMatchObject({ written: false, changed: true, changes: [{ key: 'ASSISTANT_ID', action: 'replaced' }] });
    expect(planned.env.diff[0]!.added).toEqual(['ASSISTANT_ID=NEW_ID_FROM_OPENAI']);
    expect(fake!.agents.size).toBe(0);
    expect(await project!.readEnv()).toBe(before);
  });
});

describe('provisionAgent refuses before creating anything', () => {
  it('refuses when .env may not be written, creating nothing and asking nothing of OpenAI', async () => {
    const before = envWithKey();
    await setUp(before);
    const notOwner: typeof access = async (file, mode) => {
      if (file === project!.envPath && mode === constants.W_OK) throw Object.assign(new Error(`EACCES: permission denied, access '${String(file)}'`), { code: 'EACCES' });
    };
    const { result, steps } = await provision({}, { writeOptions: { fs: { access: notOwner } } });

    const refused = expectKind(result, 'refused');
    expect(refused.reason).toBe('env-not-writable');
    expect(refused.problem).toEqual({
      summary: `${project!.envPath} cannot be changed: this user may not write to it`,
      detail: ['Nothing was created and no file was changed.'],
      fix: `Run the command as the file's owner, or give this user write access to ${project!.envPath}, then run this command again.`,
      kind: 'env-not-writable',
    });
    expect(refused.request).toBeUndefined();
    expect(steps).toEqual([]);
    expect(fake!.requests).toEqual([]);
    expect(await project!.readEnv()).toBe(before);
  });

  it('refuses while another run holds the .env lock', async () => {
    const before = envWithKey();
    await setUp(before);
    const lock = await acquireEnvLock(project!.envPath, { command: 'doctor --fix' });
    try {
      const { result } = await provision();
      const refused = expectKind(result, 'refused');
      expect(refused.reason).toBe('env-busy');
      expect(refused.problem.kind).toBe('env-busy');
      expect(refused.problem.summary).toContain('(voicebridge doctor --fix, process');
    } finally {
      await lock.release();
    }
    expect(fake!.agents.size).toBe(0);
    expect(await project!.readEnv()).toBe(before);
  });

  it('refuses a model past its shutdown date, with the lifecycle and the model to use instead', async () => {
    const before = envWithKey('ASSISTANT_ID=\n');
    await setUp(before, {
      models: [
        { id: 'gpt-6-luna', shutdown_date: null },
        { id: 'gpt-4o', shutdown_date: '2026-05-02' },
      ],
    });
    const { result } = await provision({ model: 'gpt-4o' });

    const refused = expectKind(result, 'refused');
    expect(refused.reason).toBe('model-refused');
    expect(refused.problem.kind).toBe('model-retired');
    expect(refused.problem.summary).toContain('gpt-4o was shut down on 2026-05-02');
    expect(refused.problem.fix).toBe('Run again with --model gpt-6-luna (no shutdown announced).');
    expect(refused.modelLifecycle).toMatchObject({ model: 'gpt-4o', shutdownDate: '2026-05-02' });
    expect(fake!.requests.filter((request) => request.method === 'POST')).toEqual([]);
    expect(await project!.readEnv()).toBe(before);
  });

  it('fails with the cause named when OpenAI rejects the key, the key masked, and .env untouched', async () => {
    const before = envWithKey();
    await setUp(before, { keys: {} });
    const { result } = await provision();

    const failed = expectKind(result, 'failed');
    expect(failed.reason).toBe('openai-error');
    expect(failed.problem).toMatchObject({ kind: 'bad-key', status: 401 });
    expect(failed.problem.summary).toContain('OpenAI rejected the API key sk-proj-…WXYZ');
    expect(JSON.stringify(failed)).not.toContain(FAKE_OPENAI_KEY);
    expect(fake!.agents.size).toBe(0);
    expect(await project!.readEnv()).toBe(before);
  });

  it('refuses to replace an ID that works without --force', async () => {
    await setUp(envWithKey());
    expectKind((await provision()).result, 'created');
    const [agent] = [...fake!.agents.values()];
    const { result } = await provision();

    const refused = expectKind(result, 'refused');
    expect(refused.reason).toBe('id-in-use');
    expect(refused.previous).toMatchObject({ variable: 'ASSISTANT_ID', id: agent!.id, state: 'working', replaced: false });
    expect(fake!.agents.size).toBe(1);
  });
});

describe('provisionAgent when .env cannot be written after creating', () => {
  it('returns the created object with the lines to add by hand', async () => {
    const before = envWithKey();
    await setUp(before);
    const { result } = await provision(
      {},
      {
        writeOptions: {
          fs: {
            rename: async () => {
              throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
            },
          },
        },
      },
    );

    const unsaved = expectKind(result, 'not-saved');
    const [agent] = [...fake!.agents.values()];
    expect(unsaved.provisioned).toEqual({ backend: 'agents', object: { id: agent!.id, name: 'Phone agent', model: 'gpt-6-luna' } });
    expect(unsaved.manualLines).toEqual([`ASSISTANT_ID=${agent!.id}`]);
    expect(unsaved.why).toMatch(/EXDEV/);
    expect(await project!.readEnv()).toBe(before);
  });
});
