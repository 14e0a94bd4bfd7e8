// How a provisioning run looks on the terminal (each step as it happens, a spinner while the network is asked, the
// outcome at the end) or, with --json, the one report printed at the end. create-assistant shows its runs this way,
// and so does `doctor --fix` when it creates an agent for people watching.
import type { EnvChange } from '../config/env-editor.js';
import type { DiffHunk } from '../config/line-diff.js';
import type { ModelLifecycle } from '../models/model-lifecycle.js';
import type { CreatedAssistant } from '../provision/backends/created-assistant.js';
import type { ProvisionApi, ProvisionRequest } from '../provision/provision-request.js';
import {
  BACKEND_TITLES,
  nextCommand,
  type InstructionsFilePlan,
  type PreviousId,
  type ProvisionObserver,
  type ProvisionProblem,
  type ProvisionResult,
  type ProvisionStep,
} from '../provision/provision-result.js';
import { renderEnvChange } from '../provision/render-env-change.js';
import type { Output } from './output.js';
import { startSpinner } from './spinner.js';

/** Everything the command did or would do, printed as JSON with --json. */
export interface CreateAssistantReport {
  ok: boolean;
  dryRun: boolean;
  api: ProvisionApi;
  name?: string;
  model?: string;
  /** The model's shutdown date as GET /models gives it, when it could be read. */
  modelLifecycle?: ModelLifecycle;
  instructions?: { source: ProvisionRequest['instructionsSource']; characters: number; file?: string };
  envFile: string;
  previous?: PreviousId;
  created?: CreatedAssistant;
  instructionsFile?: InstructionsFilePlan;
  env?: { written: boolean; created: boolean; changes: EnvChange[]; diff: DiffHunk[] };
  /** When .env could not be written: the lines to add by hand. */
  manualLines?: string[];
  warnings: string[];
  error?: ProvisionProblem;
  next?: string;
}

/** The --json report of a run, its keys in the order scripts have always seen them. */
export function createAssistantReport(result: ProvisionResult): CreateAssistantReport {
  const report: CreateAssistantReport = {
    ok: result.kind === 'created' || result.kind === 'dry-run',
    dryRun: result.dryRun,
    api: result.api,
    envFile: result.envFile,
    warnings: result.warnings,
  };
  if (result.previous) report.previous = result.previous;
  const { request } = result;
  if (request) {
    report.name = request.name;
    report.model = request.model;
    report.instructions = {
      source: request.instructionsSource,
      characters: request.instructions.length,
      ...(request.instructionsFile ? { file: request.instructionsFile } : {}),
    };
  }
  if (result.modelLifecycle) report.modelLifecycle = result.modelLifecycle;
  if (result.instructionsFile) report.instructionsFile = result.instructionsFile;
  switch (result.kind) {
    case 'created':
      if (result.provisioned.backend !== 'responses') report.created = result.provisioned.object;
      report.env = { written: result.env.written, created: result.env.created, changes: result.env.changes, diff: result.env.diff };
      report.next = nextCommand();
      break;
    case 'dry-run':
      report.env = { written: false, created: false, changes: result.env.changes, diff: result.env.diff };
      break;
    case 'not-saved':
      if (result.provisioned.backend !== 'responses') report.created = result.provisioned.object;
      report.manualLines = result.manualLines;
      report.error = result.problem;
      break;
    case 'refused':
    case 'failed':
      report.error = result.problem;
      break;
  }
  return report;
}

function describeInstructions(request: ProvisionRequest): string {
  const size = `${request.instructions.length} characters`;
  if (request.instructionsSource === 'default') return `the default phone-call instructions (${size})`;
  if (request.instructionsSource === 'file') return `from ${request.instructionsFile} (${size})`;
  return `from --instructions (${size})`;
}

/** The lines a step shows, as they have always read. */
function stepLines(step: ProvisionStep, output: Output): string[] {
  const { chalk } = output;
  switch (step.kind) {
    case 'warning':
      return [chalk.yellow(`! ${step.message}`)];
    case 'replacing': {
      const { previous } = step;
      const lines =
        previous.state === 'dead'
          ? [`Replacing ${previous.variable}=${previous.id}: ${previous.description}.`]
          : [`Replacing ${previous.variable}=${previous.id} (${previous.description}) because of --force. The old object itself is not deleted.`];
      if (previous.variable === 'AGENT_WORKFLOW_ID') {
        lines.push(`AGENT_WORKFLOW_ID is the old name: its line will be commented out (dated, with the reason) and the new value written to ASSISTANT_ID.`);
      }
      return lines;
    }
    case 'plan': {
      const { request, dryRun } = step;
      const model = step.shutdown === undefined ? request.model : `${request.model} (shutdown: ${step.shutdown})`;
      const setup = step.instructionsFile;
      if (setup) {
        return [
          `${dryRun ? 'Would set up' : 'Setting up'} ${BACKEND_TITLES.responses}: model ${model}`,
          setup.action === 'keep'
            ? `  instructions: ${setup.path} (${setup.note ?? 'kept as it is'})`
            : `  instructions: ${describeInstructions(request)}, ${setup.action === 'create' ? 'written to' : 'replacing'} ${setup.path}`,
        ];
      }
      return [
        `${dryRun ? 'Would create' : 'Creating'} ${BACKEND_TITLES[request.api]} on ${step.endpoint}:`,
        `  name: ${request.name}`,
        `  model: ${model}`,
        `  instructions: ${describeInstructions(request)}`,
      ];
    }
    case 'instructions-written':
      return [chalk.green(`✔ Wrote the instructions to ${step.path}`)];
    case 'created':
      return [chalk.green(`✔ Created ${BACKEND_TITLES[step.api]}: ${chalk.bold(step.object.id)}`)];
  }
}

function printProblem(problem: ProvisionProblem, output: Output): void {
  const { chalk } = output;
  output.err(chalk.red(`✖ ${problem.summary}`));
  for (const line of problem.detail ?? []) output.err(`  ${line}`);
  output.err(chalk.bold(`→ ${problem.fix.split('\n').join('\n  ')}`));
}

/** The outcome for people: the .env change and what is next, or what went wrong and what to do. */
function printOutcome(result: ProvisionResult, output: Output): void {
  const { chalk } = output;
  const envPath = result.envFile;
  switch (result.kind) {
    case 'refused':
    case 'failed':
      printProblem(result.problem, output);
      return;
    case 'dry-run':
      output.out('');
      if (result.env.changed) {
        output.out(`The change to ${envPath}:`);
        const placeholder = `<the new ${result.request.api === 'assistants' ? 'assistant' : 'agent'}'s ID>`;
        for (const line of renderEnvChange(result.env.diff, chalk, placeholder)) output.out(line);
      } else {
        output.out(`${envPath} would not change.`);
      }
      output.out('');
      output.out(chalk.bold('Dry run: nothing was created and no file was changed.'));
      return;
    case 'not-saved': {
      const { provisioned, manualLines } = result;
      const what = provisioned.backend === 'responses' ? 'the instructions file is ready' : `${BACKEND_TITLES[provisioned.backend]} ${provisioned.object.id} was created`;
      output.err('');
      output.err(chalk.red.bold(`✖ ${what}, but ${envPath} could not be written: ${result.why}.`));
      output.err(chalk.bold(`  Nothing is lost. Add ${manualLines.length === 1 ? 'this line' : 'these lines'} to ${envPath} by hand:`));
      output.err('');
      for (const line of manualLines) output.err(`      ${chalk.bold(line)}`);
      output.err('');
      output.err(`  Then run: ${nextCommand()}`);
      return;
    }
    case 'created': {
      output.out('');
      if (result.env.changed) {
        output.out(`${result.env.created ? 'Created' : 'Updated'} ${envPath}:`);
        for (const line of renderEnvChange(result.env.diff, chalk)) output.out(line);
      } else {
        output.out(`${envPath} already says this; nothing to change.`);
      }
      output.out('');
      const { provisioned } = result;
      if (provisioned.backend === 'responses') {
        output.out(chalk.green(`✔ The Responses API backend is set up: ASSISTANT_INSTRUCTIONS_FILE=${provisioned.instructionsFile.envValue}, ASSISTANT_MODEL=${result.request.model}`));
      } else {
        output.out(chalk.green(`✔ ASSISTANT_ID=${provisioned.object.id}`));
      }
      output.out(`Next: ${chalk.bold(nextCommand())}`);
      return;
    }
  }
}

export interface ProvisionView {
  /** Starts showing a run that changes `envPath`; the observer hears its steps. */
  begin(envPath: string): ProvisionObserver;
  /** Shows how it ended. */
  end(result: ProvisionResult): void;
}

export interface ProvisionViewOptions {
  /** Nothing while it runs, then the JSON report. */
  json: boolean;
  /** Where the spinner draws (stderr, so --json and piped output stay clean). */
  progress?: NodeJS.WriteStream;
}

export function createProvisionView(output: Output, options: ProvisionViewOptions): ProvisionView {
  const { chalk } = output;
  if (options.json) {
    return {
      begin: () => ({ secrets: (values) => output.addSecrets(values), step: () => undefined, wait: (_text, work) => work() }),
      end: (result) => output.out(JSON.stringify(createAssistantReport(result), null, 2)),
    };
  }
  return {
    begin(envPath) {
      output.out(chalk.bold('voicebridge create-assistant') + chalk.dim(`  (${envPath})`));
      return {
        secrets: (values) => output.addSecrets(values),
        step: (step) => {
          for (const line of stepLines(step, output)) output.out(line);
        },
        wait: async (text, work) => {
          // discardStdin off: the questions that may follow read stdin with readline, which a spinner must not disturb.
          const spinner = await startSpinner(output, options.progress ?? process.stderr, text, { discardStdin: false });
          try {
            return await work();
          } finally {
            spinner?.stop();
          }
        },
      };
    },
    end: (result) => printOutcome(result, output),
  };
}
