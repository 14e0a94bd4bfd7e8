// A project folder with a .env, the fake OpenAI and Twilio servers, and `voicebridge doctor --fix` run as a user runs
// it: the built CLI in a child process with stdin closed (no terminal). Run `npm run build` first.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, FAKE_TWILIO_PHONE_NUMBER, FakeTwilioRest } from '../fakes/twilio/fake-twilio-rest.js';
import { leaksSecret } from './openai-check-context.js';

/** The date the product sees (VOICEBRIDGE_TODAY), so dated comments are predictable. */
export const TODAY = '2026-11-24';

/** A WEBHOOK_URL Twilio could be pointed at: https, not this machine or the local network, and not an example value. */
export const PUBLIC_WEBHOOK_URL = 'https://voicebridge-fix.invalid';

export interface FixWorld {
  openai: FakeOpenAI;
  twilio: FakeTwilioRest;
  /** An agent that exists on the fake. */
  agentId: string;
  close(): Promise<void>;
}

export async function startWorld(): Promise<FixWorld> {
  const [openai, twilio] = await Promise.all([FakeOpenAI.start(), FakeTwilioRest.start()]);
  const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: openai.baseURL, maxRetries: 0 });
  const agentId = (await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna', instructions: 'Answer the phone.' })).id;
  return { openai, twilio, agentId, close: async () => void (await Promise.all([openai.close(), twilio.close()])) };
}

export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Every variable right, as `key=value` pairs in file order. The number's voice URL is left as the fake has it (the
 * Twilio demo URL of a fresh number) unless the test sets it. WEBHOOK_URL is an https URL on a host that is not local
 * (so the doctor may point the number there) but never resolves (.invalid), so the webhook check can only warn; the
 * voice URL on the fake is only ever compared with it as a string.
 */
export async function healthyVars(world: FixWorld): Promise<Array<[string, string]>> {
  return [
    ['OPENAI_API_KEY', FAKE_OPENAI_KEY],
    ['OPENAI_BASE_URL', world.openai.baseURL],
    ['ASSISTANT_ID', world.agentId],
    ['TWILIO_ACCOUNT_SID', FAKE_TWILIO_ACCOUNT_SID],
    ['TWILIO_AUTH_TOKEN', FAKE_TWILIO_AUTH_TOKEN],
    ['TWILIO_PHONE_NUMBER', FAKE_TWILIO_PHONE_NUMBER],
    ['TWILIO_API_BASE_URL', world.twilio.baseURL],
    ['WEBHOOK_URL', PUBLIC_WEBHOOK_URL],
    ['PORT', String(await unusedPort())],
  ];
}

export function envText(lines: ReadonlyArray<[string, string] | string>, lineBreak = '\n'): string {
  return lines.map((line) => (typeof line === 'string' ? line : `${line[0]}=${line[1]}`)).join(lineBreak) + lineBreak;
}

export interface Project {
  dir: string;
  envPath: string;
  readEnv(): Promise<string>;
  writeEnv(text: string): Promise<void>;
  doctor(args: string[]): Promise<CliResult>;
  remove(): Promise<void>;
}

export async function makeProject(text: string): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'voicebridge-fix-'));
  const envPath = join(dir, '.env');
  await writeFile(envPath, text);
  return {
    dir,
    envPath,
    readEnv: () => readFile(envPath, 'utf8'),
    writeEnv: (next) => writeFile(envPath, next),
    doctor: (args) => runCli(['doctor', ...args], { cwd: dir, env: { VOICEBRIDGE_TODAY: TODAY }, timeoutMs: 25_000 }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** True when any 8 characters in a row of any secret's body appear in the command's output. */
export function leaksAny(result: CliResult, secrets: readonly string[]): boolean {
  const everything = `${result.stdout}\n${result.stderr}`;
  return secrets.some((secret) => leaksSecret(everything, secret));
}

export const SECRETS = [FAKE_OPENAI_KEY, FAKE_TWILIO_AUTH_TOKEN];

interface JsonFix {
  check: string;
  id: string;
  description: string;
  change: string[];
  status: string;
  message: string;
  command?: string;
}

export interface JsonFixReport {
  ok: boolean;
  checks: Array<{ id: string; status: string; summary: string; fix: string | null }>;
  fixes: JsonFix[];
}

export function parseFixReport(result: CliResult): JsonFixReport {
  return JSON.parse(result.stdout) as JsonFixReport;
}
