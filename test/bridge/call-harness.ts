// A whole bridge for call tests: FakeOpenAI (Realtime plus the agent backend createBrain picks), the fake Twilio REST
// API (where the bridge hangs up or transfers calls), the real serve server on loopback, and fake Twilio callers that
// dial it as Twilio would.
import type { BrainBackend } from '../../src/agents/brain.js';
import { createMemoryLog } from '../../src/log/call-log.js';
import { startBridgeServer, type BridgeServer, type BridgeServerOptions } from '../../src/server/bridge-server.js';
import type { RawEnv } from '../../src/config/config.js';
import { startBackend, type BackendUnderTest } from '../agents/brain-harness.js';
import type { FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { FakeTwilioCaller, type FakeTwilioCallerOptions } from '../fakes/twilio/fake-twilio-caller.js';
import { fakeSid, FakeTwilioRest, type FakeCall } from '../fakes/twilio/fake-twilio-rest.js';

export const TWILIO_AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
export const TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const PUBLIC_BASE = 'https://voice.example.test';

export interface CallBridge {
  fake: FakeOpenAI;
  server: BridgeServer;
  backend: BackendUnderTest;
  /** Twilio's REST API: each dialled call is registered here, so hang-ups and transfers show in `call(…).updates`. */
  twilio: FakeTwilioRest;
  /** The REST API's record of a dialled call. */
  call(caller: FakeTwilioCaller): FakeCall;
  /** Every log line the bridge wrote. */
  lines: string[];
  /** Options for a fake caller of this bridge. */
  callerOptions(overrides?: Partial<FakeTwilioCallerOptions>): FakeTwilioCallerOptions;
  /** Places a call (webhook + stream) and returns the caller. */
  dial(overrides?: Partial<FakeTwilioCallerOptions>): Promise<FakeTwilioCaller>;
  /** Lines of one call's log. */
  callLog(caller: FakeTwilioCaller): string[];
  stop(): Promise<void>;
}

export async function startCallBridge(
  backendName: BrainBackend,
  options: { env?: RawEnv; server?: Partial<BridgeServerOptions> } = {},
): Promise<CallBridge> {
  const twilio = await FakeTwilioRest.start({ accounts: [{ sid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN }] });
  const backend = await startBackend(backendName, {
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_API_BASE_URL: twilio.baseURL,
    TWILIO_PHONE_NUMBER: '+14155550100',
    WEBHOOK_URL: PUBLIC_BASE,
    ...options.env,
  });
  const log = createMemoryLog('text', backend.config.secrets);
  const server = await startBridgeServer({ config: backend.config, brain: backend.brain, log, port: 0, host: '127.0.0.1', ...options.server });
  const callers: FakeTwilioCaller[] = [];
  const callerOptions = (overrides: Partial<FakeTwilioCallerOptions> = {}): FakeTwilioCallerOptions => ({
    serverOrigin: `http://127.0.0.1:${server.port}`,
    voiceUrl: `${PUBLIC_BASE}/incoming-call`,
    authToken: TWILIO_AUTH_TOKEN,
    accountSid: TWILIO_ACCOUNT_SID,
    ...overrides,
  });
  return {
    fake: backend.fake,
    server,
    backend,
    twilio,
    call(caller) {
      const call = twilio.calls.get(caller.callSid);
      if (!call) throw new Error(`the fake Twilio REST API has no call ${caller.callSid}`);
      return call;
    },
    lines: log.lines,
    callerOptions,
    async dial(overrides) {
      const options = callerOptions({ callSid: fakeSid('CA'), ...overrides });
      if (options.callSid && !twilio.calls.has(options.callSid)) twilio.addCall({ sid: options.callSid, accountSid: TWILIO_ACCOUNT_SID });
      const caller = await FakeTwilioCaller.dial(options);
      callers.push(caller);
      return caller;
    },
    callLog: (caller) => log.lines.filter((line) => line.includes(`[${caller.callSid}]`)),
    async stop() {
      for (const caller of callers) caller.drop();
      await server.close();
      await backend.stop();
      await twilio.close();
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
