// Reads which models OpenAI offers, with their shutdown dates, for model-lifecycle.ts: one GET /models for the whole
// list, and GET /models/{id} only to confirm a model the list lacks. Errors from the SDK are left to the caller.
//
//   const lifecycles = await modelLifecycles(client, [{ model: config.openai.realtimeModel, role: 'realtime' }], clock);
import type OpenAI from 'openai';
import type { Clock } from '../util/clock.js';
import { modelLifecycle, readShutdownDate, type ListedModel, type ModelLifecycle, type ModelRole } from './model-lifecycle.js';

export interface ModelListRequestOptions {
  signal?: AbortSignal;
}

function toListedModel(raw: unknown): ListedModel | undefined {
  const { id, shutdown_date: shutdownDate } = (raw ?? {}) as { id?: unknown; shutdown_date?: unknown };
  if (typeof id !== 'string') return undefined;
  return { id, shutdown_date: readShutdownDate(shutdownDate) };
}

/** Every model this key can use, with its shutdown date (one GET /models). */
export async function fetchModelList(client: OpenAI, options: ModelListRequestOptions = {}): Promise<ListedModel[]> {
  const models: ListedModel[] = [];
  for await (const raw of client.models.list({ signal: options.signal })) {
    const model = toListedModel(raw);
    if (model) models.push(model);
  }
  return models;
}

/** One model's entry (GET /models/{id}), or undefined when the API answers 404: it does not exist for this key. */
export async function retrieveListedModel(client: OpenAI, model: string, options: ModelListRequestOptions = {}): Promise<ListedModel | undefined> {
  try {
    const found = toListedModel(await client.models.retrieve(model, { signal: options.signal }));
    if (!found) throw new Error(`The answer to GET /models/${model} is not a model: check OPENAI_BASE_URL.`);
    return found;
  } catch (error) {
    const { NotFoundError } = await import('openai');
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

export interface WantedModel {
  model: string;
  role?: ModelRole;
}

/**
 * The lifecycle of each wanted model, in order: one GET /models (or the list the caller already has), then
 * GET /models/{id} for each model the list lacks, so a model missing from the list is confirmed before it is refused.
 */
export async function modelLifecycles(
  client: OpenAI,
  wanted: readonly WantedModel[],
  clock: Clock,
  options: ModelListRequestOptions & { models?: readonly ListedModel[] } = {},
): Promise<ModelLifecycle[]> {
  const models = [...(options.models ?? (await fetchModelList(client, options)))];
  const missing = new Set<string>();
  for (const { model } of wanted) {
    if (missing.has(model) || models.some((listed) => listed.id === model)) continue;
    const found = await retrieveListedModel(client, model, options);
    if (found) models.push(found);
    else missing.add(model);
  }
  return wanted.map(({ model, role }) => modelLifecycle(model, models, clock, role ? { role } : {}));
}
