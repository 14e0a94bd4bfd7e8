// The shape of one doctor check. Each check lives in its own file under checks/ and is listed in checks/index.ts.
import type { Config } from '../config/config.js';
import type { ProvisionObserver, ProvisionResult } from '../provision/provision-result.js';
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
  /** Changes `doctor --fix` may make to put right what this check found, in the order to offer them. */
  autoFixes?: readonly AutoFix[];
}

/** What a fix would change right now: worked out just before it is offered, so earlier fixes are taken into account. */
export type FixPlan =
  /** The exact change, as lines a person reads (a .env line diff, or "voice URL: old → new (POST)"); no secret in them. */
  | { kind: 'change'; lines: string[] }
  /** Nothing left to change (an earlier fix already did it). */
  | { kind: 'not-needed'; reason: string }
  /** The fix cannot be made safely; the reason says what to do by hand. */
  | { kind: 'cannot'; reason: string };

export interface FixOutcome {
  applied: boolean;
  /** One line: what happened, or why it did not. */
  message: string;
  /** What was changed, when it differs from the plan shown (e.g. the real ID where the plan had a placeholder). */
  lines?: string[];
}

/** Shows a provisioning run as it goes, the way create-assistant shows its own. */
export interface ProvisionDisplay {
  /** Starts showing a run that changes `envPath`; the observer hears each step as it happens. */
  begin(envPath: string): ProvisionObserver;
  /** Shows how the run ended. */
  end(result: ProvisionResult): void;
}

/** What a fix may use while it works. */
export interface FixContext {
  clock: Clock;
  /**
   * Where a fix that creates an agent shows that run as it goes, for people. Left out (--json), nothing is shown and
   * the fix's outcome carries the .env change it made.
   */
  showProvisioning?: ProvisionDisplay;
}

/** A change that puts right what a check found, offered by `doctor --fix` and made only once confirmed. */
export interface AutoFix {
  /** A stable name for scripts, e.g. 'phone-number.voice-url'. */
  id: string;
  /** One line: what the fix does. */
  description: string;
  /** The command that does the same by hand, shown when the fix is not made. */
  command?: string;
  plan(context: FixContext): Promise<FixPlan>;
  apply(context: FixContext): Promise<FixOutcome>;
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
  /** Checks that touch the network; `serve` runs the offline ones plus those in src/cli/serve-start-up-checks.ts. */
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
  autoFixes?: readonly AutoFix[];
  durationMs: number;
  /** The id of the failed check this failure follows from: the verdict counts the cause once, not each consequence. */
  followsFrom?: string;
}
