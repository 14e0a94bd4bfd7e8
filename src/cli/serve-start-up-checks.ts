// The checks `serve` runs before it listens: the doctor's offline checks plus the online ones whose failure would make
// every call fail (the key, the agent ID, the shutdown dates of the Realtime, transcription and agent models, and with
// VOICE_ENGINE=live whether the key has GPT-Live).
// A model within 90 days of its shutdown date becomes one warning line of its own instead of the check's report.
import type { Config } from '../config/config.js';
import type { CheckReport, CheckResult } from '../doctor/check.js';
import { checksFor } from '../doctor/checks/index.js';
import { modelVerdictsOf } from '../doctor/model-verdict-facts.js';
import { projectIdProblem, webhookSecretProblem } from '../knowledge/openai-sip.js';
import { runChecks } from '../doctor/run-checks.js';
import { voicebridgeCommand } from '../util/invocation.js';
import { describeModelLifecycle } from '../models/model-lifecycle.js';
import type { Clock } from '../util/clock.js';

/** The online checks serve runs: one GET /models serves the key and every model check. */
export const START_UP_ONLINE_CHECKS: readonly string[] = ['openai-key', 'assistant-id', 'realtime-model', 'live-model', 'agent-model'];

/** One model within 90 days of its shutdown date: the line to log and its facts for structured logs. */
export interface RetiringModelWarning {
  line: string;
  fields: { check: string; model: string; shutdownDate?: string; daysLeft?: number; replacement?: string };
}

export interface StartUpFinding {
  report: CheckReport;
  /** Set when every warning of this check is a retiring model: log these lines instead of the check's report. */
  retiringModels?: RetiringModelWarning[];
}

/**
 * Runs the start-up checks; returns every check that did not simply pass, in the doctor's order. Without `twilio`
 * (serve --phone with no Twilio settings), Twilio's variables are not required.
 */
export async function runStartUpChecks(config: Config, clock: Clock, needs: { twilio: boolean } = { twilio: true }): Promise<StartUpFinding[]> {
  const results = new Map<string, CheckResult>();
  // Wrapped only to keep each result's facts, which the report leaves out.
  // In SIP mode Twilio sends calls to OpenAI, not to serve: the Twilio variables are Media Streams' own, and only the
  // key and the agent are required (the SIP settings are checked by sipSettingProblems).
  const checks = checksFor(config, { twilio: needs.twilio && config.transport !== 'sip' })
    .filter((check) => !check.online || START_UP_ONLINE_CHECKS.includes(check.id))
    .map((check) => ({
      ...check,
      async run(context: Parameters<typeof check.run>[0]): Promise<CheckResult> {
        const result = await check.run(context);
        results.set(check.id, result);
        return result;
      },
    }));
  const reports = await runChecks(checks, { config, clock });
  return reports
    .filter((report) => report.status === 'warn' || report.status === 'fail')
    .map((report) => {
      const retiringModels = report.status === 'warn' ? retiringModelWarnings(report.id, results.get(report.id)) : undefined;
      return retiringModels ? { report, retiringModels } : { report };
    });
}

function retiringModelWarnings(checkId: string, result: CheckResult | undefined): RetiringModelWarning[] | undefined {
  const verdicts = modelVerdictsOf(result);
  if (!verdicts) return undefined;
  const warnings = verdicts.filter((verdict) => verdict.status === 'warn');
  if (warnings.length === 0 || !warnings.every((verdict) => verdict.lifecycle?.state === 'retiring')) return undefined;
  return warnings.flatMap(({ label, setting, lifecycle }) =>
    lifecycle
      ? [
          {
            // "Realtime model: gpt-realtime shuts down on 2027-01-20 (57 days left); switch to gpt-realtime-2.1 (OPENAI_REALTIME_MODEL)"
            line: `${label}: ${describeModelLifecycle(lifecycle)} (${setting})`,
            fields: {
              check: checkId,
              model: lifecycle.model,
              ...(lifecycle.shutdownDate ? { shutdownDate: lifecycle.shutdownDate } : {}),
              ...(lifecycle.daysLeft !== undefined ? { daysLeft: lifecycle.daysLeft } : {}),
              ...(lifecycle.replacement ? { replacement: lifecycle.replacement } : {}),
            },
          },
        ]
      : [],
  );
}

/** SIP mode (TRANSPORT=sip): what is wrong with the webhook secret and the project ID, each a line saying what to do. */
export function sipSettingProblems(config: Config): string[] {
  if (config.transport !== 'sip') return [];
  const problems: string[] = [];
  const secret = config.sip.webhookSecret;
  if (!secret) {
    problems.push(
      `OPENAI_WEBHOOK_SECRET is not set: SIP mode verifies every OpenAI webhook with it (the whsec_… signing secret shown when the webhook was created; ${voicebridgeCommand('setup-sip')} creates the webhook and writes it into .env)`,
    );
  }
  else {
    const problem = webhookSecretProblem(secret);
    if (problem) problems.push(`OPENAI_WEBHOOK_SECRET ${problem}`);
  }
  const projectId = config.sip.projectId;
  if (!projectId) problems.push('OPENAI_PROJECT_ID is not set: the SIP trunk sends calls to sip:<project id>@sip.api.openai.com (the proj_… ID from Settings > Project > General)');
  else {
    const problem = projectIdProblem(projectId);
    if (problem) problems.push(`OPENAI_PROJECT_ID ${problem}`);
  }
  return problems;
}
