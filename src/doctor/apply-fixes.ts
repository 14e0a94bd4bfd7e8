// `doctor --fix`: walks the fixes the checks offered, shows each exact change, and makes it once confirmed — every
// one with --yes, after a y on a terminal, none when there is no terminal to ask on (then it only shows them).
// Knows nothing about any particular fix: each one plans and applies itself.
import type { ChalkInstance } from 'chalk';
import type { AutoFix, CheckReport, FixContext } from './check.js';

export type FixStatus =
  /** Made. */
  | 'applied'
  /** Tried, and it did not work; the message says why and what to do. */
  | 'failed'
  /** The user answered no. */
  | 'declined'
  /** Shown only: no terminal to confirm on and no --yes, or the input closed before the question. */
  | 'not-applied'
  /** Nothing left to change (an earlier fix did it). */
  | 'not-needed'
  /** Cannot be made safely; the message says what to do by hand. */
  | 'cannot';

export interface FixRecord {
  /** The id of the check that offered the fix. */
  check: string;
  id: string;
  description: string;
  /** The exact change, as shown. */
  change: string[];
  status: FixStatus;
  message: string;
  /** The command that does the same by hand. */
  command?: string;
}

export type Answer = 'yes' | 'no' | 'stop';

export type FixMode =
  | { kind: 'yes' }
  | { kind: 'ask'; confirm(question: string): Promise<Answer> }
  | { kind: 'show' };

export interface ApplyFixesOptions {
  mode: FixMode;
  context: FixContext;
  chalk: ChalkInstance;
  /** Where progress goes; nothing is printed without it (--json). */
  print?: (line: string) => void;
  /** Ids of fixes offered in an earlier round: never offered twice. Updated with the fixes offered now. */
  offered?: Set<string>;
}

interface Offer {
  report: CheckReport;
  fix: AutoFix;
}

/** The fixes the reports offer, in report order, each once. */
export function fixesOffered(reports: readonly CheckReport[], offered: ReadonlySet<string> = new Set()): Offer[] {
  const seen = new Set(offered);
  const offers: Offer[] = [];
  for (const report of reports) {
    if (report.status === 'ok') continue;
    for (const fix of report.autoFixes ?? []) {
      if (seen.has(fix.id)) continue;
      seen.add(fix.id);
      offers.push({ report, fix });
    }
  }
  return offers;
}

function colourChange(line: string, chalk: ChalkInstance): string {
  if (line.startsWith('- ')) return chalk.red(line);
  if (line.startsWith('+ ')) return chalk.green(line);
  if (/^(new )?line \d+:$/.test(line)) return chalk.dim(line);
  return line;
}

export async function applyFixes(reports: readonly CheckReport[], options: ApplyFixesOptions): Promise<FixRecord[]> {
  const { chalk, context, mode } = options;
  const print = options.print ?? (() => undefined);
  const offered = options.offered ?? new Set<string>();
  const offers = fixesOffered(reports, offered);
  const records: FixRecord[] = [];
  let stopped = false;

  for (const { report, fix } of offers) {
    offered.add(fix.id);
    // Numbered across rounds: a fix uncovered by an earlier one continues the list.
    const number = offered.size;
    const record = (status: FixStatus, message: string, change: string[] = []): FixRecord => {
      const entry: FixRecord = { check: report.id, id: fix.id, description: fix.description, change, status, message, ...(fix.command ? { command: fix.command } : {}) };
      records.push(entry);
      return entry;
    };
    print('');
    print(`${chalk.bold(`${number}. ${report.title}:`)} ${fix.description}`);

    let plan;
    try {
      plan = await fix.plan(context);
    } catch (error) {
      record('failed', `the change could not be worked out: ${(error as Error).message}`);
      print(`   ${chalk.red('✗')} the change could not be worked out: ${(error as Error).message}`);
      continue;
    }
    if (plan.kind === 'not-needed') {
      record('not-needed', plan.reason);
      print(`   ${chalk.dim(`nothing to do: ${plan.reason}`)}`);
      continue;
    }
    if (plan.kind === 'cannot') {
      record('cannot', plan.reason);
      print(`   ${chalk.yellow('!')} not changed: ${plan.reason}`);
      continue;
    }
    for (const line of plan.lines) print(`     ${colourChange(line, chalk)}`);

    let answer: Answer = 'no';
    if (mode.kind === 'yes') answer = 'yes';
    else if (mode.kind === 'ask') {
      answer = stopped ? 'stop' : await mode.confirm(`   Make this change? [y/N] `);
      if (answer === 'stop') stopped = true;
    }
    if (answer !== 'yes') {
      const byHand = fix.command ? `; to do it by hand: ${fix.command}` : '';
      if (mode.kind === 'ask' && answer === 'no') {
        record('declined', `left as it is${byHand}`, plan.lines);
        print(`   ${chalk.dim(`left as it is${byHand}`)}`);
      } else {
        const why = mode.kind === 'show' ? 'not made: no terminal to confirm on (pass --yes to make it)' : 'not made: the input was closed';
        record('not-applied', `${why}${byHand}`, plan.lines);
        print(`   ${chalk.dim(`${why}${byHand}`)}`);
      }
      continue;
    }

    let outcome;
    try {
      outcome = await fix.apply(context);
    } catch (error) {
      outcome = { applied: false, message: `it failed: ${(error as Error).message}` };
    }
    record(outcome.applied ? 'applied' : 'failed', outcome.message, outcome.lines ?? plan.lines);
    print(outcome.applied ? `   ${chalk.green('✓')} ${outcome.message}` : `   ${chalk.red('✗')} ${outcome.message}`);
  }
  return records;
}
