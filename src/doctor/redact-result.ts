// Masks every secret in a check's result before it leaves the check, so no report, log or test output can carry one.
// (The terminal output masks again: a result must be safe on its own, e.g. in --json or in a library caller.)
import { redactSecrets } from '../util/mask-secret.js';
import type { CheckResult } from './check.js';

export function redactResult(result: CheckResult, secrets: readonly string[]): CheckResult {
  const clean = (text: string): string => redactSecrets(text, secrets);
  return {
    ...result,
    summary: clean(result.summary),
    ...(result.detail ? { detail: result.detail.map(clean) } : {}),
    ...(result.fix ? { fix: clean(result.fix) } : {}),
  };
}
