// Reads the .env file once: its raw text (for the doctor's lint) and its parsed values (for the config).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'dotenv';

export interface EnvFileSnapshot {
  path: string;
  /** True when the path was given explicitly (--env-file); a missing default .env is not an error in itself. */
  explicit: boolean;
  found: boolean;
  text?: string;
  values: Record<string, string>;
  /** Why the file could not be read, when it exists but is unreadable. */
  error?: string;
}

export function readEnvFile(path: string, explicit: boolean, cwd = process.cwd()): EnvFileSnapshot {
  const absolute = resolve(cwd, path);
  try {
    const text = readFileSync(absolute, 'utf8');
    return { path: absolute, explicit, found: true, text, values: parse(text) };
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
