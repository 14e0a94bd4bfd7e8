// Builds what a doctor check receives (config from an env, a fixed clock, earlier results) for the OpenAI check tests.
import { buildConfig, type Config } from '../../src/config/config.js';
import type { Check, CheckResult } from '../../src/doctor/check.js';
import { fixedClock } from '../../src/util/clock.js';

/** A config as `voicebridge doctor` would build it from a process environment and no .env file. */
export function configFrom(env: Record<string, string>): Config {
  return buildConfig({ path: '/nowhere/.env', explicit: false, found: false, values: {} }, env);
}

export interface RunOptions {
  today?: string;
  results?: Record<string, CheckResult>;
}

export async function runCheck(check: Check, config: Config, options: RunOptions = {}): Promise<CheckResult> {
  return check.run({
    config,
    clock: fixedClock(`${options.today ?? '2026-11-24'}T12:00:00Z`),
    results: new Map(Object.entries(options.results ?? {})),
    signal: new AbortController().signal,
  });
}

/** Every word of a result a user could see, for "no secret anywhere" assertions. */
export function visibleText(result: CheckResult): string {
  return [result.summary, ...(result.detail ?? []), result.fix ?? ''].join('\n');
}

/** True when 8 characters in a row of the secret's body (after its public sk-…- prefix) appear in `text`. */
export function leaksSecret(text: string, secret: string): boolean {
  const body = secret.trim().replace(/^['"]|['"]$/g, '').replace(/^(sk-(?:proj|svcacct|admin)-|sk-)/, '');
  for (let start = 0; start + 8 <= body.length; start += 1) {
    if (text.includes(body.slice(start, start + 8))) return true;
  }
  return false;
}
