// The machine-readable doctor report: a stable shape for scripts and CI.
import type { CheckReport } from './check.js';

export interface JsonReport {
  ok: boolean;
  checks: Array<{ id: string; title: string; status: CheckReport['status']; summary: string; detail: string[]; fix: string | null }>;
}

export function toJsonReport(reports: readonly CheckReport[]): JsonReport {
  return {
    ok: reports.every((report) => report.status !== 'fail'),
    checks: reports.map((report) => ({
      id: report.id,
      title: report.title,
      status: report.status,
      summary: report.summary,
      detail: report.detail ?? [],
      fix: report.fix ?? null,
    })),
  };
}
