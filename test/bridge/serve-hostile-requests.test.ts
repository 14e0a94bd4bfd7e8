// What anyone on the internet can send to a running bridge: request targets that are not URLs, broken upgrades,
// headers in every wrong shape, oversized and overstuffed webhooks, abandoned requests. None may take the process
// (and every call in it) down, none may open anything, and none may flood the log.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_PARAMETERS } from '../../src/server/bridge-server.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { signTwilioRequest } from '../../src/softphone/twilio-request-signer.js';
import { eventually, PUBLIC_BASE, startCallBridge, TWILIO_AUTH_TOKEN, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

/** Sends raw bytes and returns whatever comes back before the server closes the connection (or 2 s pass). */
function raw(port: number, request: string | Buffer, options: { endAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, 2_000);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request, () => {
      if (options.endAfterWrite) socket.end();
    });
  });
}

function statusOf(response: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return match ? Number(match[1]) : undefined;
}

const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

/** Targets Node's HTTP parser lets through but `new URL(target, base)` cannot parse, or that are not paths at all. */
const HOSTILE_TARGETS = [
  '//[',
  '//[/media-stream',
  '//[::1/media-stream',
  '//[zz]/media-stream',
  '//[::1]:99999/media-stream',
  '//a:b/media-stream',
  '//host:65536/media-stream',
  '//host:-1/',
  '//user@[/media-stream',
  '//%zz/media-stream',
  '//%00/media-stream',
  '//xn--/media-stream',
  '//xn--a.xn--/',
  '//a b/',
  '//[v1.x]/media-stream',
  'http://[/media-stream',
  'http://a:b/media-stream',
  'ws://[::1:99999]/media-stream',
  'wss://voice.example.test/media-stream',
  'http:',
  'a:b',
  '*',
  '?',
  '%',
  '\\\\evil/media-stream',
  '/media-stream/../../../etc/passwd',
  '/%',
  '/%zz',
  '/media-stream?%',
  '/media-stream?%ff%fe',
  '/incoming-call?%zz',
  '/media-stream#frag',
  `/${'a'.repeat(9_000)}`,
  `/media-stream?${'x'.repeat(9_000)}`,
];

describe('request targets that are not paths', () => {
  it('answers every hostile target, upgrade or not, with an error and stays up for the next call', async () => {
    bridge = await startCallBridge('responses');
    const { port } = bridge.server;
    for (const target of HOSTILE_TARGETS) {
      for (const request of [
        `GET ${target} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        `POST ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b`,
      ]) {
        const status = statusOf(await raw(port, request));
        // Node's own parser refuses some of these outright (400, or closing the socket); the rest are ours to refuse.
        if (status !== undefined) expect([400, 403, 404, 405], `${request.split('\r\n')[0]} → ${status}`).toContain(status);
      }
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    expect(bridge.fake.realtime.connections).toHaveLength(1);
  });

  it('refuses an upgrade to a target that is not a path with 400 and one budgeted log line each', async () => {
    bridge = await startCallBridge('responses');
    const response = await raw(bridge.server.port, `GET //[ HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`);
    expect(statusOf(response)).toBe(400);
    expect(bridge.lines.filter((line) => line.includes('Refused an upgrade request whose target is not a path: "//["'))).toHaveLength(1);
    for (let index = 0; index < 30; index += 1) await raw(bridge.server.port, `GET //[${index} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`);
    const refusals = bridge.lines.filter((line) => line.includes('whose target is not a path'));
    expect(refusals).toHaveLength(10);
    expect(refusals.at(-1)).toContain('(further ones in the next 60 s are counted, not logged)');
  });
});

describe('broken upgrades and headers', () => {
  const signedUpgrade = signTwilioRequest(TWILIO_AUTH_TOKEN, 'wss://voice.example.test/media-stream', {});
  const HEADER_SETS = [
    `GET /media-stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: x\r\nX-Twilio-Signature: ${signedUpgrade}\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nX-Twilio-Signature: ${signedUpgrade}\r\n\r\n`,
    `POST /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}X-Twilio-Signature: ${signedUpgrade}\r\nContent-Length: 0\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}X-Twilio-Signature: a\r\nX-Twilio-Signature: b\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}X-Twilio-Signature: ${'A'.repeat(6_000)}\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}X-Twilio-Signature: \u00ff\u00fe\u0001\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\nX-Twilio-Signature: ${signedUpgrade}\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}Sec-WebSocket-Protocol: ,,,\r\nX-Twilio-Signature: ${signedUpgrade}\r\n\r\n`,
    `GET /media-stream HTTP/1.1\r\n${UPGRADE}\r\n`,
    `GET /media-stream HTTP/1.0\r\n${UPGRADE}\r\n`,
    `GET /media-stream HTTP/1.1\r\nHost: x\r\n${UPGRADE}${'X-Filler: y\r\n'.repeat(2_000)}\r\n`,
    `POST /incoming-call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Twilio-Signature: ${'A'.repeat(27)}=\r\n\r\nzz\r\nnot a chunk\r\n`,
    `POST /incoming-call HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789`,
    `POST /incoming-call HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
    `POST /incoming-call HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\nX-Twilio-Signature: ${'A'.repeat(27)}=\r\n\r\n`,
    `POST /incoming-call HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: ${'A'.repeat(27)}=\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\n%%%=&&&=%`,
    `POST /incoming-call?${'%'.repeat(100)} HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: ${'A'.repeat(27)}=\r\nContent-Length: 0\r\n\r\n`,
    `GARBAGE\r\n\r\n`,
    `\u0000\u0001\u0002\r\n\r\n`,
  ];

  it('refuses each without opening anything, and keeps taking calls', async () => {
    bridge = await startCallBridge('agents');
    const { port } = bridge.server;
    for (const request of HEADER_SETS) await raw(port, Buffer.from(request, 'latin1'));
    expect(bridge.fake.realtime.connections).toEqual([]);
    expect(bridge.server.pendingCalls).toBe(0);
    expect(bridge.server.openStreams).toBe(0);
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
  });
});

describe('forged webhooks cost little', () => {
  /** A form body of about 64 KB with ~6,000 parameters, the shape that made a forged webhook expensive to refuse. */
  const overstuffed = Array.from({ length: 6_000 }, (_, index) => `p${index}=v`).join('&');

  it(`refuses a body of more than ${MAX_WEBHOOK_PARAMETERS} parameters before parsing it or checking its signature`, async () => {
    bridge = await startCallBridge('agents');
    const response = await fetch(`http://127.0.0.1:${bridge.server.port}/incoming-call`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': `${'B'.repeat(27)}=` },
      body: overstuffed,
    });
    expect(response.status).toBe(400);
    expect(bridge.lines.join('\n')).toContain(`Refused a webhook: it carries more than ${MAX_WEBHOOK_PARAMETERS} form parameters, more than Twilio sends`);
    expect(bridge.fake.realtime.connections).toEqual([]);
  });

  it('refuses an unsigned webhook before reading its body, and a declared oversized one unread', async () => {
    bridge = await startCallBridge('agents');
    // Headers only: the body that was announced never comes. Refused at once, not after waiting for it.
    const unsigned = await raw(bridge.server.port, 'POST /incoming-call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n');
    expect(statusOf(unsigned)).toBe(403);
    expect(unsigned.toLowerCase()).toContain('connection: close');
    const oversized = await raw(
      bridge.server.port,
      `POST /incoming-call HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: ${'C'.repeat(27)}=\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`,
    );
    expect(statusOf(oversized)).toBe(413);
    expect(bridge.lines.join('\n')).toContain('Refused a webhook: its body is 10485760 bytes, more than Twilio sends');
  });

  it('still answers a genuine webhook carrying many parameters, as a SIP call with its headers does', async () => {
    bridge = await startCallBridge('responses', { server: { prewarmTimeoutMs: 200 } });
    const params: Record<string, string> = {
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      CallSid: `CA${'5'.repeat(32)}`,
      From: '+14155550123',
      To: '+14155550100',
    };
    while (Object.keys(params).length < MAX_WEBHOOK_PARAMETERS) params[`SipHeader_X-Header-${Object.keys(params).length}`] = 'value';
    const response = await fetch(`http://127.0.0.1:${bridge.server.port}/incoming-call`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(TWILIO_AUTH_TOKEN, `${PUBLIC_BASE}/incoming-call`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<Stream url="wss://voice.example.test/media-stream">');
  });

  it('logs nothing as an error when a sender abandons its webhook mid-body', async () => {
    bridge = await startCallBridge('agents');
    const partial = `POST /incoming-call HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: ${'D'.repeat(27)}=\r\nContent-Length: 500\r\n\r\nCallSid=CA`;
    for (let index = 0; index < 5; index += 1) await raw(bridge.server.port, partial, { endAfterWrite: true });
    await eventually(() => bridge!.lines.some((line) => line.includes('abandoned by its sender')), 'the abandoned requests are noted');
    expect(bridge.lines.filter((line) => line.includes('failed:'))).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${bridge.server.port}/healthz`)).status).toBe(200);
  });
});
