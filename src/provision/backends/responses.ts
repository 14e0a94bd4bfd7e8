// The Responses API backend: no object on OpenAI. The instructions live in a file in the project, and `serve`
// sends them with every call through the Responses API and a Conversation per call — the path OpenAI recommends
// since it retired prompt objects. This module decides where that file is and writes it.
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { writeFileAtomically } from '../../config/atomic-write.js';
import type { ProvisionRequest } from '../provision-request.js';

export const DEFAULT_INSTRUCTIONS_FILE = 'assistant.md';

export interface ResponsesSetup {
  /** Absolute path of the instructions file. */
  path: string;
  /** What ASSISTANT_INSTRUCTIONS_FILE is set to: relative to the folder voicebridge runs in, as the bridge reads it. */
  envValue: string;
  /** What happens to the file: written (new or replaced), or used as it is. */
  action: 'create' | 'replace' | 'keep';
  /** Why an existing file is kept, for the summary. */
  note?: string;
}

/** A file that already holds other instructions is not overwritten without --force. */
export class InstructionsFileConflictError extends Error {}

function envValueFor(path: string, cwd: string): string {
  const fromCwd = relative(cwd, path);
  return fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd.split('\\').join('/') : path;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function planResponsesSetup(request: ProvisionRequest, context: { cwd: string; force: boolean }): Promise<ResponsesSetup> {
  if (request.instructionsFile) {
    // The user's own file is the instructions: point at it rather than copy it.
    return { path: request.instructionsFile, envValue: envValueFor(request.instructionsFile, context.cwd), action: 'keep', note: 'your instructions file, used as it is' };
  }
  const path = resolve(context.cwd, DEFAULT_INSTRUCTIONS_FILE);
  const envValue = envValueFor(path, context.cwd);
  const current = await readIfPresent(path);
  if (current === undefined) return { path, envValue, action: 'create' };
  if (current.trimEnd() === request.instructions.trimEnd()) return { path, envValue, action: 'keep', note: 'it already holds these instructions' };
  if (request.instructionsSource === 'default' && current.trim() !== '') {
    // Instructions the user already wrote are worth more than the defaults.
    return { path, envValue, action: 'keep', note: 'it already exists: its instructions are kept' };
  }
  if (!context.force && current.trim() !== '') {
    throw new InstructionsFileConflictError(
      `${path} already holds other instructions. Use them with --instructions-file ${envValue}, or replace them with --force.`,
    );
  }
  return { path, envValue, action: 'replace' };
}

export async function writeInstructionsFile(setup: ResponsesSetup, instructions: string): Promise<void> {
  if (setup.action === 'keep') return;
  const text = instructions.endsWith('\n') ? instructions : `${instructions}\n`;
  await writeFileAtomically(setup.path, text, { newFileMode: 0o644 });
}
