import { constants } from 'node:fs';
import { chmod, readdir, stat, type access, type open, type rename } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCreateAssistantCommand } from '../../src/cli/commands/create-assistant.js';
import { acquireEnvLock } from '../../src/config/env-lock.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { captureOutput, envWithKey, makeProject, processEnvFor, runCreateAssistant, TODAY, type Project } from './project.js';

// Whatever stops .env from being written is found before anything is created: an agent whose ID cannot be saved
// would be left on OpenAI with its ID only in the output. A write-protected file or folder is honoured even by root.
let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
  await project?.remove();
});

const permissionDenied: typeof open = async (path) => {
  throw Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: 'EACCES' });
};

describe('create-assistant when .env cannot be written', () => {
  it('prints the new ID with the line to add by hand, exits non-zero, and leaves .env as it was', async () => {
    const before = envWithKey('ASSISTANT_ID=\n');
    project = await makeProject(before);
    const { output, text } = captureOutput();
    const code = await runCreateAssistantCommand(
      {},
      { output, cwd: project.dir, env: processEnvFor(fake), clock: fixedClock(`${TODAY}T12:00:00Z`), writeOptions: { fs: { open: permissionDenied } } },
    );

    expect(code).toBe(1);
    const [agentId] = [...fake.agents.keys()];
    expect(agentId).toBeDefined();
    expect(text()).toContain(`an Agents API agent ${agentId} was created, but ${project.envPath} could not be written: permission denied.`);
    expect(text()).toContain('Nothing is lost. Add this line');
    expect(text()).toContain(`      ASSISTANT_ID=${agentId}`);
    expect(text()).not.toContain(FAKE_OPENAI_KEY);
    expect(await project.readEnv()).toBe(before);
  });

  it('reports the created ID and the lines to add in --json when the final rename fails', async () => {
    const before = envWithKey();
    project = await makeProject(before);
    const { output, text } = captureOutput();
    const crossDevice: typeof rename = async () => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
    };
    const code = await runCreateAssistantCommand(
      { json: true },
      { output, cwd: project.dir, env: processEnvFor(fake), clock: fixedClock(`${TODAY}T12:00:00Z`), writeOptions: { fs: { rename: crossDevice } } },
    );

    expect(code).toBe(1);
    const report = JSON.parse(text()) as { ok: boolean; created: { id: string }; manualLines: string[]; error: { summary: string } };
    expect(report.ok).toBe(false);
    expect(report.created.id).toBe([...fake.agents.keys()][0]);
    expect(report.manualLines).toEqual([`ASSISTANT_ID=${report.created.id}`]);
    expect(report.error.summary).toMatch(/could not be written: EXDEV/);
    expect(await project.readEnv()).toBe(before);
    expect(await readdir(project.dir)).toEqual(['.env']);
  });
});

describe('create-assistant when .env may not be changed', () => {
  async function workingAgent(): Promise<string> {
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    return (await client.beta.agents.create({ name: 'Reception', model: 'gpt-6-luna' })).id;
  }

  it('leaves a write-protected .env alone even as root with --force, creating nothing, and says how to allow it', async () => {
    const working = await workingAgent();
    const before = envWithKey(`ASSISTANT_ID=${working}\n`);
    project = await makeProject(before);
    await chmod(project.envPath, 0o444);
    const result = await runCreateAssistant(project, fake, ['--force']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`✖ ${project.envPath} cannot be changed: it is write-protected (mode 0444)`);
    expect(result.stderr).toContain('Nothing was created and no file was changed.');
    expect(result.stderr).toContain(`→ Make it writable (chmod u+w ${project.envPath}), then run this command again.`);
    expect([...fake.agents.keys()]).toEqual([working]);
    expect(await project.readEnv()).toBe(before);
    expect((await stat(project.envPath)).mode & 0o777).toBe(0o444);
  });

  it('creates nothing when the folder .env is replaced in is write-protected', async () => {
    const before = envWithKey();
    project = await makeProject(before);
    await chmod(project.dir, 0o555);
    try {
      const result = await runCreateAssistant(project, fake, ['--json']);
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as { ok: boolean; created?: unknown; error: { summary: string; fix: string; kind: string } };
      expect(report.created).toBeUndefined();
      expect(report.error.kind).toBe('env-not-writable');
      expect(report.error.summary).toBe(
        `${project.envPath} cannot be changed: its folder ${project.dir} is write-protected (mode 0555), and the file is replaced through a new file written there`,
      );
      expect(report.error.fix).toBe(`Make the folder writable (chmod u+w ${project.dir}), then run this command again.`);
      expect(fake.agents.size).toBe(0);
      expect(await project.readEnv()).toBe(before);
    } finally {
      await chmod(project.dir, 0o755);
    }
  });

  it('creates nothing in a read-only folder with no .env yet, the key coming from the environment', async () => {
    project = await makeProject();
    await chmod(project.dir, 0o555);
    try {
      const result = await runCreateAssistant(project, fake, [], { OPENAI_API_KEY: FAKE_OPENAI_KEY });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`✖ ${project.envPath} cannot be changed: its folder ${project.dir} is write-protected (mode 0555)`);
      expect(result.stderr).toContain('Nothing was created and no file was changed.');
      expect(fake.agents.size).toBe(0);
      expect(await readdir(project.dir)).toEqual([]);
    } finally {
      await chmod(project.dir, 0o755);
    }
  });

  it('creates nothing when this user may not write .env', async () => {
    const before = envWithKey();
    project = await makeProject(before);
    // What the system answers a user who is not root and does not own the file.
    const notOwner: typeof access = async (file, mode) => {
      if (file === project.envPath && mode === constants.W_OK) throw Object.assign(new Error(`EACCES: permission denied, access '${String(file)}'`), { code: 'EACCES' });
    };
    const { output, text } = captureOutput();
    const code = await runCreateAssistantCommand(
      {},
      { output, cwd: project.dir, env: processEnvFor(fake), clock: fixedClock(`${TODAY}T12:00:00Z`), writeOptions: { fs: { access: notOwner } } },
    );

    expect(code).toBe(1);
    expect(text()).toContain(`✖ ${project.envPath} cannot be changed: this user may not write to it`);
    expect(text()).toContain(`→ Run the command as the file's owner, or give this user write access to ${project.envPath}, then run this command again.`);
    expect(fake.agents.size).toBe(0);
    expect(await project.readEnv()).toBe(before);
  });

  it('writes no instructions file for the Responses backend when .env is write-protected', async () => {
    const before = envWithKey();
    project = await makeProject(before);
    await chmod(project.envPath, 0o444);
    const result = await runCreateAssistant(project, fake, ['--api', 'responses']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('it is write-protected (mode 0444)');
    expect(await readdir(project.dir)).toEqual(['.env']);
    expect(await project.readEnv()).toBe(before);
  });

  it('in a dry run, warns that the real run would stop, and still shows the change', async () => {
    project = await makeProject(envWithKey());
    await chmod(project.envPath, 0o444);
    const result = await runCreateAssistant(project, fake, ['--dry-run']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `! ${project.envPath} cannot be changed: it is write-protected (mode 0444), so the real run would stop before creating anything. Make it writable (chmod u+w ${project.envPath}) first.`,
    );
    expect(result.stdout).toContain("+ ASSISTANT_ID=<the new agent's ID>");
    expect(fake.agents.size).toBe(0);
  });

  it('stops before creating anything while another run holds the lock on .env, and says which', async () => {
    const before = envWithKey();
    project = await makeProject(before);
    const lockPath = join(project.dir, '.env.lock');
    const lock = await acquireEnvLock(project.envPath, { command: 'doctor --fix' });
    try {
      const result = await runCreateAssistant(project, fake);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`✖ another voicebridge run is changing ${project.envPath} right now (voicebridge doctor --fix, process ${process.pid} on this machine, since `);
      expect(result.stderr).toContain('nothing was created and no file was changed');
      expect(result.stderr).toContain(`→ Let that run finish, then see what it wrote with: npx voicebridge doctor. If no voicebridge command is running, delete the lock (rm ${lockPath}) and run this command again.`);
      expect(fake.agents.size).toBe(0);
      expect(await project.readEnv()).toBe(before);
    } finally {
      await lock.release();
    }
  });
});
