// Check: the model the agent answers with is not shut down or about to be. The model comes from the Agents API
// agent or the Assistants API assistant in ASSISTANT_ID, or from ASSISTANT_MODEL for the Responses backend; its
// shutdown_date from the models list the key check fetched (GET /models/{model} only when that list lacks it).
import { createOpenAIClient } from '../../clients/openai-client.js';
import type { Config } from '../../config/config.js';
import { classifyAssistantId, cleanId } from '../../knowledge/openai-ids.js';
import { describeModelLifecycle, lifecycleSeverity, modelLifecycle, type ModelLifecycle } from '../../models/model-lifecycle.js';
import type { Clock } from '../../util/clock.js';
import { createAssistantCommand } from '../../knowledge/assistant-id-advice.js';
import type { Check, CheckResult } from '../check.js';
import { createModelFinder, type ModelFinder } from '../model-entry.js';
import { modelVerdictFacts } from '../model-verdict-facts.js';
import { classifyOpenAIError, describeBaseURL, type OpenAIFailure } from '../../knowledge/openai-failure.js';
import { redactResult } from '../redact-result.js';
import { listedModels } from './openai-key.js';

/** Where the agent's model is set, which decides how to change it. */
type AgentModelSource =
  | { backend: 'responses'; model: string; fromShell: boolean; isDefault: boolean }
  | { backend: 'agents' | 'assistants'; id: string; name?: string; model: string };

const FIX_ASSISTANT_ID_FIRST = 'Fix the "Assistant ID" problem first, then run the doctor again.';

export interface AgentModelCheckOptions {
  requestTimeoutMs?: number;
}

export function createAgentModelCheck(options: AgentModelCheckOptions = {}): Check {
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  return {
    id: 'agent-model',
    title: 'Agent model',
    needs: ['openai-key'],
    online: true,
    // The agent is read first, then (rarely) its model looked up: two requests in a row at most.
    timeoutMs: 2 * requestTimeoutMs + 2_000,
    async run({ config, clock, results, signal }) {
      const source = await findAgentModel(config, clock.now(), signal, requestTimeoutMs);
      if ('status' in source) return redactResult(source, config.secrets);
      const find = createModelFinder(config, listedModels(results.get('openai-key')), signal, requestTimeoutMs);
      return redactResult(await judgeAgentModel(source, find, clock), config.secrets);
    },
  };
}

export const agentModelCheck = createAgentModelCheck();

/** The agent's model and where it is set, or a skip saying why it cannot be read. */
async function findAgentModel(config: Config, now: Date, signal: AbortSignal, requestTimeoutMs: number): Promise<AgentModelSource | CheckResult> {
  const raw = config.assistant.id;
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  const classification = classifyAssistantId(raw, now);
  if (raw === undefined || classification.kind === 'empty') {
    return {
      backend: 'responses',
      model: config.assistant.model,
      fromShell: config.sources.ASSISTANT_MODEL === 'process',
      isDefault: config.raw.ASSISTANT_MODEL === undefined || config.raw.ASSISTANT_MODEL.trim() === '',
    };
  }
  if (!classification.backend) {
    return { status: 'skip', summary: `no agent to read a model from (${variable}: ${classification.description})`, fix: FIX_ASSISTANT_ID_FIRST };
  }

  const id = cleanId(raw);
  const backend = classification.backend;
  const kind = backend === 'assistants' ? 'assistant' : 'agent';
  let found: unknown;
  try {
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: requestTimeoutMs });
    found = backend === 'assistants' ? await client.beta.assistants.retrieve(id, { signal }) : await client.beta.agents.retrieve(id, { signal });
  } catch (error) {
    return { status: 'skip', summary: unreadableReason(await classifyOpenAIError(error), kind, id, config), fix: FIX_ASSISTANT_ID_FIRST };
  }
  const object = (found ?? {}) as { id?: unknown; name?: unknown; model?: unknown };
  if (typeof object.model !== 'string' || object.model.trim() === '') {
    return { status: 'skip', summary: `the answer for ${kind} ${id} names no model`, fix: FIX_ASSISTANT_ID_FIRST };
  }
  return { backend, id, model: object.model, ...(typeof object.name === 'string' && object.name !== '' ? { name: object.name } : {}) };
}

function unreadableReason(failure: OpenAIFailure, kind: 'assistant' | 'agent', id: string, config: Config): string {
  if (failure.kind === 'not-found') {
    if (/invalid url/i.test(failure.message)) {
      const api = kind === 'assistant' ? 'the Assistants API' : 'the Agents API';
      return `${describeBaseURL(config)} does not serve ${api}, so the model of ${kind} ${id} cannot be read`;
    }
    return `no ${kind} ${id} in the project of this key, so its model cannot be read`;
  }
  const reason = failure.status !== undefined ? `${failure.status}${failure.code ? ` ${failure.code}` : ''}` : failure.message;
  return `could not read the model of ${kind} ${id} (${reason})`;
}

async function judgeAgentModel(source: AgentModelSource, find: ModelFinder, clock: Clock): Promise<CheckResult> {
  const { model } = source;
  const detail = [whereSet(source)];
  const label = 'Agent model';
  const setting = source.backend === 'responses' ? 'ASSISTANT_MODEL' : `${source.backend === 'agents' ? 'agent' : 'assistant'} ${source.id}`;
  const found = await find(model);
  if (found.kind === 'unknown') {
    return { status: found.status, summary: found.line, detail, fix: found.fix, facts: modelVerdictFacts([{ label, setting, status: found.status }]) };
  }

  const lifecycle = modelLifecycle(model, found.kind === 'found' ? [found.entry] : [], clock, { role: 'agent' });
  const status = lifecycleSeverity(lifecycle);
  const summary = describeModelLifecycle(lifecycle);
  const facts = modelVerdictFacts([{ label, setting, status, lifecycle }]);
  if (status === 'ok') return { status, summary, detail, facts };
  if (found.kind === 'missing') detail.push(`GET /models/${model} answered 404${found.code ? ` ${found.code}` : ''}.`);
  return { status, summary, detail, fix: howToChange(source, lifecycle), facts };
}

function whereSet(source: AgentModelSource): string {
  if (source.backend === 'responses') {
    if (source.isDefault) return `The Responses backend answers with ${source.model}, the default (ASSISTANT_MODEL is not set).`;
    return `The Responses backend answers with ASSISTANT_MODEL=${source.model}${source.fromShell ? ', set in your shell' : ''}.`;
  }
  const name = source.name ? ` "${source.name}"` : '';
  return source.backend === 'agents'
    ? `Agents API agent ${source.id}${name} runs on ${source.model}.`
    : `Assistants API assistant ${source.id}${name} runs on ${source.model}.`;
}

function howToChange(source: AgentModelSource, lifecycle: ModelLifecycle): string {
  const target = lifecycle.replacement;
  if (source.backend === 'responses') {
    const set = target ? `Set ASSISTANT_MODEL=${target} in .env` : 'Choose a model with no shutdown date (GET /v1/models lists them) and set ASSISTANT_MODEL in .env';
    return source.fromShell ? `${set}, and remove ASSISTANT_MODEL from your shell (it wins over .env).` : `${set}.`;
  }
  const model = target ?? '<a model with no shutdown date>';
  const recreate = `${createAssistantCommand()} --force --model ${model}`;
  return source.backend === 'agents'
    ? `Run: ${recreate} (it creates a new agent and writes its ID into .env), or update agent ${source.id} to model ${model} (client.beta.agents.update).`
    : `Run: ${recreate} (it creates an agent on a current API and writes its ID into .env), or change the model of assistant ${source.id} to ${model}.`;
}
