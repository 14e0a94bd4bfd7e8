// A protocol-faithful fake of the OpenAI HTTP API on 127.0.0.1, for the real `openai` SDK to talk to through
// OPENAI_BASE_URL. Errors use OpenAI's body shape: { error: { message, type, param, code } }.
// Each API family lives in its own file under this folder and is installed here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpFake, type FakeRequest } from '../http-fake.js';
import type { AgentBehaviour, AgentTurnRecord } from './agent-mind.js';
import { installAgentSessionRoutes } from './agent-sessions.js';
import { installAgentRoutes, type FakeAgent } from './agents.js';
import { installAssistantRoutes, type FakeAssistant } from './assistants.js';
import { FakeLive } from './live.js';
import { installModelRoutes, type FakeModel } from './models.js';
import { FakeRealtime } from './realtime.js';
import { installResponseRoutes } from './responses.js';
import { sendOpenAIError } from './openai-errors.js';
import { installThreadRoutes } from './threads.js';
import { DEFAULT_WEBHOOK_EVENT_TYPES, installWebhookRoutes, newWebhookSecret, type FakeWebhookEndpoint } from './webhooks.js';
import { fakeId } from './ids.js';

export { DEFAULT_WEBHOOK_EVENT_TYPES, type FakeWebhookEndpoint } from './webhooks.js';
export { OVERLOADED, openAIError, refuseUnauthorizedUpgrade, refuseUpgrade, sendOpenAIError, type OpenAIErrorBody } from './openai-errors.js';

/** How the fake treats a key: a working key, or one of the ways a real key fails. */
export type FakeKeyBehaviour =
  | 'ok'
  | 'mismatched_organization'
  | 'missing_scopes'
  | 'insufficient_quota'
  | 'rate_limited'
  | 'admin'
  /** A working key whose organization has no Agents API beta access: 403 on /agents, everything else works. */
  | 'no_agents_access';

export const FAKE_OPENAI_KEY = 'sk-proj-fakeKeyForTests0123456789abcdefWXYZ';

export interface FakeOpenAIOptions {
  keys?: Record<string, FakeKeyBehaviour>;
  models?: FakeModel[];
  /** 'sunset' answers /assistants and /threads as OpenAI does since 2026-08-26 (404). */
  assistantsApi?: 'available' | 'sunset';
  /** What GET /webhook_event_types lists, and so what webhook endpoints may subscribe to. */
  webhookEventTypes?: readonly string[];
  /** The project every key belongs to: a request whose OpenAI-Project header names another is refused, as OpenAI does. */
  projectId?: string;
}

export class FakeOpenAI extends HttpFake {
  readonly keys: Map<string, FakeKeyBehaviour>;
  models: FakeModel[];
  assistantsApi: 'available' | 'sunset';
  readonly agents = new Map<string, FakeAgent>();
  readonly assistants = new Map<string, FakeAssistant>();
  /** The project's webhook endpoints by ID (whe_…), with their signing secrets. */
  readonly webhookEndpoints = new Map<string, FakeWebhookEndpoint>();
  /** Every endpoint ID a DELETE removed, in order: tests prove nothing was deleted. */
  readonly deletedWebhookEndpoints: string[] = [];
  webhookEventTypes: readonly string[];
  readonly projectId: string | undefined;
  /** The agent behind all three agent backends: tests script its replies, speed and failures here. */
  agentBehaviour: AgentBehaviour = {};
  /** Every turn the agent was given, in order, with what it received and how it ended. */
  readonly agentTurns: AgentTurnRecord[] = [];
  /** The Realtime WebSocket at /v1/realtime: its connections, recordings and voice settings. */
  readonly realtime: FakeRealtime;
  /** The GPT-Live WebSocket at /v1/live/sessions: its connections, recordings and voice settings. */
  readonly live: FakeLive;
  /** WebSocket endpoints by path: each voice fake claims its own; an upgrade to any other path is answered 404. */
  private readonly webSockets = new Map<string, (request: IncomingMessage, socket: Socket, head: Buffer) => void>();

  constructor(options: FakeOpenAIOptions = {}) {
    super();
    this.keys = new Map(Object.entries(options.keys ?? { [FAKE_OPENAI_KEY]: 'ok' }));
    this.models = options.models ?? [];
    this.assistantsApi = options.assistantsApi ?? 'sunset';
    this.webhookEventTypes = options.webhookEventTypes ?? DEFAULT_WEBHOOK_EVENT_TYPES;
    this.projectId = options.projectId;
    installModelRoutes(this);
    installAgentRoutes(this, this.agents);
    installAssistantRoutes(this, this.assistants);
    installAgentSessionRoutes(this);
    installThreadRoutes(this);
    installResponseRoutes(this);
    installWebhookRoutes(this);
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      const accept = this.webSockets.get(new URL(request.url ?? '/', 'http://fake').pathname);
      if (accept) accept(request, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    this.realtime = new FakeRealtime(this);
    this.live = new FakeLive(this);
  }

  /** Adds a webhook endpoint as if it had been made in the dashboard; the oldest first, as they were made. */
  addWebhookEndpoint(endpoint: Partial<FakeWebhookEndpoint> & { url: string; event_types: string[] }): FakeWebhookEndpoint {
    const created = Math.floor(Date.now() / 1000) - 3600 + this.webhookEndpoints.size;
    const full: FakeWebhookEndpoint = { id: fakeId('whe_'), name: 'My endpoint', created_at: created, updated_at: created, secret: newWebhookSecret(), ...endpoint };
    this.webhookEndpoints.set(full.id, full);
    return full;
  }

  /** Registers the WebSocket endpoint at this exact path (e.g. /v1/realtime). */
  webSocket(path: string, accept: (request: IncomingMessage, socket: Socket, head: Buffer) => void): void {
    this.webSockets.set(path, accept);
  }

  static async start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
    return new FakeOpenAI(options).listen();
  }

  /** The value for OPENAI_BASE_URL. */
  get baseURL(): string {
    return `${this.origin}/v1`;
  }

  /** Registers a route under /v1. */
  api(method: string, path: string, handler: (request: FakeRequest, response: ServerResponse) => void | Promise<void>): void {
    this.route(method, `/v1${path}`, handler);
  }

  protected override before(request: FakeRequest, response: ServerResponse): boolean {
    const header = request.headers.authorization ?? '';
    const key = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const behaviour = this.keys.get(key);
    if (!behaviour) {
      sendOpenAIError(response, 401, {
        message: key
          ? `Incorrect API key provided: ${key.slice(0, 3)}${'*'.repeat(6)}${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`
          : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        type: 'invalid_request_error',
        code: key ? 'invalid_api_key' : null,
      });
      return true;
    }
    const project = request.headers['openai-project'];
    if (this.projectId !== undefined && typeof project === 'string' && project !== this.projectId) {
      sendOpenAIError(response, 401, {
        message: 'OpenAI-Project header should match project for API key',
        type: 'invalid_request_error',
        code: 'mismatched_project',
      });
      return true;
    }
    switch (behaviour) {
      case 'ok':
        return false;
      case 'no_agents_access':
        // The wording of this 403 is not captured from the real service; the status is what clients act on.
        if (!request.path.startsWith('/v1/agents')) return false;
        sendOpenAIError(response, 403, {
          message: 'Your organization does not have access to the Agents API beta.',
          type: 'invalid_request_error',
          code: null,
        });
        return true;
      case 'mismatched_organization':
        sendOpenAIError(response, 401, {
          message: 'OpenAI-Organization header should match organization for API key',
          type: 'invalid_request_error',
          code: 'mismatched_organization',
        });
        return true;
      case 'missing_scopes':
      case 'admin':
        sendOpenAIError(response, 401, {
          message:
            'You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you\'re using a restricted API key, that it has the necessary scopes.',
          type: 'invalid_request_error',
          code: null,
        });
        return true;
      case 'insufficient_quota':
        sendOpenAIError(response, 429, {
          message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        });
        return true;
      case 'rate_limited':
        sendOpenAIError(
          response,
          429,
          {
            message: 'Rate limit reached for requests in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
          { 'retry-after': '20' },
        );
        return true;
    }
  }

  protected override notFound(request: FakeRequest, response: ServerResponse): void {
    sendOpenAIError(response, 404, {
      message: `Invalid URL (${request.method} ${request.path})`,
      type: 'invalid_request_error',
      code: null,
    });
  }
}
