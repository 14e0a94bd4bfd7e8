// What the doctor's model checks found about each model, kept in their results' facts so `serve` can say each retiring
// model in one start-up line of its own instead of repeating the check's whole report.
import type { ModelLifecycle } from '../models/model-lifecycle.js';
import type { CheckResult, CheckStatus } from './check.js';

export interface ModelVerdictFact {
  /** What the model is for, as people read it: 'Realtime model', 'Transcription model', 'Agent model'. */
  label: string;
  /** Where the model is set: a variable (OPENAI_REALTIME_MODEL) or the object that runs on it (agent agent_…). */
  setting: string;
  status: Exclude<CheckStatus, 'skip'>;
  /** Present when the verdict comes from the model's shutdown date (absent for a lookup that failed, a wrong kind). */
  lifecycle?: ModelLifecycle;
}

const KEY = 'modelVerdicts';

/** Facts to put in a model check's result. */
export function modelVerdictFacts(verdicts: readonly ModelVerdictFact[]): Record<string, unknown> {
  return { [KEY]: verdicts };
}

/** The model verdicts a check result carries, or undefined when it is not a model check (or found none). */
export function modelVerdictsOf(result: CheckResult | undefined): readonly ModelVerdictFact[] | undefined {
  const verdicts = result?.facts?.[KEY];
  return Array.isArray(verdicts) ? (verdicts as ModelVerdictFact[]) : undefined;
}
