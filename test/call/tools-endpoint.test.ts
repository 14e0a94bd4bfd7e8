// The agent's function calls reach the business's TOOLS_URL as signed JSON, against a real HTTP server on 127.0.0.1.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callToolsEndpoint,
  signToolsRequest,
  TOOL_FAILURE_OUTPUTS,
  verifyVoicebridgeSignature,
  type ToolCall,
  type ToolsEndpointResult,
} from '../../src/call/tools-endpoint.js';

const SECRET = 'whsec-tools-9f8e7d6c5b4a39281706';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
let received: Received[] = [];
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  received = [];
});

/** A local endpoint: it records each request, then answers with `answer`. */
async function endpoint(answer: (response: ServerResponse) => void): Promise<string> {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/voicebridge/tools`;
}

function json(status: number, value: unknown): (response: ServerResponse) => void {
  return (response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  };
}

const CALL: ToolCall = {
  call_sid: 'CA0123456789abcdef0123456789abcdef',
  name: 'book_table',
  arguments: '{"party_size":4,"time":"19:30"}',
  from: '+14155550123',
  to: '+14155550199',
};

async function call(url: string, overrides: Partial<ToolCall> = {}, timeoutMs = 2_000): Promise<ToolsEndpointResult> {
  const result = await callToolsEndpoint({ url, secret: SECRET, timeoutMs }, { ...CALL, ...overrides });
  expect(JSON.stringify(result)).not.toContain(SECRET);
  return result;
}

function failed(result: ToolsEndpointResult): { output: string; problem: string } {
  if (result.ok) throw new Error(`expected a failure, got ${result.output}`);
  return result;
}

describe('a function call sent to TOOLS_URL', () => {
  it('POSTs exactly call_sid, name, arguments, from and to as JSON', async () => {
    const url = await endpoint(json(200, { booked: true }));
    await call(url);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/voicebridge/tools');
    expect(request!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['arguments', 'call_sid', 'from', 'name', 'to']);
    expect(body).toEqual({
      call_sid: 'CA0123456789abcdef0123456789abcdef',
      name: 'book_table',
      arguments: { party_size: 4, time: '19:30' },
      from: '+14155550123',
      to: '+14155550199',
    });
  });

  it('sends arguments that are not valid JSON as the text the model wrote', async () => {
    const url = await endpoint(json(200, {}));
    await call(url, { arguments: '{"party_size":4' });
    expect((JSON.parse(received[0]!.body) as { arguments: unknown }).arguments).toBe('{"party_size":4');
  });

  it('signs the timestamp and the raw body with TOOLS_SECRET, as the exported helper and node:crypto both confirm', async () => {
    const url = await endpoint(json(200, {}));
    const before = Math.floor(Date.now() / 1000);
    await call(url);
    const { headers, body } = received[0]!;
    const timestamp = String(headers['x-voicebridge-timestamp']);
    const signature = String(headers['x-voicebridge-signature']);
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    const independent = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
    expect(signature).toBe(`v1=${independent}`);
    expect(verifyVoicebridgeSignature(SECRET, timestamp, body, signature, Number(timestamp))).toBe(true);
  });

  it('returns a 2xx JSON body as the output, as JSON text', async () => {
    const url = await endpoint(json(201, { booked: true, table: 12, note: 'by the window' }));
    expect(await call(url)).toEqual({ ok: true, output: '{"booked":true,"table":12,"note":"by the window"}' });
  });

  it('accepts any JSON value, a bare string included', async () => {
    const url = await endpoint(json(200, 'done'));
    expect(await call(url)).toEqual({ ok: true, output: '"done"' });
  });
});

describe('when TOOLS_URL cannot answer', () => {
  it('a non-2xx status: a caller-safe error for the agent, and the status and body for the log', async () => {
    const url = await endpoint(json(503, { message: 'database down' }));
    const result = failed(await call(url));
    expect(result.output).toBe('{"error":"The business\'s system could not do this right now."}');
    expect(result.problem).toContain('answered function book_table with 503');
    expect(result.problem).toContain('database down');
    expect(result.problem).toContain('answer 200 with JSON such as {"error":"…"}');
  });

  it('a redirect is not followed, and the log says to use the final address', async () => {
    const url = await endpoint((response) => {
      response.writeHead(302, { location: 'https://user:hunter22@tools.example.com/v2?token=abc' });
      response.end();
    });
    const result = failed(await call(url));
    expect(result.output).toBe(TOOL_FAILURE_OUTPUTS.status);
    expect(result.problem).toContain('302, a redirect to https://tools.example.com/v2');
    expect(result.problem).not.toContain('hunter22');
    expect(result.problem).not.toContain('token=abc');
    expect(received).toHaveLength(1);
  });

  it('a body that is not JSON', async () => {
    const url = await endpoint((response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Welcome to nginx!</body></html>');
    });
    const result = failed(await call(url));
    expect(result.output).toBe('{"error":"The business\'s system gave an answer that could not be read."}');
    expect(result.problem).toContain('a body that is not JSON (text/html)');
    expect(result.problem).toContain('Welcome to nginx!');
  });

  it('an empty body is not JSON either', async () => {
    const url = await endpoint((response) => {
      response.writeHead(204);
      response.end();
    });
    expect(failed(await call(url)).problem).toContain('a body that is not JSON (empty)');
  });

  it('a body over 64 KB, streamed with no length given, is cut off there', async () => {
    let written = 0;
    const url = await endpoint((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('["');
      const chunk = 'x'.repeat(16 * 1024);
      // Keeps writing well past the limit: the client must stop reading on its own.
      const more = (): void => {
        if (written > 1024 * 1024 || response.destroyed) {
          response.end('"]');
          return;
        }
        written += chunk.length;
        if (response.write(chunk)) setImmediate(more);
        else response.once('drain', more);
      };
      more();
    });
    const result = failed(await call(url));
    expect(result.output).toBe(TOOL_FAILURE_OUTPUTS.unreadable);
    expect(result.problem).toContain('with more than 64 KB');
  });

  it('a body over 64 KB by its Content-Length', async () => {
    const url = await endpoint(json(200, { text: 'y'.repeat(70 * 1024) }));
    expect(failed(await call(url)).problem).toContain('with more than 64 KB');
  });

  it('a body of 64 KB exactly is still read', async () => {
    const url = await endpoint(json(200, 'z'.repeat(64 * 1024 - 2)));
    const result = await call(url);
    expect(result.ok).toBe(true);
  });

  it('no answer within TOOL_TIMEOUT_MS', async () => {
    const url = await endpoint(() => undefined);
    const began = performance.now();
    const result = failed(await call(url, {}, 100));
    expect(performance.now() - began).toBeLessThan(1_500);
    expect(result.output).toBe('{"error":"The business\'s system did not answer in time."}');
    expect(result.problem).toContain('did not answer function book_table within 100 ms (TOOL_TIMEOUT_MS)');
  });

  it('the call ends while waiting', async () => {
    const url = await endpoint(() => undefined);
    const hangUp = new AbortController();
    setTimeout(() => hangUp.abort(), 50);
    const result = failed(await callToolsEndpoint({ url, secret: SECRET, timeoutMs: 5_000 }, CALL, hangUp.signal));
    expect(result.output).toBe(TOOL_FAILURE_OUTPUTS.cancelled);
    expect(result.problem).toContain('was cancelled: the call ended');
  });

  it('connection refused', async () => {
    const port = await closedPort();
    const result = failed(await call(`http://127.0.0.1:${port}/tools`));
    expect(result.output).toBe('{"error":"The business\'s system could not be reached."}');
    expect(result.problem).toContain(`could not send function book_table to TOOLS_URL (http://127.0.0.1:${port}/tools): connection refused (ECONNREFUSED)`);
  });

  it('each failure has its own problem text', async () => {
    const problems = new Set<string>();
    for (const answer of [json(500, {}), (response: ServerResponse) => response.end('not json')]) {
      const url = await endpoint(answer);
      problems.add(failed(await call(url)).problem.replace(/127\.0\.0\.1:\d+/, 'HOST'));
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    problems.add(failed(await call(`http://127.0.0.1:${await closedPort()}/tools`)).problem.replace(/127\.0\.0\.1:\d+/, 'HOST'));
    expect(problems.size).toBe(3);
  });
});

describe('credentials in TOOLS_URL', () => {
  it('are sent as basic auth and never shown in a problem', async () => {
    const base = await endpoint(json(500, {}));
    const url = base.replace('http://', 'http://shop:p%40ss-w0rd-123@') + '?key=querytoken123';
    const result = failed(await call(url));
    expect(received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('shop:p@ss-w0rd-123').toString('base64')}`);
    expect(received[0]!.url).toBe('/voicebridge/tools?key=querytoken123');
    expect(result.problem).not.toMatch(/p%40ss|p@ss|querytoken123/);
    expect(result.output).not.toMatch(/p%40ss|p@ss|querytoken123|127\.0\.0\.1/);
  });
});

describe('verifyVoicebridgeSignature', () => {
  const body = '{"call_sid":"CA1","name":"f","arguments":{},"from":"+1","to":"+2"}';
  const now = 1_800_000_000;

  it('accepts a fresh request signed with the secret', () => {
    expect(verifyVoicebridgeSignature(SECRET, String(now), body, signToolsRequest(SECRET, now, body), now + 10)).toBe(true);
  });

  it('refuses another secret, another body, or another timestamp', () => {
    const signature = signToolsRequest(SECRET, now, body);
    expect(verifyVoicebridgeSignature('another-secret-123', String(now), body, signature, now)).toBe(false);
    expect(verifyVoicebridgeSignature(SECRET, String(now), `${body} `, signature, now)).toBe(false);
    expect(verifyVoicebridgeSignature(SECRET, String(now + 1), body, signature, now)).toBe(false);
  });

  it('refuses a timestamp older than 5 minutes, or a missing header', () => {
    const signature = signToolsRequest(SECRET, now, body);
    expect(verifyVoicebridgeSignature(SECRET, String(now), body, signature, now + 300)).toBe(true);
    expect(verifyVoicebridgeSignature(SECRET, String(now), body, signature, now + 301)).toBe(false);
    expect(verifyVoicebridgeSignature(SECRET, String(now), body, undefined, now)).toBe(false);
    expect(verifyVoicebridgeSignature(SECRET, undefined, body, signature, now)).toBe(false);
    expect(verifyVoicebridgeSignature(SECRET, 'soon', body, signature, now)).toBe(false);
  });

  it('accepts any one of several v1 signatures, and a raw Buffer body', () => {
    const header = `v1=${'0'.repeat(64)}, ${signToolsRequest(SECRET, now, body)}`;
    expect(verifyVoicebridgeSignature(SECRET, String(now), Buffer.from(body), header, now)).toBe(true);
  });
});

async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
