// `voicebridge dial`: asks the running serve to place a call (POST /calls with VOICEBRIDGE_API_KEY from the same .env),
// then follows it (GET /calls/{sid}) and prints each step as it comes: dialling, ringing, who answered, the voicemail
// left, how it ended. It places nothing itself: serve checks the destination, the pace and MAX_CALLS.
import type { Config } from '../../config/config.js';
import { DEFAULT_PORT } from '../../config/defaults.js';
import { loadConfig } from '../../config/load-config.js';
import { UsageError } from '../../util/usage-error.js';
import { voicebridgeCommand } from '../../util/invocation.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { createOutput, type Output } from '../output.js';

export interface DialOptions {
  context?: string;
  /** The message for a machine; false with --no-voicemail. */
  voicemail?: string | false;
  url?: string;
  envFile?: string;
  timeout?: string;
}

export interface DialDependencies {
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How often the call's progress is read (default 1 s). */
  pollMs: number;
}

interface FollowedCall {
  status: string;
  /** Twilio's answering-machine verdict (human, machine_end_beep, fax, …), once there is one. */
  answered_by: string | null;
  outcome: string | null;
  /** null from an instance that did not place the call: only the placing one knows. */
  voicemail_left: boolean | null;
  done: boolean;
  events: Array<{ at: string; event: string; message: string }>;
}

const DEFAULT_TIMEOUT_SECONDS = 600;

export async function runDialCommand(number: string, options: DialOptions, dependencies: Partial<DialDependencies> = {}): Promise<number> {
  const output = dependencies.output ?? createOutput();
  const { chalk } = output;
  const timeoutMs = seconds(options.timeout) * 1000;
  const config = loadConfig({ envFile: options.envFile, ...(dependencies.env ? { env: dependencies.env } : {}), ...(dependencies.cwd ? { cwd: dependencies.cwd } : {}) });
  output.addSecrets(config.secrets);
  const fail = (message: string): number => {
    output.err(`${chalk.red.bold('voicebridge dial:')} ${message}`);
    return EXIT_FAILURE;
  };
  // A missing or unreadable .env is a broken setup, not a malformed command line: exit 1, as every command does.
  if (config.envFile.explicit && !config.envFile.found) {
    return fail(`the env file ${config.envFile.path} does not exist. Give the .env voicebridge serve reads (the path is relative to the current folder).`);
  }
  if (config.envFile.error) return fail(`cannot read ${config.envFile.path}: ${config.envFile.error}. Make it readable, or pass --env with the .env voicebridge serve reads.`);
  const serverUrl = parseServerUrl(options.url, config);
  const key = config.outbound.apiKey;
  if (!key) {
    const where = config.envFile.found ? config.envFile.path : `${config.envFile.path} (not found: run dial in the folder serve runs in, or pass --env)`;
    output.err(
      `${chalk.red.bold('voicebridge dial:')} VOICEBRIDGE_API_KEY is not set in ${where}. Serve places calls only with it: put a long random key in the .env serve reads (e.g. openssl rand -hex 32), restart serve, and dial again.`,
    );
    return EXIT_USAGE;
  }
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const body: Record<string, unknown> = { to: number.trim() };
  if (options.context !== undefined) body.context = options.context;
  if (options.voicemail !== undefined) body.voicemail = options.voicemail;

  let placed: Response;
  try {
    placed = await fetch(`${serverUrl}/calls`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    return fail(unreachable(error, serverUrl));
  }
  const answer = (await placed.json().catch(() => ({}))) as { call_sid?: string; error?: string };
  if (placed.status === 404) return fail(`${serverUrl}/calls does not exist: serve was started without VOICEBRIDGE_API_KEY, or with TRANSPORT=sip (which places no calls), or is not what listens there. Set VOICEBRIDGE_API_KEY in serve's .env and restart serve on Media Streams.`);
  if (placed.status === 401) {
    return fail(`serve refused the key (401): ${answer.error ?? 'no reason given'} dial sends VOICEBRIDGE_API_KEY from ${config.envFile.path}: make it the one in the .env serve reads (restart serve after changing it there), or pass --env with serve's .env.`);
  }
  if (placed.status !== 202 || !answer.call_sid) return fail(`serve did not place the call (${placed.status}): ${answer.error ?? 'no reason given'}`);
  const sid = answer.call_sid;
  output.out(chalk.bold(`Calling ${body.to as string}`) + chalk.dim(` (${sid})`));

  const pollMs = dependencies.pollMs ?? 1_000;
  const deadline = Date.now() + timeoutMs;
  let printed = 0;
  let interrupted = false;
  const interrupt = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', interrupt);
  try {
    for (;;) {
      let call: FollowedCall;
      try {
        const response = await fetch(`${serverUrl}/calls/${sid}`, { headers, signal: AbortSignal.timeout(10_000) });
        if (response.status !== 200) {
          const error = ((await response.json().catch(() => ({}))) as { error?: string }).error;
          return fail(`serve cannot say how the call goes (${response.status}): ${error ?? 'no reason given'}`);
        }
        call = (await response.json()) as FollowedCall;
      } catch (error) {
        return fail(`lost serve while following the call: ${unreachable(error, serverUrl)}`);
      }
      for (const event of call.events.slice(printed)) output.out(`  ${event.at.slice(11, 19)}  ${event.message}`);
      printed = call.events.length;
      if (call.done) {
        if (call.outcome === 'answered') {
          output.out(chalk.green('A person talked to the agent.'));
          return EXIT_OK;
        }
        if (call.outcome === 'voicemail' && call.voicemail_left) {
          output.out(chalk.green('The voicemail message was left.'));
          return EXIT_OK;
        }
        // Followed through another instance behind a load balancer: the one that placed the call leaves the message
        // unless Twilio refuses it, and only its log says which. Not a failure to retry: that would call again.
        if (call.outcome === 'voicemail' && call.voicemail_left === null && options.voicemail !== false) {
          output.out(chalk.yellow('An answering machine answered. Whether the voicemail message was left only the serve instance that placed the call knows: its log says.'));
          return EXIT_OK;
        }
        const why: Record<string, string> = {
          voicemail: options.voicemail === false ? 'An answering machine answered: hung up without a message (--no-voicemail).' : 'An answering machine answered and no message was left.',
          no_answer: 'Nobody answered.',
          busy: 'The line was busy.',
          failed: 'The call could not be connected (Twilio\'s log for this call says why).',
        };
        // A fax counts as failed, but nothing failed to connect: say what answered.
        const fax = call.outcome === 'failed' && call.answered_by === 'fax' ? 'A fax machine answered: there was no one to talk to.' : undefined;
        output.err(chalk.red(fax ?? why[call.outcome ?? ''] ?? `The call ended (${call.status}).`));
        return EXIT_FAILURE;
      }
      if (interrupted) return fail(`stopped following the call on Ctrl+C; it goes on. Follow it with GET ${serverUrl}/calls/${sid}.`);
      if (Date.now() > deadline && call.outcome === 'answered') {
        // What dial waits to know is known: the call may go on as long as they talk.
        output.out(chalk.green(`A person is talking to the agent. Stopped following the call after ${timeoutMs / 1000} s (--timeout); it goes on. Follow it with GET ${serverUrl}/calls/${sid}.`));
        return EXIT_OK;
      }
      if (Date.now() > deadline) return fail(`the call had not ended after ${timeoutMs / 1000} s (--timeout); it may go on. Follow it with GET ${serverUrl}/calls/${sid}.`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function seconds(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || number > 86_400) throw new UsageError(`--timeout takes a number of seconds from 1 to 86400 (got "${value}")`);
  return number;
}

function parseServerUrl(value: string | undefined, config: Config): string {
  if (value === undefined) return `http://127.0.0.1:${config.port ?? DEFAULT_PORT}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be the address voicebridge serve listens at, e.g. http://127.0.0.1:5000 (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must start with http:// or https:// (got "${value}")`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function unreachable(error: unknown, serverUrl: string): string {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  const code = cause?.code ?? (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `nothing answers at ${serverUrl} (connection refused). Start the bridge first (${voicebridgeCommand('serve')}), or pass --url with the address it listens on.`;
  if ((error as Error).name === 'TimeoutError') return `${serverUrl} did not answer in time. Is serve stuck?`;
  return `${serverUrl} could not be reached: ${cause?.message ?? (error as Error).message}. Check --url and that voicebridge serve is running.`;
}
