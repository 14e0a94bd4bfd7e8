// Reads the .env file once: its raw text (for the doctor's lint) and its parsed values (for the config).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'dotenv';
import { decodeEnvFile, EnvEditRefusedError } from './env-editor.js';

export interface EnvFileSnapshot {
  path: string;
  /** True when the path was given explicitly (--env or --env-file); a missing default .env is not an error in itself. */
  explicit: boolean;
  found: boolean;
  text?: string;
  values: Record<string, string>;
  /** Why the file could not be read, when it exists but is unreadable. */
  error?: string;
  /**
   * Set when the file is not UTF-8 text: 'utf-16' (dotenv then reads no variable at all), or 'not-utf-8' (Latin-1,
   * Windows-1252: its accented letters read as U+FFFD) with the first line that is not.
   */
  encoding?: { kind: 'utf-16' | 'not-utf-8'; line?: number };
}

/** Why the file's bytes are not UTF-8 text, or undefined when they are. */
function encodingProblem(bytes: Buffer): EnvFileSnapshot['encoding'] {
  // A UTF-16 file starts with its byte-order mark (Notepad's "Unicode", PowerShell 5's >) or has a zero byte in every ASCII character.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0)) return { kind: 'utf-16' };
  try {
    decodeEnvFile(bytes);
    return undefined;
  } catch (error) {
    if (!(error instanceof EnvEditRefusedError)) throw error;
    return { kind: 'not-utf-8', ...(error.line !== undefined ? { line: error.line } : {}) };
  }
}

export function readEnvFile(path: string, explicit: boolean, cwd = process.cwd()): EnvFileSnapshot {
  const absolute = resolve(cwd, path);
  try {
    const bytes = readFileSync(absolute);
    const text = bytes.toString('utf8');
    const encoding = encodingProblem(bytes);
    return { path: absolute, explicit, found: true, text, values: parse(text), ...(encoding ? { encoding } : {}) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path: absolute, explicit, found: false, values: {} };
    return {
      path: absolute,
      explicit,
      found: true,
      values: {},
      error: code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder, not a file' : (error as Error).message,
    };
  }
}
