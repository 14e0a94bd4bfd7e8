// The benchmark's results as one object (printed as JSON) and as the table a person reads.
import type { DirectionResult, LoadStepResult } from './load/load-step.js';
import type { ForgedWebhookResult } from './forged-webhooks.js';
import type { SipStepResult } from './sip-step.js';
import type { TurnResult } from './turn-overhead.js';

export interface TargetVerdict {
  target: string;
  met: boolean;
  measured: string;
}

export interface BenchReport {
  mode: 'quick' | 'full';
  machine: { cores: number; cpu: string; node: string; pinning: string; commit: string | undefined; loadAverageAtStart: number };
  plan: { warmupMs: number; windowMs: number; p99LimitMs: number };
  /** bridge: serve on OpenAI Realtime; bridgeLive: serve on GPT-Live (VOICE_ENGINE=live), when measured. */
  relay: { calls: number; floor: LoadStepResult; bridge: LoadStepResult; bridgeLive?: LoadStepResult };
  capacity: {
    largestPassing: number | undefined;
    firstFailing: number | undefined;
    /** True when every step passed: the largest N is at least the last one tried. */
    searchCapped: boolean;
    /** True when the load generator fell behind in the failing step: the bridge's own limit may be higher. */
    generatorBehind: boolean;
    bridge: LoadStepResult | undefined;
    floor: LoadStepResult | undefined;
  };
  turns: TurnResult[];
  coldGreeting: TurnResult;
  forgedWebhooks: ForgedWebhookResult;
  /** SIP mode: serve as the control plane of calls OpenAI answers, at each call count measured. */
  sip: SipStepResult[];
  steps: LoadStepResult[];
  targets: TargetVerdict[];
  durationSeconds: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '–');
const latency = (direction: DirectionResult): string => `${ms(direction.p50)} / ${ms(direction.p99)} / ${ms(direction.max)}`;
const ratio = (value: number, floor: number): string => (floor > 0 && Number.isFinite(value / floor) ? `${(value / floor).toFixed(1)}×` : '–');
const lost = (step: LoadStepResult): string => `${step.toRealtime.lost + step.toCaller.lost} of ${step.toRealtime.sent + step.toCaller.sent}`;
const cpuPercent = (step: LoadStepResult): number => (step.cpuMsPerCallSecond * step.calls) / 10;
const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(2);

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
}

export function renderReport(report: BenchReport): string {
  const { machine, relay, capacity } = report;
  const { floor, bridge, bridgeLive } = relay;
  const lines: string[] = [];
  lines.push(`voicebridge bench (${report.mode}) — ${machine.cores} × ${machine.cpu}, Node ${machine.node}${machine.commit ? `, commit ${machine.commit}` : ''}`);
  lines.push(
    `${machine.pinning}; load average ${machine.loadAverageAtStart.toFixed(2)} at start; ${report.plan.windowMs / 1000} s measured per step after a ${report.plan.warmupMs / 1000} s warm-up; took ${report.durationSeconds} s`,
  );
  lines.push('');
  // With GPT-Live measured too, a column of its own: the same calls and frames through serve on each voice engine.
  const live = bridgeLive ? [bridgeLive] : [];
  const widths = [44, 22, 22, ...live.map(() => 22), 12];
  const liveCells = (cell: (step: LoadStepResult) => string): string[] => live.map(cell);
  lines.push(row([`Frame relay, ${relay.calls} calls, 20 ms frames each way`, 'null relay (floor)', bridgeLive ? 'serve, Realtime' : 'voicebridge serve', ...liveCells(() => 'serve, GPT-Live'), 'serve ÷ floor'], widths));
  lines.push(row(['  Twilio → voice p50 / p99 / max (ms)', latency(floor.toRealtime), latency(bridge.toRealtime), ...liveCells((step) => latency(step.toRealtime)), ratio(bridge.toRealtime.p99, floor.toRealtime.p99)], widths));
  lines.push(row(['  voice → Twilio p50 / p99 / max (ms)', latency(floor.toCaller), latency(bridge.toCaller), ...liveCells((step) => latency(step.toCaller)), ratio(bridge.toCaller.p99, floor.toCaller.p99)], widths));
  lines.push(row(['  frames lost', lost(floor), lost(bridge), ...liveCells(lost), ''], widths));
  lines.push(row(['  CPU per call-second (ms)', ms(floor.cpuMsPerCallSecond), ms(bridge.cpuMsPerCallSecond), ...liveCells((step) => ms(step.cpuMsPerCallSecond)), ratio(bridge.cpuMsPerCallSecond, floor.cpuMsPerCallSecond)], widths));
  lines.push(row(['  CPU of one core (%)', cpuPercent(floor).toFixed(0), cpuPercent(bridge).toFixed(0), ...liveCells((step) => cpuPercent(step).toFixed(0)), ''], widths));
  lines.push(row(['  RSS per call (MB)', mb(floor.rssPerCallBytes), mb(bridge.rssPerCallBytes), ...liveCells((step) => mb(step.rssPerCallBytes)), ratio(bridge.rssPerCallBytes, floor.rssPerCallBytes)], widths));
  lines.push('');
  lines.push(`Capacity on one core (p99 ≤ ${report.plan.p99LimitMs} ms both ways, every call up):`);
  for (const step of report.steps.filter((each) => each.target === 'bridge' && each.voiceEngine === 'realtime' && each.calls !== relay.calls)) {
    const ok = step.callsUp === step.calls && Math.max(step.toRealtime.p99, step.toCaller.p99) <= report.plan.p99LimitMs;
    lines.push(
      `  ${ok ? 'pass' : 'FAIL'} ${String(step.calls).padStart(5)} calls: p99 ${ms(step.toRealtime.p99)} / ${ms(step.toCaller.p99)} ms, lost ${lost(step)}, ` +
        `CPU ${cpuPercent(step).toFixed(0)} %, RSS ${mb(step.rssLoadedBytes)} MB, calls up ${step.callsUp}, generator CPU ${step.generator.cpuPercent.toFixed(0)} %` +
        (step.generatorBehind ? ` — the load generator fell behind its clock (${step.generator.skippedFrames} frames skipped)` : ''),
    );
  }
  const largest = capacity.largestPassing;
  lines.push(
    largest === undefined
      ? '  → no step passed'
      : `  → largest N: ${capacity.searchCapped || capacity.generatorBehind ? '≥ ' : ''}${largest} calls` +
          (capacity.firstFailing
            ? capacity.generatorBehind
              ? ` (at ${capacity.firstFailing} the load generator fell behind: the limit found is the generator's or the machine's, the bridge's may be higher)`
              : ` (fails at ${capacity.firstFailing})`
            : ' (the search stops there)'),
  );
  if (capacity.floor) lines.push(`  null relay at ${capacity.floor.calls} calls: p99 ${ms(capacity.floor.toRealtime.p99)} / ${ms(capacity.floor.toCaller.p99)} ms, CPU ${cpuPercent(capacity.floor).toFixed(0)} %`);
  lines.push('');
  const turnWidths = [24, 20, 12, 12, 8];
  lines.push('Turn overhead (answer audio − final transcript or GPT-Live delegation − simulator delays)');
  lines.push(row(['  backend', 'voice engine', 'median (ms)', 'worst (ms)', 'turns'], turnWidths));
  for (const turn of report.turns) {
    const engine = turn.voiceEngine === 'live' ? 'GPT-Live' : 'Realtime';
    lines.push(row([`  ${turn.backend}`, engine, ms(median(turn.overheadMs)), ms(Math.max(...turn.overheadMs)), String(turn.overheadMs.length)], turnWidths));
  }
  const warmGreetings = report.turns.filter((turn) => turn.voiceEngine === 'realtime').flatMap((turn) => turn.greetingMs);
  const liveGreetings = report.turns.filter((turn) => turn.voiceEngine === 'live').flatMap((turn) => turn.greetingMs);
  lines.push(
    `Greeting after the stream starts (− voice delay): median ${ms(median(warmGreetings))} ms pre-warmed, ${ms(median(report.coldGreeting.greetingMs))} ms without pre-warm (PREWARM_TIMEOUT_MS=0)`,
  );
  if (liveGreetings.length > 0) lines.push(`Greeting after the stream starts on GPT-Live (− voice delay): median ${ms(median(liveGreetings))} ms pre-warmed`);
  lines.push('');
  if (report.sip.length > 0) lines.push(renderSipComparison(bridge, report.sip), '');
  lines.push('Targets:');
  for (const verdict of report.targets) lines.push(`  ${verdict.met ? 'met    ' : 'NOT MET'} ${verdict.target}: ${verdict.measured}`);
  const problems = [...report.steps.flatMap((step) => step.problems), ...report.turns.flatMap((turn) => turn.problems), ...report.sip.flatMap((step) => step.problems)];
  const protocolErrors = report.steps.flatMap((step) => step.protocolErrors);
  const crossed = report.steps.reduce((total, step) => total + step.crossedFrames, 0);
  const altered = report.steps.reduce((total, step) => total + step.toRealtime.altered + step.toCaller.altered, 0);
  lines.push('');
  lines.push(`Checks: ${altered} payloads altered, ${crossed} frames crossed between calls, ${protocolErrors.length} protocol errors, ${problems.length} warnings logged by the bridge`);
  for (const line of [...protocolErrors, ...problems].slice(0, 10)) lines.push(`  ${line}`);
  return lines.join('\n');
}

/** The SIP rows: serve as the control plane beside the Media Streams relay measured in the same run. */
export function renderSipComparison(relay: LoadStepResult, sip: SipStepResult[]): string {
  const widths = [14, 10, 24, 28, 20, 44];
  const lines = ['SIP control plane (serve --transport sip: OpenAI carries the audio) beside the Media Streams relay, calls held'];
  lines.push(row(['  calls', 'calls up', 'set-up CPU per call (ms)', 'CPU per call-second (ms)', 'RSS per call (MB)', `cheaper than the Media Streams relay at ${relay.calls} calls`], widths));
  lines.push(row([`  ${relay.calls} (relay)`, String(relay.callsUp), '–', relay.cpuMsPerCallSecond.toFixed(3), mb(relay.rssPerCallBytes), ''], widths));
  for (const step of sip) {
    lines.push(
      row(
        [
          `  ${step.calls}`,
          String(step.callsUp),
          step.setupCpuMsPerCall.toFixed(2),
          step.cpuMsPerCallSecond.toFixed(3),
          mb(step.rssPerCallBytes),
          `CPU ${ratio(relay.cpuMsPerCallSecond, step.cpuMsPerCallSecond)}, RSS ${ratio(relay.rssPerCallBytes, step.rssPerCallBytes)}`,
        ],
        widths,
      ),
    );
  }
  return lines.join('\n');
}
