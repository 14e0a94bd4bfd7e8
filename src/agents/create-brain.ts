// Chooses the agent backend from the config: an Agents API id → agent sessions; asst_ → Assistants API threads; no ID
// with ASSISTANT_INSTRUCTIONS_FILE → Responses API conversations. Anything else is refused with the doctor's words.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createOpenAIClient } from '../clients/openai-client.js';
import type { Config } from '../config/config.js';
import { createAssistantCommand, offlineAssistantIdAdvice } from '../knowledge/assistant-id-advice.js';
import { classifyAssistantId, cleanId } from '../knowledge/openai-ids.js';
import { AgentsBrain } from './agents-brain.js';
import { AssistantsBrain } from './assistants-brain.js';
import type { Brain, BrainBackend } from './brain.js';
import { BrainError } from './brain.js';
import { adviceText, type BrainErrorContext } from './brain-errors.js';
import { ResponsesBrain } from './responses-brain.js';

export interface CreateBrainOptions {
  /** The date the advice is worded for (default: now). */
  now?: Date;
  /** How long a cut-short turn may take to settle at the server (default 5 s). */
  settleTimeoutMs?: number;
}

/** Requests that start a call or a turn; the bridge owns the deadlines of the replies themselves. */
const REQUEST_TIMEOUT_MS = 15_000;

async function readInstructions(file: string): Promise<string> {
  const path = resolve(file);
  const where = path === file ? file : `${file} (${path})`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(error as Error).message})`;
    throw new BrainError('not-found', `ASSISTANT_INSTRUCTIONS_FILE=${where} ${reason}`, "Fix: point ASSISTANT_INSTRUCTIONS_FILE at the file holding the agent's instructions, e.g. assistant.md.", { cause: error });
  }
  if (text.trim() === '') {
    throw new BrainError('bad-request', `ASSISTANT_INSTRUCTIONS_FILE=${where} is empty: the agent would have no instructions`, `Fix: write what the agent should do and say into ${file}.`);
  }
  return text.trim();
}

export async function createBrain(config: Config, options: CreateBrainOptions = {}): Promise<Brain> {
  const now = options.now ?? new Date();
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  const raw = config.assistant.id;
  const classification = classifyAssistantId(raw, now);

  if (raw !== undefined && classification.kind !== 'empty') {
    const advice = offlineAssistantIdAdvice(raw, variable, now);
    if (advice) throw new BrainError('bad-request', advice.summary, adviceText(advice));
  }
  if (!config.openai.apiKey || config.openai.apiKey.trim() === '') {
    throw new BrainError('auth', 'OPENAI_API_KEY is not set: the agent cannot be reached', 'Fix: create a key at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY.');
  }

  const errorsFor = (backend: BrainBackend): Omit<BrainErrorContext, 'action'> => ({ config, backend, now, timeoutMs: REQUEST_TIMEOUT_MS });
  const settleTimeoutMs = options.settleTimeoutMs;
  // Turns are never retried by the SDK: a caller is waiting, and the bridge decides how long.
  const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: REQUEST_TIMEOUT_MS });

  if (classification.kind === 'agent') {
    return new AgentsBrain({ client, agentId: cleanId(raw ?? ''), errors: errorsFor('agents'), settleTimeoutMs });
  }
  if (classification.kind === 'assistant') {
    return new AssistantsBrain({ client, assistantId: cleanId(raw ?? ''), errors: errorsFor('assistants'), settleTimeoutMs });
  }
  if (classification.kind === 'empty') {
    const file = config.assistant.instructionsFile;
    if (!file) {
      throw new BrainError(
        'bad-request',
        `${variable} is not set and there is no ASSISTANT_INSTRUCTIONS_FILE: no agent would answer the caller`,
        `Fix: run ${createAssistantCommand()} (it creates an agent and writes ASSISTANT_ID into .env), or write the instructions into assistant.md and set ASSISTANT_INSTRUCTIONS_FILE=assistant.md.`,
      );
    }
    const instructions = await readInstructions(file);
    return new ResponsesBrain({ client, model: config.assistant.model, instructions, instructionsSource: file, errors: errorsFor('responses'), settleTimeoutMs });
  }
  // offlineAssistantIdAdvice covers every other kind; this is the net under it.
  throw new BrainError('bad-request', `${variable} is ${classification.description}`, `Fix: put an agent's ID in ${variable}, or run: ${createAssistantCommand()}.`);
}
