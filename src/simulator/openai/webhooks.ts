// Fake webhook endpoints (/webhook_endpoints) and the event types a project may subscribe to (/webhook_event_types),
// in the shapes of openai-node's WebhookEndpoint, WebhookEndpointWithSecret, WebhookEndpointList (a cursor page,
// newest first) and WebhookEventTypeList. The signing secret is returned only by create and rotate_secret, as OpenAI
// does; every other answer carries only its hint. The wording of the 400s is not captured from the real service; the
// status, type and param are what clients act on.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, type FakeRequest } from '../http-fake.js';
import type { FakeOpenAI } from './fake-openai.js';
import { fakeId } from './ids.js';
import { sendOpenAIError } from './openai-errors.js';

export interface FakeWebhookEndpoint {
  id: string;
  name: string;
  url: string;
  event_types: string[];
  created_at: number;
  updated_at: number;
  /** The `whsec_…` secret OpenAI signs deliveries with; the previous one while it stays valid after a rotation. */
  secret: string;
  previousSecret?: string;
}

/** What a project could subscribe to in late 2026, SIP calls of both engines included. */
export const DEFAULT_WEBHOOK_EVENT_TYPES: readonly string[] = [
  'batch.completed',
  'batch.failed',
  'batch.expired',
  'batch.cancelled',
  'response.completed',
  'response.failed',
  'response.cancelled',
  'response.incomplete',
  'eval.run.succeeded',
  'eval.run.failed',
  'eval.run.canceled',
  'fine_tuning.job.succeeded',
  'fine_tuning.job.failed',
  'fine_tuning.job.cancelled',
  'realtime.call.incoming',
  'live.transport.incoming',
  'live.transport.connected',
  'video.completed',
  'video.failed',
];

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function secretHint(secret: string): string {
  return `whsec_…${secret.slice(-4)}`;
}

export function webhookEndpointToWire(endpoint: FakeWebhookEndpoint) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    created_at: endpoint.created_at,
    updated_at: endpoint.updated_at,
    name: endpoint.name,
    url: endpoint.url,
    event_types: [...endpoint.event_types],
    signing_secret_hint: secretHint(endpoint.secret),
  };
}

function withSecret(endpoint: FakeWebhookEndpoint) {
  return { ...webhookEndpointToWire(endpoint), signing_secret: endpoint.secret };
}

export function installWebhookRoutes(fake: FakeOpenAI): void {
  const now = () => Math.floor(Date.now() / 1000);
  const invalid = (response: ServerResponse, param: string, message: string) =>
    sendOpenAIError(response, 400, { message, type: 'invalid_request_error', param, code: param === 'url' ? 'invalid_url' : 'invalid_value' });
  const find = (request: FakeRequest, response: ServerResponse): FakeWebhookEndpoint | undefined => {
    const endpoint = fake.webhookEndpoints.get(request.params.id!);
    if (!endpoint) sendOpenAIError(response, 404, { message: `No webhook endpoint found with id '${request.params.id}'.`, type: 'invalid_request_error', param: null, code: null });
    return endpoint;
  };

  /** Checks the fields of a create or update body; answers the 400 and returns undefined when one is wrong. */
  const fieldsOf = (body: Record<string, unknown>, response: ServerResponse, required: boolean): Partial<FakeWebhookEndpoint> | undefined => {
    const fields: Partial<FakeWebhookEndpoint> = {};
    for (const name of ['name', 'url', 'event_types']) {
      if (required && body[name] === undefined) {
        sendOpenAIError(response, 400, { message: `Missing required parameter: '${name}'.`, type: 'invalid_request_error', param: name, code: 'missing_required_parameter' });
        return undefined;
      }
    }
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || body.name.trim() === '') return void invalid(response, 'name', "Invalid 'name': expected a non-empty string.");
      fields.name = body.name;
    }
    if (body.url !== undefined) {
      let url: URL | undefined;
      try {
        url = typeof body.url === 'string' ? new URL(body.url) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || url.protocol !== 'https:') return void invalid(response, 'url', "Invalid 'url': webhook endpoints must use an https:// URL.");
      fields.url = body.url as string;
    }
    if (body.event_types !== undefined) {
      const types = body.event_types;
      if (!Array.isArray(types) || types.length === 0 || !types.every((type) => typeof type === 'string')) {
        return void invalid(response, 'event_types', "Invalid 'event_types': expected a non-empty array of event types.");
      }
      const unknown = (types as string[]).find((type) => !fake.webhookEventTypes.includes(type));
      if (unknown !== undefined) return void invalid(response, 'event_types', `Invalid 'event_types': '${unknown}' is not a webhook event type this project can subscribe to.`);
      fields.event_types = [...new Set(types as string[])];
    }
    return fields;
  };

  fake.api('GET', '/webhook_event_types', (_request, response) => {
    sendJson(response, 200, { object: 'list', data: [...fake.webhookEventTypes] });
  });

  fake.api('POST', '/webhook_endpoints', (request, response) => {
    const fields = fieldsOf((request.body ?? {}) as Record<string, unknown>, response, true);
    if (!fields) return;
    const created = now();
    const endpoint: FakeWebhookEndpoint = {
      id: fakeId('whe_'),
      name: fields.name!,
      url: fields.url!,
      event_types: fields.event_types!,
      created_at: created,
      updated_at: created,
      secret: newWebhookSecret(),
    };
    fake.webhookEndpoints.set(endpoint.id, endpoint);
    sendJson(response, 200, withSecret(endpoint));
  });

  fake.api('GET', '/webhook_endpoints', (request, response) => {
    const limit = Math.min(Math.max(Number(request.query.get('limit') ?? 20) || 20, 1), 100);
    // Newest first; ties keep the newer insertion first.
    const all = [...fake.webhookEndpoints.values()].reverse().sort((a, b) => b.created_at - a.created_at);
    const after = request.query.get('after');
    const start = after === null ? 0 : all.findIndex((endpoint) => endpoint.id === after) + 1;
    const page = all.slice(start, start + limit);
    sendJson(response, 200, {
      object: 'list',
      data: page.map(webhookEndpointToWire),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + limit < all.length,
    });
  });

  fake.api('GET', '/webhook_endpoints/:id', (request, response) => {
    const endpoint = find(request, response);
    if (endpoint) sendJson(response, 200, webhookEndpointToWire(endpoint));
  });

  fake.api('POST', '/webhook_endpoints/:id', (request, response) => {
    const endpoint = find(request, response);
    if (!endpoint) return;
    const fields = fieldsOf((request.body ?? {}) as Record<string, unknown>, response, false);
    if (!fields) return;
    const changed =
      (fields.name !== undefined && fields.name !== endpoint.name) ||
      (fields.url !== undefined && fields.url !== endpoint.url) ||
      (fields.event_types !== undefined && fields.event_types.join('\n') !== endpoint.event_types.join('\n'));
    Object.assign(endpoint, fields);
    // "Unchanged updates do not advance it."
    if (changed) endpoint.updated_at = Math.max(now(), endpoint.updated_at);
    sendJson(response, 200, webhookEndpointToWire(endpoint));
  });

  fake.api('POST', '/webhook_endpoints/:id/rotate_secret', (request, response) => {
    const endpoint = find(request, response);
    if (!endpoint) return;
    const keepOld = ((request.body ?? {}) as { keep_old_secret_active_for_24_hours?: unknown }).keep_old_secret_active_for_24_hours === true;
    if (keepOld) endpoint.previousSecret = endpoint.secret;
    else delete endpoint.previousSecret;
    endpoint.secret = newWebhookSecret();
    endpoint.updated_at = Math.max(now(), endpoint.updated_at);
    sendJson(response, 200, withSecret(endpoint));
  });

  fake.api('DELETE', '/webhook_endpoints/:id', (request, response) => {
    const endpoint = find(request, response);
    if (!endpoint) return;
    fake.webhookEndpoints.delete(endpoint.id);
    fake.deletedWebhookEndpoints.push(endpoint.id);
    sendJson(response, 200, { id: endpoint.id, object: 'webhook_endpoint.deleted', deleted: true });
  });
}
