import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrainError } from '../../src/agents/brain.js';
import { adviceText } from '../../src/agents/brain-errors.js';
import { createBrain } from '../../src/agents/create-brain.js';
import { promptAdvice, workflowAdvice } from '../../src/knowledge/assistant-id-advice.js';
import type { RawEnv } from '../../src/config/config.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import { configFor } from './brain-harness.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const KEY_AND_URL: RawEnv = { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };

let folder: string | undefined;
afterEach(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

async function refusal(env: RawEnv): Promise<BrainError> {
  const error = await createBrain(configFor({ ...KEY_AND_URL, ...env }), { now: NOW }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BrainError);
  return error as BrainError;
}

async function instructionsFile(text: string): Promise<string> {
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-create-brain-'));
  const file = join(folder, 'assistant.md');
  await writeFile(file, text);
  return file;
}

describe('createBrain', () => {
  it('answers an Agents API id with agent sessions', async () => {
    const brain = await createBrain(configFor({ ...KEY_AND_URL, ASSISTANT_ID: 'agent_0123456789abcdef' }), { now: NOW });
    expect(brain.backend).toBe('agents');
    expect(brain.describe()).toContain('agent_0123456789abcdef');
  });

  it('answers an asst_ id with Assistants API threads, even written with quotes', async () => {
    const brain = await createBrain(configFor({ ...KEY_AND_URL, ASSISTANT_ID: '"asst_abc123def456"' }), { now: NOW });
    expect(brain.backend).toBe('assistants');
    expect(brain.describe()).toContain('asst_abc123def456');
    expect(brain.describe()).not.toContain('"');
  });

  it('answers no ID and an instructions file with the Responses API and the configured model', async () => {
    const file = await instructionsFile('You take orders for a bakery.\n');
    const brain = await createBrain(configFor({ ...KEY_AND_URL, ASSISTANT_INSTRUCTIONS_FILE: file, ASSISTANT_MODEL: 'gpt-6.1-terra' }), { now: NOW });
    expect(brain.backend).toBe('responses');
    expect(brain.describe()).toContain('gpt-6.1-terra');
    expect(brain.describe()).toContain(file);
  });

  it('refuses a workflow ID with the doctor\'s explanation and fix', async () => {
    const error = await refusal({ ASSISTANT_ID: 'wf_68e1f0a2b3c4d5e6' });
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('workflow');
    expect(error.explanation).toBe(adviceText(workflowAdvice('wf_68e1f0a2b3c4d5e6', 'ASSISTANT_ID', NOW)));
    expect(error.explanation).toContain('voicebridge create-assistant');
  });

  it('refuses a workflow ID under the old variable name, saying to rename it', async () => {
    const error = await refusal({ AGENT_WORKFLOW_ID: 'wf_68e1f0a2b3c4d5e6' });
    expect(error.explanation).toContain('Rename AGENT_WORKFLOW_ID to ASSISTANT_ID');
  });

  it('refuses a prompt ID with the doctor\'s explanation', async () => {
    const error = await refusal({ ASSISTANT_ID: 'pmpt_68e1f0a2b3c4d5e6' });
    expect(error.explanation).toBe(adviceText(promptAdvice('pmpt_68e1f0a2b3c4d5e6', 'ASSISTANT_ID', NOW)));
  });

  it('refuses a placeholder copied from an example', async () => {
    const error = await refusal({ ASSISTANT_ID: 'asst_your_assistant_id_here' });
    expect(error.message).toContain('placeholder');
  });

  it('refuses no ID without an instructions file, saying how to get one', async () => {
    const error = await refusal({});
    expect(error.message).toContain('no agent would answer the caller');
    expect(error.explanation).toContain('ASSISTANT_INSTRUCTIONS_FILE=assistant.md');
  });

  it('refuses an empty or missing instructions file', async () => {
    const empty = await refusal({ ASSISTANT_INSTRUCTIONS_FILE: await instructionsFile('  \n') });
    expect(empty.message).toContain('is empty');
    const missing = await refusal({ ASSISTANT_INSTRUCTIONS_FILE: join(folder!, 'nope.md') });
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toContain('does not exist');
  });

  it('refuses to start without an OpenAI key', async () => {
    const error = await createBrain(configFor({ ASSISTANT_ID: 'agent_0123456789abcdef' }), { now: NOW }).catch((caught: unknown) => caught);
    expect((error as BrainError).kind).toBe('auth');
    expect((error as BrainError).message).toContain('OPENAI_API_KEY');
  });
});
