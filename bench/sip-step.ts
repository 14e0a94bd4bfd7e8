// One SIP-mode measurement: `voicebridge serve --transport sip` (a fresh process) as the control plane of N calls that
// the simulated OpenAI answers itself. Each call rings with OpenAI's two signed webhooks; serve accepts it and attaches
// its sideband, the greeting plays. Then the calls are held for the measured window, as the relay's calls are: no audio
// reaches serve, so what a call costs it is per event, not per 20 ms frame. Its CPU time per call-second and resident
// memory per call are read as for the Media Streams relay, and the set-up (webhook, accept, sideband, greeting) is
// measured apart, per call. A turn costs the same on both transports (the same agent API round trips), so the window
// has none, as the relay's has none.
import { setTimeout as sleep } from 'node:timers/promises';
import { seedAgent } from '../src/simulator/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../src/simulator/openai/fake-openai.js';
import { fakeWebhookSecret, type FakeSipCall } from '../src/simulator/openai/sip.js';
import { startBridge, type Pinning } from './target-process.js';

export interface SipStepOptions {
  calls: number;
  warmupMs: number;
  windowMs: number;
  pinning: Pinning;
  repoRoot: string;
}

export interface SipStepResult {
  calls: number;
  /** Calls accepted whose caller heard the greeting. */
  callsUp: number;
  setupMs: number;
  /** serve's CPU time from the first webhook to the last greeting heard, per call. */
  setupCpuMsPerCall: number;
  cpuMsPerCallSecond: number;
  rssIdleBytes: number;
  rssLoadedBytes: number;
  rssPerCallBytes: number;
  generatorCpuPercent: number;
  problems: string[];
  problemCount: number;
}

const PROJECT_ID = 'proj_Bench0123456789abcdef';
const SETUP_CONCURRENCY = 32;
const SETUP_BUDGET_MS = 60_000;

export async function runSipStep(options: SipStepOptions): Promise<SipStepResult> {
  const { calls } = options;
  const secret = fakeWebhookSecret();
  const fake = await FakeOpenAI.start();
  const agent = seedAgent(fake);
  const target = await startBridge(
    options.repoRoot,
    {
      TRANSPORT: 'sip',
      OPENAI_API_KEY: FAKE_OPENAI_KEY,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_WEBHOOK_SECRET: secret,
      OPENAI_PROJECT_ID: PROJECT_ID,
      ASSISTANT_ID: agent.id,
    },
    options.pinning,
  );
  const placed: FakeSipCall[] = [];
  try {
    await sleep(300);
    const rssIdleBytes = target.rssBytes();
    const setupCpuBefore = target.cpuMs();
    const setupStarted = performance.now();
    const webhookUrl = `${target.origin}/openai-webhook`;
    const deadline = performance.now() + SETUP_BUDGET_MS;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < calls && performance.now() < deadline) {
        next += 1;
        const call = fake.sip.placeCall();
        placed.push(call);
        await fake.sip.ring(call, webhookUrl, secret);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, calls) }, () => worker()));
    while (placed.some((call) => call.heard.length === 0 && call.state === 'accepted') && performance.now() < deadline) await sleep(50);
    const setupMs = performance.now() - setupStarted;
    const setupCpuMs = target.cpuMs() - setupCpuBefore;
    const callsUp = placed.filter((call) => call.heard.length > 0).length;
    await sleep(options.warmupMs);

    const cpuBefore = target.cpuMs();
    const generatorBefore = process.cpuUsage();
    const windowFrom = performance.now();
    await sleep(options.windowMs);
    const windowTo = performance.now();
    const cpuMs = target.cpuMs() - cpuBefore;
    const generatorCpu = process.cpuUsage(generatorBefore);
    const rssLoadedBytes = target.rssBytes();
    const windowSeconds = (windowTo - windowFrom) / 1000;
    return {
      calls,
      callsUp,
      setupMs,
      setupCpuMsPerCall: setupCpuMs / calls,
      cpuMsPerCallSecond: cpuMs / (calls * windowSeconds),
      rssIdleBytes,
      rssLoadedBytes,
      rssPerCallBytes: (rssLoadedBytes - rssIdleBytes) / calls,
      generatorCpuPercent: ((generatorCpu.user + generatorCpu.system) / 1000 / (windowTo - windowFrom)) * 100,
      problems: target.problems,
      problemCount: target.problemCount,
    };
  } finally {
    for (const call of placed) call.hangUp();
    await sleep(200);
    await target.stop();
    await fake.close();
  }
}
