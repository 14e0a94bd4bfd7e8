import { parse as dotenvParse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { envWithKey, makeProject, runCreateAssistant, type Project } from './project.js';

let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
  await project?.remove();
});

describe('create-assistant --api assistants', () => {
  it('creates an asst_ assistant on an endpoint that still serves the Assistants API', async () => {
    fake.assistantsApi = 'available';
    project = await makeProject(envWithKey('ASSISTANT_ID=\n'));
    const result = await runCreateAssistant(project, fake, ['--api', 'assistants', '--name', 'Front desk']);

    expect(result.code, result.stderr).toBe(0);
    expect(fake.assistants.size).toBe(1);
    const [assistant] = [...fake.assistants.values()];
    expect(assistant!.id).toMatch(/^asst_/);
    expect(assistant).toMatchObject({ name: 'Front desk', model: 'gpt-6-luna' });
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe(assistant!.id);
  });

  it('explains the sunset and offers the agents and responses backends instead of a raw 404', async () => {
    const before = envWithKey('ASSISTANT_ID=\n');
    project = await makeProject(before);
    const result = await runCreateAssistant(project, fake, ['--api', 'assistants']);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no longer serves the Assistants API/);
    expect(result.stderr).toMatch(/sunset on 2026-08-26/);
    expect(result.stderr).toContain('voicebridge create-assistant --api agents');
    expect(result.stderr).toContain('voicebridge create-assistant --api responses');
    expect(result.stderr).not.toMatch(/NotFoundError|at .*\.js:\d+/);
    expect(await project.readEnv()).toBe(before);
  });

  it('says the same in --json, with the cause named', async () => {
    project = await makeProject(envWithKey());
    const result = await runCreateAssistant(project, fake, ['--api', 'assistants', '--json']);

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; error: { kind: string; fix: string } };
    expect(report.ok).toBe(false);
    expect(report.error.kind).toBe('assistants-sunset');
    expect(report.error.fix).toContain('--api responses');
  });
});
