// `voicebridge create-assistant`: provisions the agent the bridge talks to (src/provision/provision-agent.ts does
// the work) and shows the run: each step as it happens and the outcome for people, or one JSON report with --json.
// Here are only what belongs to a command: the questions on a terminal, the output, and the exit code.
import { createTerminalAsker, type Asker } from '../../provision/ask.js';
import type { AtomicWriteOptions } from '../../config/atomic-write.js';
import { provisionAgent, provisionEnvPath } from '../../provision/provision-agent.js';
import { checkOptions, type CreateAssistantOptions } from '../../provision/provision-request.js';
import { provisionSucceeded } from '../../provision/provision-result.js';
import { clockFromEnvironment, type Clock } from '../../util/clock.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { createOutput, type Output } from '../output.js';
import { createProvisionView } from '../provision-view.js';

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

export async function runCreateAssistantCommand(options: CreateAssistantOptions, dependencies: Partial<CreateAssistantDependencies> = {}): Promise<number> {
  checkOptions(options);
  const json = options.json === true;
  const output = dependencies.output ?? createOutput();
  const interactive = !json && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const asker = dependencies.asker ?? (interactive && dependencies.output === undefined ? createTerminalAsker() : undefined);
  const env = dependencies.env ?? process.env;
  const cwd = dependencies.cwd ?? process.cwd();
  const view = createProvisionView(output, { json, ...(dependencies.progress ? { progress: dependencies.progress } : {}) });
  try {
    const observer = view.begin(provisionEnvPath(options, cwd));
    const result = await provisionAgent(options, {
      env,
      cwd,
      clock: dependencies.clock ?? clockFromEnvironment(env),
      observer,
      // --json never waits for an answer: scripts get the defaults.
      ...(!json && asker ? { asker } : {}),
      ...(dependencies.writeOptions ? { writeOptions: dependencies.writeOptions } : {}),
      ...(dependencies.timeoutMs ? { timeoutMs: dependencies.timeoutMs } : {}),
    });
    view.end(result);
    return provisionSucceeded(result) ? EXIT_OK : EXIT_FAILURE;
  } finally {
    if (dependencies.asker === undefined) asker?.close();
  }
}
