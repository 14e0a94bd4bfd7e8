// The doctor report for people: one line per check, an indented fix, then a verdict.
import type { ChalkInstance } from 'chalk';
import type { CheckReport, CheckStatus } from './check.js';

const SYMBOL: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

export function renderCheckLine(report: CheckReport, chalk: ChalkInstance): string {
  const colour = { ok: chalk.green, warn: chalk.yellow, fail: chalk.red, skip: chalk.dim }[report.status];
  const lines = [`${colour(SYMBOL[report.status])} ${chalk.bold(report.title)}: ${report.summary}`];
  for (const line of report.detail ?? []) lines.push(`    ${chalk.dim(line)}`);
  if (report.fix && report.status !== 'ok') {
    const [first, ...rest] = report.fix.split('\n');
    lines.push(`    ${chalk.cyan('fix:')} ${first}`);
    for (const line of rest) lines.push(`         ${line}`);
  }
  return lines.join('\n');
}

export function renderVerdict(reports: readonly CheckReport[], chalk: ChalkInstance): string {
  const failures = countProblems(reports);
  const warnings = reports.filter((report) => report.status === 'warn').length;
  const warningText = warnings === 0 ? '' : ` (${warnings} warning${warnings === 1 ? '' : 's'})`;
  if (failures === 0) return chalk.green.bold(`Ready to take calls${warningText}.`);
  const one = failures === 1;
  return chalk.red.bold(`${failures} problem${one ? '' : 's'} found${warningText}.`) + consequencesText(reports) +
    ` A call to your number would not work until ${one ? 'it is' : 'they are'} fixed.`;
}

/** The failures that follow only from another failure (no .env, so every variable is unset): not problems of their own. */
function consequencesOf(reports: readonly CheckReport[]): CheckReport[] {
  const failedIds = new Set(reports.filter((report) => report.status === 'fail').map((report) => report.id));
  return reports.filter((report) => report.status === 'fail' && report.followsFrom !== undefined && failedIds.has(report.followsFrom));
}

/** How many problems the failures are, each cause counted once. */
export function countProblems(reports: readonly CheckReport[]): number {
  return reports.filter((report) => report.status === 'fail').length - consequencesOf(reports).length;
}

/** " A and B fail only because of the C problem." for each cause that others follow from, or "". */
export function consequencesText(reports: readonly CheckReport[]): string {
  const consequences = consequencesOf(reports);
  const causes = [...new Set(consequences.map((report) => report.followsFrom!))];
  return causes
    .map((cause) => {
      const following = consequences.filter((report) => report.followsFrom === cause);
      const causeTitle = reports.find((report) => report.id === cause)?.title ?? cause;
      return ` ${listTitles(following.map((report) => report.title))} fail${following.length === 1 ? 's' : ''} only because of the ${causeTitle} problem.`;
    })
    .join('');
}

/** "A", "A and B", "A, B and C". */
function listTitles(titles: readonly string[]): string {
  return titles.length <= 1 ? (titles[0] ?? '') : `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)!}`;
}

export function renderHumanReport(reports: readonly CheckReport[], chalk: ChalkInstance): string {
  return [...reports.map((report) => renderCheckLine(report, chalk)), '', renderVerdict(reports, chalk)].join('\n');
}
