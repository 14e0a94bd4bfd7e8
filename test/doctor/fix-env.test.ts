// `doctor --fix` and .env: the old AGENT_WORKFLOW_ID renamed to ASSISTANT_ID in place, stray quotes and spaces stripped,
// misnamed variables renamed, a redundant old name commented out — every other byte kept, CRLF included, no secret
// shown — and a line the safe editor cannot change left alone with its line number.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planEnvEdits, EnvEditRefusedError } from '../../src/config/env-editor.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_PHONE_NUMBER } from '../fakes/twilio/fake-twilio-rest.js';
import { envText, healthyVars, leaksAny, makeProject, parseFixReport, SECRETS, startWorld, TODAY, type FixWorld, type Project } from './fix-harness.js';

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
  // The number already points at this bridge: only the .env problem of each test is left to fix.
  const webhookUrl = vars.find(([key]) => key === 'WEBHOOK_URL')![1];
  Object.assign(world.twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!, { voiceUrl: `${webhookUrl}/incoming-call`, voiceMethod: 'POST' });
});
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

/** The healthy lines with some replaced (by key) and a comment on top. */
function linesWith(replace: Record<string, string | undefined>): Array<[string, string] | string> {
  const lines: Array<[string, string] | string> = ['# voicebridge settings'];
  for (const [key, value] of vars) {
    if (key in replace) {
      const line = replace[key];
      if (line !== undefined) lines.push(line);
    } else {
      lines.push([key, value]);
    }
  }
  return lines;
}

describe('doctor --fix and .env', () => {
  it('renames AGENT_WORKFLOW_ID to ASSISTANT_ID byte for byte, keeping CRLF and every other line', async () => {
    const before = envText(linesWith({ ASSISTANT_ID: `AGENT_WORKFLOW_ID=${world.agentId}   # the agent` }), '\r\n');
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes']);

    expect(await project.readEnv()).toBe(before.replace('AGENT_WORKFLOW_ID=', 'ASSISTANT_ID='));
    expect(result.stdout).toContain('Assistant ID: Rename AGENT_WORKFLOW_ID to ASSISTANT_ID (its current name), keeping the value');
    expect(result.stdout).toContain(`- AGENT_WORKFLOW_ID=${world.agentId}   # the agent`);
    expect(result.stdout).toContain(`+ ASSISTANT_ID=${world.agentId}   # the agent`);
    const after = result.stdout.slice(result.stdout.indexOf('After the change:'));
    expect(after).toContain(`✓ Assistant ID: ${world.agentId} is an Agents API agent "Front desk"`);
    expect(after).toContain('✓ Required variables: all set');
    expect(result.code).toBe(0);
    expect(leaksAny(result, SECRETS)).toBe(false);
  });

  it('fills an empty ASSISTANT_ID line from AGENT_WORKFLOW_ID and comments the old line out', async () => {
    const before = envText([...linesWith({ ASSISTANT_ID: 'ASSISTANT_ID=' }), `AGENT_WORKFLOW_ID=${world.agentId}`]);
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes']);
    const expected = before
      .replace('ASSISTANT_ID=\n', `ASSISTANT_ID=${world.agentId}\n`)
      .replace(`AGENT_WORKFLOW_ID=${world.agentId}\n`, `# ${TODAY} voicebridge doctor --fix: AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID.\n# AGENT_WORKFLOW_ID=${world.agentId}\n`);
    expect(await project.readEnv()).toBe(expected);
    expect(result.code).toBe(0);
  });

  it('comments out an AGENT_WORKFLOW_ID that ASSISTANT_ID already overrides', async () => {
    const before = envText([...linesWith({}), 'AGENT_WORKFLOW_ID=wf_68f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2']);
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes']);
    expect(await project.readEnv()).toBe(
      before.replace(
        'AGENT_WORKFLOW_ID=wf_',
        `# ${TODAY} voicebridge doctor --fix: AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID, and ignored while ASSISTANT_ID is set.\n# AGENT_WORKFLOW_ID=wf_`,
      ),
    );
    expect(result.stdout).toContain('Required variables: Comment out AGENT_WORKFLOW_ID');
    expect(result.code).toBe(0);
  });

  it('strips stray quotes and spaces from values, masking the secrets in the diff', async () => {
    const before = envText(
      linesWith({
        ASSISTANT_ID: `ASSISTANT_ID=" ${world.agentId} "`,
        OPENAI_API_KEY: `OPENAI_API_KEY='"${FAKE_OPENAI_KEY}"'`,
        TWILIO_AUTH_TOKEN: `TWILIO_AUTH_TOKEN="${FAKE_TWILIO_AUTH_TOKEN} "`,
        TWILIO_PHONE_NUMBER: `TWILIO_PHONE_NUMBER=${FAKE_TWILIO_PHONE_NUMBER}"`,
      }),
    );
    project = await makeProject(before);
    const shown = await project.doctor(['--fix']);
    expect(shown.code).toBe(1);
    expect(await project.readEnv()).toBe(before);
    expect(shown.stdout).toContain('.env file: Strip the stray quotes and spaces from the values of OPENAI_API_KEY, ASSISTANT_ID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER');
    expect(shown.stdout).toContain(`- ASSISTANT_ID=" ${world.agentId} "`);
    expect(shown.stdout).toContain(`+ ASSISTANT_ID="${world.agentId}"`);
    expect(shown.stdout).toContain(`- OPENAI_API_KEY='"sk-proj-…WXYZ"'`);
    expect(shown.stdout).toContain(`+ OPENAI_API_KEY='sk-proj-…WXYZ'`);
    expect(shown.stdout).toContain('Nothing was changed: there is no terminal to confirm on. To make this change, run: npx voicebridge doctor --fix --yes');
    expect(shown.stdout).not.toContain('Left for you');

    const result = await project.doctor(['--fix', '--yes']);
    expect(await project.readEnv()).toBe(
      before
        .replace(`" ${world.agentId} "`, `"${world.agentId}"`)
        .replace(`'"${FAKE_OPENAI_KEY}"'`, `'${FAKE_OPENAI_KEY}'`)
        .replace(`"${FAKE_TWILIO_AUTH_TOKEN} "`, `"${FAKE_TWILIO_AUTH_TOKEN}"`)
        .replace(`${FAKE_TWILIO_PHONE_NUMBER}"`, FAKE_TWILIO_PHONE_NUMBER),
    );
    const after = result.stdout.slice(result.stdout.indexOf('After the change:'));
    expect(after).toContain('✓ .env file:');
    expect(after).toContain('✓ Assistant ID:');
    expect(after).toContain('✓ OpenAI API key:');
    expect(after).toContain('✓ Phone number:');
    expect(result.code).toBe(0);
    for (const run of [shown, result]) expect(leaksAny(run, SECRETS)).toBe(false);
  });

  it('renames a variable under another tool\'s name to the one voicebridge reads', async () => {
    const before = envText(linesWith({ TWILIO_ACCOUNT_SID: `TWILIO_SID=${FAKE_TWILIO_ACCOUNT_SID}` }));
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes']);
    expect(await project.readEnv()).toBe(before.replace('TWILIO_SID=', 'TWILIO_ACCOUNT_SID='));
    expect(result.stdout).toContain('.env file: Rename TWILIO_SID to TWILIO_ACCOUNT_SID (the names voicebridge reads), keeping the values');
    const after = result.stdout.slice(result.stdout.indexOf('After the change:'));
    expect(after).toContain('✓ Twilio credentials:');
    expect(result.code).toBe(0);
  });

  it('masks a secret under another tool\'s name while renaming it', async () => {
    const before = envText(linesWith({ OPENAI_API_KEY: `OPENAI_KEY=${FAKE_OPENAI_KEY}` }));
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes', '--json']);
    expect(await project.readEnv()).toBe(before.replace('OPENAI_KEY=', 'OPENAI_API_KEY='));
    const report = parseFixReport(result);
    expect(report.fixes.find((fix) => fix.id === 'env-file.rename-variables')?.change).toEqual([
      project.envPath,
      'line 2:',
      '- OPENAI_KEY=sk-proj-…WXYZ',
      '+ OPENAI_API_KEY=sk-proj-…WXYZ',
    ]);
    expect(leaksAny(result, SECRETS)).toBe(false);
  });

  it('leaves a line the safe editor cannot read back alone, and names it', async () => {
    const before = envText(linesWith({ TWILIO_PHONE_NUMBER: `TWILIO_PHONE_NUMBER="${FAKE_TWILIO_PHONE_NUMBER}` }));
    project = await makeProject(before);
    const result = await project.doctor(['--fix', '--yes', '--json']);
    expect(await project.readEnv()).toBe(before);
    const report = parseFixReport(result);
    const strip = report.fixes.find((fix) => fix.id === 'env-file.strip-stray-quotes');
    expect(strip?.status).toBe('cannot');
    expect(strip?.message).toContain(`${project.envPath} was left as it is: line 7: the " quote opened in TWILIO_PHONE_NUMBER's value is never closed`);
    expect(result.code).toBe(1);
  });

  it('refuses --yes without --fix as a usage error', async () => {
    project = await makeProject(envText(linesWith({})));
    const result = await project.doctor(['--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes only goes with --fix');
  });

  it('renames in place through the editor, refusing a name already in use', () => {
    const text = 'export AGENT_WORKFLOW_ID="agent_1" # old\r\nOTHER=1\r\n';
    const plan = planEnvEdits(text, [{ action: 'rename', key: 'AGENT_WORKFLOW_ID', to: 'ASSISTANT_ID' }]);
    expect(plan.after).toBe('export ASSISTANT_ID="agent_1" # old\r\nOTHER=1\r\n');
    expect(plan.changes).toEqual([{ key: 'AGENT_WORKFLOW_ID', action: 'renamed', to: 'ASSISTANT_ID' }]);
    const refused = (() => {
      try {
        planEnvEdits('A=1\nB=2\n', [{ action: 'rename', key: 'A', to: 'B' }]);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(EnvEditRefusedError);
    expect((refused as EnvEditRefusedError).line).toBe(2);
    expect((refused as Error).message).toBe('B is already set on line 2: renaming A would set it twice.');
  });
});
