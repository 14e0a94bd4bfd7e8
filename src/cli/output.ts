// Terminal output for commands: colour only on a TTY without NO_COLOR, and every secret masked on the way out.
import { Chalk, type ChalkInstance } from 'chalk';
import { redactSecrets } from '../util/mask-secret.js';

export interface Output {
  chalk: ChalkInstance;
  isTTY: boolean;
  /** Writes a line to stdout with every known secret masked. */
  out(text: string): void;
  /** Writes a line to stderr with every known secret masked. */
  err(text: string): void;
  /** Adds secrets to mask from now on (e.g. once the config is loaded). */
  addSecrets(secrets: readonly string[]): void;
}

export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createOutput(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const secrets: string[] = [];
  const chalk = new Chalk({ level: wantsColour(stdout) ? 1 : 0 });
  return {
    chalk,
    isTTY: stdout.isTTY === true,
    out: (text) => stdout.write(`${redactSecrets(text, secrets)}\n`),
    err: (text) => stderr.write(`${redactSecrets(text, secrets)}\n`),
    addSecrets: (more) => secrets.push(...more),
  };
}
