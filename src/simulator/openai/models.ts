// Fake /v1/models and /v1/models/{id}, each model with its shutdown_date (YYYY-MM-DD or null).
import { sendJson } from '../http-fake.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError } from './openai-errors.js';

export interface FakeModel {
  id: string;
  shutdown_date: string | null;
  owned_by?: string;
}

/** A model list like OpenAI's in late 2026. */
export const DEFAULT_FAKE_MODELS: FakeModel[] = [
  { id: 'gpt-realtime-2.1', shutdown_date: null },
  { id: 'gpt-realtime-2.1-mini', shutdown_date: null },
  { id: 'gpt-realtime', shutdown_date: '2027-01-20' },
  { id: 'gpt-realtime-mini', shutdown_date: '2027-01-20' },
  { id: 'gpt-transcribe', shutdown_date: null },
  { id: 'gpt-4o-transcribe', shutdown_date: '2027-02-26' },
  { id: 'gpt-live-1', shutdown_date: null },
  { id: 'gpt-6-luna', shutdown_date: null },
  { id: 'gpt-6.1-terra', shutdown_date: null },
  { id: 'gpt-6.1-sol', shutdown_date: null },
  { id: 'gpt-5', shutdown_date: '2026-12-11' },
  { id: 'gpt-5-mini', shutdown_date: '2026-12-11' },
  { id: 'gpt-4o', shutdown_date: '2027-01-14' },
  { id: 'gpt-4.1', shutdown_date: '2027-01-14' },
];

function toWire(model: FakeModel) {
  return { id: model.id, object: 'model', created: 1_760_000_000, owned_by: model.owned_by ?? 'system', shutdown_date: model.shutdown_date };
}

export function installModelRoutes(fake: FakeOpenAI): void {
  if (fake.models.length === 0) fake.models = DEFAULT_FAKE_MODELS.map((model) => ({ ...model }));
  fake.api('GET', '/models', (_request, response) => {
    sendJson(response, 200, { object: 'list', data: fake.models.map(toWire) });
  });
  fake.api('GET', '/models/:model', (request, response) => {
    const model = fake.models.find((candidate) => candidate.id === request.params.model);
    if (!model) {
      sendOpenAIError(response, 404, {
        message: `The model '${request.params.model}' does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        code: 'model_not_found',
      });
      return;
    }
    sendJson(response, 200, toWire(model));
  });
}
