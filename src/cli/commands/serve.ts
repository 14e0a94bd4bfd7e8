// `voicebridge serve`: checks the setup the way the doctor does and refuses to start on anything that would make a
// call fail (a workflow ID, a sunset Assistants API, a missing key), then runs the Twilio ↔ Realtime ↔ agent bridge
// until SIGINT, SIGTERM or SIGHUP. With --tunnel, a public HTTPS tunnel is the run's WEBHOOK_URL (and, when asked, the number's).
// With --simulate, the same serve runs on 127.0.0.1 against simulated OpenAI and Twilio with a throw-away configuration.
import { BrainError, type Brain } from '../../agents/brain.js';
import { createBridgeLog, LOG_FORMATS, type BridgeLog, type LogFormat } from '../../log/call-log.js';
import { PublicUrlError } from '../../transports/twilio-media-streams/public-urls.js';
import { BridgeStartError, servesTwilio, startBridgeServer, type BridgeServer } from '../../server/bridge-server.js';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../../config/config.js';
import { DEFAULT_LIVE_MODEL, DEFAULT_PORT, TRANSPORTS, VOICE_ENGINES, type TransportName, type VoiceEngineName } from '../../config/defaults.js';
import { loadConfig } from '../../config/load-config.js';
import type { ServeTunnel } from '../../tunnel/serve-tunnel.js';
import type { TunnelProvider } from '../../tunnel/tunnel-provider.js';
import { consequencesText, countProblems, renderCheckLine } from '../../doctor/render-human.js';
import { clockFromEnvironment } from '../../util/clock.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { UsageError } from '../../util/usage-error.js';
import { createOutput, type Output } from '../output.js';
import { openAISipUri } from '../../knowledge/openai-sip.js';
import { runStartUpChecks, sipSettingProblems } from '../serve-start-up-checks.js';
import { voicebridgeCommand } from '../../util/invocation.js';

export interface ServeOptions {
  envFile?: string;
  port?: string;
  skipChecks?: boolean;
  logFormat?: string;
  tunnel?: boolean;
  configureNumber?: boolean;
  restoreNumber?: boolean;
  /** realtime or live: overrides VOICE_ENGINE. */
  voiceEngine?: string;
  /** media-streams or sip: overrides TRANSPORT. */
  transport?: string;
  /** The interface to listen on: overrides HOST. */
  host?: string;
  /** Serve the browser phone (GET /phone) too. */
  phone?: boolean;
  /** Run against the bundled simulators with a throw-away configuration: no key, no account, no .env. */
  simulate?: boolean;
}

export interface ServeRuntime {
  /** Resolves when the process is asked to stop (first SIGINT, SIGTERM or SIGHUP); `onSecond` runs on the next one. */
  waitForStop(onSecond: () => void): Promise<string>;
  /** Told once the bridge listens (a command that embeds serve places its calls then). */
  onListening?(server: BridgeServer): void;
}

/** What a command embedding serve (demo, tests) gives instead of what the command line and the machine give. */
export interface ServeSetup {
  /** Instead of reading .env and the environment. */
  config?: Config;
  /** Listen on this address only (default: --host, HOST, else every interface, or 127.0.0.1 with --phone). */
  host?: string;
  /** The browser phone's token instead of a random one (a command that opens the page itself). */
  phoneToken?: string;
  /** The tunnel service for --tunnel (default: ngrok). */
  tunnelProvider?: TunnelProvider;
  /** No banner: the embedding command says what runs. */
  quiet?: boolean;
  /** More banner lines, before "Waiting for calls" (serve --simulate: what is simulated and how to call it). */
  notes?: (server: BridgeServer) => string[];
}

export const SIMULATE_FIRST_LINE = 'voicebridge serve --simulate — simulated: nothing real is called (OpenAI and Twilio are simulated on this machine; no key, no account, no .env)';
export const SIMULATE_LAST_LINE = 'Nothing real was called: OpenAI and Twilio were simulated, no key or account was used, and the throw-away configuration is deleted.';

/**
 * The signals that stop serve gracefully. SIGHUP is among them: a closed terminal or SSH session sends it, and its
 * default action would end every call in progress mid-sentence, with no drain.
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const processRuntime: ServeRuntime = {
  waitForStop(onSecond) {
    return new Promise((resolve) => {
      const first = (signal: NodeJS.Signals): void => {
        for (const stop of STOP_SIGNALS) process.off(stop, first);
        for (const stop of STOP_SIGNALS) process.once(stop, onSecond);
        resolve(signal);
      };
      for (const stop of STOP_SIGNALS) process.on(stop, first);
    });
  },
};

export async function runServeCommand(
  options: ServeOptions,
  output: Output = createOutput(),
  runtime: ServeRuntime = processRuntime,
  setup: ServeSetup = {},
): Promise<number> {
  if (options.simulate) return runSimulated(options, output, runtime, setup);
  const format = parseLogFormat(options.logFormat);
  const portOverride = parsePort(options.port);
  const voiceEngine = parseVoiceEngine(options.voiceEngine);
  const transport = parseTransport(options.transport);
  if (options.configureNumber && !options.tunnel) {
    throw new UsageError(`--configure-number goes with --tunnel (to point the number at WEBHOOK_URL, run ${voicebridgeCommand('doctor --fix')})`);
  }
  if (options.restoreNumber && !options.configureNumber) throw new UsageError('--restore-number goes with --configure-number');
  let config = setup.config ?? loadConfig({ envFile: options.envFile });
  output.addSecrets(config.secrets);
  if (portOverride !== undefined) config = { ...config, port: portOverride, portProblem: undefined };
  if (voiceEngine !== undefined) config = { ...config, openai: { ...config.openai, voiceEngine } };
  if (transport !== undefined) config = { ...config, transport };
  const phone = options.phone ? { token: setup.phoneToken ?? (await import('../../transports/browser/phone-token.js')).createPhoneToken() } : undefined;
  const bindHost = listenHost(options.host, setup.host, config.host, phone !== undefined);
  // The banner has always called every interface 0.0.0.0.
  const host = bindHost ?? '0.0.0.0';
  // In SIP mode Twilio sends its calls to OpenAI: serve takes none of Twilio's own.
  const twilio = config.transport !== 'sip' && servesTwilio(config, phone !== undefined);
  // JSON lines come from pino (loaded only for them); the readable text log stays the bridge's own.
  const log =
    format === 'json'
      ? (await import('../../log/json-log.js')).createJsonLog({ write: (line) => output.out(line), secrets: config.secrets })
      : createBridgeLog({ format, write: (line) => output.out(line), secrets: config.secrets, chalk: output.chalk });
  for (const warning of config.warnings) log.warn(warning);

  let tunnel: ServeTunnel | undefined;
  if (options.tunnel) {
    try {
      const { openServeTunnel } = await import('../../tunnel/serve-tunnel.js');
      tunnel = await openServeTunnel(config, options, setup.tunnelProvider);
    } catch (error) {
      refuse(output, format, log, (error as Error).message);
      return EXIT_FAILURE;
    }
    config = tunnel.config;
    log.info(`Tunnel open: ${tunnel.url} → port ${config.port} (${tunnel.provider}); it is WEBHOOK_URL for this run.`);
  }
  const refused = async (): Promise<number> => {
    await tunnel?.close(log);
    return EXIT_FAILURE;
  };

  if (options.skipChecks) log.warn('Start-up checks skipped (--skip-checks): a broken setup will only show when a call fails.');
  else if (!(await startUpChecksPass(config, format, output, log, twilio))) return refused();

  let brain: Brain;
  try {
    const { createBrain } = await import('../../agents/create-brain.js');
    brain = await createBrain(config);
  } catch (error) {
    refuse(output, format, log, error instanceof BrainError ? brainRefusal(error) : (error as Error).message);
    return refused();
  }

  let server: BridgeServer;
  try {
    const { createPrometheusMetrics } = await import('../../server/prometheus-metrics.js');
    const metrics = createPrometheusMetrics({ processMetrics: true });
    server = await startBridgeServer({ config, brain, log, metrics, port: config.port ?? DEFAULT_PORT, ...(bindHost ? { host: bindHost } : {}), ...(phone ? { phone } : {}) });
  } catch (error) {
    refuse(output, format, log, startFailure(error, config, host));
    return refused();
  }
  // Listen for the stop signals before anything says serve is up: Ctrl+C right after the banner must drain, not kill.
  const stopping = runtime.waitForStop(() => {
    log.warn('Second stop signal: exiting now, without waiting for calls to end.');
    process.exit(EXIT_FAILURE);
  });
  const phoneUrl = phone ? `http://${urlHost(host)}:${server.port}/phone#${phone.token}` : undefined;
  if (!setup.quiet) announce(server, brain, config, format, output, log, host, phoneUrl, setup);
  else if (phoneUrl) output.out(`Browser phone: ${phoneUrl}`);
  const numberProblem = await tunnel?.configureNumber(log);
  if (numberProblem) {
    refuse(output, format, log, numberProblem);
    await server.close();
    return refused();
  }
  runtime.onListening?.(server);

  const signal = await stopping;
  const calls = server.activeCalls + server.pendingCalls;
  const drainMs = config.calls.drainTimeoutMs;
  // A command embedding serve stops it for its own reason (the demo's call is over): no signal to send again then.
  const sendAgain = (STOP_SIGNALS as readonly string[]).includes(signal) ? ` Send ${signal} again to exit at once.` : '';
  log.info(
    calls > 0
      ? `${signal}: taking no new calls; waiting up to ${formatSeconds(drainMs)} for ${calls} call(s) in progress to end (DRAIN_TIMEOUT_MS).${sendAgain}`
      : `${signal}: stopping.`,
  );
  await server.drain(drainMs);
  await tunnel?.close(log);
  log.info('Stopped.');
  return EXIT_OK;
}

/**
 * serve --simulate: the OpenAI simulator and a simulated Twilio REST API start in this process on 127.0.0.1, a
 * throw-away .env in a temporary folder points serve at them, and the real serve runs on it. The user's .env and
 * environment take no part. The first and last lines say that nothing real is called.
 */
async function runSimulated(options: ServeOptions, output: Output, runtime: ServeRuntime, setup: ServeSetup): Promise<number> {
  const format = parseLogFormat(options.logFormat);
  const port = parsePort(options.port);
  parseVoiceEngine(options.voiceEngine);
  for (const [flag, given] of [
    ['--env', options.envFile !== undefined],
    ['--tunnel', options.tunnel === true],
    ['--configure-number', options.configureNumber === true],
  ] as const) {
    if (given) throw new UsageError(`--simulate runs on this machine with a throw-away configuration: it reads no .env and opens no tunnel, so ${flag} cannot go with it`);
  }
  // SIP mode has OpenAI answer a real trunk and sends no audio through serve: there is nothing of it to simulate here.
  if (parseTransport(options.transport) === 'sip') {
    throw new UsageError('--simulate simulates Twilio Media Streams calls and the browser phone; --transport sip needs OpenAI to answer a real SIP trunk, so it cannot go with --simulate');
  }
  const jsonLog = format === 'json' ? (await import('../../log/json-log.js')).createJsonLog({ write: (line) => output.out(line), secrets: [] }) : undefined;
  const say = (line: string): void => (jsonLog ? jsonLog.info(line) : output.out(output.chalk.yellow.bold(line)));
  say(SIMULATE_FIRST_LINE);
  // Listen on this machine only, unless an address is asked for (--host; HOST is the user's and is not read, and the
  // throw-away configuration sets none).
  const host = listenHost(options.host, setup.host, undefined, true) ?? '127.0.0.1';
  const { findFreePort, listenRefusal } = await import('../../util/free-port.js');
  // A port that cannot be had is said here, in the terms of this command: the start-up checks would point at the
  // throw-away .env, deleted on exit, and at the doctor, which reads another one.
  const portProblem = port === undefined || port !== 0 ? await simulatedPortProblem(port ?? DEFAULT_PORT, host, findFreePort, listenRefusal) : undefined;
  if (portProblem) {
    if (jsonLog) jsonLog.error(`voicebridge serve did not start: ${portProblem}`);
    else output.err(`${output.chalk.red.bold('voicebridge serve did not start:')} ${portProblem}`);
    say(SIMULATE_LAST_LINE);
    return EXIT_FAILURE;
  }
  const { startSimulation } = await import('../../demo/simulation.js');
  // WEBHOOK_URL names the port and the webhook signature covers it: the port is chosen before serve starts.
  const simulation = await startSimulation({ port: port === undefined ? DEFAULT_PORT : port === 0 ? await findFreePort() : port, purpose: 'simulate' });
  // A second stop signal exits at once, past the finally below: the throw-away folder goes then too.
  const removeFolder = (): void => rmSync(dirname(simulation.envPath), { recursive: true, force: true });
  process.once('exit', removeFolder);
  const notes = (server: BridgeServer): string[] => [
    `  Simulated        OpenAI at ${simulation.openai.baseURL} (agent and voice) and the Twilio REST API at ${simulation.twilioApiBaseUrl}, in this process`,
    `  Configuration    throw-away ${simulation.envPath} (your .env is neither read nor changed)`,
    '  Speech           the simulator reads its own synthetic speech as words; a real voice is heard by its energy ("I heard you speak for 2.1 seconds")',
    `  Call it          ${output.chalk.cyan(`${voicebridgeCommand('call')} --url http://${urlHost(host)}:${server.port} --env ${shellQuote(simulation.envPath)}`)}  (add --wav FILE to speak)`,
  ];
  try {
    // The browser phone is on too: talking to the simulated agent needs nothing but a browser.
    return await runServeCommand({ ...options, simulate: false, phone: true, host: undefined, port: undefined }, output, runtime, { ...setup, config: simulation.config, host, notes });
  } finally {
    await simulation.close();
    process.off('exit', removeFolder);
    say(SIMULATE_LAST_LINE);
  }
}

/** Why serve --simulate cannot listen on `host`:`port`, with what to do instead, or undefined when it can. */
async function simulatedPortProblem(
  port: number,
  host: string,
  findFreePort: () => Promise<number>,
  listenRefusal: (port: number, host: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const code = await listenRefusal(port, host);
  if (code === undefined) return undefined;
  const instead = 'or --port 0: serve --simulate then picks a free port itself.';
  if (code === 'EADDRINUSE') return `port ${port} is in use by another program. Stop that program, give serve --simulate another port (e.g. --port ${await findFreePort()}), ${instead}`;
  if (code === 'EACCES') return `port ${port} needs administrator rights on this machine. Give serve --simulate a port above 1023 (e.g. --port ${await findFreePort()}), ${instead}`;
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${host}: it is not an address of this machine. Leave --host out (serve --simulate listens on 127.0.0.1), or give an address of this machine.`;
  return `cannot listen on ${host} port ${port} (${code}). Give serve --simulate another port, ${instead}`;
}

/** A path as one shell word (POSIX quoting when it holds anything but safe characters). */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** The agent's refusal with its explanation, which often restates the refusal: then it is said once. */
function brainRefusal(error: BrainError): string {
  if (!error.explanation) return error.message;
  return error.explanation.startsWith(error.message) ? error.explanation : `${error.message}. ${error.explanation}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined) return 'text';
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new UsageError(`--log-format must be text or json (got "${value}")`);
}

function parseVoiceEngine(value: string | undefined): VoiceEngineName | undefined {
  if (value === undefined) return undefined;
  if ((VOICE_ENGINES as readonly string[]).includes(value)) return value as VoiceEngineName;
  throw new UsageError(`--voice-engine must be realtime (OpenAI Realtime) or live (GPT-Live) (got "${value}")`);
}

function parseTransport(value: string | undefined): TransportName | undefined {
  if (value === undefined) return undefined;
  if ((TRANSPORTS as readonly string[]).includes(value)) return value as TransportName;
  throw new UsageError(`--transport must be media-streams (Twilio Media Streams) or sip (OpenAI's SIP endpoint) (got "${value}")`);
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (got "${value}"); 0 picks a free port`);
  return Number(value);
}

/** The doctor's offline checks plus the key, agent and model checks: what would make every call fail. */
async function startUpChecksPass(config: Config, format: LogFormat, output: Output, log: BridgeLog, twilio: boolean): Promise<boolean> {
  const sipProblems = sipSettingProblems(config);
  if (sipProblems.length > 0) {
    refuse(output, format, log, `SIP mode (TRANSPORT=sip) cannot take calls: ${sipProblems.join('; ')}.`);
    return false;
  }
  const findings = await runStartUpChecks(config, clockFromEnvironment(), { twilio });
  const failures = findings.filter(({ report }) => report.status === 'fail');
  for (const { report, retiringModels } of findings) {
    if (retiringModels) {
      for (const warning of retiringModels) log.warn(warning.line, warning.fields);
    } else if (format === 'json') {
      log[report.status === 'fail' ? 'error' : 'warn'](`${report.title}: ${report.summary}`, { check: report.id, status: report.status, fix: report.fix });
    } else {
      output.out(renderCheckLine(report, output.chalk));
    }
  }
  if (failures.length === 0) return true;
  // Counted as the doctor counts them: no .env is one problem, not one per variable it leaves unset.
  const reports = findings.map(({ report }) => report);
  const problems = countProblems(reports);
  refuse(
    output,
    format,
    log,
    `${problems} problem${problems === 1 ? '' : 's'} would make calls fail.${consequencesText(reports)} Fix ${problems === 1 ? 'it' : 'them'} and start again (${voicebridgeCommand('doctor')} explains everything), or use --skip-checks if you are sure.`,
  );
  return false;
}

function refuse(output: Output, format: LogFormat, log: BridgeLog, message: string): void {
  if (format === 'json') log.error(`voicebridge serve did not start: ${message}`);
  else output.err(`${output.chalk.red.bold('voicebridge serve did not start:')} ${message}`);
}

/**
 * Where serve listens: --host, else what an embedding command asks, else HOST, else this machine only with the
 * browser phone (its page must not be reachable from the network unless the user says so), else every interface for
 * Twilio's calls in production: undefined, Node's own default, which takes IPv4 and IPv6 alike.
 */
function listenHost(flag: string | undefined, embedded: string | undefined, configured: string | undefined, phone: boolean): string | undefined {
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--host needs an address, e.g. --host 127.0.0.1 or --host 0.0.0.0');
  const chosen = [flag, embedded, configured].map((value) => value?.trim()).find((value) => value !== undefined && value !== '');
  return chosen ?? (phone ? '127.0.0.1' : undefined);
}

/** The host as it is written in a URL this machine's browser opens: an address of every interface means this one. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function startFailure(error: unknown, config: Config, host: string): string {
  if (error instanceof BridgeStartError || error instanceof PublicUrlError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  const port = config.port ?? DEFAULT_PORT;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot listen on ${host}: it is not an address of this machine. Set --host (or HOST) to one of its addresses, 127.0.0.1 or 0.0.0.0.`;
  }
  if (code === 'EADDRINUSE') return `port ${port} is already in use. Stop what holds it, or set another PORT (or pass --port).`;
  if (code === 'EACCES') return `port ${port} needs administrator rights. Use a port above 1023, e.g. PORT=5000.`;
  return (error as Error).message;
}

function announce(server: BridgeServer, brain: Brain, config: Config, format: LogFormat, output: Output, log: BridgeLog, host: string, phoneUrl: string | undefined, setup: ServeSetup): void {
  const voice =
    config.openai.voiceEngine === 'live'
      ? `OpenAI GPT-Live ${DEFAULT_LIVE_MODEL} (your agent as its delegate), voice ${config.openai.voice}`
      : `OpenAI Realtime ${config.openai.realtimeModel}, voice ${config.openai.voice}`;
  if (format === 'json') {
    log.info('Listening', {
      port: server.port,
      host,
      webhookUrl: server.urls?.incomingCall ?? null,
      mediaStreamUrl: server.urls?.mediaStream ?? null,
      ...(server.openAIWebhookUrl !== undefined ? { transport: 'sip', openAIWebhookUrl: server.openAIWebhookUrl, sipUri: sipUri(config) } : {}),
      ...(phoneUrl ? { phoneUrl } : {}),
      backend: brain.backend,
      agent: brain.describe(),
      voice,
      maxCalls: config.calls.maxCalls ?? null,
      agentTimeoutMs: config.calls.agentTimeoutMs,
      transferNumber: config.calls.transferNumber ?? null,
      drainTimeoutMs: config.calls.drainTimeoutMs,
    });
    for (const note of setup.notes?.(server) ?? []) log.info(note.trim());
    return;
  }
  const { chalk } = output;
  output.out(chalk.bold('voicebridge serve'));
  output.out(`  Listening on     http://${urlHostAsWritten(host)}:${server.port}  (health: /healthz, ready: /readyz, metrics: /metrics)`);
  if (server.urls) {
    output.out(`  Twilio webhook   ${chalk.cyan(server.urls.incomingCall)}  (the number's voice URL, HTTP POST)`);
    // Twilio opens only wss:// streams, so the TwiML says wss:// even for an http:// WEBHOOK_URL; the banner says what
    // that setup is rather than show a wss:// address nothing serves as if it were the one in use.
    const localOnly = server.urls.base.startsWith('http://')
      ? chalk.dim(' (in the TwiML; WEBHOOK_URL is http://, a local-only setup: voicebridge call reaches this port directly, Twilio could not)')
      : '';
    output.out(`  Media stream     ${server.urls.mediaStream}${localOnly}`);
  } else {
    if (server.openAIWebhookUrl !== undefined) {
      output.out(`  OpenAI webhook   ${chalk.cyan(server.openAIWebhookUrl)}  (realtime.call.incoming / live.transport.incoming)`);
      output.out(`  SIP trunk        ${sipUri(config)}  (the Elastic SIP Trunk's origination URI)`);
    } else {
      output.out(`  Twilio           not served: TWILIO_AUTH_TOKEN and WEBHOOK_URL are not both set (the browser phone needs neither)`);
    }
  }
  if (phoneUrl) output.out(`  Browser phone    ${chalk.cyan(phoneUrl)}  (open it, click Call; the #token is this run's key)`);
  output.out(`  Agent            ${brain.describe()}`);
  output.out(`  Voice            ${voice}`);
  output.out(`  Calls            ${describeCallPolicy(config)}`);
  if (config.outbound.apiKey) {
    // Calls are placed and answered through Media Streams: without them (SIP mode, the browser phone alone) the calls
    // API is not there, and the banner must not announce it.
    output.out(
      server.urls
        ? `  Outbound calls   POST /calls and voicebridge dial (VOICEBRIDGE_API_KEY), at most ${config.outbound.ratePerMinute} placed a minute`
        : `  Outbound calls   off: VOICEBRIDGE_API_KEY is set, but calls are placed only when serve takes Twilio's calls through Media Streams (TRANSPORT=media-streams, the default, with TWILIO_AUTH_TOKEN and WEBHOOK_URL)`,
    );
  }
  for (const note of setup.notes?.(server) ?? []) output.out(note);
  output.out(chalk.green('Waiting for calls.') + chalk.dim(' Ctrl+C to stop.'));
}

/** Where a SIP trunk sends calls for OpenAI to answer. */
function sipUri(config: Config): string {
  return openAISipUri(config.sip.projectId ?? '<OPENAI_PROJECT_ID>');
}

/** The listening address as given, bracketed when it is an IPv6 address. */
function urlHostAsWritten(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** One line on how calls are run: the limit, the agent's deadline, where a failing call goes, the drain time. */
function describeCallPolicy(config: Config): string {
  const { maxCalls, agentTimeoutMs, transferNumber, drainTimeoutMs } = config.calls;
  return [
    maxCalls === undefined ? 'no limit (MAX_CALLS)' : `at most ${maxCalls} at once`,
    `agent timeout ${formatSeconds(agentTimeoutMs)}`,
    transferNumber ? `transfer to ${transferNumber} when the agent keeps failing` : 'goodbye and hang-up when the agent keeps failing',
    `drain ${formatSeconds(drainTimeoutMs)}`,
  ].join(', ');
}
