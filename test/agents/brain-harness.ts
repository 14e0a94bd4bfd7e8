// Starts a FakeOpenAI with an agent for one backend and the brain createBrain picks for it, as `serve` would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Brain, BrainBackend, BrainConversation } from '../../src/agents/brain.js';
import { BrainError } from '../../src/agents/brain.js';
import { createBrain } from '../../src/agents/create-brain.js';
import { buildConfig, type Config, type RawEnv } from '../../src/config/config.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { seedAssistant } from '../fakes/openai/threads.js';

export interface BackendUnderTest {
  fake: FakeOpenAI;
  config: Config;
  brain: Brain;
  /** Removes the fake and any files made for it. */
  stop(): Promise<void>;
}

export function configFor(env: RawEnv): Config {
  return buildConfig({ path: '/nowhere/.env', explicit: false, found: false, values: {} }, env);
}

/** A fake OpenAI holding an agent for `backend`, and the brain `createBrain` chooses for that config. */
export async function startBackend(backend: BrainBackend, env: RawEnv = {}): Promise<BackendUnderTest> {
  const fake = await FakeOpenAI.start({ assistantsApi: 'available' });
  let folder: string | undefined;
  const base: RawEnv = { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL };
  if (backend === 'agents') base.ASSISTANT_ID = seedAgent(fake).id;
  if (backend === 'assistants') base.ASSISTANT_ID = seedAssistant(fake).id;
  if (backend === 'responses') {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-brain-'));
    base.ASSISTANT_INSTRUCTIONS_FILE = join(folder, 'assistant.md');
    await writeFile(base.ASSISTANT_INSTRUCTIONS_FILE, 'You answer phone callers for a bakery. Keep it short.\n');
  }
  const config = configFor({ ...base, ...env });
  const brain = await createBrain(config, { settleTimeoutMs: 2_000 });
  return {
    fake,
    config,
    brain,
    async stop() {
      await fake.close();
      if (folder) await rm(folder, { recursive: true, force: true });
    },
  };
}

/** The whole reply of one turn, as the call would hear it. */
export async function replyText(conversation: BrainConversation, text: string, signal = new AbortController().signal): Promise<string> {
  let reply = '';
  for await (const delta of conversation.reply(text, { signal })) reply += delta;
  return reply;
}

/** The BrainError a turn ends with (and the text streamed before it), or a failure of the test when it succeeds. */
export async function replyError(conversation: BrainConversation, text: string): Promise<{ error: BrainError; streamed: string }> {
  let streamed = '';
  try {
    for await (const delta of conversation.reply(text, { signal: new AbortController().signal })) streamed += delta;
  } catch (error) {
    if (error instanceof BrainError) return { error, streamed };
    throw error;
  }
  throw new Error(`the turn succeeded with "${streamed}"`);
}
