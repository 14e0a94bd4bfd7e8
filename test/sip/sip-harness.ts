// A whole bridge in SIP mode for call tests: FakeOpenAI (its SIP side, the sidebands, and the agent backend createBrain
// picks), the real serve server on loopback with TRANSPORT=sip, and a ring() that places a call on the fake trunk and
// delivers OpenAI's two signed webhooks for it (realtime.call.incoming, live.transport.incoming), as OpenAI does.
import type { BrainBackend } from '../../src/agents/brain.js';
import { createMemoryLog } from '../../src/log/call-log.js';
import { startBridgeServer, type BridgeServer, type BridgeServerOptions } from '../../src/server/bridge-server.js';
import type { RawEnv } from '../../src/config/config.js';
import { startBackend, type BackendUnderTest } from '../agents/brain-harness.js';
import type { FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { fakeWebhookSecret, type FakeSipCall, type PlaceCallOptions, type WebhookDelivery } from '../fakes/openai/sip.js';

export const PROJECT_ID = 'proj_Fake0123456789abcdef';
export const WEBHOOK_SECRET = fakeWebhookSecret();

export interface SipBridge {
  fake: FakeOpenAI;
  server: BridgeServer;
  backend: BackendUnderTest;
  /** The webhook address of this instance. */
  webhookUrl: string;
  lines: string[];
  /** Places a call on the trunk and delivers both of OpenAI's webhooks for it here. */
  ring(options?: PlaceCallOptions): Promise<{ call: FakeSipCall; deliveries: WebhookDelivery[] }>;
  /** Lines of one call's log. */
  callLog(call: FakeSipCall): string[];
  stop(): Promise<void>;
}

export interface SipBridgeOptions {
  env?: RawEnv;
  server?: Partial<BridgeServerOptions>;
  /** Another instance's fake OpenAI to share (two instances behind one load balancer). */
  backend?: BackendUnderTest;
}

export async function startSipBridge(backendName: BrainBackend, options: SipBridgeOptions = {}): Promise<SipBridge> {
  const env: RawEnv = { TRANSPORT: 'sip', OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET, OPENAI_PROJECT_ID: PROJECT_ID, ...options.env };
  const backend = options.backend ?? (await startBackend(backendName, env));
  const log = createMemoryLog('text', backend.config.secrets);
  const server = await startBridgeServer({ config: backend.config, brain: backend.brain, log, port: 0, host: '127.0.0.1', ...options.server });
  const webhookUrl = `http://127.0.0.1:${server.port}/openai-webhook`;
  const ownBackend = options.backend === undefined;
  return {
    fake: backend.fake,
    server,
    backend,
    webhookUrl,
    lines: log.lines,
    async ring(placeOptions) {
      const call = backend.fake.sip.placeCall(placeOptions);
      const deliveries = await backend.fake.sip.ring(call, webhookUrl, WEBHOOK_SECRET);
      return { call, deliveries };
    },
    callLog: (call) => log.lines.filter((line) => line.includes(`[${call.callId}]`) || line.includes(`[${call.sessionId}]`)),
    async stop() {
      await server.close();
      if (ownBackend) await backend.stop();
    },
  };
}

/** Resolves once `condition` holds, checking every few milliseconds; fails with `what` after the timeout. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
