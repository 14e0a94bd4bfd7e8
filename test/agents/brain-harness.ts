// Starts a FakeOpenAI with an agent for one backend and the brain createBrain picks for it, as `serve` would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Brain, BrainBackend, BrainConversation, BrainEvent, BrainToolCallEvent } from '../../src/agents/brain.js';
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

/** The text of an event, or '' for the events that say nothing to the caller. */
export function spoken(event: BrainEvent | undefined): string {
  return event?.type === 'text' ? event.delta : '';
}

/** The whole reply of one turn, as the call would hear it. */
export async function replyText(conversation: BrainConversation, text: string, signal = new AbortController().signal): Promise<string> {
  let reply = '';
  for await (const event of conversation.reply(text, { signal })) reply += spoken(event);
  return reply;
}

/** Every event of one turn that succeeds, in order. */
export async function replyEvents(conversation: BrainConversation, text: string): Promise<BrainEvent[]> {
  const events: BrainEvent[] = [];
  for await (const event of conversation.reply(text, { signal: new AbortController().signal })) events.push(event);
  return events;
}

/**
 * The BrainError a turn ends with, the text streamed before it and every event before it, or a failure of the test
 * when the turn succeeds.
 */
export async function replyError(conversation: BrainConversation, text: string): Promise<{ error: BrainError; streamed: string; events: BrainEvent[] }> {
  let streamed = '';
  const events: BrainEvent[] = [];
  try {
    for await (const event of conversation.reply(text, { signal: new AbortController().signal })) {
      events.push(event);
      streamed += spoken(event);
    }
  } catch (error) {
    if (error instanceof BrainError) return { error, streamed, events };
    throw error;
  }
  throw new Error(`the turn succeeded with "${streamed}"`);
}

/** A tool call event as a test compares it: what the agent asked, without the answer function. */
export type AskedCall = Omit<BrainToolCallEvent, 'answer'>;

/**
 * Every event of one turn that succeeds, in order, answering each tool call as it comes with `answer(call)` (as the
 * call does, before reading on). Tool calls are listed without their answer function.
 */
export async function replyAnswering(
  conversation: BrainConversation,
  text: string,
  answer: (call: AskedCall) => string,
  signal = new AbortController().signal,
): Promise<Array<Exclude<BrainEvent, BrainToolCallEvent> | AskedCall>> {
  const events: Array<Exclude<BrainEvent, BrainToolCallEvent> | AskedCall> = [];
  for await (const event of conversation.reply(text, { signal })) {
    if (event.type !== 'tool_call') {
      events.push(event);
      continue;
    }
    const { answer: give, ...asked } = event;
    events.push(asked);
    if (!give) throw new Error(`the tool call ${asked.name} cannot be answered`);
    give(answer(asked));
  }
  return events;
}

/** The text events of `said`, delta by delta, as the fake agent streams them. */
export function textEvents(said: string): Array<{ type: 'text'; delta: string }> {
  return (said.match(/\s*\S+/g) ?? []).map((delta) => ({ type: 'text', delta }));
}
