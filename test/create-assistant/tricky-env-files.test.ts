import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { makeProject, processEnvFor, runCreateAssistant, TODAY, type Project } from './project.js';

let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
  await project?.remove();
});

interface DoctorReport {
  checks: Array<{ id: string; status: string; summary: string }>;
}

/** Runs create-assistant as a user would, then the doctor; returns the new ID once both are content. */
async function createThenDoctor(before: string): Promise<string> {
  project = await makeProject(before);
  const result = await runCreateAssistant(project, fake);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout + result.stderr).not.toContain(FAKE_OPENAI_KEY);
  const [id] = [...fake.agents.keys()];

  const doctor = await runCli(['doctor', '--json'], { cwd: project.dir, env: processEnvFor(fake) });
  const report = JSON.parse(doctor.stdout) as DoctorReport;
  const assistantCheck = report.checks.find((check) => check.id === 'assistant-id');
  expect(assistantCheck?.status, assistantCheck?.summary).toBe('ok');
  expect(assistantCheck?.summary).toContain(id);
  return id!;
}

describe('create-assistant on .env files as people really write them', () => {
  it('changes one line of a file full of traps, and the doctor accepts the result', async () => {
    const lines = [
      '\ufeff# Voice line — Zoë\'s setup 🎉 (KEY="value" = ok here)',
      `export OPENAI_API_KEY="${FAKE_OPENAI_KEY}" # project key\r`,
      '\tPORT=5000\t# tabbed',
      "GREETING='Press # to talk = fine'   ",
      'PEM="-----BEGIN-----',
      'ASSISTANT_ID=not_this_one_it_is_inside_a_value',
      '-----END-----"',
      'ESCAPED="line one\\nline two"',
      'TICKS=`it\'s "both"`',
      'EMPTY=',
      'EMPTY_QUOTED=""',
      'ASSISTANT_ID=first_of_two',
      'ASSISTANT_ID= # paste the agent ID here',
      'LAST=no final newline',
    ];
    const before = lines.join('\n');
    const id = await createThenDoctor(before);

    expect(await project.readEnv()).toBe(before.replace('ASSISTANT_ID= # paste the agent ID here', `ASSISTANT_ID=${id} # paste the agent ID here`));
  });

  it('moves a workflow ID out of AGENT_WORKFLOW_ID in an exported CRLF file with no final newline', async () => {
    const before = `# keys\r\nexport OPENAI_API_KEY=${FAKE_OPENAI_KEY}\r\nexport AGENT_WORKFLOW_ID="wf_68e9a1b2c3d4e5f6" # from Agent Builder\r\nexport PORT=5000`;
    const id = await createThenDoctor(before);

    const reason = `# ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID: an Agent Builder workflow ID (wf_68e9a1b2c3d4e5f6), not an assistant: calls would connect and then stay silent.`;
    expect(await project.readEnv()).toBe(
      `# keys\r\nexport OPENAI_API_KEY=${FAKE_OPENAI_KEY}\r\n${reason}\r\n# export AGENT_WORKFLOW_ID="wf_68e9a1b2c3d4e5f6" # from Agent Builder\r\nexport ASSISTANT_ID=${id}\r\nexport PORT=5000`,
    );
  });
});
