// `voicebridge call`: a softphone that calls the bridge exactly as Twilio would — signed webhook, TwiML, signed Media
// Stream, real-time 20 ms μ-law frames, marks echoed as audio plays, clear honoured, stop at the end — so the whole
// stack can be tried with no phone number and no tunnel. Prints what the caller hears and can record it.
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { publicUrlsFrom, PublicUrlError } from '../../transports/twilio-media-streams/public-urls.js';
import type { Config } from '../../config/config.js';
import { DEFAULT_PORT } from '../../config/defaults.js';
import { loadConfig } from '../../config/load-config.js';
import { CallerAudioError, readCallerWav, silence, type CallerAudio } from '../../softphone/caller-audio.js';
import { CallNarration } from '../../softphone/call-narration.js';
import { decodeMulaw, MULAW_SAMPLE_RATE } from '../../softphone/mulaw.js';
import { CallFailure, placeCall } from '../../softphone/place-call.js';
import { BYTES_PER_MS } from '../../softphone/twilio-stream-client.js';
import { mulawWav, pcm16Wav } from '../../softphone/wav-file.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError } from '../../util/usage-error.js';
import { createOutput, type Output } from '../output.js';
import { voicebridgeCommand } from '../../util/invocation.js';

export interface CallOptions {
  url?: string;
  wav?: string;
  silence?: string;
  record?: string;
  recordFormat?: string;
  wait?: string;
  envFile?: string;
}

export interface CallDependencies {
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const DEFAULT_SILENCE_SECONDS = 3;
const DEFAULT_WAIT_SECONDS = 4;
/** However long the agent talks after the caller's audio, the call ends after this. */
const MAX_REPLY_MS = 60_000;
const RECORD_FORMATS = ['pcm16', 'mulaw'] as const;
type RecordFormat = (typeof RECORD_FORMATS)[number];

export async function runCallCommand(options: CallOptions, dependencies: Partial<CallDependencies> = {}): Promise<number> {
  const output = dependencies.output ?? createOutput();
  const { chalk } = output;
  const waitMs = seconds(options.wait, '--wait', DEFAULT_WAIT_SECONDS) * 1000;
  const recordFormat = parseRecordFormat(options.recordFormat);
  if (options.wav !== undefined && options.silence !== undefined) throw new UsageError('--wav and --silence cannot be used together: the caller either plays a file or stays silent.');
  if (options.recordFormat !== undefined && options.record === undefined) throw new UsageError('--record-format goes with --record FILE');
  const config = loadConfig({ envFile: options.envFile, ...(dependencies.env ? { env: dependencies.env } : {}), ...(dependencies.cwd ? { cwd: dependencies.cwd } : {}) });
  output.addSecrets(config.secrets);
  // A missing or unreadable .env is a broken setup, not a malformed command line: exit 1, as every command does.
  if (config.envFile.explicit && !config.envFile.found) {
    output.err(`${chalk.red.bold('voicebridge call:')} the env file ${config.envFile.path} does not exist. Give the .env voicebridge serve reads (the path is relative to the current folder).`);
    return EXIT_FAILURE;
  }
  if (config.envFile.error) {
    output.err(`${chalk.red.bold('voicebridge call:')} cannot read ${config.envFile.path}: ${config.envFile.error}. Make it readable, or pass --env with the .env voicebridge serve reads.`);
    return EXIT_FAILURE;
  }
  const serverUrl = parseServerUrl(options.url, config);

  let audio: CallerAudio;
  try {
    audio = options.wav !== undefined ? await readCallerWav(options.wav) : silence(seconds(options.silence, '--silence', DEFAULT_SILENCE_SECONDS));
  } catch (error) {
    if (!(error instanceof CallerAudioError)) throw error;
    output.err(`${chalk.red.bold('voicebridge call:')} ${error.message}`);
    return EXIT_USAGE;
  }

  const cwd = dependencies.cwd ?? process.cwd();
  const recordPath = options.record === undefined ? undefined : resolve(cwd, options.record);
  const recordProblem = recordPath === undefined ? undefined : await unwritableRecording(recordPath, options.wav === undefined ? undefined : resolve(cwd, options.wav));
  if (recordProblem) {
    output.err(`${chalk.red.bold('voicebridge call:')} cannot record to ${options.record}: ${recordProblem}`);
    return EXIT_USAGE;
  }

  const fail = (message: string): number => {
    output.err(`${chalk.red.bold('The call failed:')} ${message}`);
    return EXIT_FAILURE;
  };
  const authToken = config.twilio.authToken?.trim();
  if (!authToken) {
    const where = config.envFile.found ? '' : ` (there is no ${config.envFile.path}: run ${voicebridgeCommand('call')} in the folder voicebridge serve runs in, or pass --env)`;
    return fail(`TWILIO_AUTH_TOKEN is not set${where}. The call signs its requests with it, as Twilio does, and the server checks them with its own: put the same value in the .env both read.`);
  }
  let voiceUrl: string;
  try {
    voiceUrl = publicUrlsFrom(config.webhookUrl).incomingCall;
  } catch (error) {
    if (error instanceof PublicUrlError) return fail(`${error.message} The call signs the webhook for WEBHOOK_URL/incoming-call, as Twilio does.`);
    throw error;
  }

  output.out(chalk.bold(`voicebridge call → ${serverUrl}`) + chalk.dim(` (as Twilio calling ${voiceUrl})`));
  output.out(`  Caller audio  ${audio.description}`);
  let placed;
  try {
    placed = await placeCall({
      serverUrl,
      voiceUrl,
      authToken,
      ...(config.twilio.accountSid && /^AC[0-9a-f]{32}$/i.test(config.twilio.accountSid.trim()) ? { accountSid: config.twilio.accountSid.trim() } : {}),
      ...(config.twilio.phoneNumber ? { to: config.twilio.phoneNumber.trim() } : {}),
    });
  } catch (error) {
    if (error instanceof CallFailure) return fail(error.message);
    throw error;
  }
  const { stream, twiml } = placed;
  const parameterCount = Object.keys(twiml.parameters).length;
  output.out(`  TwiML         <Connect><Stream url="${twiml.url}"> with ${parameterCount} parameter${parameterCount === 1 ? '' : 's'}`);
  output.out(`  Media stream  ${placed.socketUrl} (CallSid ${stream.callSid}, StreamSid ${stream.streamSid})`);
  const narration = new CallNarration(stream, { print: (line) => output.out(line) });
  let closedByBridge = false;
  let interrupted = false;
  stream.once('closed', () => (closedByBridge = !interrupted));
  // Ctrl+C hangs up as a caller would (stop, then close), so the bridge ends the call cleanly.
  const interrupt = (): void => {
    interrupted = true;
    narration.print('caller: Ctrl+C, hanging up');
    void stream.hangUp();
  };
  process.once('SIGINT', interrupt);
  try {
    narration.print(`caller: streaming ${(audio.mulaw.length / BYTES_PER_MS / 1000).toFixed(1)} s of audio in real time`);
    await stream.say(audio.mulaw);
    if (!closedByBridge && !interrupted) {
      narration.print(`caller: audio finished; hanging up once the agent has been quiet for ${waitMs / 1000} s`);
      await stream.waitUntilQuiet(waitMs, MAX_REPLY_MS);
    }
  } finally {
    process.off('SIGINT', interrupt);
  }
  // Read before hanging up: the caller's own hang-up closes the socket too.
  const endedByBridge = closedByBridge;
  if (!endedByBridge) {
    await stream.hangUp();
    narration.print('caller: hung up (stop sent)');
  }

  const heard = narration.heardAudio();
  const played = narration.marksPlayed.length;
  output.out(
    `Heard ${(heard.length / BYTES_PER_MS / 1000).toFixed(1)} s of agent audio: ${played} piece${played === 1 ? '' : 's'} to the end` +
      (narration.marksCleared.length > 0 ? `, ${narration.marksCleared.length} cut off by clear` : '') +
      '.',
  );
  // Recorded however the call ended: what the agent said before the bridge hung up is often what explains it.
  if (recordPath !== undefined) {
    const file = recordFormat === 'mulaw' ? mulawWav(heard) : pcm16Wav(decodeMulaw(heard), MULAW_SAMPLE_RATE);
    try {
      await writeFile(recordPath, file);
    } catch (error) {
      return fail(`could not write the recording to ${options.record}: ${(error as Error).message}. Pass --record a path in a folder you can write to.`);
    }
    output.out(`Recorded what the agent said to ${options.record} (8 kHz ${recordFormat === 'mulaw' ? 'μ-law' : '16-bit PCM'}, mono, ${(heard.length / MULAW_SAMPLE_RATE).toFixed(1)} s).`);
  }
  if (endedByBridge) {
    const closed = stream.closed;
    return fail(`the bridge ended the call after ${(stream.elapsedMs() / 1000).toFixed(1)} s (WebSocket close ${closed?.code ?? '?'}${closed?.reason ? `: ${closed.reason}` : ''}). The server's log says why.`);
  }
  if (heard.length === 0) {
    return fail(`the agent never spoke: a caller would hear only silence. Read the server's log for this CallSid, and run ${voicebridgeCommand('doctor')}.`);
  }
  if (narration.protocolErrors.length > 0) {
    return fail(`the bridge sent frames Twilio would reject (${narration.protocolErrors.join('; ')}).`);
  }
  output.out(chalk.green('Call completed.'));
  return EXIT_OK;
}

/**
 * Why a recording could not be written to `path` (checked before the call, so a long call is not lost), or undefined.
 * Recording over the caller's own --wav file would destroy it, whatever path names it (./q.wav, a symlink, a hard link).
 */
async function unwritableRecording(path: string, callerWav: string | undefined): Promise<string | undefined> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) return 'it is a folder. Give a file name, e.g. --record reply.wav';
  const input = callerWav === undefined ? undefined : await stat(callerWav).catch(() => undefined);
  if (existing && input && existing.dev === input.dev && existing.ino === input.ino) {
    return 'it is the --wav file the caller plays, and recording would overwrite it. Record to another file, e.g. --record reply.wav';
  }
  const folder = dirname(path);
  const parent = await stat(folder).catch(() => undefined);
  if (!parent) return `the folder ${folder} does not exist. Create it, or record into an existing folder.`;
  if (!parent.isDirectory()) return `${folder} is not a folder.`;
  return undefined;
}

function seconds(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 3600) throw new UsageError(`${option} takes a number of seconds from 0 to 3600 (got "${value}")`);
  return number;
}

function parseRecordFormat(value: string | undefined): RecordFormat {
  if (value === undefined) return 'pcm16';
  if ((RECORD_FORMATS as readonly string[]).includes(value)) return value as RecordFormat;
  throw new UsageError(`--record-format must be pcm16 or mulaw (got "${value}")`);
}

function parseServerUrl(value: string | undefined, config: Config): string {
  if (value === undefined) return `http://localhost:${config.port ?? DEFAULT_PORT}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be the address voicebridge serve listens at, e.g. http://localhost:5000 (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must start with http:// or https:// (got "${value}")`);
  return `${url.protocol}//${url.host}`;
}
