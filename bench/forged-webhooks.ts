// The cost of refusing forged webhooks: CPU time `voicebridge serve` spends per refused request, for small forged
// webhooks and for the expensive shape (a 64 KB form of ~6,000 parameters with a well-formed but wrong signature).
// A server that parses and HMACs before refusing pays many times more for the second; the target is that a flood of
// big forgeries costs about what a flood of small ones does.
import { request } from 'node:http';
import { seedAgent } from '../src/simulator/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../src/simulator/openai/fake-openai.js';
import { startBridge, type Pinning } from './target-process.js';

export interface ForgedWebhookResult {
  requests: number;
  /** CPU of the process under test per refused request, in µs. */
  smallCpuUs: number;
  bigCpuUs: number;
  /** Requests that got anything but the expected refusal. */
  unexpected: number;
}

const CONCURRENCY = 16;
const FORGED_SIGNATURE = `${'Z'.repeat(27)}=`;

export async function measureForgedWebhooks(options: { requests: number; pinning: Pinning; repoRoot: string }): Promise<ForgedWebhookResult> {
  const fake = await FakeOpenAI.start();
  const bridge = await startBridge(options.repoRoot, { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: fake.baseURL, ASSISTANT_ID: seedAgent(fake).id }, options.pinning);
  const port = Number(new URL(bridge.origin).port);
  const small = new URLSearchParams({ AccountSid: 'AC0123456789abcdef0123456789abcdef', CallSid: `CA${'1'.repeat(32)}`, From: '+14155550123', To: '+14155550100' }).toString();
  const big = Array.from({ length: 6_000 }, (_, index) => `p${index}=v`).join('&').slice(0, 64 * 1024 - 1);
  let unexpected = 0;
  const flood = async (body: string): Promise<number> => {
    const before = bridge.cpuMs();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < options.requests) {
        next += 1;
        const status = await post(port, body);
        if (status !== 403 && status !== 400) unexpected += 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    return ((bridge.cpuMs() - before) * 1000) / options.requests;
  };
  try {
    await flood(small); // warm-up: JIT, sockets
    const smallCpuUs = await flood(small);
    const bigCpuUs = await flood(big);
    return { requests: options.requests, smallCpuUs, bigCpuUs, unexpected };
  } finally {
    await bridge.stop();
    await fake.close();
  }
}

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path: '/incoming-call',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': FORGED_SIGNATURE },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    // The server may answer and close before it has read a refused body: that is a refusal, not a failure.
    outgoing.on('error', () => resolve(0));
    outgoing.end(body);
  });
}
