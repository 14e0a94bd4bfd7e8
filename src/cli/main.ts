// The voicebridge command line. Each command's module is imported only when that command runs, so `--help`
// never loads the OpenAI or Twilio SDKs.
import { Command, CommanderError } from 'commander';
import type { CallOptions } from './commands/call.js';
import type { CreateAssistantOptions } from './commands/create-assistant.js';
import type { DemoOptions } from './commands/demo.js';
import type { DialOptions } from './commands/dial.js';
import type { ServeOptions } from './commands/serve.js';
import type { SetupSipCommandOptions } from './commands/setup-sip.js';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';
import { invocationFrom, setInvocation } from '../util/invocation.js';
import { UsageError } from '../util/usage-error.js';

const VERSION = '0.1.0';

function buildProgram(): Command {
  const program = new Command('voicebridge')
    .description('Put an AI voice agent on a Twilio phone number, and tell you exactly what is wrong when it cannot.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ npx voicebridge demo                   a simulated call through the whole bridge: no accounts, nothing real called
  $ npx voicebridge doctor                 check .env, keys, IDs, the number and the webhook
  $ npx voicebridge create-assistant       provision the agent and write ASSISTANT_ID into .env
  $ npx voicebridge setup-sip              set up the Twilio SIP trunk and the OpenAI webhook for TRANSPORT=sip
  $ npx voicebridge serve                  run the Twilio <-> OpenAI bridge on PORT (default 5000)
  $ npx voicebridge call                   call the running bridge as Twilio would: no phone, no tunnel
  $ npx voicebridge dial +14155550123      have the running bridge call someone, the agent speaking first`,
    );

  program
    .command('doctor')
    .description('Check the setup and explain every problem with its fix')
    .option('--env <path>', 'read this file instead of ./.env')
    .option('--env-file <path>', 'same as --env (under npx or node <file>, Node itself takes --env-file and stops if the file is missing)')
    .option('--json', 'print a machine-readable report: { ok, checks: [{ id, title, status, summary, fix }] }')
    .option('--explain <text>', 'explain an error message or an ID (e.g. the text of a 400, a Twilio error code, an ID)')
    .option('--fix', 'then make the changes the checks know how to make (number\'s voice URL, .env names and quotes, a new agent), each shown and confirmed first')
    .option('--yes', 'with --fix: make every change without asking (for scripts; without it and without a terminal, changes are only shown)')
    .addHelpText(
      'after',
      `
With --fix, each change is shown exactly (the .env lines, or the number's voice URL before and after) and made after
a y on the terminal; .env keeps every other line as it is. After the changes the checks run again.
Every model in play (Realtime, transcription, the agent's) is judged by its shutdown_date from GET /models: past it,
or no longer listed, fails; within 90 days warns. VOICEBRIDGE_TODAY=YYYY-MM-DD asks about another day.
Exit codes: 0 nothing failed (after the fixes, with --fix), 1 a check failed, 2 usage error.

Examples:
  $ npx voicebridge doctor
  $ npx voicebridge doctor --env ./config/prod.env
  $ npx voicebridge doctor --json | jq '.checks[] | select(.status == "fail")'
  $ npx voicebridge doctor --fix                 show each fix and ask before making it
  $ npx voicebridge doctor --fix --yes           make every fix without asking (CI, scripts)
  $ npx voicebridge doctor --fix --yes --json    the report after the fixes, plus { fixes: [{ id, status, change }] }
  $ npx voicebridge doctor --explain "400 Invalid 'assistant_id': 'wf_123'. Expected an ID that begins with 'asst'."
  $ npx voicebridge doctor --explain 31920`,
    )
    .action(async (options: { envFile?: string; json?: boolean; explain?: string; fix?: boolean; yes?: boolean }) => {
      const { runDoctorCommand } = await import('./commands/doctor.js');
      process.exitCode = await runDoctorCommand(options);
    });

  program
    .command('create-assistant')
    .description('Create the agent the bridge talks to and write its ID into .env, keeping every other line as it is')
    .option('--api <api>', 'agents (default: an Agents API agent), assistants (where still served) or responses (instructions in a file)')
    .option('--name <name>', 'the agent\'s name (default "Phone agent")')
    .option('--instructions <text>', 'the instructions (default: written for phone calls)')
    .option('--instructions-file <path>', 'read the instructions from this file')
    .option('--model <model>', 'the model (default gpt-6-luna); one past its shutdown date is refused, one within 90 days warned about')
    .option('--env <path>', 'write this file instead of ./.env')
    .option('--env-file <path>', 'same as --env (under npx or node <file>, Node itself takes --env-file and stops if the file is missing)')
    .option('--force', 'replace an ID that still works (without it, the command refuses and shows it)')
    .option('--dry-run', 'show what would be created and the exact .env change; touch nothing')
    .option('--json', 'print a machine-readable result: { ok, created: { id }, env: { diff }, error }')
    .addHelpText(
      'after',
      `
On a terminal, options left out are asked for; without one, defaults are used and nothing waits for input.
Exit codes: 0 done, 1 failed (the message says why and what to do), 2 usage error.

Examples:
  $ npx voicebridge create-assistant
  $ npx voicebridge create-assistant --dry-run
  $ npx voicebridge create-assistant --name "Front desk" --instructions-file ./front-desk.md
  $ npx voicebridge create-assistant --api responses          instructions in assistant.md, no object on OpenAI
  $ npx voicebridge create-assistant --force --json           replace a working ID, print the result as JSON`,
    )
    .action(async (options: CreateAssistantOptions) => {
      const { runCreateAssistantCommand } = await import('./commands/create-assistant.js');
      process.exitCode = await runCreateAssistantCommand(options);
    });

  program
    .command('setup-sip')
    .description('Set up calls over SIP: a Twilio SIP trunk to this OpenAI project with the number on it, and the OpenAI webhook endpoint')
    .option('--env <path>', 'read and write this file instead of ./.env')
    .option('--env-file <path>', 'same as --env (under npx or node <file>, Node itself takes --env-file and stops if the file is missing)')
    .option('--dry-run', 'show what would change on Twilio, on OpenAI and in .env; change nothing')
    .option('--json', 'print a machine-readable result: { ok, dryRun, changed, trunk, number, webhook, changes, env, warnings, error }')
    .addHelpText(
      'after',
      `
Needs OPENAI_API_KEY, OPENAI_PROJECT_ID (proj_…), the Twilio credentials, TWILIO_PHONE_NUMBER and WEBHOOK_URL (https).
Makes sure that:
  - a Twilio Elastic SIP trunk has secure media (SRTP) and transfers enabled, and its origination URL is
    sip:<OPENAI_PROJECT_ID>@sip.api.openai.com;transport=tls (a trunk named "voicebridge" is created when none does);
  - TWILIO_PHONE_NUMBER is on that trunk (its voice URL is then no longer used);
  - an OpenAI webhook endpoint at WEBHOOK_URL/openai-webhook is subscribed to the event the voice engine needs
    (realtime.call.incoming; live.transport.incoming with VOICE_ENGINE=live), and its signing secret is in .env as
    OPENAI_WEBHOOK_SECRET (a new secret is made when .env lacks it: the old one stays valid for 24 hours).
What exists is changed in place; nothing is duplicated or deleted. Run again, it changes nothing.
Exit codes: 0 set up (or nothing to change), 1 failed (the message says why and what to do), 2 usage error.

Examples:
  $ npx voicebridge setup-sip --dry-run
  $ npx voicebridge setup-sip
  $ npx voicebridge setup-sip --json | jq .changes`,
    )
    .action(async (options: SetupSipCommandOptions) => {
      const { runSetupSipCommand } = await import('./commands/setup-sip.js');
      process.exitCode = await runSetupSipCommand(options);
    });

  program
    .command('serve')
    .description('Run the Twilio <-> OpenAI Realtime <-> agent bridge: the voice webhook and the media stream on one port')
    .option('--env <path>', 'read this file instead of ./.env')
    .option('--env-file <path>', 'same as --env (under npx or node <file>, Node itself takes --env-file and stops if the file is missing)')
    .option('--port <number>', 'listen on this port instead of PORT (0 picks a free one)')
    .option('--skip-checks', 'start without the start-up checks (a broken setup then shows only when a call fails)')
    .option('--log-format <format>', 'text (default, for people) or json (one object per line, for log collectors)')
    .option('--tunnel', 'open a public HTTPS tunnel (ngrok, NGROK_AUTHTOKEN) and use its URL as WEBHOOK_URL for this run')
    .option('--configure-number', 'with --tunnel: point TWILIO_PHONE_NUMBER\'s voice URL at <tunnel>/incoming-call (POST)')
    .option('--restore-number', 'with --configure-number: put the number\'s previous voice URL back on exit')
    .option('--voice-engine <engine>', 'realtime (OpenAI Realtime, the default) or live (GPT-Live, with your agent as its delegate); overrides VOICE_ENGINE')
    .option('--host <address>', 'listen on this interface instead of HOST (default 0.0.0.0; 127.0.0.1 with --phone)')
    .option('--phone', 'serve the browser phone at /phone: talk to your agent from this machine\'s browser, no Twilio number needed')
    .option('--transport <transport>', 'media-streams (Twilio streams the audio through serve, the default) or sip (OpenAI answers the SIP call, serve steers it); overrides TRANSPORT')
    .option('--simulate', 'run against simulated OpenAI and Twilio on 127.0.0.1 with a throw-away configuration: no key, no account, no .env read')
    .addHelpText(
      'after',
      `
With --simulate, serve listens on 127.0.0.1 (PORT 5000 unless --port; 0 picks a free one), serves the browser phone,
and prints the voicebridge call command that calls it; nothing real is called.
Before listening, serve runs the doctor's offline checks and its key, agent and model checks, and refuses to start
(exit 1) when a call could not work, e.g. on a model past its shutdown date (VOICEBRIDGE_TODAY=YYYY-MM-DD asks about
another day). A model within 90 days of its shutdown date is one warning line.
Give Twilio the webhook it prints: WEBHOOK_URL/incoming-call (HTTP POST). With --transport sip, point an OpenAI webhook
(realtime.call.incoming, live.transport.incoming) at WEBHOOK_URL/openai-webhook instead (needs OPENAI_WEBHOOK_SECRET and
OPENAI_PROJECT_ID).
With --phone, serve prints http://127.0.0.1:PORT/phone#<token>: open it, click Call and talk. The token is new each run
and the page's socket is refused without it; only OPENAI_API_KEY and ASSISTANT_ID are needed then.
The tunnel needs the internet and an ngrok auth token (NGROK_AUTHTOKEN, from https://dashboard.ngrok.com).
SIGINT/SIGTERM/SIGHUP: no new calls (/readyz answers 503), calls in progress may finish for DRAIN_TIMEOUT_MS (25 s), then
exit; a second signal exits at once. GET /metrics serves Prometheus metrics.
Exit codes: 0 stopped cleanly (SIGINT/SIGTERM/SIGHUP), 1 refused to start or stopped by a second signal, 2 usage error.

Examples:
  $ npx voicebridge serve
  $ npx voicebridge serve --port 8080 --log-format json
  $ npx voicebridge serve --env ./config/prod.env
  $ npx voicebridge serve --voice-engine live         GPT-Live speaks and listens, your agent answers
  $ npx voicebridge serve --transport sip             OpenAI answers your SIP trunk, serve steers each call
  $ npx voicebridge serve --phone                     talk to your agent from the browser
  $ npx voicebridge serve --simulate                  try it with no accounts: everything simulated, locally
  $ npx voicebridge serve --tunnel --configure-number --restore-number`,
    )
    .action(async (options: ServeOptions) => {
      const { runServeCommand } = await import('./commands/serve.js');
      process.exitCode = await runServeCommand(options);
    });

  program
    .command('call')
    .description('Call the bridge exactly as Twilio would, from this machine: no phone number, no tunnel')
    .option('--url <url>', 'where voicebridge serve listens (default http://localhost:PORT)')
    .option('--wav <file>', 'what the caller says: a WAV file (8 kHz μ-law, or 16-bit PCM at 8 kHz or more, resampled)')
    .option('--silence <seconds>', 'the caller says nothing for this long (default 3)')
    .option('--record <file>', 'write what the agent said to this WAV file')
    .option('--record-format <format>', 'pcm16 (default) or mulaw, both 8 kHz mono')
    .option('--wait <seconds>', 'after the caller\'s audio, hang up once the agent has been quiet this long (default 4)')
    .option('--env <path>', 'read this file instead of ./.env (the same one serve reads)')
    .option('--env-file <path>', 'same as --env (under npx or node <file>, Node itself takes --env-file and stops if the file is missing)')
    .addHelpText(
      'after',
      `
The call signs its webhook and media stream with TWILIO_AUTH_TOKEN for WEBHOOK_URL, as Twilio does, and sends them to
--url instead of the public address. It prints what the caller hears as it plays, then hangs up.
Exit codes: 0 the call completed and the agent spoke, 1 the call failed (the message says why), 2 usage error or an
unusable WAV file.

Examples:
  $ npx voicebridge call                                   hear the greeting, then hang up
  $ npx voicebridge call --wav question.wav --record reply.wav
  $ npx voicebridge call --url https://abc123.ngrok.app --silence 5`,
    )
    .action(async (options: CallOptions) => {
      const { runCallCommand } = await import('./commands/call.js');
      process.exitCode = await runCallCommand(options);
    });

  program
    .command('dial')
    .description('Have the running serve call a number: the agent is told why it calls and speaks first')
    .argument('<number>', 'the number to call, in E.164 form (e.g. +14155550123)')
    .option('--context <text>', 'why the agent calls, told to it before it speaks (e.g. "Remind Jane of her cleaning tomorrow at 3 pm")')
    .option('--voicemail <message>', 'what to say after the beep when an answering machine picks up (default: a call-back message)')
    .option('--no-voicemail', 'hang up at once when an answering machine picks up')
    .option('--url <url>', 'where voicebridge serve listens (default http://127.0.0.1:PORT)')
    .option('--timeout <seconds>', 'stop following the call after this long (default 600)')
    .option('--env <path>', 'read this file instead of ./.env (the same one serve reads: VOICEBRIDGE_API_KEY)')
    .option('--env-file <path>', 'same as --env (under npx or node <file>, Node itself takes --env-file and stops if the file is missing)')
    .addHelpText(
      'after',
      `
dial POSTs the call to serve's /calls with VOICEBRIDGE_API_KEY, then prints each step as Twilio reports it (dialling,
ringing, who answered, the voicemail left, how it ended). serve places it from TWILIO_PHONE_NUMBER, only to numbers
within DIAL_ALLOWED_PREFIXES (default: your number's country code), never to premium-rate ranges, and at most
DIAL_RATE_PER_MINUTE (10) a minute.
Exit codes: 0 a person talked to the agent, or the voicemail message was left (followed through another serve
instance: a machine answered, and the instance that placed the call leaves it); 1 refused, not answered, busy, failed,
or serve unreachable (the message says why); 2 usage error or no VOICEBRIDGE_API_KEY.

Examples:
  $ npx voicebridge dial +14155550123 --context "Remind Jane of her cleaning tomorrow at 3 pm"
  $ npx voicebridge dial +14155550123 --voicemail "Hi Jane, please call us back about tomorrow."
  $ npx voicebridge dial +14155550123 --no-voicemail --url http://127.0.0.1:8080`,
    )
    .action(async (number: string, options: DialOptions) => {
      const { runDialCommand } = await import('./commands/dial.js');
      process.exitCode = await runDialCommand(number, options);
    });

  program
    .command('demo')
    .description('Run a simulated call through the whole bridge: simulated OpenAI, simulated Twilio, no accounts needed')
    .option('--script <file>', 'what the caller says: one line per turn (default: a short booking conversation)')
    .option('--port <number>', 'the port the bridge listens on, on 127.0.0.1 (default: a free one)')
    .addHelpText(
      'after',
      `
Starts voicebridge serve in this process against the bundled OpenAI simulator, calls it with voicebridge call's
softphone, and prints the call's log. Nothing leaves this machine; no key, account or number is used.
Exit codes: 0 the call went through, 1 it did not, 2 usage error.

Examples:
  $ npx voicebridge demo
  $ npx voicebridge demo --script ./my-caller.txt`,
    )
    .action(async (options: DemoOptions) => {
      const { runDemoCommand } = await import('./commands/demo.js');
      process.exitCode = await runDemoCommand(options);
    });

  // --env is --env-file under a name Node leaves alone: Node reads --env-file anywhere on its command line, even after
  // the script (npx runs on Node too), and exits with its own message before voicebridge runs. Commands see envFile.
  program.hook('preAction', (_program, command) => {
    const { env, envFile } = command.opts<{ env?: string; envFile?: string }>();
    if (env === undefined) return;
    if (envFile !== undefined && envFile !== env) {
      throw new UsageError(`--env ${env} and --env-file ${envFile} name two files: give one of them (--env works everywhere, also under npx).`);
    }
    command.setOptionValue('envFile', env);
    command.setOptionValue('env', undefined);
  });

  return program;
}

/**
 * A reader that stops early (`voicebridge doctor | head`) closes the pipe: the rest of the output has nowhere to go,
 * which is not a failure of the command. Any other write error still surfaces.
 */
function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

export async function main(argv: string[]): Promise<void> {
  // Every command the output suggests is written the way this one was started (npx voicebridge …, or voicebridge …).
  setInvocation(invocationFrom(process.env, argv[1]));
  process.stdout.on('error', ignoreClosedPipe);
  process.stderr.on('error', ignoreClosedPipe);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`voicebridge: ${(error as Error).message}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}

