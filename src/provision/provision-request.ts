// What `create-assistant` is asked to create: the options checked for conflicts, the missing ones asked for on a
// terminal (or defaulted), and the instructions read from wherever they come from.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../util/usage-error.js';
import { DEFAULT_ASSISTANT_MODEL } from '../config/defaults.js';
import type { Asker } from './ask.js';
import { DEFAULT_ASSISTANT_NAME, DEFAULT_SPEECH_INSTRUCTIONS } from './speech-instructions.js';

export const PROVISION_APIS = ['agents', 'assistants', 'responses'] as const;
export type ProvisionApi = (typeof PROVISION_APIS)[number];

/** The command-line options, as commander hands them over. */
export interface CreateAssistantOptions {
  api?: string;
  name?: string;
  instructions?: string;
  instructionsFile?: string;
  model?: string;
  envFile?: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export interface ProvisionRequest {
  api: ProvisionApi;
  name: string;
  model: string;
  instructions: string;
  /** Where the instructions came from, for the summary shown before creating. */
  instructionsSource: 'default' | 'option' | 'file';
  /** The absolute path of --instructions-file, when given. */
  instructionsFile?: string;
}

/** Failure to read --instructions-file: not a usage error, the file itself is the problem. */
export class InstructionsFileError extends Error {}

export function isProvisionApi(value: string): value is ProvisionApi {
  return (PROVISION_APIS as readonly string[]).includes(value);
}

/** Rejects contradictory or malformed options before anything else happens. */
export function checkOptions(options: CreateAssistantOptions): void {
  if (options.instructions !== undefined && options.instructionsFile !== undefined) {
    throw new UsageError('--instructions and --instructions-file cannot be used together: pass the text, or the file that holds it.');
  }
  if (options.api !== undefined && !isProvisionApi(options.api)) {
    throw new UsageError(`--api must be one of ${PROVISION_APIS.join(', ')}, not "${options.api}".`);
  }
  for (const [flag, value] of [
    ['--name', options.name],
    ['--model', options.model],
    ['--instructions', options.instructions],
    ['--instructions-file', options.instructionsFile],
    ['--env', options.envFile],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} was given an empty value.`);
  }
}

async function readInstructionsFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new InstructionsFileError(`Cannot read the instructions file ${path}: ${why}. Check the path given to --instructions-file.`);
  }
  if (text.trim() === '') throw new InstructionsFileError(`The instructions file ${path} is empty. Write what the agent should do and say into it.`);
  return text;
}

/**
 * Fills in the request: options first, then answers on a terminal (when an asker is given), then defaults.
 * Call checkOptions first.
 */
export async function resolveProvisionRequest(options: CreateAssistantOptions, context: { cwd: string; asker?: Asker }): Promise<ProvisionRequest> {
  const { asker } = context;
  let api: ProvisionApi = 'agents';
  if (options.api !== undefined) api = options.api as ProvisionApi;
  else if (asker) {
    const answer = await asker.ask('Backend: agents, assistants (where still served) or responses (instructions in a file)', 'agents');
    if (!isProvisionApi(answer)) throw new UsageError(`the backend must be one of ${PROVISION_APIS.join(', ')}, not "${answer}".`);
    api = answer;
  }

  const name = options.name ?? (asker && api !== 'responses' ? await asker.ask('Name of the agent', DEFAULT_ASSISTANT_NAME) : DEFAULT_ASSISTANT_NAME);
  const model = options.model ?? (asker ? await asker.ask('Model', DEFAULT_ASSISTANT_MODEL) : DEFAULT_ASSISTANT_MODEL);

  if (options.instructionsFile !== undefined) {
    const path = resolve(context.cwd, options.instructionsFile);
    return { api, name, model, instructions: await readInstructionsFile(path), instructionsSource: 'file', instructionsFile: path };
  }
  if (options.instructions !== undefined) return { api, name, model, instructions: options.instructions, instructionsSource: 'option' };
  if (asker) {
    const answer = await asker.ask('Instructions: a file to read them from, or Enter for the default phone-call instructions', '');
    if (answer !== '') {
      const path = resolve(context.cwd, answer);
      return { api, name, model, instructions: await readInstructionsFile(path), instructionsSource: 'file', instructionsFile: path };
    }
  }
  return { api, name, model, instructions: DEFAULT_SPEECH_INSTRUCTIONS, instructionsSource: 'default' };
}
