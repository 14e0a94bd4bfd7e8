// `npm run bench [-- --quick] [-- --sip] [-- --json <file>]` (--sip: only the relay at 200 calls and the SIP rows): measures `voicebridge serve` on this machine and prints a table
// and the same results as JSON. Every measurement starts a fresh process under test on loopback:
//   1. frame relay at 200 calls, for the null relay (the floor) and for the bridge: per-frame transit each way,
//      frames lost, CPU time per call-second, RSS per call;
//   2. capacity: the largest number of calls the bridge carries on one core before the p99 transit passes 20 ms
//      (a bounded search: a few doublings, then a few halvings of the gap);
//   3. turn overhead for each agent backend against the full simulator, and the greeting with and without pre-warm;
//   4. SIP mode (serve as the control plane of calls OpenAI answers): CPU per call-second and RSS per call.
// Every loop is bounded in count and in time; on two cores the full run takes about 2½ minutes, --quick about one.
// On a machine busy with other work, tails grow in every column (the floor's too): see README, Performance.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BrainBackend } from '../src/agents/brain.js';
import { VOICE_ENGINES, type VoiceEngineName } from '../src/config/defaults.js';
import { measureForgedWebhooks, type ForgedWebhookResult } from './forged-webhooks.js';
import { runLoadStep, type LoadStepResult } from './load/load-step.js';
import { median, renderReport, renderSipComparison, type BenchReport, type TargetVerdict } from './report.js';
import { runSipStep, type SipStepResult } from './sip-step.js';
import { choosePinning, pinGenerator } from './target-process.js';
import { measureTurns, type TurnResult } from './turn-overhead.js';

interface Plan {
  mode: 'quick' | 'full';
  warmupMs: number;
  windowMs: number;
  latencyCalls: number;
  /** Call counts tried in order until one fails; then the gap is halved `bisections` times. */
  capacitySteps: number[];
  bisections: number;
  turnCalls: number;
  turnsPerCall: number;
  /** The capacity search stops starting new steps after this long. */
  budgetMs: number;
  /** Call counts measured in SIP mode. */
  sipCalls: number[];
}

const PLANS: Record<Plan['mode'], Plan> = {
  quick: { mode: 'quick', warmupMs: 500, windowMs: 2_000, latencyCalls: 200, capacitySteps: [500], bisections: 0, turnCalls: 1, turnsPerCall: 3, budgetMs: 60_000, sipCalls: [200] },
  full: { mode: 'full', warmupMs: 1_000, windowMs: 5_000, latencyCalls: 200, capacitySteps: [500, 1_000, 2_000], bisections: 2, turnCalls: 2, turnsPerCall: 4, budgetMs: 240_000, sipCalls: [200, 1_000] },
};

const P99_LIMIT_MS = 20;
const BACKENDS: BrainBackend[] = ['agents', 'assistants', 'responses'];
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1]?.trim() ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

function progress(message: string): void {
  process.stderr.write(`· ${message}\n`);
}

function passes(step: LoadStepResult): boolean {
  return step.callsUp === step.calls && step.toRealtime.p99 <= P99_LIMIT_MS && step.toCaller.p99 <= P99_LIMIT_MS;
}

function describeStep(step: LoadStepResult): string {
  const lost = step.toRealtime.lost + step.toCaller.lost;
  return `${step.target} × ${step.calls}: p99 ${step.toRealtime.p99.toFixed(2)} / ${step.toCaller.p99.toFixed(2)} ms, lost ${lost}, ${(
    (step.cpuMsPerCallSecond * step.calls) /
    10
  ).toFixed(0)} % CPU, generator ${step.generator.cpuPercent.toFixed(0)} %`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const plan = process.argv.includes('--quick') ? PLANS.quick : PLANS.full;
  const jsonFile = argument('--json');
  const cores = availableParallelism();
  const pinning = choosePinning();
  pinGenerator(pinning);
  const machine = {
    cores,
    cpu: cpuModel(),
    node: process.version,
    pinning: pinning.description,
    commit: safeCommit(),
    /** Other work on the machine shows in the tails: the one-minute load average when the run began. */
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
  progress(`${plan.mode} run on ${machine.cores} × ${machine.cpu}, Node ${machine.node}; ${pinning.description}`);
  const steps: LoadStepResult[] = [];
  const measure = async (target: LoadStepResult['target'], calls: number, voiceEngine: VoiceEngineName = 'realtime'): Promise<LoadStepResult> => {
    const step = await runLoadStep({ target, calls, voiceEngine, warmupMs: plan.warmupMs, windowMs: plan.windowMs, pinning, repoRoot });
    steps.push(step);
    progress(describeStep(step));
    return step;
  };

  const floor = await measure('null relay', plan.latencyCalls);
  const bridge = await measure('bridge', plan.latencyCalls);
  if (process.argv.includes('--sip')) {
    const sip = await measureSip(plan, pinning);
    process.stdout.write(`${renderSipComparison(bridge, sip)}\n`);
    const json = JSON.stringify({ machine, relay: { calls: plan.latencyCalls, floor, bridge }, sip }, jsonReplacer, 2);
    process.stdout.write(`\nJSON:\n${json}\n`);
    if (jsonFile) writeFileSync(jsonFile, `${json}\n`);
    return;
  }
  // The same calls with GPT-Live as the voice (VOICE_ENGINE=live), for the table's second serve column.
  const bridgeLive = await measure('bridge', plan.latencyCalls, 'live');

  // Capacity: the largest N whose p99 stays within 20 ms both ways, found in a bounded number of steps.
  let passed: LoadStepResult | undefined = passes(bridge) ? bridge : undefined;
  let failedAt = Infinity;
  let failedStep: LoadStepResult | undefined;
  const budgetLeft = (): boolean => performance.now() - started < plan.budgetMs;
  for (const calls of plan.capacitySteps) {
    if (!budgetLeft()) break;
    const step = await measure('bridge', calls);
    if (passes(step)) passed = step;
    else {
      failedAt = calls;
      failedStep = step;
      break;
    }
  }
  for (let round = 0; round < plan.bisections && Number.isFinite(failedAt) && budgetLeft(); round += 1) {
    const low = passed?.calls ?? 0;
    const calls = Math.round((low + failedAt) / 2 / 50) * 50;
    if (calls <= low || calls >= failedAt) break;
    const step = await measure('bridge', calls);
    if (passes(step)) passed = step;
    else {
      failedAt = calls;
      failedStep = step;
    }
  }
  const floorAtCapacity = passed && passed.calls !== plan.latencyCalls && plan.mode === 'full' ? await measure('null relay', passed.calls) : undefined;

  const turns: TurnResult[] = [];
  for (const voiceEngine of VOICE_ENGINES) {
    for (const backend of BACKENDS) {
      progress(`turns on the ${backend} backend, ${voiceEngine === 'live' ? 'GPT-Live' : 'Realtime'} voice`);
      turns.push(await measureTurns({ backend, voiceEngine, calls: plan.turnCalls, turnsPerCall: plan.turnsPerCall, prewarm: true, pinning, repoRoot }));
    }
  }
  progress('greeting without pre-warm');
  const coldGreeting = await measureTurns({ backend: 'responses', calls: Math.max(2, plan.turnCalls), turnsPerCall: 1, prewarm: false, pinning, repoRoot });
  progress('forged webhooks, small and 64 KB');
  const forgedWebhooks = await measureForgedWebhooks({ requests: plan.mode === 'quick' ? 500 : 2_000, pinning, repoRoot });

  const sip = await measureSip(plan, pinning);

  const fiveHundred = steps.find((step) => step.target === 'bridge' && step.calls === 500);
  const report: BenchReport = {
    mode: plan.mode,
    machine,
    plan: { warmupMs: plan.warmupMs, windowMs: plan.windowMs, p99LimitMs: P99_LIMIT_MS },
    relay: { calls: plan.latencyCalls, floor, bridge, bridgeLive },
    capacity: {
      largestPassing: passed?.calls,
      firstFailing: Number.isFinite(failedAt) ? failedAt : undefined,
      searchCapped: !Number.isFinite(failedAt),
      generatorBehind: failedStep?.generatorBehind ?? false,
      bridge: passed,
      floor: floorAtCapacity,
    },
    turns,
    coldGreeting,
    forgedWebhooks,
    sip,
    steps,
    targets: verdicts(bridge, floor, fiveHundred, turns, forgedWebhooks),
    durationSeconds: 0,
  };
  report.durationSeconds = Math.round((performance.now() - started) / 1000);
  process.stdout.write(`${renderReport(report)}\n`);
  const json = JSON.stringify(report, jsonReplacer, 2);
  process.stdout.write(`\nJSON:\n${json}\n`);
  if (jsonFile) writeFileSync(jsonFile, `${json}\n`);
}

/** SIP mode at each of the plan's call counts. */
async function measureSip(plan: Plan, pinning: ReturnType<typeof choosePinning>): Promise<SipStepResult[]> {
  const sip: SipStepResult[] = [];
  for (const calls of plan.sipCalls) {
    const step = await runSipStep({ calls, warmupMs: plan.warmupMs, windowMs: plan.windowMs, pinning, repoRoot });
    sip.push(step);
    progress(`SIP control plane × ${calls}: ${step.callsUp} up, ${step.setupCpuMsPerCall.toFixed(2)} ms CPU per call set up, ${step.cpuMsPerCallSecond.toFixed(3)} ms CPU per call-second, ${(step.rssPerCallBytes / 1024).toFixed(0)} KB per call`);
  }
  return sip;
}

function verdicts(
  bridge: LoadStepResult,
  floor: LoadStepResult,
  fiveHundred: LoadStepResult | undefined,
  turns: TurnResult[],
  forged: ForgedWebhookResult,
): TargetVerdict[] {
  // What the bridge adds is its transit above the floor's, measured the same way under the same load: the floor
  // carries the kernel's loopback and the generator's own event loop, which no relay can avoid.
  const addedP99 = (direction: 'toRealtime' | 'toCaller'): number => bridge[direction].p99 - floor[direction].p99;
  const worstAddedP99 = Math.max(addedP99('toRealtime'), addedP99('toCaller'));
  const lost = (step: LoadStepResult): number => step.toRealtime.lost + step.toCaller.lost;
  const sent = (step: LoadStepResult): number => step.toRealtime.sent + step.toCaller.sent;
  const medians = turns.map((turn) => ({
    backend: turn.voiceEngine === 'live' ? `${turn.backend} on GPT-Live` : turn.backend,
    median: median(turn.overheadMs),
    max: Math.max(...turn.overheadMs),
  }));
  const worstMedian = Math.max(...medians.map((entry) => entry.median));
  const mbPerCall = bridge.rssPerCallBytes / (1024 * 1024);
  return [
    {
      target: `p99 added per frame ≤ 1 ms at ${bridge.calls} calls`,
      met: worstAddedP99 <= 1,
      measured:
        `${addedP99('toRealtime').toFixed(2)} ms Twilio → Realtime, ${addedP99('toCaller').toFixed(2)} ms Realtime → Twilio above the null relay ` +
        `(p99 transit ${bridge.toRealtime.p99.toFixed(2)} / ${bridge.toCaller.p99.toFixed(2)} ms; the floor's ${floor.toRealtime.p99.toFixed(2)} / ${floor.toCaller.p99.toFixed(2)} ms)`,
    },
    {
      target: '≥ 500 calls on one core, no frame lost',
      met: fiveHundred !== undefined && passes(fiveHundred) && lost(fiveHundred) === 0,
      measured: fiveHundred ? `500 calls: ${lost(fiveHundred)} of ${sent(fiveHundred)} frames lost, p99 ${Math.max(fiveHundred.toRealtime.p99, fiveHundred.toCaller.p99).toFixed(2)} ms` : 'not measured (time budget)',
    },
    {
      target: 'turn overhead ≤ 30 ms',
      met: worstMedian <= 30,
      measured: medians.map((entry) => `${entry.backend} median ${entry.median.toFixed(1)} ms (worst turn ${entry.max.toFixed(1)})`).join(', '),
    },
    { target: '≤ 2 MB per call', met: mbPerCall <= 2, measured: `${mbPerCall.toFixed(2)} MB RSS per call at ${bridge.calls} calls` },
    {
      target: 'a forged 64 KB webhook costs ≤ 2× a small forged one',
      met: forged.unexpected === 0 && forged.bigCpuUs <= 2 * forged.smallCpuUs,
      measured:
        `${forged.bigCpuUs.toFixed(0)} µs against ${forged.smallCpuUs.toFixed(0)} µs of CPU per refusal (${(forged.bigCpuUs / forged.smallCpuUs).toFixed(2)}×, ` +
        `${forged.requests} of each, ${forged.unexpected} not refused)`,
    },
  ];
}

/** Rounds times to µs in the JSON; NaN and Infinity become null. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : null;
  return value;
}

function safeCommit(): string | undefined {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`The benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
