import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { assistantIdCheck } from '../../src/doctor/checks/assistant-id.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { FAKE_OPENAI_KEY, FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai/fake-openai.js';
import { configFrom, leaksSecret, runCheck, visibleText } from './openai-check-context.js';

let fake: FakeOpenAI | undefined;
let folder: string | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

const WORKFLOW_ID = 'wf_68f1c2d3e4b5a69788a1b2c3d4e5f601';

async function startFake(options: FakeOpenAIOptions = {}): Promise<{ fake: FakeOpenAI; client: OpenAI }> {
  fake = await FakeOpenAI.start(options);
  return { fake, client: new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 }) };
}

async function check(env: Record<string, string>): Promise<CheckResult> {
  const result = await runCheck(assistantIdCheck, configFrom(env));
  if (env.OPENAI_API_KEY) expect(leaksSecret(visibleText(result), env.OPENAI_API_KEY)).toBe(false);
  return result;
}

function withFake(env: Record<string, string>): Record<string, string> {
  return { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake!.baseURL, ...env };
}

describe('the assistant ID check, offline part', () => {
  it('fails a workflow ID with the seed error quoted exactly, even with no working key', async () => {
    const result = await check({ ASSISTANT_ID: WORKFLOW_ID, OPENAI_API_KEY: 'sk-proj-notAWorkingKeyAtAll12345' });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('Agent Builder workflow ID');
    expect(result.summary).toContain('stay silent');
    expect(result.detail).toContain(
      `Used as an assistant, it gets this answer from OpenAI (known from the ID itself; OpenAI was not asked): 400 Invalid 'assistant_id': '${WORKFLOW_ID}'. Expected an ID that begins with 'asst'.`,
    );
    expect(visibleText(result)).toContain('Agent Builder shuts down on 2026-11-30 (in 6 days)');
    expect(result.fix).toContain('voicebridge create-assistant');
    expect(result.fix).toContain('Agents SDK code');
  });

  it('names the old variable AGENT_WORKFLOW_ID and says to rename it', async () => {
    const result = await check({ AGENT_WORKFLOW_ID: WORKFLOW_ID });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('AGENT_WORKFLOW_ID is an Agent Builder workflow ID');
    expect(result.fix).toContain('Rename AGENT_WORKFLOW_ID to ASSISTANT_ID');
    expect(result.fix).toContain('writes its ID into ASSISTANT_ID');
  });

  it('fails a workflow ID in quotes for the workflow, and mentions the quotes too', async () => {
    const result = await check({ ASSISTANT_ID: `"${WORKFLOW_ID}"` });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain(`workflow ID (${WORKFLOW_ID})`);
    expect(visibleText(result)).toContain('wrapped in quotes');
  });

  it('fails a prompt ID and says where its instructions should go', async () => {
    const result = await check({ ASSISTANT_ID: 'pmpt_68ab12cd34ef56' });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('prompt object ID (pmpt_68ab12cd34ef56), not an assistant');
    expect(visibleText(result)).toContain('2026-11-30');
    expect(result.fix).toContain('assistant.md');
    expect(result.fix).toContain('--api responses');
  });

  it('fails a placeholder left from an example', async () => {
    const result = await check({ ASSISTANT_ID: 'asst_your_assistant_id_here' });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('still a placeholder');
    expect(result.fix).toContain('voicebridge create-assistant');
  });

  it('fails a thread ID and says what a thread is', async () => {
    const result = await check({ ASSISTANT_ID: 'thread_abc123def456' });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('thread ID');
    expect(visibleText(result)).toContain('one conversation with an assistant');
  });

  it('masks an API key pasted into ASSISTANT_ID', async () => {
    const misplaced = 'sk-proj-Tq4Wm9Zr2Yx7Pn3Kd8Lv5Hs1Bc6Fg0Ja';
    const result = await check({ ASSISTANT_ID: misplaced });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('holds an OpenAI API key (sk-proj-…g0Ja)');
    expect(leaksSecret(visibleText(result), misplaced)).toBe(false);
  });

  it('fails when there is neither an ID nor an instructions file', async () => {
    const result = await check({});
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('no agent would answer the caller');
    expect(result.fix).toContain('voicebridge create-assistant');
    expect(result.fix).toContain('ASSISTANT_INSTRUCTIONS_FILE=assistant.md');
  });

  it('passes the Responses backend when the instructions file has instructions', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-assistant-'));
    const file = join(folder, 'assistant.md');
    await writeFile(file, 'You answer the phone for a bakery. Be brief.\n');
    const result = await check({ ASSISTANT_INSTRUCTIONS_FILE: file });
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('the Responses API answers');
    expect(result.summary).toContain('gpt-6-luna');
  });

  it('fails the Responses backend when the instructions file is missing or empty', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-assistant-'));
    const missing = await check({ ASSISTANT_INSTRUCTIONS_FILE: join(folder, 'nope.md') });
    expect(missing.status).toBe('fail');
    expect(missing.summary).toContain('does not exist');
    const empty = join(folder, 'assistant.md');
    await writeFile(empty, '  \n');
    const result = await check({ ASSISTANT_INSTRUCTIONS_FILE: empty });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('is empty');
  });
});

describe('the assistant ID check, asking OpenAI', () => {
  it('explains the Assistants API sunset when /assistants is gone', async () => {
    await startFake({ assistantsApi: 'sunset' });
    const result = await check(withFake({ ASSISTANT_ID: 'asst_abc123def456ghi789' }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('no longer serves the Assistants API');
    expect(visibleText(result)).toContain('was sunset by OpenAI on 2026-08-26');
    expect(result.fix).toContain('voicebridge create-assistant --api agents');
    expect(result.fix).toContain('--api responses');
  });

  it('says "no such assistant in this project" when the Assistants API answers but does not know it', async () => {
    await startFake({ assistantsApi: 'available' });
    const result = await check(withFake({ ASSISTANT_ID: 'asst_abc123def456ghi789' }));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('no assistant asst_abc123def456ghi789 in the project of this key');
    expect(result.fix).toContain('project');
  });

  it('passes an assistant the endpoint still serves', async () => {
    const { client } = await startFake({ assistantsApi: 'available' });
    const assistant = await client.beta.assistants.create({ model: 'gpt-6-luna', name: 'Front desk' });
    const result = await check(withFake({ ASSISTANT_ID: assistant.id }));
    expect(result.status).toBe('ok');
    expect(result.summary).toContain('"Front desk"');
    expect(result.summary).toContain('Assistants API assistant');
  });

  it('passes an Agents API agent and shows its name and model', async () => {
    const { client } = await startFake();
    const agent = await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna', instructions: 'Be brief.' });
    const result = await check(withFake({ ASSISTANT_ID: agent.id }));
    expect(result.status).toBe('ok');
    expect(result.summary).toBe(`${agent.id} is an Agents API agent "Front desk", model gpt-6-luna`);
  });

  it('warns to rename AGENT_WORKFLOW_ID even when the agent it names works', async () => {
    const { client } = await startFake();
    const agent = await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna' });
    const result = await check(withFake({ AGENT_WORKFLOW_ID: agent.id }));
    expect(result.status).toBe('warn');
    expect(result.fix).toContain('Rename AGENT_WORKFLOW_ID to ASSISTANT_ID');
  });

  it('fails an agent ID the project does not have', async () => {
    await startFake();
    const result = await check(withFake({ ASSISTANT_ID: 'agent_0000000000000000deadbeef' }));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('no agent agent_0000000000000000deadbeef in the project of this key');
  });

  it('fails when the key has no access to the Agents API beta', async () => {
    const { client } = await startFake();
    const agent = await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna' });
    const restricted = 'sk-proj-Rk2Vb7Nq4Wz9Ls1Pd6Hx3Mc8Tf5Gj0Ya';
    fake!.keys.set(restricted, 'no_agents_access');
    const result = await check(withFake({ ASSISTANT_ID: agent.id, OPENAI_API_KEY: restricted }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('no access to the Agents API beta (403)');
    expect(result.fix).toContain('--api responses');
  });

  it('fails an agent ID in quotes and gives the cleaned value to write', async () => {
    const { client } = await startFake();
    const agent = await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna' });
    const result = await check(withFake({ ASSISTANT_ID: `'${agent.id}'` }));
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('wrapped in quotes');
    expect(result.fix).toContain(`ASSISTANT_ID=${agent.id}`);
    expect(result.detail?.join('\n')).toContain('Cleaned up, it works');
  });

  it('skips the lookup, without blaming the ID, when the key is rejected', async () => {
    await startFake();
    const result = await check(withFake({ ASSISTANT_ID: 'agent_abc123def456', OPENAI_API_KEY: 'sk-proj-Wrong7Key2Nobody9Knows4Xy' }));
    expect(result.status).toBe('skip');
    expect(result.summary).toContain('could not look up agent_abc123def456');
    expect(result.summary).toContain('invalid_api_key');
    expect(result.fix).toBe('Fix the "OpenAI API key" problem, then run the doctor again.');
  });

  it('skips the lookup when OpenAI cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await check({ ASSISTANT_ID: 'asst_abc123def456', OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
    expect(result.status).toBe('skip');
    expect(result.summary).toContain('(connection refused)');
    expect(visibleText(result)).toContain('Assistants API');
  });

  it('skips the lookup when there is no key at all', async () => {
    const result = await check({ ASSISTANT_ID: 'asst_abc123def456' });
    expect(result.status).toBe('skip');
    expect(result.summary).toBe('cannot look up asst_abc123def456 without OPENAI_API_KEY');
  });
});
