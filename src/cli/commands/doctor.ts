// `voicebridge doctor`: runs every check and prints the report for people or, with --json, for machines.
import { loadConfig } from '../../config/load-config.js';
import type { CheckReport } from '../../doctor/check.js';
import { allChecks } from '../../doctor/checks/index.js';
import { renderCheckLine, renderVerdict } from '../../doctor/render-human.js';
import { toJsonReport } from '../../doctor/render-json.js';
import { runChecks } from '../../doctor/run-checks.js';
import { clockFromEnvironment } from '../../util/clock.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { createOutput, type Output } from '../output.js';

export interface DoctorOptions {
  envFile?: string;
  json?: boolean;
  explain?: string;
}

export async function runDoctorCommand(options: DoctorOptions, output: Output = createOutput()): Promise<number> {
  if (options.explain !== undefined) {
    const { explainText, renderExplanation } = await import('../../doctor/explain.js');
    const explanation = explainText(options.explain, clockFromEnvironment().now());
    if (options.json) output.out(JSON.stringify(explanation, null, 2));
    else output.out(renderExplanation(explanation, output.chalk));
    return explanation.matched ? EXIT_OK : EXIT_FAILURE;
  }

  const config = loadConfig({ envFile: options.envFile });
  output.addSecrets(config.secrets);
  const clock = clockFromEnvironment();

  if (options.json) {
    const reports = await runChecks(allChecks, { config, clock });
    const report = toJsonReport(reports);
    output.out(JSON.stringify({ ...report, warnings: config.warnings }, null, 2));
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  }

  output.out(output.chalk.bold(`voicebridge doctor`) + output.chalk.dim(`  (${config.envFile.path})`));
  for (const warning of config.warnings) output.out(output.chalk.yellow(`! ${warning}`));
  output.out('');

  const spinner = output.isTTY ? (await import('ora')).default({ text: 'Checking…', stream: process.stderr }).start() : undefined;
  let done = 0;
  let reports: CheckReport[];
  try {
    reports = await runChecks(allChecks, {
      config,
      clock,
      onResult: () => {
        done += 1;
        if (spinner) spinner.text = `Checking… ${done}/${allChecks.length}`;
      },
    });
  } finally {
    spinner?.stop();
  }
  for (const report of reports) output.out(renderCheckLine(report, output.chalk));
  output.out('');
  output.out(renderVerdict(reports, output.chalk));
  return reports.some((report) => report.status === 'fail') ? EXIT_FAILURE : EXIT_OK;
}
