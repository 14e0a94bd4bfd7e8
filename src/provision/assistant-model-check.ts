// Whether `create-assistant` may create an agent on a model: one GET /models, the model's shutdown_date judged by
// model-lifecycle.ts as the doctor and serve judge it. A model given on purpose is refused once shut down (or when the
// key cannot use it) and warned about within 90 days; the default is never used while it is going away: a current
// successor takes its place. A lookup that fails does not stop anything: the create call reports real errors.
import type OpenAI from 'openai';
import type { Config } from '../config/config.js';
import { classifyOpenAIError, describeKeyOrConnectionFailure } from '../knowledge/openai-failure.js';
import {
  describeModelLifecycle,
  lifecycleSeverity,
  modelLifecycle,
  modelLifecycleHeadline,
  type ListedModel,
  type ModelLifecycle,
} from '../models/model-lifecycle.js';
import { fetchModelList, modelLifecycles } from '../models/model-list.js';
import type { Clock } from '../util/clock.js';
import { voicebridgeCommand } from '../util/invocation.js';

/**
 * Agent models of the current family, fastest first: a phone caller waits for every token, so the fastest model
 * with no announced shutdown is the one to move to when the default is going away.
 */
export const CURRENT_AGENT_MODELS: readonly string[] = ['gpt-6-luna', 'gpt-6.1-terra', 'gpt-6.1-sol', 'gpt-6-sol'];

export type AssistantModelVerdict =
  /** The model has no shutdown date, or one more than 90 days away. */
  | { kind: 'current'; model: string; lifecycle: ModelLifecycle }
  /** A model chosen on purpose that shuts down within 90 days: created as asked, with a warning. */
  | { kind: 'retiring'; model: string; lifecycle: ModelLifecycle; warning: string }
  /** The default was going away: `model` is its current successor, and `note` says so. */
  | { kind: 'replaced'; model: string; lifecycle: ModelLifecycle; replaced: ModelLifecycle; note: string }
  /** Shut down, or not available to this key: nothing may be created on it. */
  | { kind: 'refused'; lifecycle: ModelLifecycle; summary: string; fix: string }
  /** The models list could not be read: go on, and say the date was not checked. */
  | { kind: 'unchecked'; model: string; warning: string };

export interface AssistantModelCheckOptions {
  clock: Clock;
  /** True when the model was given (--model, or typed at the question); false when it is the default. */
  chosen: boolean;
  /** For wording a failed lookup the doctor's way. */
  config: Config;
  timeoutMs: number;
  /** On a terminal: asks which model to use instead of a default that is going away (the successor is the default). */
  ask?: (question: string, defaultValue: string) => Promise<string>;
}

/** Judges `model` for a new agent from one GET /models (and GET /models/{id} only for a model that list lacks). */
export async function checkAssistantModel(client: OpenAI, model: string, options: AssistantModelCheckOptions): Promise<AssistantModelVerdict> {
  let models: ListedModel[];
  try {
    models = await fetchModelList(client);
  } catch (error) {
    return unchecked(model, error, options);
  }
  return judgeListed(client, model, models, options);
}

async function judgeListed(client: OpenAI, model: string, models: ListedModel[], options: AssistantModelCheckOptions): Promise<AssistantModelVerdict> {
  let lifecycle: ModelLifecycle;
  try {
    [lifecycle] = (await modelLifecycles(client, [{ model, role: 'agent' }], options.clock, { models })) as [ModelLifecycle];
  } catch (error) {
    return unchecked(model, error, options);
  }
  return judge(client, model, lifecycle, models, options);
}

async function unchecked(model: string, error: unknown, options: AssistantModelCheckOptions): Promise<AssistantModelVerdict> {
  const failure = await classifyOpenAIError(error);
  const reason = describeKeyOrConnectionFailure(failure, options.config, options.timeoutMs)?.summary ?? failure.message;
  return {
    kind: 'unchecked',
    model,
    warning: `Could not check whether ${model} is retiring (the models list could not be read: ${reason}). Going on; run ${voicebridgeCommand('doctor')} afterwards to check its shutdown date.`,
  };
}

async function judge(client: OpenAI, model: string, lifecycle: ModelLifecycle, models: ListedModel[], options: AssistantModelCheckOptions): Promise<AssistantModelVerdict> {
  const severity = lifecycleSeverity(lifecycle);
  if (severity === 'ok') return { kind: 'current', model, lifecycle };
  const successor = currentSuccessor(lifecycle, models, options.clock);

  if (options.chosen) {
    if (severity === 'warn') {
      const instead = successor ? ` (run again with --model ${successor} to avoid the date)` : '';
      return { kind: 'retiring', model, lifecycle, warning: `${describeModelLifecycle(lifecycle)}. Creating it on ${model} as asked${instead}.` };
    }
    return {
      kind: 'refused',
      lifecycle,
      summary: modelLifecycleHeadline(lifecycle),
      fix: successor
        ? `Run again with --model ${successor} (no shutdown announced).`
        : 'Run again with --model <a model with no shutdown date> (GET /v1/models lists each model with its shutdown_date).',
    };
  }

  // The default is going away on this endpoint: never create on it.
  const headline = modelLifecycleHeadline(lifecycle);
  if (!successor) {
    return {
      kind: 'refused',
      lifecycle,
      summary: `the default model ${headline}, and none of ${CURRENT_AGENT_MODELS.join(', ')} is available without a shutdown date`,
      fix: 'Run again with --model <a model with no shutdown date> (GET /v1/models lists each model with its shutdown_date).',
    };
  }
  if (options.ask) {
    const answer = (await options.ask(`The default model ${headline}. Model to use instead`, successor)).trim();
    if (answer !== successor) return judgeListed(client, answer, models, { ...options, chosen: true, ask: undefined });
  }
  return {
    kind: 'replaced',
    model: successor,
    lifecycle: modelLifecycle(successor, models, options.clock, { role: 'agent' }),
    replaced: lifecycle,
    note: `The default model ${headline}. Using ${successor} instead (no shutdown announced); pass --model to choose another.`,
  };
}

/** The successor to offer: the known one if this key can use it with no shutdown date, else the fastest current model. */
function currentSuccessor(lifecycle: ModelLifecycle, models: readonly ListedModel[], clock: Clock): string | undefined {
  const candidates = [lifecycle.replacement, ...CURRENT_AGENT_MODELS].filter((candidate): candidate is string => Boolean(candidate));
  return candidates.find((candidate) => {
    if (candidate === lifecycle.model) return false;
    const judged = modelLifecycle(candidate, models, clock, { role: 'agent' });
    return judged.state === 'current' && judged.shutdownDate === undefined;
  });
}

/** The model's shutdown date as the summary before creating shows it: "none announced", "2027-01-14 (51 days left)". */
export function shutdownNote(verdict: AssistantModelVerdict): string {
  if (verdict.kind === 'unchecked') return 'not checked (the models list could not be read)';
  const { shutdownDate, daysLeft } = verdict.lifecycle;
  if (!shutdownDate) return verdict.lifecycle.state === 'current' || verdict.lifecycle.state === 'retiring' ? 'none announced' : 'no longer listed';
  return daysLeft !== undefined && daysLeft > 0 ? `${shutdownDate} (${daysLeft} day${daysLeft === 1 ? '' : 's'} left)` : `${shutdownDate} (passed)`;
}
