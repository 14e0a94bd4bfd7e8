// `doctor --fix` shows exactly the .env change it would write: a file that is not UTF-8 is refused with its line
// before any change is offered, and every OpenAI key and Twilio token or secret the file holds is masked in the
// change shown, whichever line it is on and whether or not the configuration uses it. A .env that may not be changed
// (write-protected, even when the doctor runs as root) is not offered a change and no agent is created for it; while
// another voicebridge run holds the .env lock, the change is not made.
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireEnvLock } from '../../src/config/env-lock.js';
import { envEditFix } from '../../src/doctor/fixes/env-edit-fix.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_TWILIO_AUTH_TOKEN } from '../fakes/twilio/fake-twilio-rest.js';
import { envText, healthyVars, leaksAny, makeProject, SECRETS, startWorld, TODAY, type FixWorld, type Project } from './fix-harness.js';

const OTHER_KEY = 'sk-proj-otherKeyPastedInTheWrongPlace0123456789LMNO';
const OLD_KEY = 'sk-proj-anOlderKeyMentionedInANote9876543210PQRS';
const OTHER_TOKEN = '0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d';

let world: FixWorld;
let project: Project | undefined;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

const context = {
  clock: fixedClock(`${TODAY}T12:00:00Z`),
  createAssistant: () => Promise.resolve({ ok: false, message: 'not in this test' }),
};

describe('doctor --fix shows the .env change it writes', () => {
  it('refuses a Latin-1 .env with the line that is not UTF-8, before offering any change', async () => {
    const vars = await healthyVars(world);
    const text = envText(['# Réception', ...vars.map(([key, value]): [string, string] => [key === 'ASSISTANT_ID' ? 'AGENT_WORKFLOW_ID' : key, value])]);
    project = await makeProject('');
    const bytes = Buffer.from(text, 'latin1');
    await writeFile(project.envPath, bytes);

    const result = await project.doctor(['--fix', '--yes']);
    expect(await readFile(project.envPath)).toEqual(bytes);
    expect(result.stdout).toContain('line 1 is not UTF-8 text');
    expect(result.stdout).not.toContain('- AGENT_WORKFLOW_ID');
    expect(result.stdout).not.toContain('+ ASSISTANT_ID');
    expect(leaksAny(result, SECRETS)).toBe(false);
  });

  it('masks an OpenAI key pasted into ASSISTANT_ID in the change that replaces it', async () => {
    const vars = await healthyVars(world);
    const before = envText(vars.map(([key, value]): [string, string] => [key, key === 'ASSISTANT_ID' ? OTHER_KEY : value]));
    project = await makeProject(before);

    const result = await project.doctor(['--fix']);
    expect(await project.readEnv()).toBe(before);
    expect(result.stdout).toContain('- ASSISTANT_ID=sk-proj-…LMNO');
    expect(leaksAny(result, [...SECRETS, OTHER_KEY])).toBe(false);
  });

  it('masks keys and tokens on any line of the change, not only the configuration\'s own secrets', async () => {
    project = await makeProject(
      envText([
        `AGENT_WORKFLOW_ID=${OTHER_TOKEN}`,
        `NOTE_ID=agent_1 # was ${OLD_KEY}`,
        `# TWILIO_AUTH_TOKEN=${FAKE_TWILIO_AUTH_TOKEN}`,
        `ASSISTANT_ID=${OTHER_KEY}`,
      ]),
    );
    const fix = envEditFix({
      id: 'test.edit',
      description: 'Rename and comment out',
      envPath: project.envPath,
      secrets: [],
      edits: () => [
        { action: 'rename', key: 'AGENT_WORKFLOW_ID', to: 'OLD_AGENT_ID' },
        { action: 'comment-out', key: 'NOTE_ID', reason: 'not used' },
        { action: 'comment-out', key: 'ASSISTANT_ID', reason: 'not an agent ID' },
      ],
    });

    const plan = await fix.plan(context);
    expect(plan.kind).toBe('change');
    const shown = plan.kind === 'change' ? plan.lines.join('\n') : '';
    expect(shown).toContain('- AGENT_WORKFLOW_ID=…4c5d');
    expect(shown).toContain('+ OLD_AGENT_ID=…4c5d');
    expect(shown).toContain('+ # NOTE_ID=agent_1 # was sk-proj-…PQRS');
    expect(shown).toContain('+ # ASSISTANT_ID=sk-proj-…LMNO');
    for (const secret of [OTHER_TOKEN, OLD_KEY, OTHER_KEY]) expect(shown).not.toContain(secret.slice(-12));
  });

  it('gives the editor\'s refusal, with the line, for a Windows-1252 .env when the change is planned and when it is made', async () => {
    project = await makeProject('');
    const bytes = Buffer.concat([Buffer.from('AGENT_WORKFLOW_ID=agent_1\n# caf'), Buffer.from([0xe9, 0x93]), Buffer.from('\n')]);
    await writeFile(project.envPath, bytes);
    const fix = envEditFix({
      id: 'test.rename',
      description: 'Rename',
      envPath: project.envPath,
      secrets: [],
      edits: () => [{ action: 'rename', key: 'AGENT_WORKFLOW_ID', to: 'ASSISTANT_ID' }],
    });

    const plan = await fix.plan(context);
    expect(plan).toEqual({ kind: 'cannot', reason: expect.stringContaining('was left as it is: line 2 is not UTF-8 text') as string });
    const outcome = await fix.apply(context);
    expect(outcome.applied).toBe(false);
    expect(outcome.message).toContain('line 2 is not UTF-8 text');
    expect(await readFile(project.envPath)).toEqual(bytes);
  });
});

describe('doctor --fix and a .env it may not change', () => {
  const WORKFLOW_ID = 'wf_68f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';

  async function envWithIdLine(line: string): Promise<string> {
    const vars = await healthyVars(world);
    return envText(vars.map(([key, value]) => (key === 'ASSISTANT_ID' ? line : ([key, value] as [string, string]))));
  }

  it('leaves a write-protected .env alone with --yes, even as root, and says how to allow the change', async () => {
    const before = await envWithIdLine(`AGENT_WORKFLOW_ID=${world.agentId}`);
    project = await makeProject(before);
    await chmod(project.envPath, 0o444);

    const result = await project.doctor(['--fix', '--yes']);
    expect(await project.readEnv()).toBe(before);
    expect((await stat(project.envPath)).mode & 0o777).toBe(0o444);
    expect(result.stdout).toContain(
      `! not changed: ${project.envPath} was left as it is: it is write-protected (mode 0444). Make it writable (chmod u+w ${project.envPath}), then run the doctor again; or change it by hand.`,
    );
    expect(result.stdout).not.toContain('+ ASSISTANT_ID');
    expect(leaksAny(result, SECRETS)).toBe(false);
  });

  it('creates no agent for a write-protected .env whose ID cannot answer', async () => {
    const agentsBefore = world.openai.agents.size;
    const before = await envWithIdLine(`ASSISTANT_ID=${WORKFLOW_ID}`);
    project = await makeProject(before);
    await chmod(project.envPath, 0o444);

    const result = await project.doctor(['--fix', '--yes']);
    expect(world.openai.agents.size).toBe(agentsBefore);
    expect(await project.readEnv()).toBe(before);
    expect(result.stdout).toContain(
      `! not changed: ${project.envPath} cannot be changed: it is write-protected (mode 0444), so no agent was created (its ID could not be saved). ` +
        `Make it writable (chmod u+w ${project.envPath}), then run: npx voicebridge create-assistant`,
    );
  });

  it('makes no change while another voicebridge run holds the .env lock, and says which run', async () => {
    const before = await envWithIdLine(`AGENT_WORKFLOW_ID=${world.agentId}`);
    project = await makeProject(before);
    const lock = await acquireEnvLock(project.envPath, { command: 'create-assistant' });
    try {
      const result = await project.doctor(['--fix', '--yes']);
      expect(await project.readEnv()).toBe(before);
      expect(result.stdout).toContain(
        `✗ ${project.envPath} was not changed: another voicebridge run is changing ${project.envPath} right now (voicebridge create-assistant, process ${process.pid} on this machine, since `,
      );
      expect(result.stdout).toContain('Let that run finish, then see what it wrote with: npx voicebridge doctor.');
    } finally {
      await lock.release();
    }
  });
});
