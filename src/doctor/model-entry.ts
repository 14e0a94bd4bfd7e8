// Finds a model's entry for the doctor's model checks: in the models list the key check already fetched (no request
// at all), else with GET /models/{model}. A lookup that cannot be made is worded in the doctor's terms.
import type OpenAI from 'openai';
import { createOpenAIClient } from '../clients/openai-client.js';
import type { Config } from '../config/config.js';
import { readShutdownDate, type ListedModel } from '../models/model-lifecycle.js';
import { classifyOpenAIError, describeKeyOrConnectionFailure } from '../knowledge/openai-failure.js';

export type ModelEntry =
  /** The model's entry, from the shared list or from its own lookup. */
  | { kind: 'found'; entry: ListedModel }
  /** GET /models/{model} answered 404: this key cannot use the model. */
  | { kind: 'missing'; code?: string }
  /** The lookup itself failed (key, connection, an answer that is not OpenAI's). */
  | { kind: 'unknown'; status: 'warn' | 'fail'; line: string; fix: string };

export type ModelFinder = (model: string) => Promise<ModelEntry>;

/** A finder over the shared list that makes at most one client, and asks only about models the list lacks. */
export function createModelFinder(config: Config, models: readonly ListedModel[] | undefined, signal: AbortSignal, requestTimeoutMs: number): ModelFinder {
  let client: OpenAI | undefined;
  return async (model) => {
    const listed = models?.find((candidate) => candidate.id === model);
    if (listed) return { kind: 'found', entry: listed };
    try {
      client ??= await createOpenAIClient(config, { maxRetries: 0, timeoutMs: requestTimeoutMs });
      const found: unknown = await client.models.retrieve(model, { signal });
      const id = (found as { id?: unknown } | null)?.id;
      const shutdown = (found as { shutdown_date?: unknown } | null)?.shutdown_date;
      if (typeof id !== 'string') {
        const described = describeKeyOrConnectionFailure({ kind: 'not-openai', message: 'its answer is not a model' }, config, requestTimeoutMs)!;
        return { kind: 'unknown', status: 'fail', line: `could not look up ${model}: ${described.summary}`, fix: described.fix };
      }
      return { kind: 'found', entry: { id, shutdown_date: readShutdownDate(shutdown) } };
    } catch (error) {
      const failure = await classifyOpenAIError(error);
      if (failure.kind === 'not-found') return failure.code ? { kind: 'missing', code: failure.code } : { kind: 'missing' };
      const described = describeKeyOrConnectionFailure(failure, config, requestTimeoutMs);
      return {
        kind: 'unknown',
        status: described?.status ?? 'fail',
        line: `could not look up ${model}: ${described?.summary ?? failure.message}`,
        fix: described?.fix ?? 'Run the doctor again; if it persists, check OPENAI_BASE_URL.',
      };
    }
  };
}
