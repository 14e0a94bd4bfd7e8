// The bridge's metrics in Prometheus form (prom-client), on a registry of its own so that several bridges in one
// process never share numbers. Gauges and frame counts are read at scrape time, so calls pay nothing for them.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BridgeMetrics, CallOutcome, DialOutcome, FrameCounters } from '../call/call-metrics.js';

export interface PrometheusMetricsOptions {
  /** Also expose the process's CPU, memory, event-loop lag and GC (for a real server; tests leave it off). */
  processMetrics?: boolean;
}

const OUTCOMES: readonly CallOutcome[] = ['completed', 'stream_lost', 'transferred', 'agent_failed', 'voice_failed', 'shutdown', 'refused_busy', 'refused_draining'];
const DIAL_OUTCOMES: readonly DialOutcome[] = ['answered', 'voicemail', 'no_answer', 'busy', 'failed'];

export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): BridgeMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'voicebridge_' });
  const frames: FrameCounters = { toVoice: 0, toCaller: 0 };
  let readCalls: () => { active: number; pending: number } = () => ({ active: 0, pending: 0 });

  new Gauge({
    name: 'voicebridge_active_calls',
    help: 'Calls connected to the bridge right now.',
    registers: [registry],
    collect() {
      this.set(readCalls().active);
    },
  });
  new Gauge({
    name: 'voicebridge_pending_calls',
    help: 'Calls answered by the webhook whose media stream has not started yet.',
    registers: [registry],
    collect() {
      this.set(readCalls().pending);
    },
  });
  const calls = new Counter({
    name: 'voicebridge_calls_total',
    help: 'Calls by how they ended (refused_* were turned away at the webhook); calls the bridge placed also by how they were answered (answered, voicemail, no_answer, busy, failed).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of [...OUTCOMES, ...DIAL_OUTCOMES]) calls.inc({ outcome }, 0);
  const turnLatency = new Histogram({
    name: 'voicebridge_turn_latency_seconds',
    help: "From the caller's final transcript to the first audio of the answer sent to Twilio.",
    buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    registers: [registry],
  });
  const agentErrors = new Counter({
    name: 'voicebridge_agent_errors_total',
    help: "Turns the agent failed, by kind (timeout, rate-limit, quota, server, network, …); the caller heard an apology.",
    labelNames: ['kind'],
    registers: [registry],
  });
  const reconnects = new Counter({
    name: 'voicebridge_realtime_reconnects_total',
    help: 'Reconnects of a call\'s OpenAI Realtime connection after it dropped, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['ok', 'failed']) reconnects.inc({ result }, 0);
  new Counter({
    name: 'voicebridge_frames_relayed_total',
    help: 'Audio frames relayed, by direction: caller_to_voice (Twilio to OpenAI Realtime), voice_to_caller (back to Twilio).',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      // Counters only go up: publish the integers the call path keeps, as they stand now.
      this.reset();
      this.inc({ direction: 'caller_to_voice' }, frames.toVoice);
      this.inc({ direction: 'voice_to_caller' }, frames.toCaller);
    },
  });

  return {
    frames,
    turnAnswered: (seconds) => turnLatency.observe(seconds),
    agentError: (kind) => agentErrors.inc({ kind }),
    realtimeReconnect: (result) => reconnects.inc({ result }),
    callEnded: (outcome) => calls.inc({ outcome }),
    callDialled: (outcome) => calls.inc({ outcome }),
    watchCalls(read) {
      readCalls = read;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
