// The generic server: transports register routes into its table, and it counts their calls together.
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeMetrics } from '../../src/call/call-metrics.js';
import { createMemoryLog } from '../../src/log/call-log.js';
import { HttpServer, sendText, type ServerContext, type Transport } from '../../src/server/http-server.js';

const NO_METRICS: BridgeMetrics = {
  frames: { toVoice: 0, toCaller: 0 },
  turnAnswered: () => undefined,
  agentError: () => undefined,
  realtimeReconnect: () => undefined,
  callEnded: () => undefined,
  callDialled: () => undefined,
  watchCalls: () => undefined,
  render: () => Promise.resolve(undefined),
};

/** A transport of one route that holds `calls` calls and remembers the context it was given. */
function toyTransport(path: string, calls = { active: 0, pending: 0 }): (context: ServerContext) => Transport & { context?: ServerContext; closed: boolean } {
  return (context) => ({
    context,
    closed: false,
    routes: new Map([[path, (_request, response) => Promise.resolve(sendText(response, 200, `answered by ${path} (${context.admission() ?? 'admitted'})`))]]),
    upgrades: new Map(),
    get activeCalls() {
      return calls.active;
    },
    get pendingCalls() {
      return calls.pending;
    },
    openStreams: 0,
    close() {
      this.closed = true;
      return Promise.resolve();
    },
  });
}

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the route table', () => {
  it('answers each registered transport on its own paths, and 404 elsewhere', async () => {
    server = new HttpServer({ log: createMemoryLog(), metrics: NO_METRICS, maxCalls: undefined });
    server.register(toyTransport('/one'));
    server.register(toyTransport('/two'));
    await server.listen(0, '127.0.0.1');
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server!.port}${path}`);
      return `${response.status} ${await response.text()}`;
    };
    expect(await get('/one')).toBe('200 answered by /one (admitted)');
    expect(await get('/two')).toBe('200 answered by /two (admitted)');
    expect(await get('/three')).toBe('404 Not found');
  });

  it('refuses a second transport that claims a path already taken, or one the server answers itself', () => {
    server = new HttpServer({ log: createMemoryLog(), metrics: NO_METRICS, maxCalls: undefined });
    server.register(toyTransport('/one'));
    expect(() => server!.register(toyTransport('/one'))).toThrow('Two routes claim /one');
    expect(() => server!.register(toyTransport('/healthz'))).toThrow('Two routes claim /healthz');
  });

  it('counts every transport’s calls against MAX_CALLS and closes every transport when it stops', async () => {
    server = new HttpServer({ log: createMemoryLog(), metrics: NO_METRICS, maxCalls: 3 });
    const first = server.register(toyTransport('/one', { active: 1, pending: 1 }));
    const second = server.register(toyTransport('/two', { active: 1, pending: 0 }));
    await server.listen(0, '127.0.0.1');
    expect(server.activeCalls).toBe(2);
    expect(server.pendingCalls).toBe(1);
    expect(first.context!.admission()).toBe('refused_busy');
    await server.close();
    expect(first.closed && second.closed).toBe(true);
    expect(first.context!.stopped).toBe(true);
    expect(first.context!.admission()).toBe('refused_draining');
    server = undefined;
  });
});
