import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { parse as dotenvParse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCreateAssistantCommand } from '../../src/cli/commands/create-assistant.js';
import { createTerminalAsker } from '../../src/provision/ask.js';
import { DEFAULT_SPEECH_INSTRUCTIONS } from '../../src/provision/speech-instructions.js';
import { fixedClock } from '../../src/util/clock.js';
import { BIN } from '../helpers/run-cli.js';
import { FakeOpenAI } from '../fakes/openai/fake-openai.js';
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

describe('create-assistant and its questions', () => {
  it('asks for the options left out, and uses the answers (Enter keeps a default)', async () => {
    project = await makeProject(envWithKey());
    const input = new PassThrough();
    const screen = new PassThrough();
    const answers = ['agents', 'Front desk', 'gpt-6.1-terra', ''];
    let shown = '';
    // Answer each question once it is on the screen, as a person would.
    screen.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
      if (/: $/.test(chunk.toString()) && answers.length > 0) input.write(`${answers.shift()}\n`);
    });
    const asker = createTerminalAsker(input, screen);
    const { output } = captureOutput();
    const code = await runCreateAssistantCommand({}, { output, asker, cwd: project.dir, env: processEnvFor(fake), clock: fixedClock(`${TODAY}T12:00:00Z`) });
    asker.close();

    expect(code).toBe(0);
    expect(shown).toContain('Name of the agent [Phone agent]: ');
    expect(shown).toContain('Model [gpt-6-luna]: ');
    const [agent] = [...fake.agents.values()];
    expect(agent).toMatchObject({ name: 'Front desk', model: 'gpt-6.1-terra', instructions: DEFAULT_SPEECH_INSTRUCTIONS });
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe(agent!.id);
  });

  it('stops with a usage error instead of waiting when the input ends mid-question', async () => {
    project = await makeProject(envWithKey());
    const input = new PassThrough();
    const asker = createTerminalAsker(input, new PassThrough());
    input.end();
    const { output } = captureOutput();
    await expect(
      runCreateAssistantCommand({}, { output, asker, cwd: project.dir, env: processEnvFor(fake), clock: fixedClock(`${TODAY}T12:00:00Z`) }),
    ).rejects.toThrow(/cancelled before every question was answered/);
    expect(fake.agents.size).toBe(0);
  });

  it('never waits for input without a terminal, even when stdin stays open', async () => {
    project = await makeProject(envWithKey());
    const child = spawn(process.execPath, [BIN, 'create-assistant'], {
      cwd: project.dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...processEnvFor(fake) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // stdin is a pipe that is never written to nor closed: a command that prompted would hang here.
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`create-assistant waited for input:\n${stdout}`));
      }, 10_000);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    child.stdin.destroy();

    expect(code).toBe(0);
    expect(fake.agents.size).toBe(1);
    expect(stdout).toContain('name: Phone agent');
  });
});
