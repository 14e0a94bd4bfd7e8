// Turn overhead for one agent backend and voice engine: a few calls through a fresh `voicebridge serve` against the
// full simulator (FakeOpenAI: Realtime with voice detection and transcription, or GPT-Live with its delegations, and
// the backend's agent). For each turn the caller speaks, the simulated voice says the caller's words are final (the
// Realtime transcript, or GPT-Live's delegation), and the overhead is the time until the first audio of the answer
// reaches the caller, minus what the simulated services spend on purpose (the agent's first-token and between-word
// delays, the voice's delay before its first audio). Also the greeting: from the stream's start frame to the
// greeting's first audio, minus the voice's delay.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrainBackend } from '../src/agents/brain.js';
import type { VoiceEngineName } from '../src/config/defaults.js';
import { speechAudio } from '../src/simulator/fake-audio.js';
import { replyDeltas } from '../src/simulator/openai/agent-mind.js';
import { seedAgent } from '../src/simulator/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../src/simulator/openai/fake-openai.js';
import { seedAssistant } from '../src/simulator/openai/threads.js';
import { BenchCall } from './load/bench-call.js';
import { FrameClock } from './load/frame-clock.js';
import { BENCH_PUBLIC_BASE, BENCH_TWILIO_ACCOUNT_SID, BENCH_TWILIO_AUTH_TOKEN, startBridge, type Pinning } from './target-process.js';

export interface TurnOptions {
  backend: BrainBackend;
  /** The voice engine serve runs with (default realtime). */
  voiceEngine?: VoiceEngineName;
  calls: number;
  turnsPerCall: number;
  /** false runs the bridge with PREWARM_TIMEOUT_MS=0. */
  prewarm: boolean;
  pinning: Pinning;
  repoRoot: string;
}

export interface TurnResult {
  backend: BrainBackend;
  voiceEngine: VoiceEngineName;
  prewarm: boolean;
  /** Per turn: first answer audio at the caller − final transcript sent − the simulator's own delays, in ms. */
  overheadMs: number[];
  /** Per call: first greeting audio at the caller − start frame sent − the voice's delay, in ms. */
  greetingMs: number[];
  /** What the simulated services spend on purpose per turn, subtracted above. */
  servicesDelayMs: number;
  problems: string[];
}

const REPLY = 'We open at nine in the morning.';
const AGENT_FIRST_TOKEN_MS = 5;
const AGENT_CHUNK_MS = 2;
const QUESTIONS = ['What time do you open', 'Do you deliver on Sundays', 'Can I book a table for four', 'Is there parking nearby'];
/** Between the webhook's answer and the stream's start Twilio takes a moment; a pre-warmed call uses it. */
const TWILIO_CONNECT_GAP_MS = 100;
const STEP_TIMEOUT_MS = 10_000;

export async function measureTurns(options: TurnOptions): Promise<TurnResult> {
  const fake = await FakeOpenAI.start({ assistantsApi: 'available' });
  fake.agentBehaviour = { reply: () => REPLY, firstTokenDelayMs: AGENT_FIRST_TOKEN_MS, chunkDelayMs: AGENT_CHUNK_MS };
  const voiceEngine = options.voiceEngine ?? 'realtime';
  const voiceDelayMs = voiceEngine === 'live' ? fake.live.options.firstAudioDelayMs : fake.realtime.options.firstAudioDelayMs;
  const servicesDelayMs = AGENT_FIRST_TOKEN_MS + (replyDeltas(REPLY).length - 1) * AGENT_CHUNK_MS + voiceDelayMs;
  let transcriptAt = Number.NaN;
  fake.realtime.onServerEvent = (_connection, event) => {
    if (event.type === 'conversation.item.input_audio_transcription.completed') transcriptAt = performance.now();
  };
  // GPT-Live has no final transcript: its delegation is the moment it hands the caller's words to the bridge.
  fake.live.onServerEvent = (_connection, event) => {
    if (event.type === 'session.delegation.created') transcriptAt = performance.now();
  };
  const folder = await mkdtemp(join(tmpdir(), 'voicebridge-bench-agent-'));
  const env: Record<string, string> = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    PREWARM_TIMEOUT_MS: options.prewarm ? '15000' : '0',
    VOICE_ENGINE: voiceEngine,
  };
  if (options.backend === 'agents') env.ASSISTANT_ID = seedAgent(fake).id;
  if (options.backend === 'assistants') env.ASSISTANT_ID = seedAssistant(fake).id;
  if (options.backend === 'responses') {
    env.ASSISTANT_INSTRUCTIONS_FILE = join(folder, 'assistant.md');
    await writeFile(env.ASSISTANT_INSTRUCTIONS_FILE, 'You answer phone callers for a bakery. Keep it short.\n');
  }
  const bridge = await startBridge(options.repoRoot, env, options.pinning);
  const clock = new FrameClock();
  clock.start();
  const result: TurnResult = { backend: options.backend, voiceEngine, prewarm: options.prewarm, overheadMs: [], greetingMs: [], servicesDelayMs, problems: [] };
  const address = { origin: bridge.origin, voiceUrl: `${BENCH_PUBLIC_BASE}/incoming-call`, authToken: BENCH_TWILIO_AUTH_TOKEN, accountSid: BENCH_TWILIO_ACCOUNT_SID };
  try {
    for (let callIndex = 0; callIndex < options.calls; callIndex += 1) {
      /** Arrival times of the bridge's media frames since the last reset. */
      let mediaTimes: number[] = [];
      let marks = 0;
      const call = new BenchCall(address, { onMedia: (at) => mediaTimes.push(at), onMark: () => (marks += 1) });
      const firstMediaSince = (since: number): number | undefined => mediaTimes.find((at) => at >= since);
      try {
        const answer = await call.webhook();
        await sleep(TWILIO_CONNECT_GAP_MS);
        await call.connect(answer);
        const startSentAt = performance.now();
        call.startAudio(clock, 0);
        await until(() => firstMediaSince(startSentAt) !== undefined, 'the greeting reached the caller');
        result.greetingMs.push(firstMediaSince(startSentAt)! - startSentAt - voiceDelayMs);
        await until(() => marks >= 1, 'the greeting finished');
        for (let turn = 0; turn < options.turnsPerCall; turn += 1) {
          const marksBefore = marks;
          transcriptAt = Number.NaN;
          mediaTimes = [];
          call.say(speechAudio(QUESTIONS[turn % QUESTIONS.length]!, 400));
          await until(() => !Number.isNaN(transcriptAt) && firstMediaSince(transcriptAt) !== undefined, 'the answer reached the caller');
          result.overheadMs.push(firstMediaSince(transcriptAt)! - transcriptAt - servicesDelayMs);
          await until(() => marks > marksBefore, 'the answer finished');
        }
      } finally {
        call.hangUp();
        await sleep(100);
        call.terminate();
      }
    }
  } finally {
    clock.stop();
    await bridge.stop();
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  }
  result.problems = bridge.problems;
  return result;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(1);
  }
}
