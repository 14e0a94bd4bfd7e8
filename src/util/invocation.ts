// How voicebridge was started, so that every command the output suggests can be typed back the same way: under npx
// (or npm run) it is `npx voicebridge …`; from an installed command on PATH it is `voicebridge …`.
import { basename, delimiter, dirname, resolve } from 'node:path';

let prefix = 'npx voicebridge';

/** `npx voicebridge` or `voicebridge`, from npm's environment and the path the command was started by. */
export function invocationFrom(env: NodeJS.ProcessEnv, script: string | undefined): string {
  if (env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx') return 'npx voicebridge';
  if (script === undefined || basename(script) !== 'voicebridge') return 'npx voicebridge';
  // The installed bin is typed by its name only where its folder is on PATH (a global install, not ./node_modules/.bin).
  const onPath = (env.PATH ?? '').split(delimiter).some((folder) => folder !== '' && resolve(folder) === dirname(resolve(script)));
  return onPath ? 'voicebridge' : 'npx voicebridge';
}

/** Set once by the command line at start-up; everything else asks voicebridgeCommand(). */
export function setInvocation(value: string): void {
  prefix = value;
}

/** The command to type for `subcommand`, e.g. voicebridgeCommand('doctor --fix') → "npx voicebridge doctor --fix". */
export function voicebridgeCommand(subcommand: string): string {
  return `${prefix} ${subcommand}`;
}
