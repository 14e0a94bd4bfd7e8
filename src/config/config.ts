// The one typed configuration object every command receives. Parsed once, at the edge, with zod.
// Values are kept as the user wrote them (the doctor must see stray quotes and spaces); derived values sit beside them.
import { z } from 'zod';
import { phoneNumberProblem } from '../knowledge/twilio-ids.js';
import {
  DEFAULT_AGENT_TIMEOUT_MS,
  DEFAULT_ASSISTANT_MODEL,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_PREWARM_TIMEOUT_MS,
  DEFAULT_TOOL_TIMEOUT_MS,
  DEFAULT_GREETING,
  DEFAULT_OPENAI_BASE_URL,
  DEFAULT_PORT,
  DEFAULT_REALTIME_MODEL,
  DEFAULT_TRANSCRIBE_MODEL,
  DEFAULT_TWILIO_API_BASE_URL,
  DEFAULT_VOICE,
  DEFAULT_VOICE_ENGINE,
  DEFAULT_DIAL_RATE_PER_MINUTE,
  DEFAULT_TRANSPORT,
  TRANSPORTS,
  VOICE_ENGINES,
  type TransportName,
  type VoiceEngineName,
} from './defaults.js';
import type { EnvFileSnapshot } from './env-file.js';

/** Every variable voicebridge reads. Anything else in the environment is ignored. */
export const ENV_KEYS = [
  'OPENAI_API_KEY',
  'ASSISTANT_ID',
  'AGENT_WORKFLOW_ID',
  'ASSISTANT_INSTRUCTIONS_FILE',
  'ASSISTANT_MODEL',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_KEY',
  'TWILIO_API_SECRET',
  'TWILIO_PHONE_NUMBER',
  'WEBHOOK_URL',
  'MEDIA_STREAM_URL',
  'PORT',
  'OPENAI_BASE_URL',
  'TWILIO_API_BASE_URL',
  'OPENAI_REALTIME_MODEL',
  'OPENAI_TRANSCRIBE_MODEL',
  'VOICE',
  'VOICE_ENGINE',
  'GREETING',
  'AGENT_TIMEOUT_MS',
  'TRANSFER_NUMBER',
  'TRANSFER_TARGETS',
  'MAX_CALLS',
  'DRAIN_TIMEOUT_MS',
  'PREWARM_TIMEOUT_MS',
  'NGROK_AUTHTOKEN',
  'TOOLS_URL',
  'TOOLS_SECRET',
  'TOOL_TIMEOUT_MS',
  'TRANSPORT',
  'HOST',
  'OPENAI_WEBHOOK_SECRET',
  'OPENAI_PROJECT_ID',
  'VOICEBRIDGE_API_KEY',
  'DIAL_ALLOWED_PREFIXES',
  'DIAL_RATE_PER_MINUTE',
] as const;
export type EnvKey = (typeof ENV_KEYS)[number];

const optionalString = z.string().optional();

const rawSchema = z.object(Object.fromEntries(ENV_KEYS.map((key) => [key, optionalString])) as Record<EnvKey, typeof optionalString>);

export type RawEnv = Partial<Record<EnvKey, string>>;

export interface Config {
  /** Where each value came from, for messages such as "set in .env" vs "set in your shell". */
  sources: Partial<Record<EnvKey, 'env-file' | 'process'>>;
  raw: RawEnv;
  envFile: EnvFileSnapshot;
  openai: {
    apiKey?: string;
    baseURL: string;
    realtimeModel: string;
    transcribeModel: string;
    voice: string;
    /** VOICE_ENGINE: OpenAI Realtime ('realtime', the default) or GPT-Live ('live'). */
    voiceEngine: VoiceEngineName;
  };
  assistant: {
    /** The assistant/agent ID as written (may carry quotes or spaces: see classifyAssistantId). */
    id?: string;
    /** Which variable the ID came from: AGENT_WORKFLOW_ID is the old name. */
    idVariable?: 'ASSISTANT_ID' | 'AGENT_WORKFLOW_ID';
    instructionsFile?: string;
    model: string;
    greeting: string;
  };
  twilio: {
    accountSid?: string;
    authToken?: string;
    apiKey?: string;
    apiSecret?: string;
    phoneNumber?: string;
    apiBaseURL: string;
  };
  webhookUrl?: string;
  /** This instance's own wss:// address for Media Streams, when instances share WEBHOOK_URL behind a load balancer. */
  mediaStreamUrl?: string;
  /** ngrok's auth token, for `serve --tunnel`. */
  ngrokAuthtoken?: string;
  /** How serve runs calls: deadlines, limits, and where a call goes when the agent keeps failing. */
  calls: {
    /** How long the agent may stay silent on a turn before the caller hears an apology. */
    agentTimeoutMs: number;
    /** E.164 number to transfer a call to when the agent keeps failing; without it such a call ends politely. */
    transferNumber?: string;
    /**
     * TRANSFER_TARGETS: named E.164 destinations the agent may transfer a call to (`sales=+14155550100,…` →
     * `{ sales: '+14155550100' }`). Only well-formed entries are here; the others are config warnings.
     */
    transferTargets: Record<string, string>;
    /** Most calls at once (undefined: no limit); more are turned away politely. */
    maxCalls?: number;
    /** How long a stopping server lets calls in progress finish. */
    drainTimeoutMs: number;
    /** How long a call opened ahead by its webhook waits for its stream; 0: open nothing before the stream. */
    prewarmTimeoutMs: number;
  };
  /** Where the agent's own function calls go during a call (see src/call/tools-endpoint.ts). */
  tools: {
    /**
     * TOOLS_URL, trimmed: set only when it is an http(s) URL and TOOLS_SECRET is set too, so a request is never sent
     * unsigned. Undefined: the agent's own functions are not answered on calls (a warning says why when it was set).
     */
    url?: string;
    /** TOOLS_SECRET: the HMAC key that signs each request. A secret: it is in `secrets`, masked everywhere. */
    secret?: string;
    /** TOOL_TIMEOUT_MS: how long one function call may take before the agent hears that it failed. */
    timeoutMs: number;
  };
  /** TRANSPORT: how calls reach serve: Twilio Media Streams through this process (the default), or OpenAI's SIP. */
  transport: TransportName;
  /** HOST: the interface serve listens on, as written; undefined lets the command choose (see serve). */
  host?: string;
  /** OpenAI's SIP side: OpenAI answers the call, serve accepts and steers it (TRANSPORT=sip). */
  sip: {
    /** OPENAI_WEBHOOK_SECRET (`whsec_…`): verifies OpenAI's webhooks. A secret: masked everywhere. */
    webhookSecret?: string;
    /** OPENAI_PROJECT_ID (`proj_…`): the project whose SIP address the trunk points at. */
    projectId?: string;
  };
  /** Calls serve places (`voicebridge dial`, POST /calls). */
  outbound: {
    /** VOICEBRIDGE_API_KEY: the bearer key of POST /calls; undefined: the route does not exist. A secret. */
    apiKey?: string;
    /** DIAL_ALLOWED_PREFIXES as written (`+1,+44`); undefined: the default (see the outbound transport). */
    allowedPrefixes?: string;
    /** DIAL_RATE_PER_MINUTE: most calls placed in any minute. */
    ratePerMinute: number;
  };
  /** The port to listen on, or undefined when PORT is not a valid port number (see portProblem). */
  port?: number;
  portProblem?: string;
  /** Things the user should know that are not errors (e.g. an old variable name). */
  warnings: string[];
  /** Every secret value in play, for masking output. */
  secrets: string[];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** A whole number of milliseconds or calls; a wrong value falls back to the default with a warning saying so. */
function parseCount(key: EnvKey, raw: string | undefined, fallback: number | undefined, min: number, unit: string, warnings: string[]): number | undefined {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim();
  if (/^\d+$/.test(value) && Number(value) >= min && Number.isSafeInteger(Number(value))) return Number(value);
  const instead = fallback === undefined ? 'no limit is applied' : `${fallback} is used`;
  warnings.push(`${key}=${raw} is not a whole number of ${unit} (at least ${min}); ${instead}. Fix ${key} in .env.`);
  return fallback;
}

function parseTransferNumber(raw: string | undefined, warnings: string[]): string | undefined {
  const value = nonEmpty(raw)?.trim();
  if (value === undefined) return undefined;
  const problem = phoneNumberProblem(value);
  if (!problem) return value;
  warnings.push(`TRANSFER_NUMBER=${value} ${problem}; calls whose agent keeps failing will be ended instead of transferred. Fix TRANSFER_NUMBER in .env.`);
  return undefined;
}

/** A name a caller's transfer can be asked by: letters, digits, `_` and `-`, starting with a letter or digit. */
const TARGET_NAME = /^[A-Za-z0-9][\w-]*$/;

export interface TransferTargetProblem {
  /** The entry as written, e.g. `sales=415-555-0100`. */
  entry: string;
  /** What is wrong with it, as a phrase that follows the entry. */
  problem: string;
}

/**
 * Reads TRANSFER_TARGETS (`sales=+14155550100,support=+14155550101`): the well-formed entries, and what is wrong with
 * each of the others. Shared by the config (warnings) and the doctor (a failed check), so both judge alike.
 */
export function parseTransferTargets(raw: string | undefined): { targets: Record<string, string>; problems: TransferTargetProblem[] } {
  const targets: Record<string, string> = {};
  const problems: TransferTargetProblem[] = [];
  for (const part of (raw ?? '').split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    if (equals < 0) {
      problems.push({ entry, problem: 'has no name: write it as name=+E.164 number, e.g. sales=+14155550100' });
      continue;
    }
    const name = entry.slice(0, equals).trim();
    const number = entry.slice(equals + 1).trim();
    if (!TARGET_NAME.test(name)) {
      problems.push({ entry, problem: `has the name "${name}": a name is letters, digits, _ and -, e.g. sales` });
      continue;
    }
    if (Object.hasOwn(targets, name)) {
      problems.push({ entry, problem: `names ${name} a second time: the first, ${targets[name]}, is used` });
      continue;
    }
    const problem = phoneNumberProblem(number);
    if (problem) {
      problems.push({ entry, problem: `has the number ${number}, which ${problem}` });
      continue;
    }
    targets[name] = number;
  }
  return { targets, problems };
}

function transferTargets(raw: string | undefined, warnings: string[]): Record<string, string> {
  const { targets, problems } = parseTransferTargets(raw);
  for (const { entry, problem } of problems) {
    warnings.push(`TRANSFER_TARGETS entry ${entry} ${problem}; it is left out, so the agent cannot transfer a call there. Fix TRANSFER_TARGETS in .env.`);
  }
  return targets;
}

/** The tools endpoint, usable only with both an http(s) URL and a secret to sign with; a warning says why not. */
function toolsSettings(raw: RawEnv, warnings: string[]): Config['tools'] {
  const timeoutMs = parseCount('TOOL_TIMEOUT_MS', raw.TOOL_TIMEOUT_MS, DEFAULT_TOOL_TIMEOUT_MS, 100, 'milliseconds', warnings) ?? DEFAULT_TOOL_TIMEOUT_MS;
  const secret = nonEmpty(raw.TOOLS_SECRET);
  const value = nonEmpty(raw.TOOLS_URL)?.trim();
  if (value === undefined) return { secret, timeoutMs };
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    warnings.push(`TOOLS_URL is not an http(s) URL, so the agent's own functions are not answered on calls. Fix TOOLS_URL in .env (e.g. https://api.example.com/voicebridge/tools).`);
    return { secret, timeoutMs };
  }
  if (secret === undefined || secret.trim() === '') {
    warnings.push(
      "TOOLS_URL is set but TOOLS_SECRET is not: requests to it could not be signed, so the agent's own functions are not answered on calls. " +
        'Set TOOLS_SECRET in .env (e.g. the output of: openssl rand -hex 32).',
    );
    return { timeoutMs };
  }
  return { url: value, secret, timeoutMs };
}

function parseVoiceEngine(raw: string | undefined, warnings: string[]): VoiceEngineName {
  const value = nonEmpty(raw)?.trim().toLowerCase();
  if (value === undefined) return DEFAULT_VOICE_ENGINE;
  if ((VOICE_ENGINES as readonly string[]).includes(value)) return value as VoiceEngineName;
  warnings.push(`VOICE_ENGINE=${raw} is not a voice engine (realtime or live); ${DEFAULT_VOICE_ENGINE} is used. Fix VOICE_ENGINE in .env.`);
  return DEFAULT_VOICE_ENGINE;
}

function parseTransport(raw: string | undefined, warnings: string[]): TransportName {
  const value = nonEmpty(raw)?.trim().toLowerCase();
  if (value === undefined) return DEFAULT_TRANSPORT;
  if ((TRANSPORTS as readonly string[]).includes(value)) return value as TransportName;
  warnings.push(`TRANSPORT=${raw} is not a transport (${TRANSPORTS.join(' or ')}); ${DEFAULT_TRANSPORT} is used. Fix TRANSPORT in .env.`);
  return DEFAULT_TRANSPORT;
}

function parsePort(raw: string | undefined): { port?: number; problem?: string } {
  if (raw === undefined || raw.trim() === '') return { port: DEFAULT_PORT };
  const port = z.coerce.number().int().min(1).max(65535).safeParse(raw.trim());
  if (!port.success || !/^\d+$/.test(raw.trim())) return { problem: `PORT=${raw} is not a port number (1–65535)` };
  return { port: port.data };
}

/**
 * Builds the config from the .env file and the process environment.
 * The process environment wins over the file, as with dotenv, so a variable exported in the shell is what runs.
 */
export function buildConfig(envFile: EnvFileSnapshot, processEnv: NodeJS.ProcessEnv): Config {
  const merged: Record<string, string> = {};
  const sources: Config['sources'] = {};
  for (const key of ENV_KEYS) {
    if (processEnv[key] !== undefined) {
      merged[key] = processEnv[key];
      sources[key] = 'process';
    } else if (envFile.values[key] !== undefined) {
      merged[key] = envFile.values[key];
      sources[key] = 'env-file';
    }
  }
  const raw: RawEnv = rawSchema.parse(merged);
  const warnings: string[] = [];

  let id = nonEmpty(raw.ASSISTANT_ID);
  let idVariable: Config['assistant']['idVariable'] = id ? 'ASSISTANT_ID' : undefined;
  if (nonEmpty(raw.AGENT_WORKFLOW_ID) !== undefined) {
    if (id === undefined) {
      id = raw.AGENT_WORKFLOW_ID;
      idVariable = 'AGENT_WORKFLOW_ID';
      warnings.push('AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID: rename it to ASSISTANT_ID.');
    } else {
      warnings.push('Both ASSISTANT_ID and the old AGENT_WORKFLOW_ID are set; ASSISTANT_ID is used. Remove AGENT_WORKFLOW_ID.');
    }
  }
  const { port, problem: portProblem } = parsePort(raw.PORT);
  const secrets = [raw.OPENAI_API_KEY, raw.TWILIO_AUTH_TOKEN, raw.TWILIO_API_SECRET, raw.NGROK_AUTHTOKEN, raw.TOOLS_SECRET, raw.OPENAI_WEBHOOK_SECRET, raw.VOICEBRIDGE_API_KEY].filter(
    (value): value is string => typeof value === 'string' && value.trim() !== '',
  );

  return {
    sources,
    raw,
    envFile,
    openai: {
      apiKey: nonEmpty(raw.OPENAI_API_KEY),
      baseURL: (nonEmpty(raw.OPENAI_BASE_URL)?.trim() ?? DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, ''),
      realtimeModel: nonEmpty(raw.OPENAI_REALTIME_MODEL)?.trim() ?? DEFAULT_REALTIME_MODEL,
      transcribeModel: nonEmpty(raw.OPENAI_TRANSCRIBE_MODEL)?.trim() ?? DEFAULT_TRANSCRIBE_MODEL,
      voice: nonEmpty(raw.VOICE)?.trim() ?? DEFAULT_VOICE,
      voiceEngine: parseVoiceEngine(raw.VOICE_ENGINE, warnings),
    },
    assistant: {
      id,
      idVariable,
      instructionsFile: nonEmpty(raw.ASSISTANT_INSTRUCTIONS_FILE)?.trim(),
      model: nonEmpty(raw.ASSISTANT_MODEL)?.trim() ?? DEFAULT_ASSISTANT_MODEL,
      greeting: nonEmpty(raw.GREETING) ?? DEFAULT_GREETING,
    },
    twilio: {
      accountSid: nonEmpty(raw.TWILIO_ACCOUNT_SID),
      authToken: nonEmpty(raw.TWILIO_AUTH_TOKEN),
      apiKey: nonEmpty(raw.TWILIO_API_KEY),
      apiSecret: nonEmpty(raw.TWILIO_API_SECRET),
      phoneNumber: nonEmpty(raw.TWILIO_PHONE_NUMBER),
      apiBaseURL: (nonEmpty(raw.TWILIO_API_BASE_URL)?.trim() ?? DEFAULT_TWILIO_API_BASE_URL).replace(/\/+$/, ''),
    },
    webhookUrl: nonEmpty(raw.WEBHOOK_URL),
    mediaStreamUrl: nonEmpty(raw.MEDIA_STREAM_URL),
    ngrokAuthtoken: nonEmpty(raw.NGROK_AUTHTOKEN)?.trim(),
    calls: {
      agentTimeoutMs: parseCount('AGENT_TIMEOUT_MS', raw.AGENT_TIMEOUT_MS, DEFAULT_AGENT_TIMEOUT_MS, 100, 'milliseconds', warnings) ?? DEFAULT_AGENT_TIMEOUT_MS,
      transferNumber: parseTransferNumber(raw.TRANSFER_NUMBER, warnings),
      transferTargets: transferTargets(raw.TRANSFER_TARGETS, warnings),
      maxCalls: parseCount('MAX_CALLS', raw.MAX_CALLS, undefined, 1, 'calls', warnings),
      drainTimeoutMs: parseCount('DRAIN_TIMEOUT_MS', raw.DRAIN_TIMEOUT_MS, DEFAULT_DRAIN_TIMEOUT_MS, 0, 'milliseconds', warnings) ?? DEFAULT_DRAIN_TIMEOUT_MS,
      prewarmTimeoutMs:
        parseCount('PREWARM_TIMEOUT_MS', raw.PREWARM_TIMEOUT_MS, DEFAULT_PREWARM_TIMEOUT_MS, 0, 'milliseconds', warnings) ?? DEFAULT_PREWARM_TIMEOUT_MS,
    },
    tools: toolsSettings(raw, warnings),
    transport: parseTransport(raw.TRANSPORT, warnings),
    host: nonEmpty(raw.HOST)?.trim(),
    sip: {
      webhookSecret: nonEmpty(raw.OPENAI_WEBHOOK_SECRET)?.trim(),
      projectId: nonEmpty(raw.OPENAI_PROJECT_ID)?.trim(),
    },
    outbound: {
      apiKey: nonEmpty(raw.VOICEBRIDGE_API_KEY)?.trim(),
      allowedPrefixes: nonEmpty(raw.DIAL_ALLOWED_PREFIXES)?.trim(),
      ratePerMinute:
        parseCount('DIAL_RATE_PER_MINUTE', raw.DIAL_RATE_PER_MINUTE, DEFAULT_DIAL_RATE_PER_MINUTE, 1, 'calls', warnings) ?? DEFAULT_DIAL_RATE_PER_MINUTE,
    },
    port,
    portProblem,
    warnings,
    secrets,
  };
}
