// The shape of one doctor check. Each check lives in its own file under checks/ and is listed in checks/index.ts.
import type { Config } from '../config/config.js';
import type { Clock } from '../util/clock.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** One short line: what was found. */
  summary: string;
  /** Optional further lines shown under the summary (e.g. expected vs actual). */
  detail?: string[];
  /** What to do about it, when there is something to do. */
  fix?: string;
  /** Facts other checks may use (e.g. the models list fetched once). Never rendered. */
  facts?: Record<string, unknown>;
}

export interface CheckContext {
  config: Config;
  clock: Clock;
  /** Results of the checks this one depends on, by id (only those listed in `needs`). */
  results: ReadonlyMap<string, CheckResult>;
  /** Aborted when the check's own timeout passes. */
  signal: AbortSignal;
}

export interface Check {
  id: string;
  title: string;
  /** Ids of checks that must finish first; if one of them failed or was skipped, this check is skipped. */
  needs?: string[];
  /** Checks that touch the network; `serve` runs only the offline ones plus the agent check. */
  online?: boolean;
  timeoutMs?: number;
  run(context: CheckContext): Promise<CheckResult>;
}

export interface CheckReport {
  id: string;
  title: string;
  status: CheckStatus;
  summary: string;
  detail?: string[];
  fix?: string;
  durationMs: number;
}
