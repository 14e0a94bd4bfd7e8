// The voicebridge command line. Each command's module is imported only when that command runs, so `--help`
// never loads the OpenAI or Twilio SDKs.
import { Command, CommanderError } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './exit-codes.js';

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
  $ npx voicebridge doctor                 check .env, keys, IDs, the number and the webhook
  $ npx voicebridge create-assistant       provision the agent and write ASSISTANT_ID into .env
  $ npx voicebridge serve                  run the Twilio <-> OpenAI bridge on PORT (default 5000)`,
    );

  program
    .command('doctor')
    .description('Check the setup and explain every problem with its fix')
    .option('--env-file <path>', 'read this file instead of ./.env')
    .option('--json', 'print a machine-readable report: { ok, checks: [{ id, title, status, summary, fix }] }')
    .option('--explain <text>', 'explain an error message or an ID (e.g. the text of a 400, a Twilio error code, an ID)')
    .addHelpText(
      'after',
      `
Exit codes: 0 nothing failed, 1 a check failed, 2 usage error.

Examples:
  $ npx voicebridge doctor
  $ npx voicebridge doctor --env-file ./config/prod.env
  $ npx voicebridge doctor --json | jq '.checks[] | select(.status == "fail")'
  $ npx voicebridge doctor --explain "400 Invalid 'assistant_id': 'wf_123'. Expected an ID that begins with 'asst'."
  $ npx voicebridge doctor --explain 31920`,
    )
    .action(async (options: { envFile?: string; json?: boolean; explain?: string }) => {
      const { runDoctorCommand } = await import('./commands/doctor.js');
      process.exitCode = await runDoctorCommand(options);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
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

