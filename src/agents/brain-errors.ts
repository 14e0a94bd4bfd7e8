// Turns whatever an agent backend throws (SDK errors, failed turns, `error` events in a stream) into a BrainError: a
// kind the call can act on, what happened, and the doctor's own explanation and fix for the log — so the seed's
// 400 reads as "a workflow ID was used as an assistant ID", not as a stack trace.
import type { Config } from '../config/config.js';
import {
  agentNotFoundAdvice,
  assistantNotInProjectAdvice,
  assistantsSunsetAdvice,
  createAssistantCommand,
  workflowAdvice,
  type Advice,
} from '../knowledge/assistant-id-advice.js';
import { classifyOpenAIError, describeBaseURL, describeKeyOrConnectionFailure, type OpenAIFailure } from '../knowledge/openai-failure.js';
import { cleanId } from '../knowledge/openai-ids.js';
import { redactSecrets } from '../util/mask-secret.js';
import { BrainError, type BrainBackend, type BrainErrorKind } from './brain.js';
import { voicebridgeCommand } from '../util/invocation.js';

export interface BrainErrorContext {
  config: Config;
  backend: BrainBackend;
  /** What was being done, as the start of a sentence: "creating the agent session", "the agent's reply". */
  action: string;
  /** The time the advice is worded for (shutdown dates read "shut down on …" or "shuts down on … (in N days)"). */
  now?: Date;
  /** The request timeout in use, for the wording of a timeout. */
  timeoutMs?: number;
}

/** The 429 and turn-failure codes that mean "no money left": retrying never helps. */
const QUOTA_CODES = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'project_spend_limit_exceeded',
  'organization_spend_limit_exceeded',
  'organization_usage_limit_exceeded',
  'usage_limit_exceeded',
  'billing_not_active',
  'billing_hard_limit_reached',
  'session_budget_exceeded',
]);

const TURN_FAILURE_KINDS: Record<string, BrainErrorKind> = {
  rate_limit_exceeded: 'rate-limit',
  authentication_error: 'auth',
  resource_not_found: 'not-found',
  model_not_found: 'not-found',
  request_timeout: 'timeout',
  connection_failed: 'network',
  invalid_request: 'bad-request',
  invalid_prompt: 'bad-request',
  context_length_exceeded: 'bad-request',
  max_output_tokens: 'bad-request',
  cyber_policy: 'bad-request',
  misalignment_policy_violation: 'bad-request',
  active_turn_not_steerable: 'bad-request',
  server_error: 'server',
  server_overloaded: 'server',
  flex_unavailable: 'server',
  internal_error: 'server',
  sandbox_error: 'server',
  executor_version_incompatible: 'server',
};

/** One line for the log: the advice's summary, details and fix, without line breaks. */
export function adviceText(advice: Advice): string {
  const fix = /^Run:/.test(advice.fix) ? advice.fix : `Fix: ${advice.fix}`;
  return [`${advice.summary}.`, ...advice.detail, fix].join(' ').replace(/\s*\n\s*/g, ' ');
}

function make(context: BrainErrorContext, kind: BrainErrorKind, message: string, explanation: string | undefined, cause?: unknown): BrainError {
  const secrets = context.config.secrets;
  return new BrainError(kind, redactSecrets(message, secrets), explanation === undefined ? undefined : redactSecrets(explanation, secrets), { cause });
}

function idVariable(context: BrainErrorContext): string {
  return context.config.assistant.idVariable ?? 'ASSISTANT_ID';
}

function configuredId(context: BrainErrorContext): string {
  return cleanId(context.config.assistant.id ?? '');
}

/** The explanation for a failure whose code names the cause (a failed turn, a stream `error` event). */
function explainCode(kind: BrainErrorKind, code: string): string {
  switch (kind) {
    case 'quota':
      return (
        'The OpenAI account behind OPENAI_API_KEY has no quota left: every reply fails until billing is fixed, and retrying will not help. ' +
        'Fix: add credit or raise the spend limit at https://platform.openai.com/settings/organization/billing (and the project budget under Settings → Limits).'
      );
    case 'rate-limit':
      return "OpenAI is rate-limiting this key right now; the next turns may work. If it persists, something else uses this key heavily or the project's rate limits are low (Settings → Limits).";
    case 'auth':
      return `OpenAI refused the credentials for this turn. Fix: run ${voicebridgeCommand('doctor')} to check OPENAI_API_KEY.`;
    case 'not-found':
      return `A model or resource the agent needs is not available to this key. Fix: check the agent's model with ${voicebridgeCommand('doctor')}.`;
    case 'timeout':
      return 'OpenAI took too long to answer this turn; usually temporary (see https://status.openai.com).';
    case 'network':
      return "OpenAI could not reach the model service for this turn; usually temporary (see https://status.openai.com).";
    case 'bad-request':
      return code === 'context_length_exceeded'
        ? 'The conversation grew longer than the model can read. Fix: use a model with a larger context window, or shorter instructions.'
        : `The agent could not answer this input (${code}). Fix: check the agent's instructions, tools and model with ${voicebridgeCommand('doctor')}.`;
    default:
      return 'OpenAI had a problem producing the reply; usually temporary (see https://status.openai.com).';
  }
}

/** A turn that ended as failed (an agent turn, an Assistants run, a response), or an `error` event in its stream. */
export function turnFailedError(failure: { code?: string | null; message?: string | null } | null | undefined, context: BrainErrorContext): BrainError {
  const code = failure?.code ?? 'server_error';
  const kind: BrainErrorKind = QUOTA_CODES.has(code) ? 'quota' : (TURN_FAILURE_KINDS[code] ?? 'server');
  const message = failure?.message ? `${context.action} failed (${code}): ${failure.message}` : `${context.action} failed (${code})`;
  return make(context, kind, message, explainCode(kind, code));
}

/** The error a turn ends with when the call aborted it (barge-in, hang-up, the bridge's deadline). */
export function abortedError(action: string): BrainError {
  return new BrainError('aborted', `${action} was cancelled`);
}

function explainBadRequest(failure: OpenAIFailure, error: unknown, context: BrainErrorContext): BrainError {
  const variable = idVariable(context);
  const seed = /Invalid 'assistant_id': '([^']*)'\. Expected an ID that begins with 'asst'/.exec(failure.message);
  if (seed) {
    const id = seed[1] ?? configuredId(context);
    if (id.startsWith('wf_')) {
      return make(context, 'bad-request', `a workflow ID was used as an assistant ID: OpenAI answered "${failure.status} ${failure.message}"`, adviceText(workflowAdvice(id, variable, context.now ?? new Date())), error);
    }
    return make(
      context,
      'bad-request',
      `${variable} (${id}) is not an assistant ID: OpenAI answered "${failure.status} ${failure.message}"`,
      `The Assistants API takes only assistant IDs (asst_…). Fix: put an assistant or agent ID in ${variable}, or run: ${createAssistantCommand()}.`,
      error,
    );
  }
  if (failure.code === 'model_not_found') {
    return make(context, 'bad-request', `${context.action} failed: ${failure.message}`, `Fix: set ASSISTANT_MODEL to a model this key can use (${voicebridgeCommand('doctor')} lists the current ones); now ${context.config.assistant.model}.`, error);
  }
  if (failure.code === 'active_turn_not_steerable' || /active run|while a run|running turn/i.test(failure.message)) {
    return make(context, 'bad-request', `${context.action} failed: the agent was still busy with the previous reply (${failure.message})`, 'The previous turn had not finished or been cancelled at OpenAI yet; the next utterance will try again.', error);
  }
  return make(context, 'bad-request', `${context.action} failed: OpenAI refused the request (${failure.status ?? 400}): ${failure.message}`, `Fix: run ${voicebridgeCommand('doctor')} to check the configuration.`, error);
}

function explainNotFound(failure: OpenAIFailure, error: unknown, context: BrainErrorContext): BrainError {
  const variable = idVariable(context);
  const id = configuredId(context);
  const now = context.now ?? new Date();
  if (context.backend === 'assistants' && /^Invalid URL/.test(failure.message)) {
    return make(
      context,
      'not-found',
      `${context.action} failed: ${describeBaseURL(context.config)} no longer serves the Assistants API (404 ${failure.message})`,
      adviceText(assistantsSunsetAdvice(id, variable, now, describeBaseURL(context.config))),
      error,
    );
  }
  if (context.backend === 'assistants' && /No assistant found/i.test(failure.message)) {
    return make(context, 'not-found', `${context.action} failed: ${failure.message}`, adviceText(assistantNotInProjectAdvice(id, variable)), error);
  }
  if (context.backend === 'agents' && /No agent found/i.test(failure.message)) {
    return make(context, 'not-found', `${context.action} failed: ${failure.message}`, adviceText(agentNotFoundAdvice(id, variable)), error);
  }
  if (failure.code === 'model_not_found') {
    return make(context, 'not-found', `${context.action} failed: ${failure.message}`, `Fix: set ASSISTANT_MODEL to a model this key can use (${voicebridgeCommand('doctor')} lists the current ones).`, error);
  }
  return make(
    context,
    'not-found',
    `${context.action} failed: OpenAI answered 404: ${failure.message}`,
    `The call's conversation (or something it needs) no longer exists at OpenAI. Fix: run ${voicebridgeCommand('doctor')}; if it passes, the next call starts afresh.`,
    error,
  );
}

const FAILURE_KINDS: Partial<Record<OpenAIFailure['kind'], BrainErrorKind>> = {
  'bad-key': 'auth',
  'wrong-organization': 'auth',
  'missing-scopes': 'auth',
  'permission-denied': 'auth',
  quota: 'quota',
  'rate-limit': 'rate-limit',
  refused: 'network',
  'unknown-host': 'network',
  tls: 'network',
  network: 'network',
  timeout: 'timeout',
  server: 'server',
  'not-openai': 'server',
};

/** Maps anything a backend call threw to a BrainError with the doctor's explanation. */
export async function toBrainError(error: unknown, context: BrainErrorContext): Promise<BrainError> {
  if (error instanceof BrainError) return error;
  const sdk = await import('openai');
  if (error instanceof sdk.APIUserAbortError || (error instanceof Error && error.name === 'AbortError')) return abortedError(context.action);
  const isTransport = error instanceof sdk.APIConnectionError;
  if (error instanceof sdk.APIError && error.status === undefined && !isTransport) {
    // An `error` event inside a stream: OpenAI's error body, with no HTTP status.
    const body = (error.error ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof error.code === 'string' ? error.code : typeof body.code === 'string' ? body.code : typeof error.type === 'string' ? error.type : null;
    const message = typeof body.message === 'string' ? body.message : error.message;
    return turnFailedError({ code, message }, context);
  }
  if (!(error instanceof sdk.APIError)) {
    const message = error instanceof Error ? error.message : String(error);
    return make(context, 'unknown', `${context.action} failed: ${message}`, `OpenAI answered in a way the bridge could not follow. Fix: run ${voicebridgeCommand('doctor')}; if it passes, report this message.`, error);
  }

  const failure = await classifyOpenAIError(error);
  if (failure.kind === 'bad-request') return explainBadRequest(failure, error, context);
  if (failure.kind === 'not-found') return explainNotFound(failure, error, context);
  if (failure.kind === 'aborted') return abortedError(context.action);
  const kind = FAILURE_KINDS[failure.kind];
  const described = describeKeyOrConnectionFailure(failure, context.config, context.timeoutMs ?? 30_000);
  if (kind && described) return make(context, kind, `${context.action} failed: ${described.summary}`, `Fix: ${described.fix}`, error);
  if (failure.status === 409) return make(context, 'bad-request', `${context.action} failed: ${failure.message}`, 'The agent was busy with another request; the next utterance will try again.', error);
  return make(context, 'unknown', `${context.action} failed: OpenAI answered ${failure.status ?? 'without a status'}: ${failure.message}`, `Fix: run ${voicebridgeCommand('doctor')}.`, error);
}
