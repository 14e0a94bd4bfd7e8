// Check: the agent the bridge talks to (ASSISTANT_ID, or ASSISTANT_INSTRUCTIONS_FILE for the Responses backend).
// It first judges the value offline — a workflow, prompt, thread or placeholder is wrong whatever the network says —
// and only then asks OpenAI about an asst_ or Agents API id with its own request, so it never waits on the key check.
import { stat, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createOpenAIClient } from '../../clients/openai-client.js';
import type { Config } from '../../config/config.js';
import { DEFAULT_OPENAI_BASE_URL } from '../../config/defaults.js';
import { classifyAssistantId, classifyOpenAIKey, cleanId } from '../../knowledge/openai-ids.js';
import type { Check, CheckResult } from '../check.js';
import {
  agentNotFoundAdvice,
  assistantNotInProjectAdvice,
  assistantsSunsetAdvice,
  ASSISTANTS_API_SUNSET,
  createAssistantCommand,
  displayId,
  offlineAssistantIdAdvice,
  renameNote,
  shutdownPhrase,
  type Advice,
} from '../../knowledge/assistant-id-advice.js';
import { assistantIdFixes } from '../fixes/assistant-id-fixes.js';
import { classifyOpenAIError, describeBaseURL, describeKeyOrConnectionFailure, type OpenAIFailure } from '../../knowledge/openai-failure.js';
import { redactResult } from '../redact-result.js';

export interface AssistantIdCheckOptions {
  requestTimeoutMs?: number;
}

export function createAssistantIdCheck(options: AssistantIdCheckOptions = {}): Check {
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  return {
    id: 'assistant-id',
    title: 'Assistant ID',
    online: true,
    timeoutMs: requestTimeoutMs + 2_000,
    async run({ config, clock, signal }) {
      const result = redactResult(await checkAssistantId(config, clock.now(), signal, requestTimeoutMs), config.secrets);
      const autoFixes = assistantIdFixes(config, fixVerdict(config, result));
      return autoFixes.length > 0 ? { ...result, autoFixes } : result;
    },
  };
}

/** Marks a result that proves the ID can never answer (not merely that it could not be checked). */
function deadId(result: CheckResult): CheckResult {
  return { ...result, facts: { ...result.facts, assistantIdState: 'dead' } };
}

/** Offline kinds that can never answer a caller and are best replaced by a new agent (a prompt's own advice differs). */
const REPLACEABLE_KINDS = new Set(['workflow', 'placeholder', 'not-an-id', 'thread', 'run', 'conversation', 'response', 'realtime-session', 'other-openai-object']);

/** Whether the check found an ID (or the lack of one) that only a new agent can put right, and why in a few words. */
function fixVerdict(config: Config, result: CheckResult): { dead: boolean; why: string } {
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  const kind = classifyAssistantId(config.assistant.id).kind;
  if (kind === 'empty') return { dead: result.status === 'fail' && !config.assistant.instructionsFile, why: 'no agent is configured' };
  if (kind === 'workflow') return { dead: true, why: `${variable} is an Agent Builder workflow, which can never answer a caller` };
  if (kind === 'placeholder') return { dead: true, why: `${variable} still holds an example value` };
  if (REPLACEABLE_KINDS.has(kind)) return { dead: true, why: `${variable} is not an agent ID` };
  return { dead: result.facts?.assistantIdState === 'dead', why: result.summary };
}

export const assistantIdCheck = createAssistantIdCheck();

function fromAdvice(advice: Advice, extraDetail: string[] = []): CheckResult {
  return { status: 'fail', summary: advice.summary, detail: [...advice.detail, ...extraDetail], fix: advice.fix };
}

async function checkAssistantId(config: Config, now: Date, signal: AbortSignal, requestTimeoutMs: number): Promise<CheckResult> {
  const raw = config.assistant.id;
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  const classification = classifyAssistantId(raw, now);
  if (raw === undefined || classification.kind === 'empty') return checkResponsesBackend(config);

  const value = cleanId(raw);
  const context: string[] = [];
  if (classification.cosmetic) context.push(`${variable} ${classification.cosmetic}: as written it is ${JSON.stringify(displayId(raw))}.`);
  if (config.sources[variable] === 'process') context.push(`${variable} comes from your shell environment, which wins over .env.`);
  if (config.assistant.instructionsFile) context.push(`ASSISTANT_INSTRUCTIONS_FILE is ignored while ${variable} is set.`);

  const offline = offlineAssistantIdAdvice(raw, variable, now);
  if (offline) return fromAdvice(offline, context);

  // Only asst_ and Agents API ids are left: whether they work depends on what the endpoint answers.
  const backend = classification.backend === 'assistants' ? 'assistants' : 'agents';
  const probed = await probe(config, backend, value, variable, now, signal, requestTimeoutMs);
  const rename = renameNote(variable);
  if (classification.cosmetic) {
    const cosmeticFix = `Write it without quotes or spaces: ${variable === 'AGENT_WORKFLOW_ID' ? 'ASSISTANT_ID' : variable}=${value}`;
    if (probed.status === 'ok' || probed.status === 'warn') {
      return {
        status: 'fail',
        summary: `${variable} ${classification.cosmetic}: OpenAI knows it only as ${value}`,
        detail: [`Cleaned up, it works: ${probed.summary}.`, ...context],
        fix: rename ? `${cosmeticFix}\n${rename}` : cosmeticFix,
      };
    }
    return { ...probed, detail: [...(probed.detail ?? []), ...context], fix: `${probed.fix ?? ''}\n${cosmeticFix}`.trim() };
  }
  const withContext = { ...probed, detail: [...(probed.detail ?? []), ...context] };
  if (rename && withContext.status === 'ok') return { ...withContext, status: 'warn', fix: rename };
  return withContext;
}

/** No ID: the Responses API answers with the instructions in ASSISTANT_INSTRUCTIONS_FILE, which must be readable and non-empty. */
async function checkResponsesBackend(config: Config): Promise<CheckResult> {
  const file = config.assistant.instructionsFile;
  if (!file) {
    return {
      status: 'fail',
      summary: 'ASSISTANT_ID is not set and there is no ASSISTANT_INSTRUCTIONS_FILE: no agent would answer the caller',
      fix:
        `Run: ${createAssistantCommand()} (it creates an agent and writes ASSISTANT_ID into .env),\n` +
        'or write the instructions into assistant.md and set ASSISTANT_INSTRUCTIONS_FILE=assistant.md.',
    };
  }
  const path = resolve(file);
  const where = path === file ? file : `${file} (${path})`;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      return { status: 'fail', summary: `ASSISTANT_INSTRUCTIONS_FILE=${where} is a folder, not a file`, fix: 'Point it at the file holding the instructions, e.g. assistant.md.' };
    }
    const text = await readFile(path, 'utf8');
    if (text.trim() === '') {
      return {
        status: 'fail',
        summary: `ASSISTANT_INSTRUCTIONS_FILE=${where} is empty: the agent would have no instructions`,
        fix: `Write what the agent should do and say into ${file}.`,
      };
    }
    return {
      status: 'ok',
      summary: `no ASSISTANT_ID: the Responses API answers, with the instructions in ${file} and model ${config.assistant.model}`,
      detail: [`${text.trim().length} characters of instructions in ${path}`],
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return {
        status: 'fail',
        summary: `ASSISTANT_INSTRUCTIONS_FILE=${where} does not exist`,
        fix: `Create ${file} with the agent's instructions, or fix the path (a relative path starts from the folder you run voicebridge in).`,
      };
    }
    return {
      status: 'fail',
      summary: `ASSISTANT_INSTRUCTIONS_FILE=${where} cannot be read (${code ?? (error as Error).message})`,
      fix: `Make ${file} readable by the user who runs voicebridge.`,
    };
  }
}

/** Asks the endpoint about an asst_ or Agents API id. */
async function probe(
  config: Config,
  backend: 'assistants' | 'agents',
  id: string,
  variable: string,
  now: Date,
  signal: AbortSignal,
  requestTimeoutMs: number,
): Promise<CheckResult> {
  const sunsetNote = `The Assistants API ${shutdownPhrase(ASSISTANTS_API_SUNSET, now, { past: 'was sunset by OpenAI', future: 'will be sunset by OpenAI' })}.`;
  const apiName = backend === 'assistants' ? 'the Assistants API' : 'the Agents API';
  const backendNote = backend === 'assistants' ? `${id} is an Assistants API assistant. ${sunsetNote}` : `${id} is read as an Agents API agent ID (client.beta.agents).`;
  const key = config.openai.apiKey;
  if (!key || key.trim() === '') {
    return { status: 'skip', summary: `cannot look up ${id} without OPENAI_API_KEY`, detail: [backendNote], fix: 'Set OPENAI_API_KEY, then run the doctor again.' };
  }
  if (classifyOpenAIKey(cleanId(key)).kind === 'admin') {
    return { status: 'skip', summary: `cannot look up ${id} with an admin key`, detail: [backendNote], fix: 'Fix the "OpenAI API key" problem first, then run the doctor again.' };
  }

  const where = describeBaseURL(config);
  let found: unknown;
  try {
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: requestTimeoutMs });
    found =
      backend === 'assistants'
        ? await client.beta.assistants.retrieve(id, { signal })
        : await client.beta.agents.retrieve(id, { signal });
  } catch (error) {
    const failure = await classifyOpenAIError(error);
    if (failure.kind === 'not-found') {
      const routeMissing = /invalid url/i.test(failure.message);
      if (backend === 'assistants') {
        return deadId(fromAdvice(routeMissing ? assistantsSunsetAdvice(id, variable, now, where) : assistantNotInProjectAdvice(id, variable)));
      }
      if (routeMissing) {
        return {
          status: 'fail',
          summary: `${where} does not serve the Agents API, so agent ${id} cannot answer`,
          detail: [`GET /agents/${id} answered 404: ${failure.message}`],
          fix: `Use OpenAI itself (remove OPENAI_BASE_URL), or switch to the Responses backend: ${createAssistantCommand()} --api responses.`,
        };
      }
      return deadId(fromAdvice(agentNotFoundAdvice(id, variable)));
    }
    if (failure.kind === 'missing-scopes' || failure.kind === 'permission-denied') {
      return {
        status: 'fail',
        summary:
          backend === 'agents'
            ? `this key has no access to the Agents API beta (${failure.status}${failure.code ? ` ${failure.code}` : ''}), so agent ${id} cannot answer`
            : `this key may not read assistants (${failure.status}), so ${id} cannot answer`,
        detail: [`OpenAI said: ${failure.message}`],
        fix:
          backend === 'agents'
            ? `Use a key with permission for agents (or "All" permissions) in a project with Agents API access, or switch backend: ${createAssistantCommand()} --api responses.`
            : 'Give the key permission for assistants (or "All" permissions) at https://platform.openai.com/api-keys.',
      };
    }
    if (failure.kind === 'bad-request') {
      return {
        status: 'fail',
        summary: `${apiName} refused ${id} (${failure.status}${failure.code ? ` ${failure.code}` : ''}): ${failure.message}`,
        fix: `Check ${variable}, or run: ${createAssistantCommand()}.`,
      };
    }
    // The key or the connection failed, not the ID: the key check reports that; here it only means "not checked".
    const described = describeKeyOrConnectionFailure(failure, config, requestTimeoutMs);
    const keyProblem = ['bad-key', 'wrong-organization', 'quota', 'rate-limit'].includes(failure.kind);
    if (backend === 'assistants' && config.openai.baseURL === DEFAULT_OPENAI_BASE_URL && now >= new Date(`${ASSISTANTS_API_SUNSET}T00:00:00Z`)) {
      // OpenAI itself no longer serves assistants: no answer is needed to know this one cannot work there.
      return deadId(fromAdvice(assistantsSunsetAdvice(id, variable, now, 'api.openai.com'), [`(Not confirmed online: ${shortReason(failure)}.)`]));
    }
    return {
      status: 'skip',
      summary: `could not look up ${id} (${shortReason(failure)})`,
      detail: [backendNote],
      fix: keyProblem || !described ? 'Fix the "OpenAI API key" problem, then run the doctor again.' : described.fix,
    };
  }

  const object = (found ?? {}) as { id?: unknown; name?: unknown; model?: unknown; tools?: unknown };
  if (typeof object.id !== 'string') {
    const described = describeKeyOrConnectionFailure({ kind: 'not-openai', message: `its answer to GET /${backend}/${id} is not ${backend === 'assistants' ? 'an assistant' : 'an agent'}` }, config, requestTimeoutMs)!;
    return { status: 'skip', summary: `could not look up ${id}: ${described.summary}`, detail: [backendNote], fix: described.fix };
  }
  const name = typeof object.name === 'string' && object.name !== '' ? `"${object.name}"` : '(unnamed)';
  const model = typeof object.model === 'string' ? `, model ${object.model}` : '';
  const tools = toolsFindings(config, object.tools);
  if (backend === 'assistants') {
    return {
      status: tools.status,
      summary: `${id} is an Assistants API assistant ${name}${model}, served by ${where}`,
      detail: [`${sunsetNote} This endpoint still serves it.`, ...tools.detail],
      ...(tools.fix ? { fix: tools.fix } : {}),
    };
  }
  return {
    status: tools.status,
    summary: `${id} is an Agents API agent ${name}${model}`,
    ...(tools.detail.length > 0 ? { detail: tools.detail } : {}),
    ...(tools.fix ? { fix: tools.fix } : {}),
  };
}

/** One tool as the agent lists it: `function book_table`, or its type for a tool that runs by itself (`file_search`). */
function describeTool(tool: unknown): { function?: string; shown: string } {
  const entry = (tool ?? {}) as { type?: unknown; name?: unknown; function?: { name?: unknown } };
  const type = typeof entry.type === 'string' ? entry.type : 'unknown';
  if (type !== 'function') return { shown: type };
  // The Agents and Responses APIs name a function at the top; the Assistants API inside `function`.
  const name = typeof entry.name === 'string' ? entry.name : typeof entry.function?.name === 'string' ? entry.function.name : '(unnamed)';
  return { function: name, shown: `function ${name}` };
}

/**
 * The agent's tools, for the detail; a warning for each function with no TOOLS_URL to answer it, as on a call such a
 * function gets only "not available on phone calls" and the agent has to do without.
 */
function toolsFindings(config: Config, tools: unknown): { status: 'ok' | 'warn'; detail: string[]; fix?: string } {
  const list = Array.isArray(tools) ? tools.map(describeTool) : [];
  if (list.length === 0) return { status: 'ok', detail: Array.isArray(tools) ? ['tools: none'] : [] };
  const detail = [`tools: ${list.map((tool) => tool.shown).join(', ')}`];
  const functions = list.flatMap((tool) => (tool.function ? [tool.function] : []));
  if (functions.length === 0 || config.tools.url) {
    if (functions.length > 0) detail.push(`its functions are answered by TOOLS_URL on a call`);
    return { status: 'ok', detail };
  }
  for (const fn of functions) {
    detail.push(`the agent's function ${fn} will get 'not available on phone calls' on a call; set TOOLS_URL to answer it`);
  }
  return {
    status: 'warn',
    detail,
    fix: "Set TOOLS_URL and TOOLS_SECRET so your endpoint answers the agent's functions (README: \"The agent acts on the call\"), or remove the functions from the agent.",
  };
}

const REASONS: Partial<Record<OpenAIFailure['kind'], string>> = {
  refused: 'connection refused',
  'unknown-host': 'unknown host',
  timeout: 'no answer in time',
  tls: 'TLS certificate not accepted',
  network: 'network error',
  aborted: 'cancelled',
};

/** A few words for why a lookup could not happen: "401 invalid_api_key", "connection refused". */
function shortReason(failure: OpenAIFailure): string {
  if (failure.status !== undefined) return `${failure.status}${failure.code ? ` ${failure.code}` : ''}`;
  return REASONS[failure.kind] ?? failure.message;
}
