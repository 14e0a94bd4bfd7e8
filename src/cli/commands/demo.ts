// `voicebridge demo`: the whole pipeline in one command with no accounts. Starts `serve` in this process against the
// bundled OpenAI simulator, places a simulated call with `voicebridge call`'s softphone, and prints the call's log as
// it happens. Nothing real is called, and the output says so at the start and at the end.
import { createServer } from 'node:net';
import { publicUrlsFrom } from '../../transports/twilio-media-streams/public-urls.js';
import type { BridgeServer } from '../../server/bridge-server.js';
import { placeDemoCall, type DemoCallResult } from '../../demo/demo-call.js';
import { DEFAULT_DEMO_SCRIPT, DemoScriptError, readDemoScript } from '../../demo/demo-script.js';
import { startSimulation } from '../../demo/simulation.js';
import { findFreePort } from '../../util/free-port.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError } from '../../util/usage-error.js';
import { createOutput, type Output } from '../output.js';
import { runServeCommand } from './serve.js';
import { voicebridgeCommand } from '../../util/invocation.js';
import { envExamplePath } from '../../util/env-example.js';
import { shellQuote } from '../../util/shell-quote.js';

export interface DemoOptions {
  script?: string;
  port?: string;
}

export const NOTHING_REAL_WAS_CALLED = 'Nothing real was called: OpenAI was simulated, the phone call was simulated (no Twilio), no key or account was used.';

export async function runDemoCommand(options: DemoOptions, output: Output = createOutput()): Promise<number> {
  const { chalk } = output;
  const port = parsePort(options.port);
  let script: readonly string[];
  try {
    script = options.script !== undefined ? await readDemoScript(options.script) : DEFAULT_DEMO_SCRIPT;
  } catch (error) {
    if (!(error instanceof DemoScriptError)) throw error;
    output.err(`${chalk.red.bold('voicebridge demo:')} ${error.message}`);
    return EXIT_USAGE;
  }

  // Checked here rather than by serve's start-up checks: their fix is for a real setup (PORT in .env, --skip-checks),
  // and the demo has neither.
  const portProblem = port === undefined ? undefined : await demoPortProblem(port);
  if (portProblem) {
    output.err(`${chalk.red.bold('voicebridge demo:')} ${portProblem}`);
    return EXIT_FAILURE;
  }

  const project = await startSimulation({ port: port ?? (await findFreePort()), purpose: 'demo' });
  output.addSecrets(project.config.secrets);
  try {
    output.out(chalk.bold('voicebridge demo') + ' — one phone call through the whole bridge, ' + chalk.yellow.bold('simulated: nothing real is called'));
    output.out(`  OpenAI   ${chalk.yellow('simulated')}: the bundled simulator at ${project.openai.baseURL} (Realtime voice and agent; synthetic speech)`);
    output.out(`  Twilio   ${chalk.yellow('simulated')}: voicebridge call's softphone rings the bridge as Twilio would, and a simulated REST API at ${project.twilioApiBaseUrl}; no account, no number`);
    output.out(`  Caller   ${script.length} line${script.length === 1 ? '' : 's'} (${options.script === undefined ? 'the default script; --script FILE for your own' : options.script})`);
    output.out(`  Bridge   voicebridge serve, in this process, on ${project.serverUrl}`);
    output.out('');

    let call: Promise<DemoCallResult> | undefined;
    let callOver: () => void = () => undefined;
    const over = new Promise<string>((resolve) => (callOver = () => resolve('Demo call over')));
    const exitCode = await runServeCommand(
      {},
      output,
      {
        waitForStop: () => over,
        onListening: (server: BridgeServer) => {
          call = placeDemoCall({
            serverUrl: `http://127.0.0.1:${server.port}`,
            voiceUrl: publicUrlsFrom(project.config.webhookUrl).incomingCall,
            authToken: project.config.twilio.authToken ?? '',
            accountSid: project.config.twilio.accountSid ?? '',
            to: project.config.twilio.phoneNumber ?? '',
            script,
            print: (line) => output.out(`${chalk.cyan('caller')} ${line}`),
          });
          call.then(callOver, callOver);
        },
      },
      { config: project.config, host: '127.0.0.1', quiet: true },
    );
    if (exitCode !== EXIT_OK || !call) {
      output.err(`${chalk.red.bold('The demo could not start the bridge')} (the lines above say why).`);
      output.out(NOTHING_REAL_WAS_CALLED);
      return EXIT_FAILURE;
    }
    let result: DemoCallResult;
    try {
      result = await call;
    } catch (error) {
      output.err(`${chalk.red.bold('The demo call failed:')} ${(error as Error).message}`);
      output.out(NOTHING_REAL_WAS_CALLED);
      return EXIT_FAILURE;
    }
    output.out('');
    output.out(chalk.green.bold('Demo finished') + `: ${result.turns} turn${result.turns === 1 ? '' : 's'}, ${result.heardSeconds.toFixed(1)} s of synthetic agent speech heard.`);
    output.out(chalk.yellow.bold(NOTHING_REAL_WAS_CALLED));
    output.out(`For real calls: cp ${shellQuote(envExamplePath())} .env, fill it in, then ${voicebridgeCommand('doctor')}, ${voicebridgeCommand('serve')}, and ${voicebridgeCommand('call')}.`);
    return EXIT_OK;
  } finally {
    await project.close();
  }
}

/** Why the demo's bridge could not listen on 127.0.0.1:`port`, with what to do instead, or undefined when it can. */
async function demoPortProblem(port: number): Promise<string | undefined> {
  const code = await new Promise<string | undefined>((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(undefined)));
  });
  if (code === undefined) return undefined;
  const instead = 'or leave --port out: the demo then picks a free port itself.';
  if (code === 'EADDRINUSE') return `port ${port} is in use by another program. Stop that program, give the demo another port (e.g. --port ${await findFreePort()}), ${instead}`;
  if (code === 'EACCES') return `port ${port} needs administrator rights on this machine. Give the demo a port above 1023 (e.g. --port ${await findFreePort()}), ${instead}`;
  return `cannot listen on 127.0.0.1 port ${port} (${code}). Give the demo another port, ${instead}`;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new UsageError(`--port must be a port number from 1 to 65535 (got "${value}")`);
  return Number(value);
}
