// The processes under test, each started fresh for a measurement: the real `voicebridge serve` (the built CLI, with a
// clean environment and no .env), or the null relay. On a machine with two or more cores the process under test is
// pinned to core 0 and the load generator to the others, so "one core" means one core. CPU time and RSS are read from
// /proc (Linux); elsewhere they are reported as unknown.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Pinning {
  /** Cores for the process under test (taskset list), or undefined when it is not pinned. */
  target: string | undefined;
  /** Cores for the load generator. */
  generator: string | undefined;
  description: string;
}

export function choosePinning(): Pinning {
  const cores = availableParallelism();
  const taskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  if (cores < 2 || !taskset) {
    return { target: undefined, generator: undefined, description: `not pinned (${cores < 2 ? 'one core' : 'no taskset'}): the generator shares the CPU with the process under test` };
  }
  const generator = cores === 2 ? '1' : `1-${cores - 1}`;
  return { target: '0', generator, description: `process under test pinned to core 0, load generator to core${cores === 2 ? '' : 's'} ${generator}` };
}

/** Moves this process (all its threads) onto the generator's cores. */
export function pinGenerator(pinning: Pinning): void {
  if (pinning.generator) spawnSync('taskset', ['-a', '-p', '-c', pinning.generator, String(process.pid)], { stdio: 'ignore' });
}

export interface TargetProcess {
  readonly name: string;
  readonly pid: number;
  /** http://127.0.0.1:port */
  readonly origin: string;
  /** User + system CPU time used so far, in ms (NaN where /proc is not available). */
  cpuMs(): number;
  rssBytes(): number;
  /** Warnings and errors the process logged (the first few), and how many there were. */
  readonly problems: string[];
  problemCount: number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
const STARTUP_TIMEOUT_MS = 30_000;
const MAX_PROBLEMS_KEPT = 10;

function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

function readRssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

interface StartOptions {
  name: string;
  args: string[];
  env: Record<string, string>;
  pinning: Pinning;
  /** Reads the port from one line of the process's output, if that line announces it. */
  portFrom(line: string): number | undefined;
  /** Whether a line of output is a warning or an error worth reporting. */
  isProblem(line: string): boolean;
}

async function startTarget(options: StartOptions): Promise<TargetProcess> {
  const cwd = await mkdtemp(join(tmpdir(), 'voicebridge-bench-'));
  const command = options.pinning.target ? 'taskset' : process.execPath;
  const args = options.pinning.target ? ['-c', options.pinning.target, process.execPath, ...options.args] : options.args;
  const child: ChildProcess = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      // For profiling the process under test, e.g. BENCH_TARGET_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/profiles".
      ...(process.env.BENCH_TARGET_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_TARGET_NODE_OPTIONS } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const problems: string[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const target: { -readonly [K in keyof TargetProcess]: TargetProcess[K] } = {
    name: options.name,
    pid: child.pid ?? -1,
    origin: '',
    problems,
    problemCount: 0,
    cpuMs: () => readCpuMs(child.pid ?? -1),
    rssBytes: () => readRssBytes(child.pid ?? -1),
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(cwd, { recursive: true, force: true });
    },
  };
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4_000) stderr += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start within ${STARTUP_TIMEOUT_MS / 1000} s\n${stderr}`)), STARTUP_TIMEOUT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before listening\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const announced = options.portFrom(line);
      if (announced !== undefined) {
        clearTimeout(timer);
        resolve(announced);
        return;
      }
      if (options.isProblem(line)) {
        target.problemCount += 1;
        if (problems.length < MAX_PROBLEMS_KEPT) problems.push(line.slice(0, 300));
      }
    });
  }).catch(async (error: unknown) => {
    await target.stop();
    throw error;
  });
  target.origin = `http://127.0.0.1:${port}`;
  return target;
}

/** Where the bench's bridge believes it is reached from: never resolved, the callers map it to the local port. */
export const BENCH_PUBLIC_BASE = 'https://bench.voicebridge.test';
export const BENCH_TWILIO_AUTH_TOKEN = 'benchbenchbenchbenchbenchbench00';
export const BENCH_TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';

function jsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `voicebridge serve` from the built CLI, with JSON logs, on a free port. `env` adds the OpenAI side and the agent. */
export function startBridge(repoRoot: string, env: Record<string, string>, pinning: Pinning): Promise<TargetProcess> {
  return startTarget({
    name: 'voicebridge serve',
    args: [join(repoRoot, 'bin', 'voicebridge.js'), 'serve', '--skip-checks', '--port', '0', '--log-format', 'json'],
    env: {
      TWILIO_ACCOUNT_SID: BENCH_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: BENCH_TWILIO_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: '+14155550100',
      WEBHOOK_URL: BENCH_PUBLIC_BASE,
      // Nothing leaves the machine: were a call to reach for Twilio's REST API, it would meet a closed local port.
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      MAX_CALLS: '100000',
      DRAIN_TIMEOUT_MS: '1000',
      ...env,
    },
    pinning,
    portFrom: (line) => {
      const entry = jsonLine(line);
      if (entry && typeof entry.port === 'number' && /listening/i.test(String(entry.msg ?? ''))) return entry.port;
      const text = /Listening on\s+http:\/\/[^:\s]+:(\d+)/.exec(line);
      return text ? Number(text[1]) : undefined;
    },
    isProblem: (line) => {
      const level = jsonLine(line)?.level;
      return level === 'warn' || level === 'error' || level === 'fatal' || (typeof level === 'number' && level >= 40);
    },
  });
}

/** The null relay (bench/null-relay.ts, compiled next to this file). */
export function startNullRelay(realtimeUrl: string, apiKey: string, pinning: Pinning): Promise<TargetProcess> {
  return startTarget({
    name: 'null relay',
    args: [new URL('./null-relay.js', import.meta.url).pathname],
    env: { BENCH_REALTIME_URL: realtimeUrl, BENCH_OPENAI_KEY: apiKey },
    pinning,
    portFrom: (line) => {
      const port = jsonLine(line)?.port;
      return typeof port === 'number' ? port : undefined;
    },
    isProblem: () => false,
  });
}
