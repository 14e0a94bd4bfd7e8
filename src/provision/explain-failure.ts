// Explains why creating the agent failed: one message per cause (bad key, no beta access, endpoint without the
// API, no quota vs a rate limit, a refused request, the network), each with the fix, never with the raw stack.
import type { Config } from '../config/config.js';
import { DEFAULT_ASSISTANT_MODEL } from '../config/defaults.js';
import { ASSISTANTS_API_SUNSET, shutdownPhrase } from '../knowledge/assistant-id-advice.js';
import { classifyOpenAIError, describeBaseURL, describeKeyOrConnectionFailure, type OpenAIFailure } from '../knowledge/openai-failure.js';
import { classifyOpenAIKey, cleanId } from '../knowledge/openai-ids.js';
import { maskSecret } from '../util/mask-secret.js';
import type { ProvisionApi } from './provision-request.js';
import { voicebridgeCommand } from '../util/invocation.js';

export interface ProvisionFailure {
  /** One line: what happened. */
  summary: string;
  /** Further lines: what the API said, why it matters. */
  detail: string[];
  /** What to do. */
  fix: string;
  /** The classified cause, for --json. */
  kind: OpenAIFailure['kind'] | 'assistants-sunset';
  status?: number;
}

export interface FailureContext {
  api: ProvisionApi;
  config: Config;
  model: string;
  now: Date;
  timeoutMs: number;
}

function otherBackends(): string {
  return (
    'Use one of the current backends instead:\n' +
    `  ${voicebridgeCommand('create-assistant --api agents')}      a reusable agent (Agents API), the successor of assistants\n` +
    `  ${voicebridgeCommand('create-assistant --api responses')}   no server object: the instructions go in a file and each call uses the Responses API`
  );
}

const API_TITLE: Record<ProvisionApi, string> = {
  agents: 'the Agents API',
  assistants: 'the Assistants API',
  responses: 'the Responses API',
};

export async function explainProvisionFailure(error: unknown, context: FailureContext): Promise<ProvisionFailure> {
  const failure = await classifyOpenAIError(error);
  const { api, config } = context;
  const key = maskSecret(config.openai.apiKey);
  const where = describeBaseURL(config);
  const said = `OpenAI said: ${failure.message}`;
  const status = failure.status === undefined ? '' : ` (${failure.status}${failure.code ? ` ${failure.code}` : ''})`;
  const base = { kind: failure.kind, ...(failure.status === undefined ? {} : { status: failure.status }) };

  const isAdminKey = config.openai.apiKey !== undefined && classifyOpenAIKey(cleanId(config.openai.apiKey)).kind === 'admin';
  if (isAdminKey && (failure.kind === 'bad-key' || failure.kind === 'missing-scopes' || failure.kind === 'permission-denied')) {
    return {
      ...base,
      summary: `the key ${key} is an admin key${status}: admin keys manage the organization and cannot create agents or call models`,
      detail: [said],
      fix: `Put a project key (sk-proj-…) from https://platform.openai.com/api-keys into OPENAI_API_KEY in ${config.envFile.path}, then run this command again.`,
    };
  }

  switch (failure.kind) {
    case 'bad-key':
      return {
        ...base,
        summary: `OpenAI rejected the API key ${key}${status}: it is wrong, revoked, or from another account`,
        detail: [said],
        fix: `Copy a current key from https://platform.openai.com/api-keys into OPENAI_API_KEY in ${config.envFile.path}, then run this command again.`,
      };
    case 'wrong-organization':
      return {
        ...base,
        summary: `the key ${key} belongs to another organization or project than the one requested${status}`,
        detail: [said],
        fix: 'Remove OPENAI_ORG_ID / OPENAI_PROJECT_ID from your environment, or use a key from that organization.',
      };
    case 'missing-scopes':
      return {
        ...base,
        summary: `the key ${key} is restricted and may not create objects in ${API_TITLE[api]}${status}`,
        detail: [said],
        fix: `At https://platform.openai.com/api-keys give the key Write permission for ${api === 'assistants' ? 'Assistants' : 'Agents'} (or All permissions), or use another key.`,
      };
    case 'permission-denied':
      return {
        ...base,
        summary:
          api === 'agents'
            ? `this key's project has no access to the Agents API beta${status}`
            : `OpenAI refused the key ${key} for ${API_TITLE[api]}${status}`,
        detail: [said],
        fix:
          api === 'agents'
            ? `Use a key from a project with Agents API access, or use the Responses backend, which needs no beta access:\n  ${voicebridgeCommand('create-assistant --api responses')}`
            : "Use a key from a project that may use this API, or ask the project's owner for access.",
      };
    case 'quota':
      return {
        ...base,
        summary: `the key ${key} is valid, but its account has no quota left${status}: retrying will not help`,
        detail: [said],
        fix: 'Add credit or raise the spend limit at https://platform.openai.com/settings/organization/billing (and the project budget under Settings → Limits), then run this command again.',
      };
    case 'rate-limit':
      return {
        ...base,
        summary: `OpenAI is rate-limiting this key right now${status}: nothing was created`,
        detail: [said],
        fix: `Wait ${failure.retryAfterSeconds ? `${failure.retryAfterSeconds} seconds` : 'a minute'} and run this command again. If it keeps happening, something else is using this key heavily.`,
      };
    case 'not-found': {
      const routeMissing = /invalid url/i.test(failure.message);
      if (api === 'assistants' && routeMissing) {
        return {
          ...base,
          kind: 'assistants-sunset',
          summary: `${where} no longer serves the Assistants API: it answered 404 to POST /assistants`,
          detail: [
            `OpenAI's Assistants API (assistants, threads, runs) ${shutdownPhrase(ASSISTANTS_API_SUNSET, context.now, { past: 'was sunset', future: 'will be sunset' })}; an asst_ assistant can no longer be created or used there.`,
          ],
          fix: otherBackends(),
        };
      }
      if (api === 'agents' && routeMissing) {
        return {
          ...base,
          summary: `${where} does not serve the Agents API: it answered 404 to POST /agents`,
          detail: [said],
          fix: `Use OpenAI itself (remove OPENAI_BASE_URL), or the Responses backend, which any OpenAI-compatible endpoint serves:\n  ${voicebridgeCommand('create-assistant --api responses')}`,
        };
      }
      if (failure.code === 'model_not_found') return modelNotFound(failure, context, base);
      return { ...base, summary: `${where} answered 404${status}: ${failure.message}`, detail: [], fix: 'Check OPENAI_BASE_URL, or remove it to use OpenAI itself.' };
    }
    case 'bad-request':
      if (failure.code === 'model_not_found' || /model/i.test(failure.code ?? '')) return modelNotFound(failure, context, base);
      return {
        ...base,
        summary: `OpenAI refused the request${status}: ${failure.message}`,
        detail: [],
        fix: 'Check the values given to --name, --model and the instructions against that message, then run this command again.',
      };
    case 'server':
      return {
        ...base,
        summary: `${where} had a server error${status}: ${failure.message}`,
        detail: [],
        fix: 'OpenAI may be having an outage: see https://status.openai.com and run this command again in a few minutes.',
      };
    case 'network':
      return {
        ...base,
        summary: `could not reach ${where}: ${failure.message}`,
        detail: [],
        fix: 'Check your internet connection, proxy and firewall, and OPENAI_BASE_URL if you set it, then run this command again.',
      };
    default: {
      const described = describeKeyOrConnectionFailure(failure, config, context.timeoutMs);
      return {
        ...base,
        summary: described?.summary ?? `${where} answered${status}: ${failure.message}`,
        detail: [],
        fix: described?.fix ?? `Run ${voicebridgeCommand('doctor')} to see what is wrong with the OpenAI setup.`,
      };
    }
  }
}

function modelNotFound(failure: OpenAIFailure, context: FailureContext, base: Pick<ProvisionFailure, 'kind' | 'status'>): ProvisionFailure {
  return {
    ...base,
    summary: `the model "${context.model}" does not exist or this key cannot use it (${[failure.status, failure.code].filter(Boolean).join(' ')})`,
    detail: [`OpenAI said: ${failure.message}`],
    fix: `Choose a model this key can use with --model (the default is ${DEFAULT_ASSISTANT_MODEL}: current, fast, no announced shutdown).`,
  };
}
