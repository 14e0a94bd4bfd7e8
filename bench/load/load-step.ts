// One load measurement: N simulated Twilio calls through a fresh process under test (the bridge or the null relay),
// each sending a tagged 20 ms frame every 20 ms while its Realtime session speaks a tagged 20 ms delta every 20 ms.
// After every call is up and a warm-up, frames sent during the window are timed end to end (sender to receiver, both
// in this process, one clock), lost frames counted, and the process's CPU time and RSS read.
import { setTimeout as sleep } from 'node:timers/promises';
import type { VoiceEngineName } from '../../src/config/defaults.js';
import { BENCH_PUBLIC_BASE, BENCH_TWILIO_ACCOUNT_SID, BENCH_TWILIO_AUTH_TOKEN, startBridge, startNullRelay, type Pinning, type TargetProcess } from '../target-process.js';
import { BenchCall } from './bench-call.js';
import { FrameClock } from './frame-clock.js';
import { FrameLedger, type DirectionStats } from './frame-ledger.js';
import { FRAME_MS } from './frame-tags.js';
import { TimedRealtime } from './timed-realtime.js';

export type TargetKind = 'bridge' | 'null relay';

export interface LoadStepOptions {
  target: TargetKind;
  /** The bridge's voice engine (VOICE_ENGINE), default realtime; the null relay always relays Realtime. */
  voiceEngine?: VoiceEngineName;
  calls: number;
  warmupMs: number;
  windowMs: number;
  pinning: Pinning;
  repoRoot: string;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

export interface DirectionResult extends LatencySummary {
  sent: number;
  lost: number;
  altered: number;
  duplicated: number;
  unknown: number;
}

export interface LoadStepResult {
  target: TargetKind;
  voiceEngine: VoiceEngineName;
  calls: number;
  /** Calls that were set up and carried audio both ways. */
  callsUp: number;
  setupMs: number;
  /** Caller → Realtime: Twilio media frame in, input_audio_buffer.append out. */
  toRealtime: DirectionResult;
  /** Realtime → caller: response.output_audio.delta in, Twilio media frame out. */
  toCaller: DirectionResult;
  /** Frames that reached another call than the one they belonged to. */
  crossedFrames: number;
  protocolErrors: string[];
  cpuMsPerCallSecond: number;
  rssIdleBytes: number;
  rssLoadedBytes: number;
  rssPerCallBytes: number;
  generator: { cpuPercent: number; maxLateMs: number; lateFrames: number; skippedFrames: number };
  /**
   * The generator fell behind its 20 ms clock (it skipped frames, or used over 90 % of its core): the step then measures
   * the generator, or other work on the machine, more than the process under test.
   */
  generatorBehind: boolean;
  /** Warnings and errors the process under test logged. */
  problems: string[];
  problemCount: number;
}

const API_KEY = 'sk-proj-benchKeyNotRealbenchKeyNotReal0000';
const SETUP_CONCURRENCY = 32;
const SETUP_BUDGET_MS = 30_000;
const FIRST_AUDIO_TIMEOUT_MS = 5_000;
const DRAIN_MS = 500;

export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function summarise(stats: DirectionStats): DirectionResult {
  const { latencies } = stats;
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.length > 0 ? latencies[latencies.length - 1]! : Number.NaN,
    sent: stats.sent,
    lost: stats.lost,
    altered: stats.altered,
    duplicated: stats.duplicated,
    unknown: stats.unknown,
  };
}

export async function runLoadStep(options: LoadStepOptions): Promise<LoadStepResult> {
  const { calls } = options;
  // Every stream's frames fit in its ledger for the whole step, set-up included; the clock stops before that.
  const framesPerStream = Math.ceil((SETUP_BUDGET_MS + FIRST_AUDIO_TIMEOUT_MS + options.warmupMs + options.windowMs + DRAIN_MS) / FRAME_MS) + 50;
  const expectedSamples = Math.ceil((calls * options.windowMs) / FRAME_MS) + 1024;
  const clock = new FrameClock();
  const toRealtime = new FrameLedger(framesPerStream, expectedSamples);
  const toCaller = new FrameLedger(framesPerStream, expectedSamples);
  const realtime = await new TimedRealtime({
    apiKey: API_KEY,
    clock,
    inbound: toRealtime,
    outbound: toCaller,
    // Speech frames run half a frame after caller frames, spread over the 20 ms like the calls.
    phaseFor: (session) => ((session * FRAME_MS) / calls + FRAME_MS / 2) % FRAME_MS,
  }).listen();
  const target = await startTarget(options, realtime);
  const benchCalls: BenchCall[] = [];
  try {
    await sleep(300);
    const rssIdleBytes = target.rssBytes();
    clock.start();
    const setupStarted = performance.now();
    await openCalls(target, calls, (call, index) => {
      benchCalls.push(call);
      call.startAudio(clock, (index * FRAME_MS) / calls);
    }, { inbound: toRealtime, outbound: toCaller });
    const setupMs = performance.now() - setupStarted;
    const deadline = performance.now() + FIRST_AUDIO_TIMEOUT_MS;
    while (benchCalls.some((call) => call.mediaFrames === 0 && !call.closed) && performance.now() < deadline) await sleep(20);
    const callsUp = benchCalls.filter((call) => call.mediaFrames > 0 && !call.closed).length;

    await sleep(options.warmupMs);
    const windowFrom = performance.now();
    toRealtime.setWindow(windowFrom, Infinity);
    toCaller.setWindow(windowFrom, Infinity);
    const cpuBefore = target.cpuMs();
    const generatorBefore = process.cpuUsage();
    const lateBefore = { late: clock.lateFrames, skipped: clock.skippedFrames };
    clock.maxLateMs = 0;
    await sleep(options.windowMs);
    const windowTo = performance.now();
    toRealtime.setWindow(windowFrom, windowTo);
    toCaller.setWindow(windowFrom, windowTo);
    const cpuMs = target.cpuMs() - cpuBefore;
    const generatorCpu = process.cpuUsage(generatorBefore);
    const rssLoadedBytes = target.rssBytes();
    const generator = {
      cpuPercent: ((generatorCpu.user + generatorCpu.system) / 1000 / (windowTo - windowFrom)) * 100,
      maxLateMs: clock.maxLateMs,
      lateFrames: clock.lateFrames - lateBefore.late,
      skippedFrames: clock.skippedFrames - lateBefore.skipped,
    };
    clock.stop();
    await sleep(DRAIN_MS);
    const windowSeconds = (windowTo - windowFrom) / 1000;
    return {
      target: options.target,
      voiceEngine: options.target === 'bridge' ? (options.voiceEngine ?? 'realtime') : 'realtime',
      calls,
      callsUp,
      setupMs,
      toRealtime: summarise(toRealtime.stats()),
      toCaller: summarise(toCaller.stats()),
      crossedFrames: realtime.crossedFrames + benchCalls.reduce((total, call) => total + call.crossedFrames, 0),
      protocolErrors: [...new Set(benchCalls.flatMap((call) => call.protocolErrors))].slice(0, 5),
      cpuMsPerCallSecond: cpuMs / (calls * windowSeconds),
      rssIdleBytes,
      rssLoadedBytes,
      rssPerCallBytes: (rssLoadedBytes - rssIdleBytes) / calls,
      generator,
      generatorBehind: generator.skippedFrames > 0 || generator.cpuPercent > 90,
      problems: target.problems,
      problemCount: target.problemCount,
    };
  } finally {
    clock.stop();
    for (const call of benchCalls) call.hangUp();
    await sleep(200);
    for (const call of benchCalls) call.terminate();
    await target.stop();
    await realtime.close();
  }
}

function startTarget(options: LoadStepOptions, realtime: TimedRealtime): Promise<TargetProcess> {
  if (options.target === 'null relay') return startNullRelay(`ws://127.0.0.1:${realtime.port}/v1/realtime`, API_KEY, options.pinning);
  return startBridge(
    options.repoRoot,
    {
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: realtime.baseURL,
      VOICE_ENGINE: options.voiceEngine ?? 'realtime',
      // An Agents API agent: read once for its tools; its session is created with the first utterance, and these calls
      // never speak.
      ASSISTANT_ID: 'agent_0123456789abcdef01234567',
    },
    options.pinning,
  );
}

/** Places `count` calls, a few at a time; each is handed over as soon as its stream has started. */
async function openCalls(
  target: TargetProcess,
  count: number,
  started: (call: BenchCall, index: number) => void,
  ledgers: { inbound: FrameLedger; outbound: FrameLedger },
): Promise<void> {
  const address = { origin: target.origin, voiceUrl: `${BENCH_PUBLIC_BASE}/incoming-call`, authToken: BENCH_TWILIO_AUTH_TOKEN, accountSid: BENCH_TWILIO_ACCOUNT_SID };
  const deadline = performance.now() + SETUP_BUDGET_MS;
  let next = 0;
  let failures = 0;
  let firstFailure: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const index = next;
      next += 1;
      const call = new BenchCall(address, ledgers);
      try {
        await call.connect(await call.webhook());
        started(call, index);
      } catch (error) {
        failures += 1;
        firstFailure ??= error;
        call.terminate();
        if (failures > Math.max(3, count / 100)) {
          throw new Error(`too many calls could not be placed (${failures}); the first failed with: ${(firstFailure as Error).message}`, { cause: error });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, count) }, () => worker()));
}
