// `voicebridge setup-sip`: provisions what calls over SIP need (src/provision/sip/setup-sip.ts does the work) and
// shows what it changed, for people or as one JSON report with --json. Here are only the output and the exit code.
import type { AtomicWriteOptions } from '../../config/atomic-write.js';
import { setupSip, setupSipEnvPath } from '../../provision/sip/setup-sip.js';
import { UsageError } from '../../util/usage-error.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { createOutput, type Output } from '../output.js';
import { createSetupSipView } from '../setup-sip-view.js';
import { voicebridgeCommand } from '../../util/invocation.js';

export interface SetupSipCommandOptions {
  envFile?: string;
  dryRun?: boolean;
  json?: boolean;
}

export interface SetupSipCommandDependencies {
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  writeOptions?: AtomicWriteOptions;
  progress?: NodeJS.WriteStream;
}

export async function runSetupSipCommand(options: SetupSipCommandOptions, dependencies: Partial<SetupSipCommandDependencies> = {}): Promise<number> {
  // An empty path would name the current folder itself.
  if (options.envFile?.trim() === '') throw new UsageError(`--env needs the path of a file, e.g. ${voicebridgeCommand('setup-sip --env ./config/prod.env')}`);
  const output = dependencies.output ?? createOutput();
  const env = dependencies.env ?? process.env;
  const cwd = dependencies.cwd ?? process.cwd();
  const view = createSetupSipView(output, { json: options.json === true, ...(dependencies.progress ? { progress: dependencies.progress } : {}) });
  const observer = view.begin(setupSipEnvPath(options, cwd));
  const result = await setupSip(
    { ...(options.envFile !== undefined ? { envFile: options.envFile } : {}), dryRun: options.dryRun === true },
    { env, cwd, observer, ...(dependencies.writeOptions ? { writeOptions: dependencies.writeOptions } : {}) },
  );
  view.end(result);
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}
