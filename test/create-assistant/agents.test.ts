import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SPEECH_INSTRUCTIONS } from '../../src/provision/speech-instructions.js';
import { runCli } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
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

describe('create-assistant with the Agents API (the default)', () => {
  it('creates an agent with phone-call defaults and writes its ID into .env, without waiting for input', async () => {
    project = await makeProject(envWithKey());
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    expect(fake.agents.size).toBe(1);
    const [agent] = [...fake.agents.values()];
    expect(agent).toMatchObject({ name: 'Phone agent', model: 'gpt-6-luna', instructions: DEFAULT_SPEECH_INSTRUCTIONS });
    expect(agent!.metadata.created_by).toBe('voicebridge create-assistant');
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe(agent!.id);
    expect(result.stdout).toContain(agent!.id);
    expect(result.stdout).toContain('name: Phone agent');
    expect(result.stdout).toContain('model: gpt-6-luna');
    expect(result.stdout).toContain('Next: npx voicebridge doctor');
  });

  it('writes speech-friendly default instructions: short sentences, nothing visual read aloud, one question at a time', () => {
    expect(DEFAULT_SPEECH_INSTRUCTIONS).toMatch(/short, plain sentences/i);
    expect(DEFAULT_SPEECH_INSTRUCTIONS).toMatch(/markdown/i);
    expect(DEFAULT_SPEECH_INSTRUCTIONS).toMatch(/emoji/i);
    expect(DEFAULT_SPEECH_INSTRUCTIONS).toMatch(/web addresses/i);
    expect(DEFAULT_SPEECH_INSTRUCTIONS).toMatch(/one question at a time/i);
    expect(DEFAULT_SPEECH_INSTRUCTIONS).toMatch(/transfer the call or end it/i);
  });

  it('uses the name, model and instructions file it is given', async () => {
    project = await makeProject(envWithKey());
    await writeFile(join(project.dir, 'front-desk.md'), 'You are the front desk of a dental clinic.\n');
    const result = await runCreateAssistant(project, fake, ['--name', 'Front desk', '--model', 'gpt-6.1-terra', '--instructions-file', 'front-desk.md']);

    expect(result.code, result.stderr).toBe(0);
    const [agent] = [...fake.agents.values()];
    expect(agent).toMatchObject({ name: 'Front desk', model: 'gpt-6.1-terra', instructions: 'You are the front desk of a dental clinic.\n' });
  });

  it('keeps every other byte of the .env and never prints the API key', async () => {
    const before = `# OpenAI\r\nexport OPENAI_API_KEY="${FAKE_OPENAI_KEY}" # project key\r\n\r\nASSISTANT_ID=\r\nGREETING='Hi # welcome = hello'\r\nPORT=5000`;
    project = await makeProject(before);
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    const [agent] = [...fake.agents.values()];
    expect(await project.readEnv()).toBe(before.replace('ASSISTANT_ID=\r\n', `ASSISTANT_ID=${agent!.id}\r\n`));
    expect(result.stdout + result.stderr).not.toContain(FAKE_OPENAI_KEY);
  });

  it('creates a missing .env readable by its owner only', async () => {
    project = await makeProject();
    const result = await runCreateAssistant(project, fake, [], { OPENAI_API_KEY: FAKE_OPENAI_KEY });

    expect(result.code, result.stderr).toBe(0);
    const [agent] = [...fake.agents.values()];
    expect(await project.readEnv()).toBe(`ASSISTANT_ID=${agent!.id}\n`);
    expect((await stat(project.envPath)).mode & 0o777).toBe(0o600);
  });

  it('writes to the file given with --env-file', async () => {
    project = await makeProject();
    await writeFile(join(project.dir, 'prod.env'), envWithKey('PORT=8080\n'));
    const result = await runCreateAssistant(project, fake, ['--env-file', 'prod.env']);

    expect(result.code, result.stderr).toBe(0);
    const [agent] = [...fake.agents.values()];
    const { readFile } = await import('node:fs/promises');
    expect(dotenvParse(await readFile(join(project.dir, 'prod.env'), 'utf8'))).toMatchObject({ ASSISTANT_ID: agent!.id, PORT: '8080' });
  });

  it('leaves a setup the doctor accepts', async () => {
    project = await makeProject(envWithKey('AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6\n'));
    const created = await runCreateAssistant(project, fake);
    expect(created.code, created.stderr).toBe(0);

    const doctor = await runCli(['doctor', '--json'], { cwd: project.dir, env: processEnvFor(fake) });
    const report = JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; summary: string }>; warnings: string[] };
    const assistantCheck = report.checks.find((check) => check.id === 'assistant-id');
    expect(assistantCheck?.status, assistantCheck?.summary).toBe('ok');
    expect(report.warnings.join('\n')).not.toMatch(/AGENT_WORKFLOW_ID/);
  });

  it('prints the result as JSON with --json', async () => {
    project = await makeProject(envWithKey());
    const result = await runCreateAssistant(project, fake, ['--json']);

    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; api: string; created: { id: string }; env: { written: boolean } };
    expect(report).toMatchObject({ ok: true, api: 'agents', env: { written: true } });
    expect(report.created.id).toBe([...fake.agents.keys()][0]);
  });
});
