// A throw-away project folder with a .env, and ways to run create-assistant in it: as a user would (the built CLI,
// stdin closed, no terminal) or in this process with captured output (to inject a file-system failure).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import type { Output } from '../../src/cli/output.js';
import { redactSecrets } from '../../src/util/mask-secret.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FAKE_OPENAI_KEY, type FakeOpenAI } from '../fakes/openai/fake-openai.js';

/** The date the product sees (VOICEBRIDGE_TODAY), so dated comments are predictable. */
export const TODAY = '2026-11-24';

export interface Project {
  dir: string;
  envPath: string;
  readEnv(): Promise<string>;
  remove(): Promise<void>;
}

export async function makeProject(envText?: string): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'voicebridge-create-assistant-'));
  const envPath = join(dir, '.env');
  if (envText !== undefined) await writeFile(envPath, envText);
  return {
    dir,
    envPath,
    readEnv: () => readFile(envPath, 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A .env with the fake's key, as a user who has only just filled in OPENAI_API_KEY has it. */
export function envWithKey(rest = ''): string {
  return `# OpenAI\nOPENAI_API_KEY=${FAKE_OPENAI_KEY}\n${rest}`;
}

export function processEnvFor(fake: FakeOpenAI): Record<string, string> {
  return { OPENAI_BASE_URL: fake.baseURL, VOICEBRIDGE_TODAY: TODAY };
}

/** Runs the built CLI in the project, against the fake, with stdin closed and no terminal. */
export function runCreateAssistant(project: Project, fake: FakeOpenAI, args: string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['create-assistant', ...args], { cwd: project.dir, env: { ...processEnvFor(fake), ...env } });
}

/** An Output that keeps what the command printed, masked exactly as the terminal output is. */
export function captureOutput(): { output: Output; text(): string } {
  const lines: string[] = [];
  const secrets: string[] = [];
  return {
    output: {
      chalk: new Chalk({ level: 0 }),
      isTTY: false,
      out: (text) => lines.push(redactSecrets(text, secrets)),
      err: (text) => lines.push(redactSecrets(text, secrets)),
      addSecrets: (more) => secrets.push(...more),
    },
    text: () => lines.join('\n'),
  };
}
