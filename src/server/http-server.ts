// The bridge's one HTTP server, which knows no transport: health and readiness probes, /metrics, and a route table that
// transports register into (their webhooks and WebSocket upgrades). It owns what every route shares: reading request
// targets without trusting them, ending only the request that failed whatever it throws, budgeting the log lines any
// outsider can cause, counting calls across transports for MAX_CALLS, and draining before it stops.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { BridgeMetrics } from '../call/call-metrics.js';
import type { BridgeLog } from '../log/call-log.js';
import { LogBudget } from './log-budget.js';
import { describeTarget, parseRequestTarget, type RequestTarget } from './request-target.js';

export type HttpHandler = (request: IncomingMessage, response: ServerResponse, target: RequestTarget) => Promise<void>;
export type UpgradeHandler = (request: IncomingMessage, socket: Socket, head: Buffer, target: RequestTarget) => void;

/** What a transport brings to the server: its routes, and the calls it holds. */
export interface Transport {
  /** HTTP routes, by exact request path. */
  readonly routes: ReadonlyMap<string, HttpHandler>;
  /** HTTP routes for every path under a prefix that ends with '/' (e.g. /calls/ for /calls/{sid}). */
  readonly prefixRoutes?: ReadonlyMap<string, HttpHandler>;
  /** WebSocket upgrades, by exact request path. */
  readonly upgrades: ReadonlyMap<string, UpgradeHandler>;
  readonly activeCalls: number;
  /** Calls answered and still connecting. */
  readonly pendingCalls: number;
  /** Sockets the transport holds open (a stream each), started or not. */
  readonly openStreams: number;
  /** Ends every call and releases what the transport holds: the server is stopping. */
  close(): Promise<void>;
}

/** Why a new call is turned away. */
export type Refusal = 'refused_busy' | 'refused_draining';

/** What the server gives each transport it registers. */
export interface ServerContext {
  readonly log: BridgeLog;
  readonly metrics: BridgeMetrics;
  /** Lines anyone on the internet can cause: a flood of them must not become a flood of log lines. */
  readonly unauthenticatedLog: LogBudget;
  /** MAX_CALLS, for the line that says why a call was turned away. */
  readonly maxCalls: number | undefined;
  /** Why a new call cannot be taken now, counting every transport's calls; undefined when it can. */
  admission(): Refusal | undefined;
  /** Set once the server is closing: from then on not even an answered call may connect. */
  readonly stopped: boolean;
  /** A call ended or was given up: a drain in progress looks again. */
  callsChanged(): void;
}

export interface HttpServerOptions {
  log: BridgeLog;
  metrics: BridgeMetrics;
  /** Most calls at once across transports, answered ones still connecting included; undefined: no limit. */
  maxCalls: number | undefined;
}

export class HttpServer {
  private readonly server: Server;
  private readonly transports: Transport[] = [];
  private readonly routes = new Map<string, HttpHandler>();
  private readonly prefixRoutes = new Map<string, HttpHandler>();
  private readonly upgrades = new Map<string, UpgradeHandler>();
  private readonly connections = new Set<Socket>();
  private readonly callsChangedListeners = new Set<() => void>();
  private readonly unauthenticatedLog = new LogBudget();
  private accepting = false;
  private stopped = false;
  port = 0;

  constructor(private readonly options: HttpServerOptions) {
    options.metrics.watchCalls(() => ({ active: this.activeCalls, pending: this.pendingCalls }));
    this.server = createServer((request, response) => {
      // Nothing a request carries may take the process, and every call in it, down: whatever throws ends this request.
      try {
        this.handleRequest(request, response).catch((error: unknown) => this.requestFailed(request, response, error));
      } catch (error) {
        this.requestFailed(request, response, error);
      }
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      try {
        this.handleUpgrade(request, socket, head);
      } catch (error) {
        options.log.error(`An upgrade request to ${describeTarget(request.url)} failed: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    this.server.on('connection', (socket) => {
      this.connections.add(socket);
      socket.on('close', () => this.connections.delete(socket));
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Adds a transport's routes. A path two transports claim is a programming error, found at start-up. */
  register<T extends Transport>(create: (context: ServerContext) => T): T {
    const isStopped = (): boolean => this.stopped;
    const context: ServerContext = {
      log: this.options.log,
      metrics: this.options.metrics,
      unauthenticatedLog: this.unauthenticatedLog,
      maxCalls: this.options.maxCalls,
      admission: () => this.admission(),
      get stopped() {
        return isStopped();
      },
      callsChanged: () => {
        for (const changed of [...this.callsChangedListeners]) changed();
      },
    };
    const transport = create(context);
    for (const [path, handler] of transport.routes) {
      if (this.routes.has(path) || RESERVED_PATHS.has(path)) throw new Error(`Two routes claim ${path}`);
      this.routes.set(path, handler);
    }
    for (const [prefix, handler] of transport.prefixRoutes ?? []) {
      if (!prefix.endsWith('/') || this.prefixRoutes.has(prefix)) throw new Error(`Two routes claim ${prefix}`);
      this.prefixRoutes.set(prefix, handler);
    }
    for (const [path, handler] of transport.upgrades) {
      if (this.upgrades.has(path)) throw new Error(`Two upgrade routes claim ${path}`);
      this.upgrades.set(path, handler);
    }
    this.transports.push(transport);
    return transport;
  }

  get activeCalls(): number {
    return this.transports.reduce((total, transport) => total + transport.activeCalls, 0);
  }

  get pendingCalls(): number {
    return this.transports.reduce((total, transport) => total + transport.pendingCalls, 0);
  }

  get openStreams(): number {
    return this.transports.reduce((total, transport) => total + transport.openStreams, 0);
  }

  get openConnections(): number {
    return this.connections.size;
  }

  async listen(port: number, host: string | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.accepting = true;
  }

  async drain(timeoutMs: number): Promise<void> {
    this.accepting = false;
    const idle = (): boolean => this.activeCalls === 0 && this.pendingCalls === 0;
    if (!idle()) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          clearInterval(poll);
          this.callsChangedListeners.delete(check);
          resolve();
        };
        const check = (): void => {
          if (idle()) done();
        };
        const timer = setTimeout(done, timeoutMs);
        // An answered call whose stream never comes stops counting when its token expires: look again now and then.
        const poll = setInterval(check, 1_000);
        this.callsChangedListeners.add(check);
      });
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.accepting = false;
    this.stopped = true;
    await Promise.all(this.transports.map((transport) => transport.close()));
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
  }

  private admission(): Refusal | undefined {
    if (!this.accepting) return 'refused_draining';
    const limit = this.options.maxCalls;
    if (limit !== undefined && this.activeCalls + this.pendingCalls >= limit) return 'refused_busy';
    return undefined;
  }

  private async handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = parseRequestTarget(request.url);
    if (!target) {
      this.refusedTarget('request', request.url);
      response.setHeader('connection', 'close');
      sendText(response, 400, 'Bad request target');
      return;
    }
    if (target.pathname === '/healthz') {
      sendJson(response, 200, { service: 'voicebridge', status: 'ok', activeCalls: this.activeCalls });
      return;
    }
    if (target.pathname === '/readyz') {
      const status = this.accepting ? 'ready' : 'not-ready';
      sendJson(response, this.accepting ? 200 : 503, { service: 'voicebridge', status, activeCalls: this.activeCalls });
      return;
    }
    if (target.pathname === '/metrics') {
      const exposition = await this.options.metrics.render();
      if (!exposition) {
        sendText(response, 404, 'Not found');
        return;
      }
      response.writeHead(200, { 'content-type': exposition.contentType });
      response.end(exposition.body);
      return;
    }
    const route = this.routes.get(target.pathname) ?? [...this.prefixRoutes].find(([prefix]) => target.pathname.startsWith(prefix))?.[1];
    if (route) {
      await route(request, response, target);
      return;
    }
    sendText(response, 404, 'Not found');
  }

  private handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const target = parseRequestTarget(request.url);
    if (!target) {
      this.refusedTarget('upgrade', request.url);
      refuseUpgrade(socket, 400, 'Bad Request');
      return;
    }
    const route = this.upgrades.get(target.pathname);
    if (!route) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    route(request, socket, head, target);
  }

  private requestFailed(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    if (isAbandoned(request, error)) {
      // The sender went away mid-request: nothing failed on our side, and anyone can do it at will.
      this.unauthenticatedLog.write('abandoned', `A request to ${describeTarget(request.url)} was abandoned by its sender before it was read`, (line) =>
        this.options.log.info(line),
      );
      response.destroy();
      return;
    }
    this.options.log.error(`A request to ${describeTarget(request.url)} failed: ${error instanceof Error ? error.message : String(error)}`);
    if (!response.headersSent) sendText(response, 500, 'Internal error');
    else response.destroy();
  }

  private refusedTarget(kind: 'request' | 'upgrade', target: string | undefined): void {
    this.unauthenticatedLog.write('bad-target', `Refused ${kind === 'upgrade' ? 'an upgrade request' : 'a request'} whose target is not a path: ${describeTarget(target)}`, (line) =>
      this.options.log.warn(line),
    );
  }
}

/** Paths the server answers itself. */
const RESERVED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The client closed the connection before its request was read: not a failure of ours. */
function isAbandoned(request: IncomingMessage, error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return request.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (error instanceof Error && error.message === 'aborted');
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function refuseUpgrade(socket: Socket, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
