// `voicebridge doctor`: runs every check and prints the report for people or, with --json, for machines.
// With --fix it then offers the changes the checks know how to make, makes the confirmed ones, and checks again.
import type { Config } from '../../config/config.js';
import { loadConfig } from '../../config/load-config.js';
import { applyFixes, fixesOffered, type FixMode, type FixRecord } from '../../doctor/apply-fixes.js';
import type { CheckReport, FixContext, ProvisionDisplay } from '../../doctor/check.js';
import { checksFor } from '../../doctor/checks/index.js';
import { commandFor } from '../../doctor/fixes/assistant-id-fixes.js';
import { reloadConfig } from '../../doctor/fixes/reload-config.js';
import { renderCheckLine, renderVerdict } from '../../doctor/render-human.js';
import { toJsonReport } from '../../doctor/render-json.js';
import { runChecks } from '../../doctor/run-checks.js';
import { clockFromEnvironment, type Clock } from '../../util/clock.js';
import { askYesNo, type YesNoAnswer } from '../ask-yes-no.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { UsageError } from '../../util/usage-error.js';
import { createOutput, type Output } from '../output.js';
import { createProvisionView } from '../provision-view.js';
import { startSpinner } from '../spinner.js';

export interface DoctorOptions {
  envFile?: string;
  json?: boolean;
  explain?: string;
  fix?: boolean;
  yes?: boolean;
}

export interface DoctorDependencies {
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Asks a y/N question. Left out, questions are asked on the terminal when stdin and stdout both are one. */
  confirm?: (question: string) => Promise<YesNoAnswer>;
  /** Where the "Checking…" spinner draws (stderr unless given). */
  progress?: NodeJS.WriteStream;
}

/** More rounds only when a fix uncovers a problem the checks could not see before (e.g. a number behind bad credentials). */
const MAX_FIX_ROUNDS = 3;

export async function runDoctorCommand(options: DoctorOptions, dependencies: Partial<DoctorDependencies> = {}): Promise<number> {
  const output = dependencies.output ?? createOutput();
  const env = dependencies.env ?? process.env;
  if (options.yes && !options.fix) throw new UsageError('--yes only goes with --fix: voicebridge doctor --fix --yes');
  // An empty path would name the current folder itself.
  if (options.envFile?.trim() === '') throw new UsageError('--env-file needs the path of a file, e.g. voicebridge doctor --env-file ./config/prod.env');
  if (options.fix && options.explain !== undefined) throw new UsageError('--fix and --explain cannot be used together: --explain only explains a message.');

  if (options.explain !== undefined) {
    const { explainText, renderExplanation } = await import('../../knowledge/explain.js');
    const explanation = explainText(options.explain, clockFromEnvironment(env).now());
    if (options.json) output.out(JSON.stringify(explanation, null, 2));
    else output.out(renderExplanation(explanation, output.chalk));
    return explanation.matched ? EXIT_OK : EXIT_FAILURE;
  }

  const config = loadConfig({ envFile: options.envFile, env, ...(dependencies.cwd ? { cwd: dependencies.cwd } : {}) });
  output.addSecrets(config.secrets);
  const clock = clockFromEnvironment(env);

  if (options.json) {
    const reports = await runChecks(checksFor(config), { config, clock });
    if (!options.fix) {
      const report = toJsonReport(reports);
      output.out(JSON.stringify({ ...report, warnings: config.warnings }, null, 2));
      return report.ok ? EXIT_OK : EXIT_FAILURE;
    }
    const fixed = await fixAndCheckAgain(reports, config, { output, clock, mode: options.yes ? { kind: 'yes' } : { kind: 'show' } });
    const report = toJsonReport(fixed.reports);
    output.out(JSON.stringify({ ...report, warnings: fixed.config.warnings, fixes: fixed.records }, null, 2));
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  }

  output.out(output.chalk.bold(`voicebridge doctor`) + output.chalk.dim(`  (${config.envFile.path})`));
  for (const warning of config.warnings) output.out(output.chalk.yellow(`! ${warning}`));
  output.out('');
  const reports = await runWithProgress(config, clock, output, dependencies.progress ?? process.stderr);
  printReport(reports, output);
  const offers = fixesOffered(reports);

  if (!options.fix) {
    if (offers.length > 0) {
      output.out('');
      output.out(`${output.chalk.bold(commandFor(config, 'doctor --fix'))} can make ${offers.length === 1 ? 'one change' : `${offers.length} changes`} for you, each shown before it is made.`);
    }
    return exitCode(reports);
  }

  const mode = fixMode(options, output, dependencies);
  const fixed = await fixAndCheckAgain(reports, config, { output, clock, mode, print: (line) => output.out(line) });
  const applied = fixed.records.filter((record) => record.status === 'applied').length;
  const shownOnly = fixed.records.filter((record) => record.status === 'not-applied');

  output.out('');
  if (applied > 0) {
    output.out(output.chalk.bold(`After ${applied === 1 ? 'the change' : `${applied} changes`}:`));
    output.out('');
    printReport(fixed.reports, output);
  } else if (fixed.records.length === 0 && !reports.some((report) => report.status === 'fail' || report.status === 'warn')) {
    output.out('Nothing to fix.');
  }
  // Only once the report says what is really left: a problem another check's fix would clear is not "left" before it is made.
  const manual = fixed.reports.filter((report) => (report.status === 'fail' || report.status === 'warn') && !report.autoFixes?.length);
  if (manual.length > 0 && (applied > 0 || fixed.records.length === 0)) {
    if (applied > 0) output.out('');
    output.out(`Left for you (no safe automatic fix): ${manual.map((report) => report.title).join(', ')}. The fix under each says what to do.`);
  }
  if (shownOnly.length > 0) {
    output.out('');
    output.out(
      output.chalk.bold(
        mode.kind === 'show'
          ? `Nothing was changed: there is no terminal to confirm on. To make ${shownOnly.length === 1 ? 'this change' : 'these changes'}, run: ${commandFor(config, 'doctor --fix --yes')}`
          : `${shownOnly.length === 1 ? 'One change was' : `${shownOnly.length} changes were`} not asked about. To make ${shownOnly.length === 1 ? 'it' : 'them'} without questions, run: ${commandFor(config, 'doctor --fix --yes')}`,
      ),
    );
  }
  return exitCode(fixed.reports);
}

function exitCode(reports: readonly CheckReport[]): number {
  return reports.some((report) => report.status === 'fail') ? EXIT_FAILURE : EXIT_OK;
}

function printReport(reports: readonly CheckReport[], output: Output): void {
  for (const report of reports) output.out(renderCheckLine(report, output.chalk));
  output.out('');
  output.out(renderVerdict(reports, output.chalk));
}

async function runWithProgress(config: Config, clock: Clock, output: Output, stream: NodeJS.WriteStream): Promise<CheckReport[]> {
  const spinner = await startSpinner(output, stream, 'Checking…');
  let done = 0;
  try {
    const checks = checksFor(config);
    return await runChecks(checks, {
      config,
      clock,
      onResult: () => {
        done += 1;
        if (spinner) spinner.text = `Checking… ${done}/${checks.length}`;
      },
    });
  } finally {
    spinner?.stop();
  }
}

/** --yes makes every change; a terminal is asked; anything else (a pipe, CI) is only shown the changes. */
function fixMode(options: DoctorOptions, output: Output, dependencies: Partial<DoctorDependencies>): FixMode {
  if (options.yes) return { kind: 'yes' };
  if (dependencies.confirm) return { kind: 'ask', confirm: dependencies.confirm };
  if (dependencies.output === undefined && process.stdin.isTTY === true && output.isTTY) return { kind: 'ask', confirm: (question) => askYesNo(question) };
  return { kind: 'show' };
}

interface FixRun {
  output: Output;
  clock: Clock;
  mode: FixMode;
  print?: (line: string) => void;
}

/** Offers the fixes, and after any change checks again, offering what the new report uncovers, a few rounds at most. */
async function fixAndCheckAgain(
  initial: CheckReport[],
  initialConfig: Config,
  run: FixRun,
): Promise<{ reports: CheckReport[]; config: Config; records: FixRecord[] }> {
  const { output, clock, mode, print } = run;
  const offered = new Set<string>();
  const records: FixRecord[] = [];
  let reports = initial;
  let config = initialConfig;
  const context: FixContext = { clock, ...(print ? { showProvisioning: provisioningShownIn(output) } : {}) };
  for (let round = 0; round < MAX_FIX_ROUNDS; round += 1) {
    if (fixesOffered(reports, offered).length === 0) break;
    if (round === 0) {
      print?.('');
      print?.(output.chalk.bold('Changes the doctor can make:'));
    }
    const made = await applyFixes(reports, { mode, context, chalk: output.chalk, offered, ...(print ? { print } : {}) });
    records.push(...made);
    if (!made.some((record) => record.status === 'applied')) break;
    config = reloadConfig(initialConfig);
    output.addSecrets(config.secrets);
    print?.('');
    print?.(output.chalk.dim('Checking again…'));
    reports = await runChecks(checksFor(config), { config, clock });
  }
  return { reports, config, records };
}

/** For people, a fix that creates an agent shows that run as create-assistant does, set apart by a blank line. */
function provisioningShownIn(output: Output): ProvisionDisplay {
  const view = createProvisionView(output, { json: false });
  return {
    begin(envPath) {
      output.out('');
      return view.begin(envPath);
    },
    end: (result) => view.end(result),
  };
}
