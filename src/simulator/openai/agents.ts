// Fake beta Agents API objects: POST/GET/DELETE /agents. Every call must carry `OpenAI-Beta: agents=v1`, as the SDK sends.
import type { ServerResponse } from 'node:http';
import { sendJson, type FakeRequest } from '../http-fake.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError } from './openai-errors.js';
import { fakeId } from './ids.js';

export interface FakeAgent {
  id: string;
  object: 'agent';
  created_at: number;
  updated_at: number;
  name: string | null;
  model: string;
  instructions: string | null;
  metadata: Record<string, string>;
  tools: unknown[];
}

export function requireAgentsBeta(request: FakeRequest, response: ServerResponse): boolean {
  const beta = String(request.headers['openai-beta'] ?? '');
  if (beta.split(',').map((part) => part.trim()).includes('agents=v1')) return true;
  sendOpenAIError(response, 400, {
    message: "The Agents API is in beta: send the header 'OpenAI-Beta: agents=v1'.",
    type: 'invalid_request_error',
    code: 'missing_beta_header',
  });
  return false;
}

export function installAgentRoutes(fake: FakeOpenAI, agents: Map<string, FakeAgent>): void {
  fake.api('POST', '/agents', (request, response) => {
    if (!requireAgentsBeta(request, response)) return;
    const body = (request.body ?? {}) as Partial<FakeAgent>;
    if (typeof body.model !== 'string' || body.model === '') {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' });
      return;
    }
    if (!fake.models.some((model) => model.id === body.model)) {
      sendOpenAIError(response, 400, {
        message: `The requested model '${body.model}' does not exist.`,
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const agent: FakeAgent = {
      id: fakeId('agent_'),
      object: 'agent',
      created_at: now,
      updated_at: now,
      name: body.name ?? null,
      model: body.model,
      instructions: body.instructions ?? null,
      metadata: body.metadata ?? {},
      tools: Array.isArray(body.tools) ? body.tools : [],
    };
    agents.set(agent.id, agent);
    sendJson(response, 200, agent);
  });

  fake.api('GET', '/agents/:id', (request, response) => {
    if (!requireAgentsBeta(request, response)) return;
    const agent = agents.get(request.params.id!);
    if (!agent) {
      sendOpenAIError(response, 404, { message: `No agent found with id '${request.params.id}'.`, type: 'invalid_request_error', code: null });
      return;
    }
    sendJson(response, 200, agent);
  });

  fake.api('DELETE', '/agents/:id', (request, response) => {
    if (!requireAgentsBeta(request, response)) return;
    const existed = agents.delete(request.params.id!);
    if (!existed) {
      sendOpenAIError(response, 404, { message: `No agent found with id '${request.params.id}'.`, type: 'invalid_request_error', code: null });
      return;
    }
    sendJson(response, 200, { id: request.params.id, object: 'agent.deleted', deleted: true });
  });
}
