// create-assistant against a models list whose shutdown dates are made up here (VOICEBRIDGE_TODAY freezes the day):
// a model given with --model is refused once shut down and warned about within 90 days; the default is never used
// while it is going away. Each case has its own fake and folder, so they run side by side.
import { readdir } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { parse as dotenvParse } from 'dotenv';
import { afterAll, describe, it } from 'vitest';
import { runCreateAssistantCommand } from '../../src/cli/commands/create-assistant.js';
import { createTerminalAsker } from '../../src/provision/ask.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import type { FakeModel } from '../fakes/openai/models.js';
import { fixedClock } from '../../src/util/clock.js';
import { captureOutput, envWithKey, makeProject, processEnvFor, runCreateAssistant, type Project } from './project.js';

const TODAY = '2031-05-10';

/** A list where each date means something on TODAY; `luna` is the default model's shutdown date, or 'unlisted'. */
function modelsWith(luna: string | null): FakeModel[] {
  return [
    ...(luna === 'unlisted' ? [] : [{ id: 'gpt-6-luna', shutdown_date: luna }]),
    { id: 'gpt-6.1-terra', shutdown_date: null },
    { id: 'gpt-4o', shutdown_date: '2031-05-02' },
    { id: 'gpt-5', shutdown_date: '2031-06-01' },
    { id: 'gpt-6.1-sol', shutdown_date: '2032-03-01' },
  ];
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function setUp(luna: string | null = null): Promise<{ fake: FakeOpenAI; project: Project }> {
  const fake = await FakeOpenAI.start({ models: modelsWith(luna) });
  const project = await makeProject(envWithKey('ASSISTANT_ID=\n'));
  cleanups.push(async () => {
    await fake.close();
    await project.remove();
  });
  return { fake, project };
}

async function run(setup: { fake: FakeOpenAI; project: Project }, args: string[]) {
  const result = await runCreateAssistant(setup.project, setup.fake, args, { VOICEBRIDGE_TODAY: TODAY });
  const posts = setup.fake.requests.filter((request) => request.method === 'POST');
  const modelLists = setup.fake.requests.filter((request) => request.path === '/v1/models');
  return { ...result, output: result.stdout + result.stderr, posts, modelLists };
}

const agentModels = (fake: FakeOpenAI): string[] => [...fake.agents.values()].map((agent) => agent.model);

describe.concurrent('create-assistant --model on the Agents API', () => {
  it('refuses a model past its shutdown date, naming the date and the model to use instead', async ({ expect }) => {
    const setup = await setUp();
    const before = await setup.project.readEnv();
    const { code, stderr, posts, modelLists } = await run(setup, ['--model', 'gpt-4o']);
    expect(code).toBe(1);
    expect(stderr).toContain('gpt-4o was shut down on 2031-05-02: calls with it fail');
    expect(stderr).toContain('Run again with --model gpt-6-luna');
    expect(stderr).toContain('Nothing was created');
    expect(posts).toEqual([]);
    expect(modelLists).toHaveLength(1);
    expect(await setup.project.readEnv()).toBe(before);
  });

  it('warns of a model within 90 days of its shutdown date with the days left, and creates the agent on it', async ({ expect }) => {
    const setup = await setUp();
    const { code, stdout } = await run(setup, ['--model', 'gpt-5']);
    expect(code).toBe(0);
    expect(stdout).toContain('! gpt-5 shuts down on 2031-06-01 (22 days left); switch to gpt-6-luna. Creating it on gpt-5 as asked');
    expect(agentModels(setup.fake)).toEqual(['gpt-5']);
  });

  it('creates on a model whose shutdown is far off without a warning', async ({ expect }) => {
    const setup = await setUp();
    const { code, stdout } = await run(setup, ['--model', 'gpt-6.1-sol']);
    expect(code).toBe(0);
    expect(stdout).toContain('model: gpt-6.1-sol (shutdown: 2032-03-01 (296 days left))');
    expect(stdout).not.toContain('!');
    expect(agentModels(setup.fake)).toEqual(['gpt-6.1-sol']);
  });

  it('creates on a model with no shutdown date without a warning', async ({ expect }) => {
    const setup = await setUp();
    const { code, stdout, modelLists } = await run(setup, ['--model', 'gpt-6.1-terra']);
    expect(code).toBe(0);
    expect(stdout).toContain('model: gpt-6.1-terra (shutdown: none announced)');
    expect(stdout).not.toContain('!');
    expect(agentModels(setup.fake)).toEqual(['gpt-6.1-terra']);
    expect(modelLists).toHaveLength(1);
  });
});

describe.concurrent('create-assistant --model on the Responses backend', () => {
  it('refuses a model past its shutdown date and writes nothing', async ({ expect }) => {
    const setup = await setUp();
    const before = await setup.project.readEnv();
    const { code, stderr } = await run(setup, ['--api', 'responses', '--model', 'gpt-4o']);
    expect(code).toBe(1);
    expect(stderr).toContain('gpt-4o was shut down on 2031-05-02: calls with it fail');
    expect(stderr).toContain('Run again with --model gpt-6-luna');
    expect(await setup.project.readEnv()).toBe(before);
    expect(await readdir(setup.project.dir)).toEqual(['.env']);
  });

  it('warns of a model within 90 days and writes it to ASSISTANT_MODEL', async ({ expect }) => {
    const setup = await setUp();
    const { code, stdout } = await run(setup, ['--api', 'responses', '--model', 'gpt-5']);
    expect(code).toBe(0);
    expect(stdout).toContain('gpt-5 shuts down on 2031-06-01 (22 days left)');
    expect(dotenvParse(await setup.project.readEnv()).ASSISTANT_MODEL).toBe('gpt-5');
  });

  it('takes a far-off or absent shutdown date without a warning', async ({ expect }) => {
    const setup = await setUp();
    const far = await run(setup, ['--api', 'responses', '--model', 'gpt-6.1-sol']);
    expect(far.code).toBe(0);
    expect(far.stdout).toContain('model gpt-6.1-sol (shutdown: 2032-03-01 (296 days left))');
    expect(far.stdout).not.toContain('!');
    const none = await run(setup, ['--api', 'responses', '--model', 'gpt-6.1-terra', '--force']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('model gpt-6.1-terra (shutdown: none announced)');
    expect(none.stdout).not.toContain('!');
    expect(dotenvParse(await setup.project.readEnv()).ASSISTANT_MODEL).toBe('gpt-6.1-terra');
  });
});

describe.concurrent('create-assistant without --model never uses a default that is going away', () => {
  it('uses the default when it has no shutdown date', async ({ expect }) => {
    const setup = await setUp(null);
    const { code, stdout } = await run(setup, []);
    expect(code).toBe(0);
    expect(stdout).toContain('model: gpt-6-luna (shutdown: none announced)');
    expect(agentModels(setup.fake)).toEqual(['gpt-6-luna']);
  });

  it('uses the default when its shutdown date is far off', async ({ expect }) => {
    const setup = await setUp('2032-03-01');
    const { code, stdout } = await run(setup, []);
    expect(code).toBe(0);
    expect(stdout).not.toContain('!');
    expect(agentModels(setup.fake)).toEqual(['gpt-6-luna']);
  });

  it('creates the agent on a current successor when the default shuts down within 90 days, and says so', async ({ expect }) => {
    const setup = await setUp('2031-06-20');
    const { code, stdout } = await run(setup, []);
    expect(code).toBe(0);
    expect(stdout).toContain('The default model gpt-6-luna shuts down on 2031-06-20 (41 days left). Using gpt-6.1-terra instead (no shutdown announced)');
    expect(stdout).toContain('model: gpt-6.1-terra (shutdown: none announced)');
    expect(agentModels(setup.fake)).toEqual(['gpt-6.1-terra']);
  });

  it('writes a current successor to ASSISTANT_MODEL when the default is shut down', async ({ expect }) => {
    const setup = await setUp('2031-05-01');
    const { code, stdout } = await run(setup, ['--api', 'responses']);
    expect(code).toBe(0);
    expect(stdout).toContain('The default model gpt-6-luna was shut down on 2031-05-01');
    expect(stdout).toContain('Using gpt-6.1-terra instead');
    expect(dotenvParse(await setup.project.readEnv()).ASSISTANT_MODEL).toBe('gpt-6.1-terra');
  });

  it('uses a current successor when this endpoint does not offer the default at all', async ({ expect }) => {
    const setup = await setUp('unlisted');
    const { code, stdout } = await run(setup, ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { model: string; modelLifecycle: unknown; warnings: string[]; created: { model: string } };
    expect(report.model).toBe('gpt-6.1-terra');
    expect(report.created.model).toBe('gpt-6.1-terra');
    expect(report.modelLifecycle).toEqual({ model: 'gpt-6.1-terra', state: 'current' });
    expect(report.warnings.join('\n')).toContain('The default model gpt-6-luna is not among the models OpenAI offers this key');
  });

  it('refuses when the default is going away and no current model is offered', async ({ expect }) => {
    const fake = await FakeOpenAI.start({ models: [{ id: 'gpt-6-luna', shutdown_date: '2031-06-20' }, { id: 'gpt-5', shutdown_date: '2031-06-01' }] });
    const project = await makeProject(envWithKey());
    cleanups.push(async () => {
      await fake.close();
      await project.remove();
    });
    const { code, stderr, posts } = await run({ fake, project }, []);
    expect(code).toBe(1);
    expect(stderr).toContain('the default model gpt-6-luna shuts down on 2031-06-20 (41 days left)');
    expect(stderr).toContain('Run again with --model <a model with no shutdown date>');
    expect(posts).toEqual([]);
  });

  it('asks on a terminal which model to use instead, offering the successor', async ({ expect }) => {
    const setup = await setUp('2031-06-20');
    const input = new PassThrough();
    const screen = new PassThrough();
    const answers = ['agents', 'Front desk', '', '', ''];
    let shown = '';
    screen.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
      if (/: $/.test(chunk.toString()) && answers.length > 0) input.write(`${answers.shift()}\n`);
    });
    const asker = createTerminalAsker(input, screen);
    const { output, text } = captureOutput();
    const code = await runCreateAssistantCommand(
      {},
      { output, asker, cwd: setup.project.dir, env: processEnvFor(setup.fake), clock: fixedClock(`${TODAY}T12:00:00Z`) },
    );
    asker.close();
    expect(code, text()).toBe(0);
    expect(shown).toContain('The default model gpt-6-luna shuts down on 2031-06-20 (41 days left). Model to use instead [gpt-6.1-terra]: ');
    expect(agentModels(setup.fake)).toEqual(['gpt-6.1-terra']);
  });
});

describe.concurrent('create-assistant and the models lookup', () => {
  it('shows the verdict in a dry run, and refuses a shut-down model there too', async ({ expect }) => {
    const setup = await setUp();
    const soon = await run(setup, ['--dry-run', '--model', 'gpt-5']);
    expect(soon.code).toBe(0);
    expect(soon.stdout).toContain('model: gpt-5 (shutdown: 2031-06-01 (22 days left))');
    expect(soon.stdout).toContain('gpt-5 shuts down on 2031-06-01 (22 days left)');
    const past = await run(setup, ['--dry-run', '--model', 'gpt-4o']);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('gpt-4o was shut down on 2031-05-02');
    expect(setup.fake.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('warns and goes on when the models list cannot be read', async ({ expect }) => {
    const setup = await setUp();
    setup.fake.injectFault({ method: 'GET', path: /^\/v1\/models$/, status: 503, body: { error: { message: 'Service unavailable', type: 'server_error' } } });
    const { code, stdout, output } = await run(setup, ['--model', 'gpt-6.1-terra']);
    expect(code).toBe(0);
    expect(stdout).toContain('Could not check whether gpt-6.1-terra is retiring');
    expect(stdout).toContain('run npx voicebridge doctor afterwards');
    expect(agentModels(setup.fake)).toEqual(['gpt-6.1-terra']);
    expect(output).not.toContain(FAKE_OPENAI_KEY);
  });
});
