// A tiny HTTP server base for the protocol fakes: routing, request log, JSON/SSE helpers and fault injection.
// Fakes listen on 127.0.0.1 with a random port, so tests can run in parallel.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, form body (as a plain object) or raw text. */
  body: unknown;
  rawBody: string;
  params: Record<string, string>;
}

export type RouteHandler = (request: FakeRequest, response: ServerResponse) => void | Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

export interface InjectedFault {
  method?: string;
  /** Matched against the path (without query string). */
  path: RegExp;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** How many matching requests to fail; Infinity for all. */
  times: number;
  /** Delay before answering, to simulate a slow service. */
  delayMs?: number;
}

export class HttpFake {
  readonly server: Server;
  readonly requests: FakeRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly faults: InjectedFault[] = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Registers a route; `:name` segments become params. */
  route(method: string, path: string, handler: RouteHandler): void {
    const keys: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_match, key: string) => {
        keys.push(key);
        return '([^/]+)';
      })}$`,
    );
    this.routes.push({ method: method.toUpperCase(), pattern, keys, handler });
  }

  /** Makes the next `times` matching requests answer with the given status and body. */
  injectFault(fault: Omit<InjectedFault, 'times'> & { times?: number }): void {
    this.faults.push({ times: 1, ...fault });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Hook for subclasses: answer before routing (e.g. authentication). Return true when answered. */
  protected before(_request: FakeRequest, _response: ServerResponse): boolean {
    return false;
  }

  protected notFound(request: FakeRequest, response: ServerResponse): void {
    sendJson(response, 404, { error: `no route for ${request.method} ${request.path}` });
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const contentType = incoming.headers['content-type'] ?? '';
    let body: unknown = rawBody;
    if (contentType.includes('application/json') && rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    } else if (contentType.includes('application/x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(rawBody));
    }
    const request: FakeRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body,
      rawBody,
      params: {},
    };
    this.requests.push(request);

    try {
      const faultIndex = this.faults.findIndex(
        (fault) => fault.times > 0 && fault.path.test(request.path) && (!fault.method || fault.method.toUpperCase() === request.method),
      );
      if (faultIndex >= 0) {
        const fault = this.faults[faultIndex]!;
        fault.times -= 1;
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        sendJson(response, fault.status, fault.body, fault.headers);
        return;
      }
      if (this.before(request, response)) return;
      for (const route of this.routes) {
        if (route.method !== request.method) continue;
        const match = route.pattern.exec(request.path);
        if (!match) continue;
        route.keys.forEach((key, index) => (request.params[key] = decodeURIComponent(match[index + 1]!)));
        await route.handler(request, response);
        return;
      }
      this.notFound(request, response);
    } catch (error) {
      if (!response.headersSent) sendJson(response, 500, { error: { message: (error as Error).message, type: 'server_error' } });
      else response.destroy();
    }
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

/** Starts a server-sent-events response and returns a writer for `event:`/`data:` pairs. */
export function startSse(response: ServerResponse): { send(event: string | undefined, data: unknown): void; end(): void } {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
  return {
    send(event, data) {
      if (response.writableEnded) return;
      response.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    },
    end() {
      if (!response.writableEnded) response.end();
    },
  };
}
