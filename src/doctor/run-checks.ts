// Runs doctor checks concurrently, each with its own timeout; a check waits only for the checks it needs.
import type { Config } from '../config/config.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Check, CheckReport, CheckResult } from './check.js';
import { voicebridgeCommand } from '../util/invocation.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface RunChecksOptions {
  config: Config;
  clock?: Clock;
  /** Called as each check finishes, for progress display. */
  onResult?: (report: CheckReport) => void;
}

export async function runChecks(checks: readonly Check[], options: RunChecksOptions): Promise<CheckReport[]> {
  const clock = options.clock ?? systemClock;
  const byId = new Map(checks.map((check) => [check.id, check]));
  const results = new Map<string, CheckResult>();
  const running = new Map<string, Promise<CheckResult>>();

  const start = (check: Check): Promise<CheckResult> => {
    const existing = running.get(check.id);
    if (existing) return existing;
    const promise = (async (): Promise<CheckResult> => {
      const needs = check.needs ?? [];
      const needed = await Promise.all(
        needs.map(async (id) => {
          const dependency = byId.get(id);
          return { id, result: dependency ? await start(dependency) : undefined };
        }),
      );
      const blocker = needed.find(({ result }) => !result || result.status === 'fail' || result.status === 'skip');
      if (blocker) {
        const title = byId.get(blocker.id)?.title ?? blocker.id;
        return { status: 'skip', summary: `skipped: needs "${title}" to pass first` };
      }
      return runOne(check, options.config, clock, results);
    })();
    running.set(check.id, promise);
    return promise;
  };

  const reports = await Promise.all(
    checks.map(async (check) => {
      const began = performance.now();
      const result = await start(check);
      results.set(check.id, result);
      const report: CheckReport = {
        id: check.id,
        title: check.title,
        status: result.status,
        summary: result.summary,
        ...(result.detail && result.detail.length > 0 ? { detail: result.detail } : {}),
        ...(result.fix ? { fix: result.fix } : {}),
        ...(result.autoFixes && result.autoFixes.length > 0 ? { autoFixes: result.autoFixes } : {}),
        durationMs: Math.round(performance.now() - began),
      };
      options.onResult?.(report);
      return report;
    }),
  );
  return withCausesNamed(reports, options.config);
}

/** The checks that fail whenever their variables are unset: with no settings read at all, that is their only reason. */
const NEED_SETTINGS = new Set(['required-vars', 'openai-key', 'assistant-id', 'twilio-credentials', 'phone-number', 'webhook-url']);

/**
 * With no .env read and no voicebridge variable in the environment, every "… is not set" failure has one cause, the
 * missing file: those failures are marked as following from it, so the verdict counts one problem, not four.
 */
function withCausesNamed(reports: CheckReport[], config: Config): CheckReport[] {
  const envFile = reports.find((report) => report.id === 'env-file');
  if (envFile?.status !== 'fail' || Object.keys(config.sources).length > 0) return reports;
  return reports.map((report) => (report.status === 'fail' && NEED_SETTINGS.has(report.id) ? { ...report, followsFrom: envFile.id } : report));
}

async function runOne(check: Check, config: Config, clock: Clock, results: Map<string, CheckResult>): Promise<CheckResult> {
  const timeoutMs = check.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        status: 'fail',
        summary: `did not finish within ${(timeoutMs / 1000).toFixed(0)} s`,
        fix: 'Check your network connection and the base URLs (OPENAI_BASE_URL, TWILIO_API_BASE_URL), then run the doctor again.',
      });
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([check.run({ config, clock, results, signal: controller.signal }), timeout]);
    results.set(check.id, result);
    return result;
  } catch (error) {
    const result: CheckResult = {
      status: 'fail',
      summary: `the check itself failed: ${(error as Error).message}`,
      fix: `This is a bug in voicebridge; please report it with the output of ${voicebridgeCommand('doctor --json')}.`,
    };
    results.set(check.id, result);
    return result;
  } finally {
    clearTimeout(timer);
  }
}
