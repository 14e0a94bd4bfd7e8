// Provisions the agent the bridge talks to (Agents API by default, the Assistants API where it is still served, or
// the Responses API with instructions in a file) and writes its ID into .env without losing a byte of the rest.
// Before creating anything it makes sure it can write .env and is the only run changing it. Whatever fails after
// that, nothing created is lost: the result carries the ID with the lines to add by hand.
//
// It prints nothing: it returns what happened, and tells an observer each step as it happens so that a terminal can
// show progress (and the lines that belong before a question) in order. Questions come from an injected asker.
import { resolve } from 'node:path';
import { createOpenAIClient } from '../clients/openai-client.js';
import { checkWritable, NotWritableError, type AtomicWriteOptions } from '../config/atomic-write.js';
import { DEFAULT_ASSISTANT_MODEL, DEFAULT_ENV_FILE } from '../config/defaults.js';
import { documentValues, parseEnvDocument } from '../config/env-document.js';
import { EnvEditRefusedError, planEnvEdits, readEnvFileText, updateEnvFile } from '../config/env-editor.js';
import { acquireEnvLock, EnvBusyError, type EnvLock } from '../config/env-lock.js';
import { secretsInEnvDocument } from '../config/env-secrets.js';
import { valueRenderings } from '../config/env-value.js';
import { loadConfig } from '../config/load-config.js';
import { describeBaseURL } from '../knowledge/openai-failure.js';
import type { Clock } from '../util/clock.js';
import type { Asker } from './ask.js';
import { assistantEnvEdits, type AssistantEnvTarget } from './assistant-env-edits.js';
import { checkAssistantModel, shutdownNote, type AssistantModelVerdict } from './assistant-model-check.js';
import { createAgent } from './backends/agents.js';
import { createAssistantsApiAssistant } from './backends/assistants.js';
import type { CreatedAssistant } from './backends/created-assistant.js';
import { InstructionsFileConflictError, planResponsesSetup, writeInstructionsFile, type ResponsesSetup } from './backends/responses.js';
import { explainProvisionFailure } from './explain-failure.js';
import { inspectExistingAssistant } from './existing-assistant.js';
import {
  checkOptions,
  InstructionsFileError,
  resolveProvisionRequest,
  type CreateAssistantOptions,
  type ProvisionApi,
  type ProvisionRequest,
} from './provision-request.js';
import {
  BACKEND_TITLES,
  nextCommand,
  SILENT_OBSERVER,
  type FailureReason,
  type ProvisionFacts,
  type ProvisionObserver,
  type ProvisionOutcome,
  type ProvisionProblem,
  type ProvisionResult,
  type Provisioned,
  type RefusalReason,
} from './provision-result.js';
import { NEW_ID_PLACEHOLDER } from './render-env-change.js';

/** What to provision: create-assistant's options, less how its output is printed. */
export type ProvisionOptions = Omit<CreateAssistantOptions, 'json'>;

export interface ProvisionDependencies {
  /** The shell's environment: its values win over .env, as everywhere else. */
  env: NodeJS.ProcessEnv;
  /** The folder relative paths (--env, --instructions-file, the Responses instructions file) start from. */
  cwd: string;
  clock: Clock;
  /** Asks for the options left out. Without it the defaults are used and nothing waits for input. */
  asker?: Asker;
  /** Told each step as it happens; nothing is shown without it. */
  observer?: ProvisionObserver;
  /** File-system hooks for writing .env (tests make a step fail). */
  writeOptions?: AtomicWriteOptions;
  /** Request timeout for creating the object; looking up the old ID and the model use a shorter one. */
  timeoutMs?: number;
}

const LOOKUP_TIMEOUT_MS = 10_000;

/** The .env a run with these options changes, as an absolute path. */
export function provisionEnvPath(options: Pick<ProvisionOptions, 'envFile'>, cwd: string): string {
  return resolve(cwd, options.envFile ?? DEFAULT_ENV_FILE);
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

/** The run so far: what it learned, and how it ends. */
class Run {
  readonly facts: ProvisionFacts;

  constructor(
    options: ProvisionOptions,
    envPath: string,
    readonly observer: ProvisionObserver,
  ) {
    this.facts = { envFile: envPath, dryRun: options.dryRun === true, api: (options.api as ProvisionApi | undefined) ?? 'agents', warnings: [] };
  }

  warn(message: string): void {
    this.facts.warnings.push(message);
    this.observer.step({ kind: 'warning', message });
  }

  end(outcome: ProvisionOutcome): ProvisionResult {
    return { ...this.facts, ...outcome };
  }

  refuse(reason: RefusalReason, problem: ProvisionProblem): ProvisionResult {
    return this.end({ kind: 'refused', reason, problem });
  }

  fail(reason: FailureReason, problem: ProvisionProblem): ProvisionResult {
    return this.end({ kind: 'failed', reason, problem });
  }
}

/**
 * Creates the agent (or sets up the Responses backend) as `voicebridge create-assistant` does, and writes it into
 * .env. Throws a UsageError for contradictory options or questions left unanswered; every other way it can end is
 * in the result.
 */
export async function provisionAgent(options: ProvisionOptions, dependencies: ProvisionDependencies): Promise<ProvisionResult> {
  checkOptions(options);
  const envPath = provisionEnvPath(options, dependencies.cwd);
  const run = new Run(options, envPath, dependencies.observer ?? SILENT_OBSERVER);

  // Before anything is asked, looked up or created: this run must be able to write .env at the end, or the agent it
  // creates is left on OpenAI with its ID nowhere but in the output.
  try {
    await checkWritable(envPath, dependencies.writeOptions);
  } catch (error) {
    if (!(error instanceof NotWritableError)) throw error;
    if (options.dryRun !== true) {
      return run.refuse('env-not-writable', {
        summary: `${envPath} cannot be changed: ${error.reason}`,
        detail: ['Nothing was created and no file was changed.'],
        fix: `${error.fix}, then run this command again.`,
        kind: 'env-not-writable',
      });
    }
    run.warn(`${envPath} cannot be changed: ${error.reason}, so the real run would stop before creating anything. ${error.fix} first.`);
  }
  if (options.dryRun === true) return provisionUnderLock(options, dependencies, run);

  // And it must be the only run changing this .env until it is done: two runs at once would each create an agent.
  let lock: EnvLock;
  try {
    lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
  } catch (error) {
    if (!(error instanceof EnvBusyError)) throw error;
    return run.refuse('env-busy', {
      summary: error.message,
      detail: ['This run stopped so that one agent is created, not two: nothing was created and no file was changed.'],
      fix: `${error.fix}.`,
      kind: 'env-busy',
    });
  }
  try {
    return await provisionUnderLock(options, dependencies, run);
  } finally {
    await lock.release();
  }
}

/** Everything after the checks above: .env is read under the lock, so what it says cannot change meanwhile. */
async function provisionUnderLock(options: ProvisionOptions, dependencies: ProvisionDependencies, run: Run): Promise<ProvisionResult> {
  const { cwd } = dependencies;
  const { facts, observer } = run;
  const envPath = facts.envFile;
  const dryRun = options.dryRun === true;
  const force = options.force === true;
  const now = dependencies.clock.now();
  const timeoutMs = dependencies.timeoutMs ?? 30_000;

  const config = loadConfig({ envFile: options.envFile, cwd, env: dependencies.env });
  observer.secrets(config.secrets);

  // Read and check .env before anything is created: if it cannot be edited safely, nothing must be left half-done.
  if (config.envFile.error) {
    return run.refuse('env-unreadable', {
      summary: `cannot read ${envPath}: ${config.envFile.error}`,
      fix: 'Make the file readable and writable by this user, or point --env at another file. Nothing was created.',
    });
  }
  const envText = config.envFile.text ?? '';
  if (envText.includes('\ufffd')) {
    // U+FFFD is what bytes that are not UTF-8 decode to: check the bytes themselves before anything is created.
    try {
      await readEnvFileText(envPath);
    } catch (error) {
      if (!(error instanceof EnvEditRefusedError)) throw error;
      return run.refuse('env-not-utf8', {
        summary: `${envPath}, ${error.message.replace(/\. Save the file as UTF-8$/, '')}`,
        detail: ['voicebridge changes .env only when it can keep every other line exactly as it is.'],
        fix: `Save ${envPath} as UTF-8 (in most editors: Save with Encoding, UTF-8), then run this command again. Nothing was created.`,
      });
    }
  }
  const envDocument = parseEnvDocument(envText);
  // A key or token pasted into ASSISTANT_ID or AGENT_WORKFLOW_ID (or an older one left on another line) shows in the .env
  // change and the JSON report; mask every one, not only the key in use.
  observer.secrets(secretsInEnvDocument(envDocument));
  const problem = envDocument.problems[0];
  if (problem) {
    return run.refuse('env-line-unreadable', {
      summary: `${envPath}, line ${problem.line}: ${problem.message}`,
      detail: ['voicebridge changes .env only when it can keep every other line exactly as it is, and it cannot read this line back safely.'],
      fix: `Fix line ${problem.line} by hand (close the quote, or put the whole value in quotes), then run this command again. Nothing was created.`,
    });
  }
  const fileValues = documentValues(envDocument);

  for (const variable of ['ASSISTANT_ID', 'AGENT_WORKFLOW_ID', 'ASSISTANT_INSTRUCTIONS_FILE', 'ASSISTANT_MODEL'] as const) {
    if (config.sources[variable] === 'process') {
      run.warn(`${variable} is also set in your shell environment, which wins over ${envPath}: unset it (unset ${variable}) so the new setting is used.`);
    }
  }

  // What is there now: nothing, a dead end that may simply be replaced, or a working ID that needs --force.
  // Checked before any question is asked, so nobody answers questions only to be refused.
  const existing = await observer.wait('Checking the ID already configured…', () =>
    inspectExistingAssistant(config, { now, timeoutMs: Math.min(timeoutMs, LOOKUP_TIMEOUT_MS) }),
  );
  if (existing.state !== 'none') {
    const replaceable = existing.state === 'dead' || force;
    facts.previous = { variable: existing.variable, id: existing.shown, state: existing.state, description: existing.description, replaced: replaceable };
    if (!replaceable) {
      return run.refuse('id-in-use', {
        summary: `${existing.variable}=${existing.shown} is already set: ${existing.description}`,
        detail: [`Nothing was created and ${envPath} was not changed.`],
        fix: `Keep it (check it with: ${nextCommand()}), or replace it by running this command again with --force.`,
      });
    }
    observer.step({ kind: 'replacing', previous: facts.previous });
  }

  let request: ProvisionRequest;
  try {
    request = await resolveProvisionRequest(options, { cwd, ...(dependencies.asker ? { asker: dependencies.asker } : {}) });
  } catch (error) {
    if (error instanceof InstructionsFileError) {
      return run.refuse('instructions-file-unreadable', {
        summary: error.message,
        detail: [`Nothing was created and ${envPath} was not changed.`],
        fix: 'Point --instructions-file at a readable file holding the instructions, then run this command again.',
      });
    }
    throw error;
  }
  facts.api = request.api;
  facts.request = request;

  const needsApi = request.api !== 'responses';
  if (needsApi && !config.openai.apiKey) {
    if (!dryRun) {
      return run.refuse('no-api-key', {
        summary: `OPENAI_API_KEY is not set (not in ${envPath}, not in the environment)`,
        detail: [`Nothing was created and ${envPath} was not changed.`],
        fix: `Add your key to ${envPath}: OPENAI_API_KEY=sk-… (from https://platform.openai.com/api-keys), then run this command again.`,
      });
    }
    run.warn('OPENAI_API_KEY is not set: the real run will need it.');
  }

  // Never create on a model that is shut down or about to be: one GET /models before anything is created.
  let modelVerdict: AssistantModelVerdict | undefined;
  if (config.openai.apiKey) {
    const lookupTimeoutMs = Math.min(timeoutMs, LOOKUP_TIMEOUT_MS);
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: lookupTimeoutMs });
    const { asker } = dependencies;
    const model = request.model;
    modelVerdict = await observer.wait(`Checking ${model}'s shutdown date…`, () =>
      checkAssistantModel(client, model, {
        clock: dependencies.clock,
        chosen: options.model !== undefined || model !== DEFAULT_ASSISTANT_MODEL,
        config,
        timeoutMs: lookupTimeoutMs,
        ...(asker ? { ask: (question: string, defaultValue: string) => asker.ask(question, defaultValue) } : {}),
      }),
    );
  } else if (!needsApi) {
    run.warn(`OPENAI_API_KEY is not set, so ${request.model}'s shutdown date was not checked; the bridge will need the key too.`);
  }
  if (modelVerdict?.kind === 'refused') {
    facts.modelLifecycle = modelVerdict.lifecycle;
    return run.refuse('model-refused', {
      summary: modelVerdict.summary,
      detail: [`Nothing was created and ${envPath} was not changed.`],
      fix: modelVerdict.fix,
      kind: 'model-retired',
    });
  }
  if (modelVerdict?.kind === 'unchecked' || modelVerdict?.kind === 'retiring') run.warn(modelVerdict.warning);
  if (modelVerdict?.kind === 'replaced') {
    run.warn(modelVerdict.note);
    request = { ...request, model: modelVerdict.model };
    facts.request = request;
  }
  if (modelVerdict && modelVerdict.kind !== 'unchecked') facts.modelLifecycle = modelVerdict.lifecycle;
  const shutdown = modelVerdict ? { shutdown: shutdownNote(modelVerdict) } : {};

  // Say what will be created before creating it.
  let setup: ResponsesSetup | undefined;
  if (request.api === 'responses') {
    try {
      setup = await planResponsesSetup(request, { cwd, force });
    } catch (error) {
      if (error instanceof InstructionsFileConflictError) {
        return run.refuse('instructions-file-conflict', {
          summary: error.message,
          detail: [`Nothing was created and no file was changed.`],
          fix: 'Choose one of the two options above, then run this command again.',
        });
      }
      throw error;
    }
    facts.instructionsFile = { path: setup.path, action: setup.action, envValue: setup.envValue };
  }
  observer.step({ kind: 'plan', dryRun, request, endpoint: describeBaseURL(config), ...shutdown, ...(setup ? { instructionsFile: setup } : {}) });
  const editsFor = (target: AssistantEnvTarget) => assistantEnvEdits({ target, fileValues, existing, date: now.toISOString().slice(0, 10) });

  if (dryRun) {
    const target = envTargetFor(request, NEW_ID_PLACEHOLDER, setup);
    try {
      const plan = planEnvEdits(envText, editsFor(target));
      return run.end({ kind: 'dry-run', request, env: { written: false, created: false, changed: plan.changed, changes: plan.changes, diff: plan.hunks } });
    } catch (error) {
      if (error instanceof EnvEditRefusedError) return run.refuse('env-edit-refused', { summary: `${envPath}: ${error.message}`, fix: 'Fix that line by hand, then run this command again.' });
      throw error;
    }
  }

  // Create the object (or write the instructions file).
  let provisioned: Provisioned;
  let created: CreatedAssistant | undefined;
  if (request.api === 'responses') {
    try {
      await writeInstructionsFile(setup!, request.instructions);
    } catch (error) {
      return run.fail('instructions-not-written', {
        summary: `cannot write the instructions to ${setup!.path}: ${writeFailureReason(error)}`,
        fix: `Make that folder writable, or write the instructions there yourself and pass --instructions-file. ${envPath} was not changed.`,
      });
    }
    if (setup!.action !== 'keep') observer.step({ kind: 'instructions-written', path: setup!.path });
    provisioned = { backend: 'responses', instructionsFile: facts.instructionsFile! };
  } else {
    const api = request.api;
    try {
      const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs });
      created = await observer.wait(`Creating ${BACKEND_TITLES[api]}…`, () =>
        api === 'agents' ? createAgent(client, request) : createAssistantsApiAssistant(client, request),
      );
    } catch (error) {
      const failure = await explainProvisionFailure(error, { api, config, model: request.model, now, timeoutMs });
      return run.fail('openai-error', { ...failure, detail: [...failure.detail, `Nothing was created and ${envPath} was not changed.`] });
    }
    provisioned = { backend: api, object: created };
    observer.step({ kind: 'created', api, object: created });
  }

  // Write .env. If that fails, the created ID must not be lost: the result carries the exact lines to add by hand.
  const target = envTargetFor(request, created?.id ?? '', setup);
  try {
    const written = await updateEnvFile(envPath, editsFor(target), dependencies.writeOptions);
    return run.end({
      kind: 'created',
      request,
      provisioned,
      env: { written: written.written, created: written.created, changed: written.changed, changes: written.changes, diff: written.hunks },
    });
  } catch (error) {
    const why = error instanceof EnvEditRefusedError ? error.message : writeFailureReason(error);
    const manualLines = manualLinesFor(target);
    const what = created ? `${BACKEND_TITLES[request.api]} ${created.id} was created` : 'the instructions file is ready';
    return run.end({
      kind: 'not-saved',
      request,
      provisioned,
      manualLines,
      why,
      problem: { summary: `${what}, but ${envPath} could not be written: ${why}`, fix: `Add to ${envPath} by hand: ${manualLines.join('  ')}` },
    });
  }
}
