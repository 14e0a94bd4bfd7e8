// `voicebridge create-assistant`: provisions the agent the bridge talks to (Agents API by default, the Assistants
// API where it is still served, or the Responses API with instructions in a file) and writes its ID into .env
// without losing a byte of the rest. Before creating anything it makes sure it can write .env and is the only run
// changing it. Whatever fails after that, nothing created is lost: the ID is printed with the line to add.
import { resolve } from 'node:path';
import { createOpenAIClient } from '../../clients/openai-client.js';
import { checkWritable, NotWritableError, type AtomicWriteOptions } from '../../config/atomic-write.js';
import { documentValues, parseEnvDocument } from '../../config/env-document.js';
import { EnvEditRefusedError, planEnvEdits, readEnvFileText, updateEnvFile, type EnvChange } from '../../config/env-editor.js';
import { secretsInEnvDocument } from '../../config/env-secrets.js';
import { valueRenderings } from '../../config/env-value.js';
import type { DiffHunk } from '../../config/line-diff.js';
import { DEFAULT_ASSISTANT_MODEL, DEFAULT_ENV_FILE } from '../../config/defaults.js';
import { acquireEnvLock, EnvBusyError, type EnvLock } from '../../config/env-lock.js';
import { loadConfig } from '../../config/load-config.js';
import { describeBaseURL } from '../../knowledge/openai-failure.js';
import type { ModelLifecycle } from '../../models/model-lifecycle.js';
import { createTerminalAsker, type Asker } from '../../provision/ask.js';
import { checkAssistantModel, shutdownNote, type AssistantModelVerdict } from '../../provision/assistant-model-check.js';
import { assistantEnvEdits, type AssistantEnvTarget } from '../../provision/assistant-env-edits.js';
import { createAgent } from '../../provision/backends/agents.js';
import { createAssistantsApiAssistant } from '../../provision/backends/assistants.js';
import type { CreatedAssistant } from '../../provision/backends/created-assistant.js';
import { InstructionsFileConflictError, planResponsesSetup, writeInstructionsFile, type ResponsesSetup } from '../../provision/backends/responses.js';
import { inspectExistingAssistant, type ExistingAssistant } from '../../provision/existing-assistant.js';
import { explainProvisionFailure } from '../../provision/explain-failure.js';
import {
  checkOptions,
  InstructionsFileError,
  resolveProvisionRequest,
  type CreateAssistantOptions,
  type ProvisionApi,
  type ProvisionRequest,
} from '../../provision/provision-request.js';
import { NEW_ID_PLACEHOLDER, renderEnvChange } from '../../provision/render-env-change.js';
import { clockFromEnvironment, type Clock } from '../../util/clock.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { createOutput, type Output } from '../output.js';
import { startSpinner } from '../spinner.js';

export type { CreateAssistantOptions } from '../../provision/provision-request.js';

export interface CreateAssistantDependencies {
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: Clock;
  /** Asks for missing options. Left out, a terminal asker is used only when stdin and stdout are both terminals. */
  asker?: Asker;
  /** File-system hooks for writing .env (tests make a step fail). */
  writeOptions?: AtomicWriteOptions;
  /** Request timeout for creating the object; looking up the old ID uses a shorter one. */
  timeoutMs?: number;
  /** Where the spinner draws while the network is asked (stderr, so --json and piped output stay clean). */
  progress?: NodeJS.WriteStream;
}

interface Problem {
  summary: string;
  detail?: string[];
  fix: string;
  kind?: string;
}

/** Everything the command did or would do, printed as JSON with --json. */
interface CreateAssistantReport {
  ok: boolean;
  dryRun: boolean;
  api: ProvisionApi;
  name?: string;
  model?: string;
  /** The model's shutdown date as GET /models gives it, when it could be read. */
  modelLifecycle?: ModelLifecycle;
  instructions?: { source: ProvisionRequest['instructionsSource']; characters: number; file?: string };
  envFile: string;
  previous?: { variable: string; id: string; state: string; description: string; replaced: boolean };
  created?: { id: string; name: string | null; model: string };
  instructionsFile?: { path: string; action: ResponsesSetup['action']; envValue: string };
  env?: { written: boolean; created: boolean; changes: EnvChange[]; diff: DiffHunk[] };
  /** When .env could not be written: the lines to add by hand. */
  manualLines?: string[];
  warnings: string[];
  error?: Problem;
  next?: string;
}

const TITLES: Record<ProvisionApi, string> = {
  agents: 'an Agents API agent',
  assistants: 'an Assistants API assistant',
  responses: 'the Responses API backend (no object on OpenAI)',
};

const NEXT_COMMAND = 'npx voicebridge doctor';
const LOOKUP_TIMEOUT_MS = 10_000;

function describeInstructions(request: ProvisionRequest): string {
  const size = `${request.instructions.length} characters`;
  if (request.instructionsSource === 'default') return `the default phone-call instructions (${size})`;
  if (request.instructionsSource === 'file') return `from ${request.instructionsFile} (${size})`;
  return `from --instructions (${size})`;
}

function envTargetFor(request: ProvisionRequest, id: string, setup?: ResponsesSetup): AssistantEnvTarget {
  if (request.api === 'responses') return { api: 'responses', instructionsFile: setup!.envValue, model: request.model };
  return { api: request.api, id };
}

/** `KEY=value` lines exactly as the editor would write them, for a user to paste when it could not. */
function manualLinesFor(target: AssistantEnvTarget): string[] {
  const entries: Array<[string, string]> =
    target.api === 'responses'
      ? [
          ['ASSISTANT_ID', ''],
          ['ASSISTANT_INSTRUCTIONS_FILE', target.instructionsFile],
          ['ASSISTANT_MODEL', target.model],
        ]
      : [['ASSISTANT_ID', target.id]];
  return entries.map(([key, value]) => `${key}=${valueRenderings(value)[0] ?? JSON.stringify(value)}`);
}

function writeFailureReason(error: unknown): string {
  if (error instanceof NotWritableError) return error.reason;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'ENOENT') return 'its folder does not exist';
  return (error as Error).message;
}

export async function runCreateAssistantCommand(options: CreateAssistantOptions, dependencies: Partial<CreateAssistantDependencies> = {}): Promise<number> {
  checkOptions(options);
  const json = options.json === true;
  const output = dependencies.output ?? createOutput();
  const interactive = !json && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const asker = dependencies.asker ?? (interactive && dependencies.output === undefined ? createTerminalAsker() : undefined);
  try {
    return await createAssistant(options, {
      output,
      env: dependencies.env ?? process.env,
      cwd: dependencies.cwd ?? process.cwd(),
      clock: dependencies.clock ?? clockFromEnvironment(dependencies.env ?? process.env),
      ...(json ? {} : asker ? { asker } : {}),
      ...(dependencies.writeOptions ? { writeOptions: dependencies.writeOptions } : {}),
      ...(dependencies.timeoutMs ? { timeoutMs: dependencies.timeoutMs } : {}),
      ...(dependencies.progress ? { progress: dependencies.progress } : {}),
    });
  } finally {
    if (dependencies.asker === undefined) asker?.close();
  }
}

/** The report being built, and the ways the command prints to people (or, with --json, only into the report). */
interface Session {
  report: CreateAssistantReport;
  say(line?: string): void;
  warn(line: string): void;
  finish(code: number): number;
  fail(problem: Problem): number;
  withSpinner<T>(text: string, work: () => Promise<T>): Promise<T>;
}

function startSession(options: CreateAssistantOptions, dependencies: CreateAssistantDependencies, envPath: string): Session {
  const { output } = dependencies;
  const { chalk } = output;
  const json = options.json === true;
  const report: CreateAssistantReport = {
    ok: false,
    dryRun: options.dryRun === true,
    api: (options.api as ProvisionApi | undefined) ?? 'agents',
    envFile: envPath,
    warnings: [],
  };
  const say = (line = ''): void => {
    if (!json) output.out(line);
  };
  const finish = (code: number): number => {
    if (json) output.out(JSON.stringify(report, null, 2));
    return code;
  };
  return {
    report,
    say,
    warn: (line) => {
      report.warnings.push(line);
      say(chalk.yellow(`! ${line}`));
    },
    finish,
    fail: (problem) => {
      report.ok = false;
      report.error = problem;
      if (!json) {
        output.err(chalk.red(`✖ ${problem.summary}`));
        for (const line of problem.detail ?? []) output.err(`  ${line}`);
        output.err(chalk.bold(`→ ${problem.fix.split('\n').join('\n  ')}`));
      }
      return finish(EXIT_FAILURE);
    },
    withSpinner: async (text, work) => {
      if (json) return work();
      // discardStdin off: the questions that may follow read stdin with readline, which a spinner must not disturb.
      const spinner = await startSpinner(output, dependencies.progress ?? process.stderr, text, { discardStdin: false });
      try {
        return await work();
      } finally {
        spinner?.stop();
      }
    },
  };
}

async function createAssistant(options: CreateAssistantOptions, dependencies: CreateAssistantDependencies): Promise<number> {
  const { chalk } = dependencies.output;
  const envPath = resolve(dependencies.cwd, options.envFile ?? DEFAULT_ENV_FILE);
  const session = startSession(options, dependencies, envPath);
  const { say, warn, fail } = session;
  say(chalk.bold('voicebridge create-assistant') + chalk.dim(`  (${envPath})`));

  // Before anything is asked, looked up or created: this run must be able to write .env at the end, or the agent it
  // creates is left on OpenAI with its ID nowhere but in the output.
  try {
    await checkWritable(envPath, dependencies.writeOptions);
  } catch (error) {
    if (!(error instanceof NotWritableError)) throw error;
    if (options.dryRun !== true) {
      return fail({
        summary: `${envPath} cannot be changed: ${error.reason}`,
        detail: ['Nothing was created and no file was changed.'],
        fix: `${error.fix}, then run this command again.`,
        kind: 'env-not-writable',
      });
    }
    warn(`${envPath} cannot be changed: ${error.reason}, so the real run would stop before creating anything. ${error.fix} first.`);
  }
  if (options.dryRun === true) return provision(options, dependencies, session, envPath);

  // And it must be the only run changing this .env until it is done: two runs at once would each create an agent.
  let lock: EnvLock;
  try {
    lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
  } catch (error) {
    if (!(error instanceof EnvBusyError)) throw error;
    return fail({
      summary: error.message,
      detail: ['This run stopped so that one agent is created, not two: nothing was created and no file was changed.'],
      fix: `${error.fix}.`,
      kind: 'env-busy',
    });
  }
  try {
    return await provision(options, dependencies, session, envPath);
  } finally {
    await lock.release();
  }
}

/** Everything after the checks above: .env is read under the lock, so what it says cannot change meanwhile. */
async function provision(options: CreateAssistantOptions, dependencies: CreateAssistantDependencies, session: Session, envPath: string): Promise<number> {
  const { output, cwd } = dependencies;
  const { chalk } = output;
  const { report, say, warn, finish, fail, withSpinner } = session;
  const json = options.json === true;
  const dryRun = options.dryRun === true;
  const force = options.force === true;
  const now = dependencies.clock.now();
  const timeoutMs = dependencies.timeoutMs ?? 30_000;

  const config = loadConfig({ envFile: options.envFile, cwd, env: dependencies.env });
  output.addSecrets(config.secrets);

  // Read and check .env before anything is created: if it cannot be edited safely, nothing must be left half-done.
  if (config.envFile.error) {
    return fail({
      summary: `cannot read ${envPath}: ${config.envFile.error}`,
      fix: 'Make the file readable and writable by this user, or point --env-file at another file. Nothing was created.',
    });
  }
  const envText = config.envFile.text ?? '';
  if (envText.includes('\ufffd')) {
    // U+FFFD is what bytes that are not UTF-8 decode to: check the bytes themselves before anything is created.
    try {
      await readEnvFileText(envPath);
    } catch (error) {
      if (!(error instanceof EnvEditRefusedError)) throw error;
      return fail({
        summary: `${envPath}, ${error.message.replace(/\. Save the file as UTF-8$/, '')}`,
        detail: ['voicebridge changes .env only when it can keep every other line exactly as it is.'],
        fix: `Save ${envPath} as UTF-8 (in most editors: Save with Encoding, UTF-8), then run this command again. Nothing was created.`,
      });
    }
  }
  const envDocument = parseEnvDocument(envText);
  // A key or token pasted into ASSISTANT_ID or AGENT_WORKFLOW_ID (or an older one left on another line) shows in the .env
  // change and the JSON report; mask every one, not only the key in use.
  output.addSecrets(secretsInEnvDocument(envDocument));
  const problem = envDocument.problems[0];
  if (problem) {
    return fail({
      summary: `${envPath}, line ${problem.line}: ${problem.message}`,
      detail: ['voicebridge changes .env only when it can keep every other line exactly as it is, and it cannot read this line back safely.'],
      fix: `Fix line ${problem.line} by hand (close the quote, or put the whole value in quotes), then run this command again. Nothing was created.`,
    });
  }
  const fileValues = documentValues(envDocument);

  for (const variable of ['ASSISTANT_ID', 'AGENT_WORKFLOW_ID', 'ASSISTANT_INSTRUCTIONS_FILE', 'ASSISTANT_MODEL'] as const) {
    if (config.sources[variable] === 'process') {
      warn(`${variable} is also set in your shell environment, which wins over ${envPath}: unset it (unset ${variable}) so the new setting is used.`);
    }
  }

  // What is there now: nothing, a dead end that may simply be replaced, or a working ID that needs --force.
  // Checked before any question is asked, so nobody answers questions only to be refused.
  const existing: ExistingAssistant = await withSpinner('Checking the ID already configured…', () =>
    inspectExistingAssistant(config, { now, timeoutMs: Math.min(timeoutMs, LOOKUP_TIMEOUT_MS) }),
  );
  if (existing.state !== 'none') {
    const replaceable = existing.state === 'dead' || force;
    report.previous = { variable: existing.variable, id: existing.shown, state: existing.state, description: existing.description, replaced: replaceable };
    if (!replaceable) {
      return fail({
        summary: `${existing.variable}=${existing.shown} is already set: ${existing.description}`,
        detail: [`Nothing was created and ${envPath} was not changed.`],
        fix: `Keep it (check it with: ${NEXT_COMMAND}), or replace it by running this command again with --force.`,
      });
    }
    if (existing.state === 'dead') say(`Replacing ${existing.variable}=${existing.shown}: ${existing.description}.`);
    else say(`Replacing ${existing.variable}=${existing.shown} (${existing.description}) because of --force. The old object itself is not deleted.`);
    if (existing.variable === 'AGENT_WORKFLOW_ID') {
      say(`AGENT_WORKFLOW_ID is the old name: its line will be commented out (dated, with the reason) and the new value written to ASSISTANT_ID.`);
    }
  }

  let request: ProvisionRequest;
  try {
    request = await resolveProvisionRequest(options, { cwd, ...(dependencies.asker ? { asker: dependencies.asker } : {}) });
  } catch (error) {
    if (error instanceof InstructionsFileError) {
      return fail({
        summary: error.message,
        detail: [`Nothing was created and ${envPath} was not changed.`],
        fix: 'Point --instructions-file at a readable file holding the instructions, then run this command again.',
      });
    }
    throw error;
  }
  report.api = request.api;
  report.name = request.name;
  report.model = request.model;
  report.instructions = {
    source: request.instructionsSource,
    characters: request.instructions.length,
    ...(request.instructionsFile ? { file: request.instructionsFile } : {}),
  };

  const needsApi = request.api !== 'responses';
  if (needsApi && !config.openai.apiKey) {
    if (!dryRun) {
      return fail({
        summary: `OPENAI_API_KEY is not set (not in ${envPath}, not in the environment)`,
        detail: [`Nothing was created and ${envPath} was not changed.`],
        fix: `Add your key to ${envPath}: OPENAI_API_KEY=sk-… (from https://platform.openai.com/api-keys), then run this command again.`,
      });
    }
    warn('OPENAI_API_KEY is not set: the real run will need it.');
  }

  // Never create on a model that is shut down or about to be: one GET /models before anything is created.
  let modelVerdict: AssistantModelVerdict | undefined;
  if (config.openai.apiKey) {
    const lookupTimeoutMs = Math.min(timeoutMs, LOOKUP_TIMEOUT_MS);
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: lookupTimeoutMs });
    const asker = dependencies.asker;
    modelVerdict = await withSpinner(`Checking ${request.model}'s shutdown date…`, () =>
      checkAssistantModel(client, request.model, {
        clock: dependencies.clock,
        chosen: options.model !== undefined || request.model !== DEFAULT_ASSISTANT_MODEL,
        config,
        timeoutMs: lookupTimeoutMs,
        ...(asker ? { ask: (question: string, defaultValue: string) => asker.ask(question, defaultValue) } : {}),
      }),
    );
  } else if (!needsApi) {
    warn(`OPENAI_API_KEY is not set, so ${request.model}'s shutdown date was not checked; the bridge will need the key too.`);
  }
  if (modelVerdict?.kind === 'refused') {
    report.modelLifecycle = modelVerdict.lifecycle;
    return fail({
      summary: modelVerdict.summary,
      detail: [`Nothing was created and ${envPath} was not changed.`],
      fix: modelVerdict.fix,
      kind: 'model-retired',
    });
  }
  if (modelVerdict?.kind === 'unchecked' || modelVerdict?.kind === 'retiring') warn(modelVerdict.warning);
  if (modelVerdict?.kind === 'replaced') {
    warn(modelVerdict.note);
    request = { ...request, model: modelVerdict.model };
    report.model = request.model;
  }
  if (modelVerdict && modelVerdict.kind !== 'unchecked') report.modelLifecycle = modelVerdict.lifecycle;
  const modelShown = modelVerdict ? `${request.model} (shutdown: ${shutdownNote(modelVerdict)})` : request.model;

  // Show what will be created before creating it.
  let setup: ResponsesSetup | undefined;
  if (request.api === 'responses') {
    try {
      setup = await planResponsesSetup(request, { cwd, force });
    } catch (error) {
      if (error instanceof InstructionsFileConflictError) {
        return fail({ summary: error.message, detail: [`Nothing was created and no file was changed.`], fix: 'Choose one of the two options above, then run this command again.' });
      }
      throw error;
    }
    report.instructionsFile = { path: setup.path, action: setup.action, envValue: setup.envValue };
    say(`${dryRun ? 'Would set up' : 'Setting up'} ${TITLES.responses}: model ${modelShown}`);
    say(
      setup.action === 'keep'
        ? `  instructions: ${setup.path} (${setup.note ?? 'kept as it is'})`
        : `  instructions: ${describeInstructions(request)}, ${setup.action === 'create' ? 'written to' : 'replacing'} ${setup.path}`,
    );
  } else {
    say(`${dryRun ? 'Would create' : 'Creating'} ${TITLES[request.api]} on ${describeBaseURL(config)}:`);
    say(`  name: ${request.name}`);
    say(`  model: ${modelShown}`);
    say(`  instructions: ${describeInstructions(request)}`);
  }
  const editsFor = (target: AssistantEnvTarget) => assistantEnvEdits({ target, fileValues, existing, date: now.toISOString().slice(0, 10) });

  if (dryRun) {
    const target = envTargetFor(request, NEW_ID_PLACEHOLDER, setup);
    let plan;
    try {
      plan = planEnvEdits(envText, editsFor(target));
    } catch (error) {
      if (error instanceof EnvEditRefusedError) return fail({ summary: `${envPath}: ${error.message}`, fix: 'Fix that line by hand, then run this command again.' });
      throw error;
    }
    report.env = { written: false, created: false, changes: plan.changes, diff: plan.hunks };
    say('');
    if (plan.changed) {
      say(`The change to ${envPath}:`);
      for (const line of renderEnvChange(plan.hunks, chalk, `<the new ${request.api === 'assistants' ? 'assistant' : 'agent'}'s ID>`)) say(line);
    } else {
      say(`${envPath} would not change.`);
    }
    say('');
    say(chalk.bold('Dry run: nothing was created and no file was changed.'));
    report.ok = true;
    return finish(EXIT_OK);
  }

  // Create the object (or write the instructions file).
  let created: CreatedAssistant | undefined;
  if (request.api === 'responses') {
    try {
      await writeInstructionsFile(setup!, request.instructions);
    } catch (error) {
      return fail({
        summary: `cannot write the instructions to ${setup!.path}: ${writeFailureReason(error)}`,
        fix: `Make that folder writable, or write the instructions there yourself and pass --instructions-file. ${envPath} was not changed.`,
      });
    }
    if (setup!.action !== 'keep') say(chalk.green(`✔ Wrote the instructions to ${setup!.path}`));
  } else {
    try {
      const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs });
      created = await withSpinner(`Creating ${TITLES[request.api]}…`, () =>
        request.api === 'agents' ? createAgent(client, request) : createAssistantsApiAssistant(client, request),
      );
    } catch (error) {
      const failure = await explainProvisionFailure(error, { api: request.api, config, model: request.model, now, timeoutMs });
      return fail({ ...failure, detail: [...failure.detail, `Nothing was created and ${envPath} was not changed.`] });
    }
    report.created = created;
    say(chalk.green(`✔ Created ${TITLES[request.api]}: ${chalk.bold(created.id)}`));
  }

  // Write .env. If that fails, the created ID must not be lost: print it with the exact line to add by hand.
  const target = envTargetFor(request, created?.id ?? '', setup);
  try {
    const result = await updateEnvFile(envPath, editsFor(target), dependencies.writeOptions);
    report.env = { written: result.written, created: result.created, changes: result.changes, diff: result.hunks };
    say('');
    if (result.changed) {
      say(`${result.created ? 'Created' : 'Updated'} ${envPath}:`);
      for (const line of renderEnvChange(result.hunks, chalk)) say(line);
    } else {
      say(`${envPath} already says this; nothing to change.`);
    }
  } catch (error) {
    const why = error instanceof EnvEditRefusedError ? error.message : writeFailureReason(error);
    report.manualLines = manualLinesFor(target);
    const what = created ? `${TITLES[request.api]} ${created.id} was created` : 'the instructions file is ready';
    if (!json) {
      output.err('');
      output.err(chalk.red.bold(`✖ ${what}, but ${envPath} could not be written: ${why}.`));
      output.err(chalk.bold(`  Nothing is lost. Add ${report.manualLines.length === 1 ? 'this line' : 'these lines'} to ${envPath} by hand:`));
      output.err('');
      for (const line of report.manualLines) output.err(`      ${chalk.bold(line)}`);
      output.err('');
      output.err(`  Then run: ${NEXT_COMMAND}`);
    }
    report.error = {
      summary: `${what}, but ${envPath} could not be written: ${why}`,
      fix: `Add to ${envPath} by hand: ${report.manualLines.join('  ')}`,
    };
    return finish(EXIT_FAILURE);
  }

  report.ok = true;
  report.next = NEXT_COMMAND;
  say('');
  if (created) say(chalk.green(`✔ ASSISTANT_ID=${created.id}`));
  else say(chalk.green(`✔ The Responses API backend is set up: ASSISTANT_INSTRUCTIONS_FILE=${setup!.envValue}, ASSISTANT_MODEL=${request.model}`));
  say(`Next: ${chalk.bold(NEXT_COMMAND)}`);
  return finish(EXIT_OK);
}
