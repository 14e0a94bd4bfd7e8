// `doctor --fix` for an ID that can never answer a caller (an Agent Builder workflow, an assistant the endpoint no
// longer serves): not a rename but a new agent, by create-assistant in the same process, or its exact command.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_TWILIO_PHONE_NUMBER } from '../fakes/twilio/fake-twilio-rest.js';
import { envText, healthyVars, leaksAny, makeProject, parseFixReport, SECRETS, startWorld, TODAY, type FixWorld, type Project } from './fix-harness.js';

const WORKFLOW_ID = 'wf_68f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';

let world: FixWorld;
let project: Project | undefined;
let vars: Array<[string, string]>;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  vars = await healthyVars(world);
  const webhookUrl = vars.find(([key]) => key === 'WEBHOOK_URL')![1];
  Object.assign(world.twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!, { voiceUrl: `${webhookUrl}/incoming-call`, voiceMethod: 'POST' });
});
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

function envWithId(line: string): string {
  return envText(vars.map(([key, value]) => (key === 'ASSISTANT_ID' ? line : ([key, value] as [string, string]))));
}

/** Agents on the fake other than the one every test starts with. */
function newAgents() {
  return [...world.openai.agents.values()].filter((agent) => agent.id !== world.agentId);
}

describe('doctor --fix and an ID that cannot answer', () => {
  it('offers create-assistant for a workflow ID, shows the exact .env change, and without --yes makes nothing', async () => {
    const agentsBefore = world.openai.agents.size;
    const before = envWithId(`AGENT_WORKFLOW_ID=${WORKFLOW_ID}`);
    project = await makeProject(before);
    const result = await project.doctor(['--fix']);

    expect(result.stdout).toContain(
      'Assistant ID: Create an agent for the bridge (npx voicebridge create-assistant) and write its ID into ASSISTANT_ID, commenting out AGENT_WORKFLOW_ID: ' +
        'AGENT_WORKFLOW_ID is an Agent Builder workflow, which can never answer a caller',
    );
    expect(result.stdout).toContain('create an Agents API agent "Phone agent" on OPENAI_BASE_URL');
    expect(result.stdout).toContain(`- AGENT_WORKFLOW_ID=${WORKFLOW_ID}`);
    expect(result.stdout).toContain(`+ # ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID:`);
    expect(result.stdout).toContain(`+ # AGENT_WORKFLOW_ID=${WORKFLOW_ID}`);
    expect(result.stdout).toContain("+ ASSISTANT_ID=<the new agent's ID>");
    expect(result.stdout).toContain('not made: no terminal to confirm on (pass --yes to make it); to do it by hand: npx voicebridge create-assistant');
    // A workflow ID under the new name would be just as silent: it is replaced, never renamed.
    expect(result.stdout).not.toContain('Assistant ID: Rename AGENT_WORKFLOW_ID');
    expect(result.stdout).not.toMatch(/^2\. /m);
    expect(world.openai.agents.size).toBe(agentsBefore);
    expect(await project.readEnv()).toBe(before);
    expect(result.code).toBe(1);
  });

  it('with --yes creates the agent on OpenAI, writes ASSISTANT_ID, comments the workflow line out, and passes on the second look', async () => {
    const before = envWithId(`AGENT_WORKFLOW_ID=${WORKFLOW_ID}`);
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes']);

    const created = newAgents();
    expect(created).toHaveLength(1);
    const agent = created[0]!;
    expect(agent.name).toBe('Phone agent');
    const after = await project.readEnv();
    const reason = new RegExp(`^# ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID: .+\\.$`, 'm').exec(after)?.[0];
    expect(reason).toBeDefined();
    expect(after).toBe(before.replace(`AGENT_WORKFLOW_ID=${WORKFLOW_ID}\n`, `${reason}\n# AGENT_WORKFLOW_ID=${WORKFLOW_ID}\nASSISTANT_ID=${agent.id}\n`));
    expect(result.stdout).toContain(`✔ Created an Agents API agent: ${agent.id}`);
    const second = result.stdout.slice(result.stdout.indexOf('After the change:'));
    expect(second).toContain(`✓ Assistant ID: ${agent.id} is an Agents API agent "Phone agent"`);
    expect(result.code).toBe(0);
    expect(leaksAny(result, SECRETS)).toBe(false);
    world.openai.agents.delete(agent.id);
  });

  it('replaces an Assistants API ID the endpoint no longer serves', async () => {
    project = await makeProject(envWithId('ASSISTANT_ID=asst_Q2w3E4r5T6y7U8i9O0p1A2s3'));
    const result = await project.doctor(['--fix', '--yes', '--json']);
    const [agent] = newAgents();
    expect(agent).toBeDefined();
    const report = parseFixReport(result);
    expect(report.fixes.map((fix) => [fix.id, fix.status])).toEqual([['assistant-id.create-assistant', 'applied']]);
    expect(report.fixes[0]!.message).toBe(`created ${agent!.id} and wrote ASSISTANT_ID=${agent!.id} into ${project.envPath}`);
    expect(report.fixes[0]!.command).toBe('npx voicebridge create-assistant');
    expect(report.fixes[0]!.change).toEqual([project.envPath, 'line 3:', '- ASSISTANT_ID=asst_Q2w3E4r5T6y7U8i9O0p1A2s3', `+ ASSISTANT_ID=${agent!.id}`]);
    expect(report.checks.find((check) => check.id === 'assistant-id')?.status).toBe('ok');
    expect(await project.readEnv()).toContain(`\nASSISTANT_ID=${agent!.id}\n`);
    expect(report.ok).toBe(true);
    expect(result.code).toBe(0);
    world.openai.agents.delete(agent!.id);
  });

  it('names --env in the command it offers when the doctor was given one', async () => {
    project = await makeProject('');
    const envPath = join(project.dir, 'voice.env');
    await writeFile(envPath, envWithId(`ASSISTANT_ID=${WORKFLOW_ID}`));
    const result = await project.doctor(['--fix', '--env-file', 'voice.env']);
    expect(result.stdout).toContain(`to do it by hand: npx voicebridge create-assistant --env ${envPath}`);
    expect(result.stdout).toContain(`To make this change, run: npx voicebridge doctor --fix --yes --env ${envPath}`);
    expect(newAgents()).toHaveLength(0);
    expect(result.code).toBe(1);
  });
});
