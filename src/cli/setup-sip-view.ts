// How a setup-sip run looks: for people, what is in place and each change made (or that would be made); with --json,
// one report whose shape scripts can rely on (documented in the README). Every line goes through Output, which masks
// the secrets, the new webhook secret included.
import type { EnvChange } from '../config/env-editor.js';
import type { DiffHunk } from '../config/line-diff.js';
import { renderEnvChange } from '../provision/render-env-change.js';
import type {
  SetupChange,
  SetupSipObserver,
  SetupSipProblem,
  SetupSipResult,
  SipNumberState,
  SipTrunkState,
  SipWebhookState,
} from '../provision/sip/setup-sip-result.js';
import type { Output } from './output.js';
import { startSpinner } from './spinner.js';
import { voicebridgeCommand } from '../util/invocation.js';

/** The --json report: every key always present (null when not known), in this order. */
export interface SetupSipReport {
  ok: boolean;
  dryRun: boolean;
  /** True when something was changed (or, in a dry run, would be). */
  changed: boolean;
  envFile: string;
  engine: 'realtime' | 'live';
  event: string;
  unavailableEvents: string[];
  trunk: SipTrunkState | null;
  number: SipNumberState | null;
  webhook: SipWebhookState | null;
  changes: SetupChange[];
  env: { written: boolean; changes: EnvChange[]; diff: DiffHunk[] } | null;
  warnings: string[];
  error: SetupSipProblem | null;
}

export function setupSipReport(result: SetupSipResult): SetupSipReport {
  return {
    ok: result.ok,
    dryRun: result.dryRun,
    changed: result.changes.length > 0,
    envFile: result.envFile,
    engine: result.engine,
    event: result.event,
    unavailableEvents: result.unavailableEvents,
    trunk: result.trunk ?? null,
    number: result.number ?? null,
    webhook: result.webhook ?? null,
    changes: result.changes,
    env: result.env ?? null,
    warnings: result.warnings,
    error: result.error ?? null,
  };
}

export interface SetupSipView {
  begin(envPath: string): SetupSipObserver;
  end(result: SetupSipResult): void;
}

export function createSetupSipView(output: Output, options: { json: boolean; progress?: NodeJS.WriteStream }): SetupSipView {
  if (options.json) {
    return {
      begin: () => ({ secrets: (values) => output.addSecrets(values), wait: (_text, work) => work() }),
      end: (result) => output.out(JSON.stringify(setupSipReport(result), null, 2)),
    };
  }
  const { chalk } = output;
  return {
    begin(envPath) {
      output.out(chalk.bold('voicebridge setup-sip') + chalk.dim(`  (${envPath})`));
      return {
        secrets: (values) => output.addSecrets(values),
        wait: async (text, work) => {
          const spinner = await startSpinner(output, options.progress ?? process.stderr, text);
          try {
            return await work();
          } finally {
            spinner?.stop();
          }
        },
      };
    },
    end: (result) => printResult(result, output),
  };
}

function printResult(result: SetupSipResult, output: Output): void {
  const { chalk } = output;
  for (const warning of result.warnings) output.out(chalk.yellow(`! ${warning}`));
  if (result.error) {
    if (result.changes.length > 0) printChanges(result, output);
    printProblem(result.error, output);
    return;
  }
  output.out('');
  if (result.changes.length === 0) {
    output.out(chalk.green('✔ Nothing to change: the trunk, the number and the webhook endpoint are already set up.'));
  } else {
    printChanges(result, output);
  }
  output.out('');
  printState(result, output);
  output.out('');
  if (result.dryRun) {
    output.out(chalk.bold('Dry run: nothing was changed on Twilio or OpenAI, and no file was written.'));
    return;
  }
  const transport = result.transport === 'sip' ? '' : `set TRANSPORT=sip in ${result.envFile}, `;
  output.out(`Next: ${transport}run ${chalk.bold(voicebridgeCommand('serve'))}, and check with ${chalk.bold(voicebridgeCommand('doctor'))}.`);
}

function printChanges(result: SetupSipResult, output: Output): void {
  const { chalk } = output;
  output.out('');
  output.out(result.dryRun ? 'Would change:' : result.error ? 'Changed before it stopped:' : 'Changed:');
  for (const change of result.changes) {
    output.out(result.dryRun ? `  • ${change.description}` : chalk.green(`  ✔ ${change.description}`));
    if (change.object === 'env-file' && result.env) for (const line of renderEnvChange(result.env.diff, chalk)) output.out(`  ${line}`);
  }
}

function printState(result: SetupSipResult, output: Output): void {
  const { trunk, number, webhook } = result;
  const verb = result.dryRun ? 'will be' : 'is';
  if (trunk) {
    output.out(`Twilio trunk:     ${trunk.sid ?? '(new)'} "${trunk.friendlyName}", secure media (SRTP) on, transfers ${trunk.transferMode}`);
    output.out(`  origination:    ${trunk.originationUrl}`);
  }
  if (number) output.out(`  number:         ${number.phoneNumber} (${number.sid}) ${verb} on this trunk`);
  if (webhook) {
    output.out(`OpenAI webhook:   ${webhook.id ?? '(new)'} ${webhook.url}`);
    output.out(`  events:         ${webhook.eventTypes.join(', ')}`);
    output.out(`  secret:         ${webhook.secret === 'kept' ? 'OPENAI_WEBHOOK_SECRET in .env is this endpoint’s' : `a new one ${result.dryRun ? 'would be' : 'was'} written to .env as OPENAI_WEBHOOK_SECRET`}`);
  }
}

function printProblem(problem: SetupSipProblem, output: Output): void {
  const { chalk } = output;
  output.err(chalk.red(`✖ ${problem.summary}`));
  for (const line of problem.detail ?? []) output.err(`  ${line}`);
  output.err(chalk.bold(`→ ${problem.fix.split('\n').join('\n  ')}`));
}
