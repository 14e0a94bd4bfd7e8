import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/check.js';
import { webhookUrlCheck } from '../../src/doctor/checks/webhook-url.js';
import { unreachableHostReason } from '../../src/knowledge/public-host.js';
import { HttpFake, sendJson } from '../fakes/http-fake.js';
import { configFrom, runCheck } from './openai-check-context.js';

let server: HttpFake | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A local server answering /healthz the way `voicebridge serve` does, or the way something else would. */
async function startServer(kind: 'voicebridge' | 'other' | 'ngrok-offline'): Promise<string> {
  server = new HttpFake();
  server.route('GET', '/healthz', (_request, response) => {
    if (kind === 'voicebridge') sendJson(response, 200, { ok: true, service: 'voicebridge', version: '0.1.0' });
    else if (kind === 'ngrok-offline') sendJson(response, 404, { error: 'tunnel not found' }, { 'ngrok-error-code': 'ERR_NGROK_3200' });
    else {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<h1>Not Found</h1>');
    }
  });
  await server.listen();
  return server.origin;
}

async function check(webhookUrl: string, env: Record<string, string> = {}): Promise<CheckResult> {
  return runCheck(webhookUrlCheck, configFrom({ WEBHOOK_URL: webhookUrl, ...env }));
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('the webhook URL check', () => {
  it('is an online check, skipped when WEBHOOK_URL is not set', async () => {
    expect(webhookUrlCheck.online).toBe(true);
    const result = await runCheck(webhookUrlCheck, configFrom({}));
    expect(result).toEqual({ status: 'skip', summary: 'WEBHOOK_URL is not set (see Required variables)' });
  });

  it('leaves an example value to the required variables check, without probing it', async () => {
    const result = await check('https://your-domain.ngrok.app');
    expect(result).toEqual({ status: 'skip', summary: 'WEBHOOK_URL still holds an example value (see Required variables)' });
  });

  it('fails a value that is not a URL', async () => {
    const result = await check('voice.acme-clinic.com');
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('WEBHOOK_URL (voice.acme-clinic.com) is not a URL');
  });

  it('fails http on a public host, proposing the same host over https', async () => {
    // TEST-NET-3: a public-looking address nothing answers at.
    const result = await check('http://203.0.113.7:8080');
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('WEBHOOK_URL uses http: Twilio needs https (and wss, with a valid certificate, for the call audio)');
    expect(result.fix?.split('\n')[0]).toBe('Set WEBHOOK_URL=https://203.0.113.7:8080 (the https base URL of your server or tunnel).');
  });

  it('takes http on this machine as the local-only setup it is: no https://localhost, and says what real calls need', async () => {
    const origin = await startServer('voicebridge');
    const host = new URL(origin).host;
    const result = await check(origin, { PORT: '5077' });
    expect(result.status).toBe('warn');
    expect(result.summary).toBe(`Twilio cannot reach ${host}: 127.0.0.1 is this machine (loopback) (and Twilio needs https)`);
    expect(result.detail).toEqual([`a voicebridge server answers at ${origin}/healthz (version 0.1.0)`]);
    expect(result.fix).toBe(
      'Expose the server with a tunnel (e.g. ngrok http 5077) and set WEBHOOK_URL to the https URL it prints.\n' +
        `For calls from this machine only (voicebridge call, no Twilio), WEBHOOK_URL=http://${host} is enough: no tunnel, no https.`,
    );
    expect(result.fix).not.toContain('https://127.0.0.1');
  });

  it('warns that Twilio cannot reach localhost, and says how to start a server when none answers', async () => {
    const port = await closedPort();
    const result = await check(`https://localhost:${port}`, { PORT: '5050' });
    expect(result.status).toBe('warn');
    expect(result.summary).toBe(`Twilio cannot reach localhost:${port}: localhost is this machine`);
    expect(result.detail).toEqual([`no voicebridge server answers at https://localhost:${port}/healthz (connection refused: nothing listens there)`]);
    expect(result.fix).toBe(
      'Start the server: npx voicebridge serve (it listens on port 5050).\n' +
        'Expose the server with a tunnel (e.g. ngrok http 5050) and set WEBHOOK_URL to the https URL it prints.\n' +
        `For calls from this machine only (voicebridge call, no Twilio), WEBHOOK_URL=http://localhost:${port} is enough: no tunnel, no https.`,
    );
  });

  it('in SIP mode speaks of OpenAI, which calls WEBHOOK_URL there, and offers no local-only setup', async () => {
    const publicHttp = await check('http://203.0.113.7:8080', { TRANSPORT: 'sip' });
    expect(publicHttp.summary).toBe('WEBHOOK_URL uses http: OpenAI sends its webhooks to https only');
    expect(publicHttp.fix?.split('\n')[0]).toBe('Set WEBHOOK_URL=https://203.0.113.7:8080 (the https base URL of your server or tunnel).');

    const origin = await startServer('voicebridge');
    const host = new URL(origin).host;
    const local = await check(`${origin}/openai-webhook`, { PORT: '5077', TRANSPORT: 'sip' });
    expect(local.status).toBe('fail');
    expect(local.summary).toBe('WEBHOOK_URL ends in /openai-webhook: it must be the base URL (voicebridge adds /openai-webhook itself)');
    expect(local.detail).toContain(`OpenAI cannot reach ${host}: 127.0.0.1 is this machine (loopback) (and OpenAI needs https)`);
    expect(local.fix).toBe(
      'Set WEBHOOK_URL to the https base URL your tunnel prints (nothing after it).\n' +
        'Expose the server with a tunnel (e.g. ngrok http 5077) and set WEBHOOK_URL to the https URL it prints.',
    );
  });

  it('says when the server behind the URL is not voicebridge', async () => {
    const origin = await startServer('other');
    const result = await check(origin);
    expect(result.detail).toContain(`a server answers at ${origin}/healthz, but it is not voicebridge (HTTP 404, text/html, not a voicebridge server)`);
  });

  it('recognises an ngrok URL whose tunnel is not running', async () => {
    const origin = await startServer('ngrok-offline');
    const result = await check(origin);
    expect(result.detail?.join('\n')).toContain('ngrok answers, but no tunnel is running behind this URL (ERR_NGROK_3200)');
  });

  it('fails a query string, which Twilio rejects on stream URLs (31920)', async () => {
    const port = await closedPort();
    const result = await check(`https://localhost:${port}/?token=abc`);
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('WEBHOOK_URL has a query string: Twilio rejects a stream URL with a query string (error 31920)');
    expect(result.fix?.split('\n')[0]).toBe(
      `Set WEBHOOK_URL=http://localhost:${port} (the base URL, nothing after it) for calls from this machine only, or to the https URL of your tunnel for real calls.`,
    );
  });

  it('fails a fragment', async () => {
    const port = await closedPort();
    const result = await check(`https://localhost:${port}#voice`);
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('#fragment');
  });

  it('fails the full voice URL given where the base URL belongs, and probes the base', async () => {
    const origin = await startServer('voicebridge');
    const result = await check(`${origin}/incoming-call`);
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('WEBHOOK_URL ends in /incoming-call: it must be the base URL (voicebridge adds /incoming-call itself)');
    expect(result.detail).toContain(`a voicebridge server answers at ${origin}/healthz (version 0.1.0)`);
    // On this machine, the base URL proposed is the local-only one, over http as given.
    expect(result.fix?.split('\n')[0]).toBe(
      `Set WEBHOOK_URL=http://${new URL(origin).host} (the base URL, nothing after it) for calls from this machine only, or to the https URL of your tunnel for real calls.`,
    );
  });

  it('fails the OpenAI webhook address given where the base URL belongs (SIP mode adds /openai-webhook itself)', async () => {
    const origin = await startServer('voicebridge');
    const result = await check(`${origin}/openai-webhook`, { TRANSPORT: 'sip' });
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('WEBHOOK_URL ends in /openai-webhook: it must be the base URL (voicebridge adds /openai-webhook itself)');
  });

  it('fails a wss:// URL: the https base is wanted', async () => {
    const result = await check('wss://voice.acme-clinic.com');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('it must be the https:// base URL');
    expect(result.fix).toBe('Set WEBHOOK_URL=https://voice.acme-clinic.com (the https base URL of your server or tunnel).');
  });
});

describe('which hosts Twilio can reach', () => {
  it('treats loopback, private, link-local and local-only names as unreachable', () => {
    expect(unreachableHostReason('localhost')).toBe('localhost is this machine');
    expect(unreachableHostReason('127.0.0.1')).toBe('127.0.0.1 is this machine (loopback)');
    expect(unreachableHostReason('[::1]')).toBe('::1 is this machine (loopback)');
    expect(unreachableHostReason('10.1.2.3')).toBe('10.1.2.3 is a private network address');
    expect(unreachableHostReason('172.20.0.5')).toBe('172.20.0.5 is a private network address');
    expect(unreachableHostReason('192.168.1.20')).toBe('192.168.1.20 is a private network address');
    expect(unreachableHostReason('169.254.10.1')).toBe('169.254.10.1 is a link-local address');
    expect(unreachableHostReason('100.100.1.1')).toBe('100.100.1.1 is a carrier-grade NAT address, not reachable from the internet');
    expect(unreachableHostReason('[fd12:3456::1]')).toBe('fd12:3456::1 is a private (unique local) address');
    expect(unreachableHostReason('[fe80::1]')).toBe('fe80::1 is a link-local address');
    expect(unreachableHostReason('my-mac.local')).toBe('my-mac.local is a local-network name that does not resolve on the internet');
    expect(unreachableHostReason('devbox')).toBe('devbox is not a full domain name');
  });

  it('sees through an IPv4 address written in IPv6 form, as a URL writes it', async () => {
    expect(unreachableHostReason(new URL('https://[::ffff:127.0.0.1]').hostname)).toBe(
      '::ffff:7f00:1 is an IPv4 address in IPv6 form: 127.0.0.1 is this machine (loopback)',
    );
    expect(unreachableHostReason('[::ffff:c0a8:114]')).toBe('::ffff:c0a8:114 is an IPv4 address in IPv6 form: 192.168.1.20 is a private network address');
    expect(unreachableHostReason('[::ffff:808:808]')).toBeUndefined();
    const result = await check('https://[::ffff:127.0.0.1]');
    expect(result.status).toBe('warn');
    expect([result.summary, ...(result.detail ?? [])].join('\n')).toContain('Twilio cannot reach [::ffff:7f00:1]');
  });

  it('treats public names and addresses as reachable', () => {
    for (const host of ['voice.acme-clinic.com', 'abc123.ngrok.app', '8.8.8.8', '172.32.0.1', '[2606:4700::1111]']) {
      expect(unreachableHostReason(host)).toBeUndefined();
    }
  });
});
