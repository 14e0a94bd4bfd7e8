import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SPEECH_INSTRUCTIONS } from '../../src/provision/speech-instructions.js';
import { runCli } from '../helpers/run-cli.js';
import { FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { envWithKey, makeProject, processEnvFor, runCreateAssistant, type Project } from './project.js';

let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
  await project?.remove();
});

describe('create-assistant --api responses', () => {
  it('writes assistant.md and points .env at it, with ASSISTANT_ID left empty and nothing created on OpenAI', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID=\nPORT=5000\n'));
    const result = await runCreateAssistant(project, fake, ['--api', 'responses', '--model', 'gpt-6.1-terra']);

    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(project.dir, 'assistant.md'), 'utf8')).toBe(DEFAULT_SPEECH_INSTRUCTIONS);
    const values = dotenvParse(await project.readEnv());
    expect(values).toMatchObject({ ASSISTANT_ID: '', ASSISTANT_INSTRUCTIONS_FILE: 'assistant.md', ASSISTANT_MODEL: 'gpt-6.1-terra', PORT: '5000' });
    expect(fake.requests.filter((request) => request.method === 'POST')).toEqual([]);
  });

  it('puts the new lines right below ASSISTANT_ID', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID=\nPORT=5000\n'));
    await runCreateAssistant(project, fake, ['--api', 'responses']);

    expect(await project.readEnv()).toBe(envWithKey('ASSISTANT_ID=\nASSISTANT_INSTRUCTIONS_FILE=assistant.md\nASSISTANT_MODEL=gpt-6-luna\nPORT=5000\n'));
  });

  it('writes ASSISTANT_ID empty on purpose when the file has no such line', async () => {
    project = await makeProject(envWithKey('PORT=5000'));
    const result = await runCreateAssistant(project, fake, ['--api', 'responses']);

    expect(result.code, result.stderr).toBe(0);
    expect(await project.readEnv()).toBe(envWithKey('PORT=5000\nASSISTANT_ID=\nASSISTANT_INSTRUCTIONS_FILE=assistant.md\nASSISTANT_MODEL=gpt-6-luna'));
  });

  it('writes the instructions given with --instructions', async () => {
    project = await makeProject(envWithKey());
    const result = await runCreateAssistant(project, fake, ['--api', 'responses', '--instructions', 'You take pizza orders. Keep it short.']);

    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(project.dir, 'assistant.md'), 'utf8')).toBe('You take pizza orders. Keep it short.\n');
  });

  it('keeps instructions the user already wrote in assistant.md', async () => {
    project = await makeProject(envWithKey());
    await writeFile(join(project.dir, 'assistant.md'), 'My own carefully written instructions.\n');
    const result = await runCreateAssistant(project, fake, ['--api', 'responses']);

    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(project.dir, 'assistant.md'), 'utf8')).toBe('My own carefully written instructions.\n');
    expect(dotenvParse(await project.readEnv()).ASSISTANT_INSTRUCTIONS_FILE).toBe('assistant.md');
  });

  it('does not overwrite other instructions in assistant.md without --force', async () => {
    const before = envWithKey();
    project = await makeProject(before);
    await writeFile(join(project.dir, 'assistant.md'), 'My own carefully written instructions.\n');
    const refused = await runCreateAssistant(project, fake, ['--api', 'responses', '--instructions', 'Something else.']);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--force');
    expect(await readFile(join(project.dir, 'assistant.md'), 'utf8')).toBe('My own carefully written instructions.\n');
    expect(await project.readEnv()).toBe(before);

    const forced = await runCreateAssistant(project, fake, ['--api', 'responses', '--instructions', 'Something else.', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(join(project.dir, 'assistant.md'), 'utf8')).toBe('Something else.\n');
  });

  it('points at the file given with --instructions-file instead of copying it', async () => {
    project = await makeProject(envWithKey());
    await writeFile(join(project.dir, 'front desk.md'), 'Front desk instructions.\n');
    const result = await runCreateAssistant(project, fake, ['--api', 'responses', '--instructions-file', 'front desk.md']);

    expect(result.code, result.stderr).toBe(0);
    expect(dotenvParse(await project.readEnv()).ASSISTANT_INSTRUCTIONS_FILE).toBe('front desk.md');
  });

  it('leaves a setup the doctor accepts', async () => {
    project = await makeProject(envWithKey('AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6\n'));
    const created = await runCreateAssistant(project, fake, ['--api', 'responses']);
    expect(created.code, created.stderr).toBe(0);

    const doctor = await runCli(['doctor', '--json'], { cwd: project.dir, env: processEnvFor(fake) });
    const report = JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
    const assistantCheck = report.checks.find((check) => check.id === 'assistant-id');
    expect(assistantCheck?.status, assistantCheck?.summary).toBe('ok');
    expect(assistantCheck?.summary).toMatch(/Responses API/);
  });
});
