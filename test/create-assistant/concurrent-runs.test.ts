// Ten `create-assistant --force` runs started at once on one .env (a script run twice, a double Enter): one agent is
// created and written, and every other run says it stopped because another run was changing .env, creating nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdir } from 'node:fs/promises';
import { parse as dotenvParse } from 'dotenv';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { envWithKey, makeProject, processEnvFor, type Project } from './project.js';

const RUNS = 10;

let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
});
afterEach(async () => {
  await fake.close();
  await project?.remove();
});

/**
 * Holds every request that creates an agent until `release` settles. The run that creates is then still creating
 * while the others start, however the machine schedules ten processes: the runs really overlap.
 */
function holdAgentCreation(release: Promise<unknown>): void {
  type Listener = (request: IncomingMessage, response: ServerResponse) => void;
  const listeners = fake.server.listeners('request') as Listener[];
  fake.server.removeAllListeners('request');
  fake.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const creating = request.method === 'POST' && request.url === '/v1/agents';
    void (creating ? release : Promise.resolve()).then(() => listeners.forEach((listener) => listener(request, response)));
  });
}

describe('create-assistant run many times at once on one .env', () => {
  it('creates exactly one agent, and every other run says it created nothing and what to do', { timeout: 60_000 }, async () => {
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    const working = (await client.beta.agents.create({ name: 'Reception', model: 'gpt-6-luna' })).id;
    project = await makeProject(envWithKey(`ASSISTANT_ID=${working}\n`));

    // The creation is answered once every other run has finished (or after a while, should they all be creating).
    let finished = 0;
    let releaseCreation = (): void => undefined;
    const creationReleased = new Promise<void>((resolve) => {
      releaseCreation = resolve;
      setTimeout(resolve, 8_000).unref();
    });
    holdAgentCreation(creationReleased);
    const results: CliResult[] = await Promise.all(
      Array.from({ length: RUNS }, () =>
        runCli(['create-assistant', '--force'], { cwd: project.dir, env: processEnvFor(fake), timeoutMs: 40_000 }).then((result) => {
          finished += 1;
          if (finished === RUNS - 1) releaseCreation();
          return result;
        }),
      ),
    );

    const created = [...fake.agents.keys()].filter((id) => id !== working);
    expect(created).toHaveLength(1);
    const winners = results.filter((result) => result.stdout.includes(`Updated ${project.envPath}:`));
    expect(winners).toHaveLength(1);
    expect(winners[0]!.code, winners[0]!.stderr).toBe(0);
    expect(winners[0]!.stdout).toContain(`✔ ASSISTANT_ID=${created[0]}`);

    const losers = results.filter((result) => result !== winners[0]);
    for (const loser of losers) {
      expect(loser.code).toBe(1);
      expect(loser.stderr).toContain(`✖ another voicebridge run is changing ${project.envPath} right now (voicebridge create-assistant, process `);
      expect(loser.stderr).toContain('nothing was created and no file was changed');
      expect(loser.stderr).toContain('→ Let that run finish, then see what it wrote with: npx voicebridge doctor.');
      expect(loser.stdout).not.toContain('Created');
    }
    expect(dotenvParse(await project.readEnv()).ASSISTANT_ID).toBe(created[0]);
    expect(await readdir(project.dir)).toEqual(['.env']);
  });
});
