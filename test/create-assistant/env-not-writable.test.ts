import { readdir, type open, type rename } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCreateAssistantCommand } from '../../src/cli/commands/create-assistant.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { captureOutput, envWithKey, makeProject, processEnvFor, TODAY, type Project } from './project.js';

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
