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
  const failures = reports.filter((report) => report.status === 'fail').length;
  const warnings = reports.filter((report) => report.status === 'warn').length;
  const warningText = warnings === 0 ? '' : ` (${warnings} warning${warnings === 1 ? '' : 's'})`;
  if (failures === 0) return chalk.green.bold(`Ready to take calls${warningText}.`);
  return chalk.red.bold(`${failures} problem${failures === 1 ? '' : 's'} found${warningText}.`) +
    ' A call to your number would not work until they are fixed.';
}

export function renderHumanReport(reports: readonly CheckReport[], chalk: ChalkInstance): string {
  return [...reports.map((report) => renderCheckLine(report, chalk)), '', renderVerdict(reports, chalk)].join('\n');
}
