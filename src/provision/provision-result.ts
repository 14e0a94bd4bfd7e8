// What provisioning hands back, and what it tells whoever shows it while it works. The result is data, not text:
// create-assistant prints it (for people or as --json) and `doctor --fix` builds its own lines from it, so neither
// depends on how the other words things.
import type { EnvChange } from '../config/env-editor.js';
import type { DiffHunk } from '../config/line-diff.js';
import type { ModelLifecycle } from '../models/model-lifecycle.js';
import type { CreatedAssistant } from './backends/created-assistant.js';
import type { ResponsesSetup } from './backends/responses.js';
import type { ProvisionFailure } from './explain-failure.js';
import type { IdVariable } from './existing-assistant.js';
import type { ProvisionApi, ProvisionRequest } from './provision-request.js';
import { voicebridgeCommand } from '../util/invocation.js';

/** What went wrong, in the words shown to people and in --json's `error`: one line, more lines, what to do. */
export interface ProvisionProblem {
  summary: string;
  detail?: string[];
  fix: string;
  /** The cause, for scripts reading --json; only where the command has always named one. */
  kind?: 'env-not-writable' | 'env-busy' | 'model-retired' | ProvisionFailure['kind'];
  /** The HTTP status OpenAI answered, when it answered one. */
  status?: number;
}

/** The ID that was configured before the run, and whether this run replaces it. */
export interface PreviousId {
  variable: IdVariable;
  /** As shown (a key pasted by mistake is masked). */
  id: string;
  state: 'dead' | 'working' | 'unverified';
  description: string;
  replaced: boolean;
}

/** The Responses backend's instructions file: where it is, what ASSISTANT_INSTRUCTIONS_FILE says, what is done to it. */
export type InstructionsFilePlan = Pick<ResponsesSetup, 'path' | 'envValue' | 'action'>;

/** The change to .env: made (`written`), or only planned in a dry run. */
export interface EnvFileChange {
  written: boolean;
  /** The file did not exist and was created. */
  created: boolean;
  /** False when .env already said this. */
  changed: boolean;
  changes: EnvChange[];
  diff: DiffHunk[];
}

/** What now exists for the bridge to use: an object on OpenAI, or (Responses) an instructions file in the project. */
export type Provisioned =
  | { backend: 'agents' | 'assistants'; object: CreatedAssistant }
  | { backend: 'responses'; instructionsFile: InstructionsFilePlan };

/** Why nothing was created: a check before creating said no. */
export type RefusalReason =
  /** .env (or its folder) may not be changed: an ID could not be saved. */
  | 'env-not-writable'
  /** Another run holds the .env lock. */
  | 'env-busy'
  | 'env-unreadable'
  | 'env-not-utf8'
  /** A line the editor cannot read back safely (an unclosed quote). */
  | 'env-line-unreadable'
  /** An ID that works, or could not be checked, is configured and --force was not given. */
  | 'id-in-use'
  | 'instructions-file-unreadable'
  /** The Responses backend's default file holds other instructions and --force was not given. */
  | 'instructions-file-conflict'
  | 'no-api-key'
  /** The model is shut down or not available to the key. */
  | 'model-refused'
  /** Dry run: the .env edit would be refused. */
  | 'env-edit-refused';

/** Why the attempt itself failed; nothing was created either. */
export type FailureReason =
  /** OpenAI answered the create call with an error. */
  | 'openai-error'
  /** The Responses backend's instructions file could not be written. */
  | 'instructions-not-written';

/** What the run learned before it ended, whichever way it ended. */
export interface ProvisionFacts {
  /** Absolute path of the .env file. */
  envFile: string;
  dryRun: boolean;
  /** The backend asked for (the default until the request is known). */
  api: ProvisionApi;
  /** Things to know that did not stop the run, in the order they were found. */
  warnings: string[];
  previous?: PreviousId;
  /** What was (or would have been) created, once it was known; `model` is the one actually used. */
  request?: ProvisionRequest;
  /** The model's shutdown date as GET /models gives it, when it could be read. */
  modelLifecycle?: ModelLifecycle;
  instructionsFile?: InstructionsFilePlan;
}

export type ProvisionOutcome =
  /** Created (or, for Responses, set up) and written into .env. */
  | { kind: 'created'; request: ProvisionRequest; provisioned: Provisioned; env: EnvFileChange }
  /** Nothing created, no file changed: `env` is the change a real run would make. */
  | { kind: 'dry-run'; request: ProvisionRequest; env: EnvFileChange }
  /** Nothing created and no file changed: a check said no before anything was attempted. */
  | { kind: 'refused'; reason: RefusalReason; problem: ProvisionProblem }
  /** Nothing created and .env not changed: the attempt failed. */
  | { kind: 'failed'; reason: FailureReason; problem: ProvisionProblem }
  /**
   * Created, but .env could not be written: nothing is lost as long as `manualLines` (`KEY=value`, exactly as the
   * editor would have written them) are shown to be added by hand.
   */
  | { kind: 'not-saved'; request: ProvisionRequest; provisioned: Provisioned; manualLines: string[]; why: string; problem: ProvisionProblem };

export type ProvisionResult = ProvisionFacts & ProvisionOutcome;

/** Something worth telling a person as it happens, before the questions or the waiting that may follow it. */
export type ProvisionStep =
  | { kind: 'warning'; message: string }
  /** The configured ID is being replaced (it is dead, or --force). */
  | { kind: 'replacing'; previous: PreviousId }
  /** What is about to be created (or would be, in a dry run). `shutdown` is the model's date, once it was checked. */
  | { kind: 'plan'; dryRun: boolean; request: ProvisionRequest; endpoint: string; shutdown?: string; instructionsFile?: ResponsesSetup }
  /** The Responses backend's instructions file was written. */
  | { kind: 'instructions-written'; path: string }
  /** The object exists on OpenAI; .env is written next. */
  | { kind: 'created'; api: 'agents' | 'assistants'; object: CreatedAssistant };

/** Whoever shows a run as it goes: the terminal, or nobody. */
export interface ProvisionObserver {
  /** Secrets found in the configuration and in .env: anything shown from now on must mask them. */
  secrets(values: readonly string[]): void;
  step(step: ProvisionStep): void;
  /** Runs one wait on the network, showing `text` meanwhile (a spinner, on a terminal). */
  wait<T>(text: string, work: () => Promise<T>): Promise<T>;
}

/** Shows nothing: for callers that only want the result. */
export const SILENT_OBSERVER: ProvisionObserver = {
  secrets: () => undefined,
  step: () => undefined,
  wait: (_text, work) => work(),
};

/** What each backend creates, as the sentences about it name it. */
export const BACKEND_TITLES: Record<ProvisionApi, string> = {
  agents: 'an Agents API agent',
  assistants: 'an Assistants API assistant',
  responses: 'the Responses API backend (no object on OpenAI)',
};

/** What to run once the agent is set up. */
/** The command to run after creating the agent, as this run was started. */
export function nextCommand(): string {
  return voicebridgeCommand('doctor');
}

/** True when the agent is set up (or, in a dry run, would be): the exit code is 0 exactly then. */
export function provisionSucceeded(result: ProvisionResult): boolean {
  return result.kind === 'created' || result.kind === 'dry-run';
}
