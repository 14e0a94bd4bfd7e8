import OpenAI from 'openai';
import { parse as dotenvParse } from 'dotenv';
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

function client(): OpenAI {
  return new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 });
}

function newAgentId(oldId: string): string {
  return [...fake.agents.keys()].find((id) => id !== oldId)!;
}

describe('create-assistant with an ID already in .env', () => {
  it('refuses to replace a working agent without --force, shows it, and creates nothing', async () => {
    const working = await client().beta.agents.create({ name: 'Reception', model: 'gpt-6-luna' });
    const before = envWithKey(`ASSISTANT_ID=${working.id}\n`);
    project = await makeProject(before);
    const result = await runCreateAssistant(project, fake);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(working.id);
    expect(result.stderr).toContain('"Reception"');
    expect(result.stderr).toContain('--force');
    expect(fake.agents.size).toBe(1);
    expect(await project.readEnv()).toBe(before);
  });

  it('replaces a working agent with --force, saying what it was', async () => {
    const working = await client().beta.agents.create({ name: 'Reception', model: 'gpt-6-luna' });
    project = await makeProject(envWithKey(`ASSISTANT_ID=${working.id}\n`));
    const result = await runCreateAssistant(project, fake, ['--force']);

    expect(result.code, result.stderr).toBe(0);
    expect(fake.agents.size).toBe(2);
    expect(result.stdout).toContain(`Replacing ASSISTANT_ID=${working.id}`);
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe(newAgentId(working.id));
  });

  it('refuses to replace a working assistant on an endpoint that still serves the Assistants API', async () => {
    fake.assistantsApi = 'available';
    const working = await client().beta.assistants.create({ name: 'Old desk', model: 'gpt-6-luna' });
    const before = envWithKey(`ASSISTANT_ID=${working.id}\n`);
    project = await makeProject(before);
    const result = await runCreateAssistant(project, fake);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(working.id);
    expect(await project.readEnv()).toBe(before);
  });

  it('replaces an asst_ ID without --force where the Assistants API is gone, saying so', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID=asst_abc123def456ghi789\n'));
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Replacing ASSISTANT_ID=asst_abc123def456ghi789: .*no longer serves the Assistants API/);
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe([...fake.agents.keys()][0]);
  });

  it('replaces an agent ID the API says does not exist without --force', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID=agent_deleted000000000000\n'));
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Replacing ASSISTANT_ID=agent_deleted000000000000: no agent agent_deleted000000000000/);
  });

  it('replaces a workflow ID in ASSISTANT_ID without --force, saying it is a workflow', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID="wf_68e9a1b2c3d4e5f6"\n'));
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Replacing ASSISTANT_ID=wf_68e9a1b2c3d4e5f6: .*workflow/);
    const agentId = [...fake.agents.keys()][0]!;
    // The quoting style of the line is kept.
    expect(await project.readEnv()).toBe(envWithKey(`ASSISTANT_ID="${agentId}"\n`));
  });

  it('moves AGENT_WORKFLOW_ID=wf_… to ASSISTANT_ID, leaving the old line commented with the date and the reason', async () => {
    project = await makeProject(envWithKey('AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6\nPORT=5000\n'));
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Replacing AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6: an Agent Builder workflow ID/);
    const agentId = [...fake.agents.keys()][0]!;
    const after = await project.readEnv();
    expect(after).toBe(
      envWithKey(
        `# ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID: an Agent Builder workflow ID (wf_68e9a1b2c3d4e5f6), not an assistant: calls would connect and then stay silent.\n` +
          `# AGENT_WORKFLOW_ID=wf_68e9a1b2c3d4e5f6\nASSISTANT_ID=${agentId}\nPORT=5000\n`,
      ),
    );
    expect(dotenvParse(after).AGENT_WORKFLOW_ID).toBeUndefined();
  });

  it('moves AGENT_WORKFLOW_ID=asst_… to ASSISTANT_ID when the Assistants API is gone', async () => {
    project = await makeProject(envWithKey('AGENT_WORKFLOW_ID=asst_abc123def456ghi789\n'));
    const result = await runCreateAssistant(project, fake);

    expect(result.code, result.stderr).toBe(0);
    const after = await project.readEnv();
    expect(after).toMatch(new RegExp(`# ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID: asst_abc123def456ghi789 is an Assistants API assistant, and .* no longer serves the Assistants API\\.\\n`));
    expect(after).toContain('# AGENT_WORKFLOW_ID=asst_abc123def456ghi789\n');
    expect(dotenvParse(after)).toMatchObject({ ASSISTANT_ID: [...fake.agents.keys()][0] });
  });

  it('masks another API key pasted into AGENT_WORKFLOW_ID wherever the change to .env is shown', async () => {
    const pasted = 'sk-proj-PastedIntoTheWrongLine0123456789zyxw';
    project = await makeProject(envWithKey(`AGENT_WORKFLOW_ID="${pasted}"\n`));
    const dryRun = await runCreateAssistant(project, fake, ['--dry-run']);
    const json = await runCreateAssistant(project, fake, ['--json']);

    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('- AGENT_WORKFLOW_ID="sk-proj-…zyxw"');
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toContain('"# AGENT_WORKFLOW_ID=\\"sk-proj-…zyxw\\""');
    for (const output of [dryRun.stdout, dryRun.stderr, json.stdout, json.stderr]) expect(output).not.toContain(pasted);
  });

  it('warns when the ID in the shell environment would still win over the new line in .env', async () => {
    project = await makeProject(envWithKey('ASSISTANT_ID=wf_68e9a1b2c3d4e5f6\n'));
    const result = await runCreateAssistant(project, fake, [], { ASSISTANT_ID: 'wf_68e9a1b2c3d4e5f6' });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('ASSISTANT_ID is also set in your shell environment, which wins over');
    expect(result.stdout).toContain('unset ASSISTANT_ID');
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe([...fake.agents.keys()][0]);
  });
});
