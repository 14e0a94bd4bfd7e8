import { readdir, stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { envWithKey, makeProject, runCreateAssistant, TODAY, type Project } from './project.js';

let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
  await project?.remove();
});

describe('create-assistant --dry-run', () => {
  it('creates nothing, writes nothing, and shows the exact .env change', async () => {
    const before = envWithKey('AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6\nPORT=5000\n');
    project = await makeProject(before);
    const { mtimeMs } = await stat(project.envPath);
    const result = await runCreateAssistant(project, fake, ['--dry-run', '--name', 'Front desk']);

    expect(result.code, result.stderr).toBe(0);
    expect(fake.agents.size).toBe(0);
    expect(fake.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(await project.readEnv()).toBe(before);
    expect((await stat(project.envPath)).mtimeMs).toBe(mtimeMs);
    expect(await readdir(project.dir)).toEqual(['.env']);

    expect(result.stdout).toContain('Would create an Agents API agent');
    expect(result.stdout).toContain('name: Front desk');
    expect(result.stdout).toContain('model: gpt-6-luna');
    expect(result.stdout).toContain(
      [
        '  line 3:',
        '  - AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6',
        `  + # ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID: an Agent Builder workflow ID (wf_68e9a1b2c3d4e5f6), not an assistant: calls would connect and then stay silent.`,
        '  + # AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6',
        "  + ASSISTANT_ID=<the new agent's ID>",
      ].join('\n'),
    );
    expect(result.stdout).toContain('Dry run: nothing was created and no file was changed.');
    expect(result.stdout).not.toContain(FAKE_OPENAI_KEY);
  });

  it('shows the exact lines for the Responses backend, and writes no assistant.md', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID=\n'));
    const result = await runCreateAssistant(project, fake, ['--dry-run', '--api', 'responses']);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(['  new line 4:', '  + ASSISTANT_INSTRUCTIONS_FILE=assistant.md', '  + ASSISTANT_MODEL=gpt-6-luna'].join('\n'));
    expect(result.stdout).toMatch(/instructions: the default phone-call instructions .*, written to .*assistant\.md/);
    expect(await readdir(project.dir)).toEqual(['.env']);
  });

  it('does not create a missing .env', async () => {
    project = await makeProject();
    const result = await runCreateAssistant(project, fake, ['--dry-run'], { OPENAI_API_KEY: FAKE_OPENAI_KEY });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("+ ASSISTANT_ID=<the new agent's ID>");
    expect(await readdir(project.dir)).toEqual([]);
  });

  it('still refuses to plan over a working ID without --force', async () => {
    const agent = { id: 'agent_inuse0000000000000', object: 'agent' as const, created_at: 0, updated_at: 0, name: 'Reception', model: 'gpt-6-luna', instructions: null, metadata: {}, tools: [] };
    fake.agents.set(agent.id, agent);
    project = await makeProject(envWithKey(`ASSISTANT_ID=${agent.id}\n`));
    const result = await runCreateAssistant(project, fake, ['--dry-run']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ASSISTANT_ID=${agent.id} is already set`);
  });

  it('reports the planned change as JSON', async () => {
    project = await makeProject(envWithKey());
    const result = await runCreateAssistant(project, fake, ['--dry-run', '--json']);

    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; dryRun: boolean; env: { written: boolean; diff: Array<{ added: string[] }> } };
    expect(report).toMatchObject({ ok: true, dryRun: true, env: { written: false } });
    expect(report.env.diff[0]?.added).toEqual(['ASSISTANT_ID=NEW_ID_FROM_OPENAI']);
  });
});
