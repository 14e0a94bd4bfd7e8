// Check: the OpenAI API key. Its format first, then one GET /models (no retries) that tells a bad key from a wrong
// organization, a missing scope, an empty account, a rate limit or a base URL that is not the OpenAI API.
// The models it lists go into facts.models, so later checks need no request of their own.
import { createOpenAIClient } from '../../clients/openai-client.js';
import type { Config } from '../../config/config.js';
import { DEFAULT_OPENAI_BASE_URL } from '../../config/defaults.js';
import { classifyOpenAIKey, cleanId, type OpenAIKeyKind } from '../../knowledge/openai-ids.js';
import { readShutdownDate } from '../../models/model-lifecycle.js';
import { maskSecret } from '../../util/mask-secret.js';
import type { Check, CheckResult } from '../check.js';
import { classifyOpenAIError, describeBaseURL, describeKeyOrConnectionFailure, wrongBaseURLFix, type OpenAIFailure } from '../../knowledge/openai-failure.js';
import { redactResult } from '../redact-result.js';

/** One entry of GET /models, as the other checks use it. */
export interface ListedModel {
  id: string;
  /** YYYY-MM-DD, or null when no shutdown is announced. */
  shutdown_date: string | null;
}

/** The models list the key check fetched, or undefined when it has none (the check failed or was rate-limited). */
export function listedModels(result: CheckResult | undefined): ListedModel[] | undefined {
  const models = result?.facts?.models;
  return Array.isArray(models) ? (models as ListedModel[]) : undefined;
}

const KEY_KIND_NAMES: Record<OpenAIKeyKind, string> = {
  project: 'project key',
  'service-account': 'service account key',
  user: 'user key',
  admin: 'admin key',
  invalid: 'not a key',
};

/** Text only an example has: real keys are long random strings without these. */
const KEY_PLACEHOLDER = /\.\.\.|…|<|>|your[-_ ]?(openai[-_ ]?)?(api[-_ ]?)?key|changeme|replace[-_ ]?me|placeholder|x{6,}/i;

export interface OpenAIKeyCheckOptions {
  /** How long GET /models may take; the check's own timeout is a little longer, so this message wins. */
  requestTimeoutMs?: number;
}

export function createOpenAIKeyCheck(options: OpenAIKeyCheckOptions = {}): Check {
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  return {
    id: 'openai-key',
    title: 'OpenAI API key',
    online: true,
    timeoutMs: requestTimeoutMs + 2_000,
    async run({ config, signal }) {
      return redactResult(await checkOpenAIKey(config, signal, requestTimeoutMs), config.secrets);
    },
  };
}

export const openaiKeyCheck = createOpenAIKeyCheck();

async function checkOpenAIKey(config: Config, signal: AbortSignal, requestTimeoutMs: number): Promise<CheckResult> {
  const raw = config.openai.apiKey;
  if (raw === undefined || raw.trim() === '') {
    return {
      status: 'fail',
      summary: 'OPENAI_API_KEY is not set',
      fix: 'Create a project key at https://platform.openai.com/api-keys and add it to .env: OPENAI_API_KEY=sk-proj-…',
    };
  }
  const masked = maskSecret(raw);
  if (KEY_PLACEHOLDER.test(raw)) {
    return {
      status: 'fail',
      summary: 'OPENAI_API_KEY is still a placeholder from an example, not a key',
      fix: 'Create a project key at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY.',
    };
  }
  if (/^\s*['"]?sk-ant-/.test(raw)) {
    return {
      status: 'fail',
      summary: `OPENAI_API_KEY holds an Anthropic key (${masked}), not an OpenAI key`,
      fix: 'Create an OpenAI project key at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY.',
    };
  }
  const format = classifyOpenAIKey(raw);
  if (format.kind === 'invalid') {
    const cleaned = cleanId(raw);
    const cosmetic = cleaned !== raw && classifyOpenAIKey(cleaned).kind !== 'invalid';
    return {
      status: 'fail',
      summary: `OPENAI_API_KEY ${format.problem}${cosmetic ? ', so OpenAI would reject it' : ''}`,
      ...(config.sources.OPENAI_API_KEY === 'process' ? { detail: ['The value comes from your shell environment, which wins over .env.'] } : {}),
      fix: cosmetic
        ? `Write the key alone, with no quotes or spaces: OPENAI_API_KEY=${maskSecret(cleaned)} (the full key, as copied).`
        : `Put an OpenAI API key in OPENAI_API_KEY (it starts with sk-proj-, sk-svcacct- or sk-); create one at https://platform.openai.com/api-keys.`,
    };
  }
  if (format.kind === 'admin') {
    return {
      status: 'fail',
      summary: `OPENAI_API_KEY is an admin key (${masked}): admin keys manage the organization and cannot call the model APIs`,
      fix: 'Create a project key (sk-proj-…) at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY.',
    };
  }
  const baseProblem = baseURLProblem(config.openai.baseURL);
  if (baseProblem) {
    return {
      status: 'fail',
      summary: `OPENAI_BASE_URL=${config.openai.baseURL} ${baseProblem}`,
      fix: `Write it as a full URL, e.g. OPENAI_BASE_URL=${DEFAULT_OPENAI_BASE_URL}, or remove it to use OpenAI directly.`,
    };
  }

  const where = describeBaseURL(config);
  let response: Response;
  try {
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: requestTimeoutMs });
    response = await client.models.list({ signal }).asResponse();
  } catch (error) {
    return describeFailure(await classifyOpenAIError(error), config, requestTimeoutMs);
  }

  const text = await response.text();
  const models = parseModelList(text);
  if (!models) {
    return describeFailure({ kind: 'not-openai', message: describeOddAnswer(response, text) }, config, requestTimeoutMs);
  }

  const kindName = KEY_KIND_NAMES[format.kind];
  const detail: string[] = [];
  if (where !== 'api.openai.com') detail.push(`Endpoint: ${config.openai.baseURL}`);
  if (format.kind === 'user') detail.push('A user key (sk-…) works; project keys (sk-proj-…) are what OpenAI issues today.');
  if (models.length === 0) {
    return {
      status: 'warn',
      summary: `the key ${masked} (${kindName}) works, but it sees no models`,
      detail,
      fix: "The key's project may restrict which models it can use: check project Settings → Limits at https://platform.openai.com.",
      facts: { models },
    };
  }
  return {
    status: 'ok',
    summary: `the key ${masked} (${kindName}) works; ${models.length} models available`,
    detail,
    facts: { models },
  };
}

function describeFailure(failure: OpenAIFailure, config: Config, requestTimeoutMs: number): CheckResult {
  const where = describeBaseURL(config);
  if (failure.kind === 'not-found') {
    return {
      status: 'fail',
      summary: `${where} has no /models (404: ${failure.message}): it is not the base URL of an OpenAI API`,
      fix: wrongBaseURLFix(config),
    };
  }
  const described = describeKeyOrConnectionFailure(failure, config, requestTimeoutMs);
  if (described) return described;
  return {
    status: 'fail',
    summary: `${where} answered ${failure.status ?? 'an error'}${failure.code ? ` ${failure.code}` : ''} to GET /models: ${failure.message}`,
    fix: 'Check OPENAI_API_KEY and OPENAI_BASE_URL, then run the doctor again.',
  };
}

function baseURLProblem(baseURL: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `uses ${url.protocol} where http: or https: is needed`;
  return undefined;
}

/** The models of a GET /models answer, or undefined when the answer is not an OpenAI model list. */
function parseModelList(text: string): ListedModel[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const models: ListedModel[] = [];
  for (const entry of data) {
    const { id, shutdown_date: shutdownDate } = (entry ?? {}) as { id?: unknown; shutdown_date?: unknown };
    if (typeof id !== 'string') return undefined;
    models.push({ id, shutdown_date: readShutdownDate(shutdownDate) });
  }
  return models;
}

/** A few words on what came back instead of a model list: an HTML page, an empty answer, some other JSON. */
function describeOddAnswer(response: Response, text: string): string {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (text.trim() === '') return `it returned an empty answer with status ${response.status}`;
  if (type === 'text/html' || /^\s*<(!doctype|html)/i.test(text)) {
    const title = /<title>([^<]{1,80})<\/title>/i.exec(text)?.[1]?.trim();
    return `it returned a web page${title ? ` titled "${title}"` : ''} instead of JSON`;
  }
  if (type.includes('json')) return 'its JSON answer has no model list';
  return `it returned ${type || 'text'} instead of JSON`;
}
