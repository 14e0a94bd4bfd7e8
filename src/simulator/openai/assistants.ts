// Fake Assistants API objects (POST/GET/DELETE /assistants). With `assistantsApi: 'sunset'` the fake answers as
// OpenAI has since 2026-08-26: every /assistants and /threads path is a 404 "Invalid URL".
import { sendJson } from '../http-fake.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError } from './openai-errors.js';
import { fakeId } from './ids.js';

export interface FakeAssistant {
  id: string;
  object: 'assistant';
  created_at: number;
  name: string | null;
  description: null;
  model: string;
  instructions: string | null;
  tools: unknown[];
  metadata: Record<string, string>;
}

export function installAssistantRoutes(fake: FakeOpenAI, assistants: Map<string, FakeAssistant>): void {
  const sunsetAnswer = (method: string, path: string, response: Parameters<typeof sendJson>[0]): boolean => {
    if (fake.assistantsApi !== 'sunset') return false;
    sendOpenAIError(response, 404, { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', code: null });
    return true;
  };

  fake.api('POST', '/assistants', (request, response) => {
    if (sunsetAnswer(request.method, request.path, response)) return;
    const body = (request.body ?? {}) as Partial<FakeAssistant>;
    if (typeof body.model !== 'string' || body.model === '') {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' });
      return;
    }
    const assistant: FakeAssistant = {
      id: fakeId('asst_'),
      object: 'assistant',
      created_at: Math.floor(Date.now() / 1000),
      name: body.name ?? null,
      description: null,
      model: body.model,
      instructions: body.instructions ?? null,
      tools: Array.isArray(body.tools) ? body.tools : [],
      metadata: body.metadata ?? {},
    };
    assistants.set(assistant.id, assistant);
    sendJson(response, 200, assistant);
  });

  fake.api('GET', '/assistants/:id', (request, response) => {
    if (sunsetAnswer(request.method, request.path, response)) return;
    const assistant = assistants.get(request.params.id!);
    if (!assistant) {
      sendOpenAIError(response, 404, { message: `No assistant found with id '${request.params.id}'.`, type: 'invalid_request_error', code: null });
      return;
    }
    sendJson(response, 200, assistant);
  });

  fake.api('DELETE', '/assistants/:id', (request, response) => {
    if (sunsetAnswer(request.method, request.path, response)) return;
    const existed = assistants.delete(request.params.id!);
    if (!existed) {
      sendOpenAIError(response, 404, { message: `No assistant found with id '${request.params.id}'.`, type: 'invalid_request_error', code: null });
      return;
    }
    sendJson(response, 200, { id: request.params.id, object: 'assistant.deleted', deleted: true });
  });
}
