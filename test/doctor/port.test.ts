import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { portCheck } from '../../src/doctor/checks/port.js';
import { configFrom, runCheck } from './openai-check-context.js';

const servers: Array<Server | HttpServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** Holds a port on 0.0.0.0 (as another program would) and returns it. */
async function occupy(server: Server | HttpServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return (server.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the port check', () => {
  it('is an offline check', () => {
    expect(portCheck.online).toBeFalsy();
  });

  it('passes a free port', async () => {
    const port = await freePort();
    const result = await runCheck(portCheck, configFrom({ PORT: String(port) }));
    expect(result).toEqual({ status: 'ok', summary: `port ${port} is free` });
  });

  it('fails a PORT that is not a port number', async () => {
    for (const value of ['abc', '70000', '50.5']) {
      const result = await runCheck(portCheck, configFrom({ PORT: value }));
      expect(result.status).toBe('fail');
      expect(result.summary).toBe(`PORT=${value} is not a port number (1–65535)`);
      expect(result.fix).toContain('PORT=5000');
    }
  });

  it('fails a port another program holds, naming a free one to use instead', async () => {
    // Like macOS AirPlay Receiver on port 5000: an HTTP server that is not voicebridge.
    const port = await occupy(
      createHttpServer((_request, response) => {
        response.writeHead(403, { server: 'AirTunes/770.8.1' });
        response.end();
      }),
    );
    const result = await runCheck(portCheck, configFrom({ PORT: String(port) }));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`port ${port} is in use by another program`);
    const suggested = Number(/PORT=(\d+)/.exec(result.fix ?? '')?.[1]);
    expect(suggested).toBeGreaterThan(port);
    const stillFree = await runCheck(portCheck, configFrom({ PORT: String(suggested) }));
    expect(stillFree.status).toBe('ok');
  });

  it('only warns when the port is held by a running voicebridge server', async () => {
    const port = await occupy(
      createHttpServer((request, response) => {
        response.writeHead(request.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true, service: 'voicebridge' }));
      }),
    );
    const result = await runCheck(portCheck, configFrom({ PORT: String(port) }));
    expect(result.status).toBe('warn');
    expect(result.summary).toBe(`port ${port} is in use by a running voicebridge server`);
  });
});
