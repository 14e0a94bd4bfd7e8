// Provisions what calls over SIP need, idempotently: a Twilio Elastic SIP trunk with secure media (SRTP) and transfers
// enabled, whose origination URL is this project's SIP address, with TWILIO_PHONE_NUMBER on it; and an OpenAI webhook
// endpoint at WEBHOOK_URL/openai-webhook subscribed to the event the voice engine needs, whose signing secret goes into
// .env as OPENAI_WEBHOOK_SECRET.
//
// Everything is read first and every change planned before the first one is made, so that a run that cannot finish
// (an event the project cannot subscribe to, a .env that cannot be edited) stops with nothing changed, and a dry run
// shows exactly what a real run would do. What exists is changed in place, never duplicated; nothing is deleted.
// A second run finds everything as the first left it and changes nothing.
import { voicebridgeCommand } from '../../util/invocation.js';
import { isLocalOnlyHost, unreachableHostReason } from '../../knowledge/public-host.js';
import { resolve } from 'node:path';
import type OpenAI from 'openai';
import type { Twilio } from 'twilio';
import { createOpenAIClient } from '../../clients/openai-client.js';
import { createTwilioClient } from '../../clients/twilio-client.js';
import { checkWritable, NotWritableError, type AtomicWriteOptions } from '../../config/atomic-write.js';
import type { Config } from '../../config/config.js';
import { DEFAULT_ENV_FILE } from '../../config/defaults.js';
import { EnvEditRefusedError, planEnvEdits, updateEnvFile, type EnvEdit } from '../../config/env-editor.js';
import { acquireEnvLock, EnvBusyError, type EnvLock } from '../../config/env-lock.js';
import type { DiffHunk } from '../../config/line-diff.js';
import { loadConfig } from '../../config/load-config.js';
import { OPENAI_WEBHOOK_PATH, openAIWebhookUrl } from '../../config/webhook-urls.js';
import { classifyOpenAIError, describeBaseURL, describeKeyOrConnectionFailure } from '../../knowledge/openai-failure.js';
import { openAISipUri, parseOpenAISipUri, projectIdProblem, sipWebhookEvent, webhookSecretProblem } from '../../knowledge/openai-sip.js';
import { describeTwilioError, genericTwilioFailure, twilioErrorLabel } from '../../knowledge/twilio-failure.js';
import { phoneNumberProblem } from '../../knowledge/twilio-ids.js';
import { maskSecret, redactSecrets } from '../../util/mask-secret.js';
import { sameUrl } from '../../util/same-url.js';
import {
  SILENT_SETUP_OBSERVER,
  SIP_TRUNK_NAME,
  WEBHOOK_ENDPOINT_NAME,
  type SetupChange,
  type SetupSipObserver,
  type SetupSipProblem,
  type SetupSipResult,
  type SipWebhookState,
} from './setup-sip-result.js';

export interface SetupSipOptions {
  envFile?: string;
  dryRun?: boolean;
}

export interface SetupSipDependencies {
  /** The shell's environment: its values win over .env, as everywhere else. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  observer?: SetupSipObserver;
  /** File-system hooks for writing .env (tests make a step fail). */
  writeOptions?: AtomicWriteOptions;
  timeoutMs?: number;
}

/** The transfer setting that lets the agent hand a call on (SIP REFER): enabled for every destination. */
export const SIP_TRANSFER_MODE = 'enable-all';
const ENV_KEY = 'OPENAI_WEBHOOK_SECRET';
/** Stands for a secret that does not exist yet (a dry run); plain, so the editor writes it like a real one. */
export const NEW_SECRET_PLACEHOLDER = 'whsec_NEW_SECRET_FROM_OPENAI';

export function setupSipEnvPath(options: SetupSipOptions, cwd: string): string {
  return resolve(cwd, options.envFile ?? DEFAULT_ENV_FILE);
}

/** The run's facts so far, and how it ends. */
class Run {
  readonly result: SetupSipResult;
  constructor(envFile: string, dryRun: boolean, config: Pick<Config, 'openai' | 'transport'>) {
    const engine = config.openai.voiceEngine;
    this.result = { ok: false, dryRun, envFile, engine, event: sipWebhookEvent(engine), transport: config.transport, unavailableEvents: [], changes: [], warnings: [] };
  }
  stop(error: SetupSipProblem): SetupSipResult {
    this.result.ok = false;
    this.result.error = error;
    return this.result;
  }
  done(): SetupSipResult {
    this.result.ok = true;
    return this.result;
  }
}

/** Sets up (or, with dryRun, plans) the trunk, the number and the webhook endpoint, and writes the secret into .env. */
export async function setupSip(options: SetupSipOptions, dependencies: SetupSipDependencies): Promise<SetupSipResult> {
  const envPath = setupSipEnvPath(options, dependencies.cwd);
  const observer = dependencies.observer ?? SILENT_SETUP_OBSERVER;
  const dryRun = options.dryRun === true;
  const config = loadConfig({ envFile: options.envFile, cwd: dependencies.cwd, env: dependencies.env });
  observer.secrets(config.secrets);
  const run = new Run(envPath, dryRun, config);

  // The file itself first: its settings are missing because it cannot be read, or is not there.
  if (config.envFile.error) {
    return run.stop({ kind: 'env-unreadable', summary: `cannot read ${envPath}: ${config.envFile.error}`, fix: 'Make the file readable by this user, or point --env at another file. Nothing was changed.' });
  }
  const missing = missingSettings(config);
  if (missing.length > 0) {
    const noFile = !config.envFile.found && config.envFile.explicit;
    return run.stop({
      kind: 'missing-settings',
      summary: noFile
        ? `${envPath} does not exist, and setup-sip needs ${missing.map((problem) => problem.key).join(', ')}`
        : `setup-sip needs ${missing.map((problem) => problem.key).join(', ')}`,
      detail: missing.map((problem) => problem.text),
      fix: noFile
        ? 'Check the path given to --env (it is relative to the current folder), or create that file with these settings; then run this command again. Nothing was changed.'
        : `Set ${missing.length === 1 ? 'it' : 'them'} in ${envPath}, then run this command again. Nothing was changed.`,
    });
  }

  // The secret ends in .env: a run that could not write it must stop before it changes anything.
  try {
    await checkWritable(envPath, dependencies.writeOptions);
  } catch (error) {
    if (!(error instanceof NotWritableError)) throw error;
    if (!dryRun) {
      return run.stop({ kind: 'env-not-writable', summary: `${envPath} cannot be changed: ${error.reason}`, fix: `${error.fix}, then run this command again. Nothing was changed.` });
    }
    run.result.warnings.push(`${envPath} cannot be changed: ${error.reason}, so the real run would stop before changing anything. ${error.fix} first.`);
  }
  if (dryRun) return setupUnderLock(config, dependencies, run, observer);

  let lock: EnvLock;
  try {
    lock = await acquireEnvLock(envPath, { command: 'setup-sip' });
  } catch (error) {
    if (!(error instanceof EnvBusyError)) throw error;
    return run.stop({ kind: 'env-busy', summary: error.message, detail: ['Nothing was changed.'], fix: `${error.fix}.` });
  }
  try {
    return await setupUnderLock(config, dependencies, run, observer);
  } finally {
    await lock.release();
  }
}

interface MissingSetting {
  key: string;
  text: string;
}

/** Every setting the run needs and lacks, or holds in a shape no service would accept. Secrets are never repeated. */
function missingSettings(config: Config): MissingSetting[] {
  const problems: MissingSetting[] = [];
  const need = (key: string, value: string | undefined, where: string, problemOf?: (value: string) => string | undefined) => {
    if (value === undefined || value.trim() === '') {
      problems.push({ key, text: `${key} is not set: ${where}` });
      return;
    }
    const problem = problemOf?.(value.trim());
    if (problem) problems.push({ key, text: `${key} ${problem}` });
  };
  need('OPENAI_API_KEY', config.openai.apiKey, 'an OpenAI API key of the project, from https://platform.openai.com/api-keys');
  need('OPENAI_PROJECT_ID', config.sip.projectId, 'the project ID (proj_…) from Settings > Project > General on platform.openai.com', projectIdProblem);
  need('TWILIO_ACCOUNT_SID', config.twilio.accountSid, 'AC…, from Account Info at https://console.twilio.com');
  if (config.twilio.authToken === undefined && (config.twilio.apiKey === undefined || config.twilio.apiSecret === undefined)) {
    problems.push({ key: 'TWILIO_AUTH_TOKEN', text: 'TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) is not set: from https://console.twilio.com' });
  }
  need('TWILIO_PHONE_NUMBER', config.twilio.phoneNumber, 'the Twilio number callers dial, in E.164 form (+14155550123)', phoneNumberProblem);
  need('WEBHOOK_URL', config.webhookUrl, 'the public https base URL of voicebridge serve', (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a URL: set it to the public https base URL of voicebridge serve';
    }
    if (url.protocol !== 'https:') return `uses ${url.protocol.replace(':', '')}: OpenAI delivers webhooks to https:// URLs only`;
    // The endpoint would be made at …/openai-webhook/openai-webhook, where serve answers nothing.
    if (/\/openai-webhook\/?$/.test(url.pathname)) return `ends in ${OPENAI_WEBHOOK_PATH}: set it to the base URL of voicebridge serve (setup-sip adds ${OPENAI_WEBHOOK_PATH} itself)`;
    // An endpoint OpenAI cannot reach would be made, and every call's webhook lost: say so before anything is created.
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    return isLocalOnlyHost(hostname)
      ? `points at ${url.host}, which OpenAI cannot reach (${unreachableHostReason(hostname) ?? 'a local address'}): set it to serve's public https address, e.g. a tunnel's (${voicebridgeCommand('serve --tunnel')})`
      : undefined;
  });
  return problems;
}

/** A trunk as the run sees it. */
interface TrunkView {
  sid: string;
  friendlyName: string;
  secure: boolean;
  transferMode: string;
}

interface OriginationView {
  sid: string;
  sipUrl: string;
  enabled: boolean;
  priority: number;
  weight: number;
  friendlyName: string;
}

/** One change to make: its description, and the call that makes it. */
interface Step {
  change: SetupChange;
  apply(): Promise<void>;
}

async function setupUnderLock(config: Config, dependencies: SetupSipDependencies, run: Run, observer: SetupSipObserver): Promise<SetupSipResult> {
  const result = run.result;
  const envPath = result.envFile;
  const projectId = config.sip.projectId!.trim();
  const phoneNumber = config.twilio.phoneNumber!.trim();
  const sipUri = openAISipUri(projectId);
  const webhookUrl = openAIWebhookUrl(config.webhookUrl!);
  const timeoutMs = dependencies.timeoutMs ?? 15_000;
  const steps: Step[] = [];

  if (config.sources.OPENAI_WEBHOOK_SECRET === 'process') {
    result.warnings.push(`${ENV_KEY} is also set in your shell environment, which wins over ${envPath}: unset it (unset ${ENV_KEY}) so that the secret written here is used.`);
  }

  // ---- Twilio: read the number, the trunks and their origination URLs.
  const twilio = await createTwilioClient(config, { timeoutMs });
  let twilioPlan: TwilioPlan;
  try {
    const planned = await observer.wait('Reading the number and the SIP trunks on Twilio…', () => planTwilio(twilio, { phoneNumber, sipUri, projectId }, steps, result));
    if ('error' in planned) return run.stop(planned.error);
    twilioPlan = planned;
  } catch (error) {
    return run.stop(twilioProblem(error, config, 'reading the number and the trunks', []));
  }

  // ---- OpenAI: what can be subscribed, and the endpoints there are.
  const openai = await createOpenAIClient(config, { timeoutMs, maxRetries: 2, project: projectId });
  let webhookPlan: WebhookPlan;
  try {
    const planned = await observer.wait('Reading the webhook endpoints on OpenAI…', () => planWebhook(openai, { webhookUrl, config, event: result.event }, steps, result));
    if ('error' in planned) return run.stop(planned.error);
    webhookPlan = planned;
  } catch (error) {
    return run.stop(await openAIProblem(error, config, 'reading the webhook endpoints', [], timeoutMs));
  }
  result.webhook = webhookPlan.state;

  // ---- .env: the secret's line, checked now so that an unwritable line stops the run before anything changes.
  const envText = config.envFile.text ?? '';
  const secretEdits = (secret: string): EnvEdit[] => [{ action: 'set', key: ENV_KEY, value: secret, after: 'OPENAI_PROJECT_ID' }];
  if (webhookPlan.newSecret) {
    try {
      planEnvEdits(envText, secretEdits(NEW_SECRET_PLACEHOLDER));
    } catch (error) {
      if (!(error instanceof EnvEditRefusedError)) throw error;
      return run.stop({ kind: 'env-unreadable', summary: `${envPath}: ${error.message}`, fix: 'Fix that line by hand, then run this command again. Nothing was changed.' });
    }
  }

  if (result.dryRun) {
    result.changes = steps.map((step) => step.change);
    if (webhookPlan.newSecret) {
      const plan = planEnvEdits(envText, secretEdits(NEW_SECRET_PLACEHOLDER));
      result.changes.push(envChange(envPath, 'would be written'));
      result.env = { written: false, changes: plan.changes, diff: maskHunks(plan.hunks, config.secrets) };
    }
    return run.done();
  }

  // ---- Make the changes, in order. A failure stops the run; what was made stays, and a new run picks up from there.
  const made: SetupChange[] = [];
  for (const step of steps) {
    try {
      await observer.wait(`${step.change.description}…`, () => step.apply());
    } catch (error) {
      result.changes = made;
      const doing = `could not make the change "${step.change.description}"`;
      const problem = step.change.service === 'twilio' ? twilioProblem(error, config, doing, made) : await openAIProblem(error, config, doing, made, timeoutMs);
      return run.stop(problem);
    }
    made.push(step.change);
  }
  result.changes = made;
  if (twilioPlan.createdTrunk && result.trunk) result.trunk.sid = twilioPlan.createdTrunk.sid;

  const secret = webhookPlan.secret();
  if (secret !== undefined) {
    observer.secrets([secret]);
    if (result.webhook) result.webhook.id = webhookPlan.id();
    try {
      const written = await updateEnvFile(envPath, secretEdits(secret), dependencies.writeOptions);
      result.env = { written: written.written, changes: written.changes, diff: maskHunks(written.hunks, [...config.secrets, secret]) };
      if (written.changed) result.changes.push(envChange(envPath, 'written'));
    } catch (error) {
      const why = error instanceof EnvEditRefusedError || error instanceof NotWritableError ? error.message : (error as Error).message;
      return run.stop({
        kind: 'env-not-written',
        summary: `the webhook endpoint's new signing secret could not be written to ${envPath}: ${why}`,
        detail: ['The secret is shown only once, and never printed here.'],
        fix: `Make ${envPath} writable and run this command again: it gives the endpoint a new secret and writes that one.`,
      });
    }
  } else if (result.webhook && result.webhook.id === undefined) {
    result.webhook.id = webhookPlan.id();
  }
  return run.done();
}

function envChange(envPath: string, verb: string): SetupChange {
  return { service: 'env', object: 'env-file', action: 'write', description: `${ENV_KEY} ${verb} to ${envPath}` };
}

function maskHunks(hunks: readonly DiffHunk[], secrets: readonly string[]): DiffHunk[] {
  const mask = (line: string) => redactSecrets(line, secrets).split(NEW_SECRET_PLACEHOLDER).join('<the new secret>');
  return hunks.map((hunk) => ({ ...hunk, removed: hunk.removed.map(mask), added: hunk.added.map(mask) }));
}

// ---------------------------------------------------------------------------------------------------------------------
// Twilio

interface TwilioPlan {
  /** Filled in once the trunk this run creates exists. */
  createdTrunk?: { sid: string };
}

/** Same SIP URI: the scheme and host are case-insensitive, and so is the transport parameter. */
function sameSipUri(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

async function planTwilio(
  client: Twilio,
  target: { phoneNumber: string; sipUri: string; projectId: string },
  steps: Step[],
  result: SetupSipResult,
): Promise<TwilioPlan | { error: SetupSipProblem }> {
  const numbers = (await client.incomingPhoneNumbers.list({ phoneNumber: target.phoneNumber, limit: 20 })).filter((number) => number.phoneNumber === target.phoneNumber);
  const number = numbers[0];
  if (!number) {
    return {
      error: {
        kind: 'number-not-found',
        summary: `${target.phoneNumber} is not a number on this Twilio account`,
        fix: 'Set TWILIO_PHONE_NUMBER to one of the account’s numbers (Console > Phone Numbers > Manage > Active numbers), then run this command again. Nothing was changed.',
      },
    };
  }

  const trunks: TrunkView[] = (await client.trunking.v1.trunks.list()).map((trunk) => ({
    sid: trunk.sid,
    friendlyName: trunk.friendlyName ?? '',
    secure: trunk.secure === true,
    transferMode: trunk.transferMode,
  }));
  const urlsByTrunk = new Map<string, OriginationView[]>();
  for (const trunk of trunks) {
    const urls = await client.trunking.v1.trunks(trunk.sid).originationUrls.list();
    urlsByTrunk.set(
      trunk.sid,
      urls.map((url) => ({ sid: url.sid, sipUrl: url.sipUrl, enabled: url.enabled, priority: url.priority, weight: url.weight, friendlyName: url.friendlyName })),
    );
  }
  const urlsOf = (sid: string) => urlsByTrunk.get(sid) ?? [];
  const pointsHere = (sid: string) => urlsOf(sid).some((url) => sameSipUri(url.sipUrl, target.sipUri));
  const pointsAtOpenAI = (sid: string) => urlsOf(sid).some((url) => parseOpenAISipUri(url.sipUrl) !== undefined);

  // Which trunk to use, so that a second run finds the first run's and nothing is duplicated: one that already sends
  // calls to this project (the number's own first), the number's trunk when it sends calls to OpenAI at all (another
  // project: its address is corrected), one of ours by name; else a new one.
  const onNumber = trunks.find((trunk) => trunk.sid === number.trunkSid);
  const chosen =
    (onNumber && pointsHere(onNumber.sid) ? onNumber : undefined) ??
    trunks.find((trunk) => pointsHere(trunk.sid)) ??
    (onNumber && pointsAtOpenAI(onNumber.sid) ? onNumber : undefined) ??
    trunks.find((trunk) => trunk.friendlyName === SIP_TRUNK_NAME);

  const plan: TwilioPlan = {};
  let trunkSid: () => string;
  if (chosen) {
    trunkSid = () => chosen.sid;
    const update: { secure?: boolean; transferMode?: 'enable-all' } = {};
    const what: string[] = [];
    if (!chosen.secure) {
      update.secure = true;
      what.push('secure media (SRTP): off → on');
    }
    if (chosen.transferMode !== SIP_TRANSFER_MODE) {
      update.transferMode = SIP_TRANSFER_MODE;
      what.push(`transfers: ${chosen.transferMode} → ${SIP_TRANSFER_MODE}`);
    }
    if (what.length > 0) {
      steps.push({
        change: { service: 'twilio', object: 'trunk', action: 'update', id: chosen.sid, description: `Twilio trunk ${chosen.sid} ("${chosen.friendlyName}"): ${what.join(', ')}` },
        apply: async () => void (await client.trunking.v1.trunks(chosen.sid).update(update)),
      });
    }
  } else {
    trunkSid = () => plan.createdTrunk!.sid;
    steps.push({
      change: { service: 'twilio', object: 'trunk', action: 'create', description: `Twilio trunk "${SIP_TRUNK_NAME}" created, with secure media (SRTP) and transfers (${SIP_TRANSFER_MODE})` },
      apply: async () => {
        const created = await client.trunking.v1.trunks.create({ friendlyName: SIP_TRUNK_NAME, secure: true, transferMode: SIP_TRANSFER_MODE });
        plan.createdTrunk = { sid: created.sid };
        const change = steps.find((step) => step.change.object === 'trunk')!.change;
        change.id = created.sid;
        change.description = `Twilio trunk ${created.sid} ("${SIP_TRUNK_NAME}") created, with secure media (SRTP) and transfers (${SIP_TRANSFER_MODE})`;
      },
    });
  }

  // The origination URL: this project's SIP address, enabled. One for another project is corrected rather than doubled.
  const urls = chosen ? urlsOf(chosen.sid) : [];
  const exact = urls.find((url) => sameSipUri(url.sipUrl, target.sipUri));
  const openAIUrl = exact ?? urls.find((url) => parseOpenAISipUri(url.sipUrl) !== undefined);
  const urlName = `OpenAI ${target.projectId}`;
  if (openAIUrl && (!exact || !openAIUrl.enabled)) {
    const what = [
      ...(exact ? [] : [`${openAIUrl.sipUrl} → ${target.sipUri}`]),
      ...(openAIUrl.enabled ? [] : ['disabled → enabled']),
    ];
    steps.push({
      change: { service: 'twilio', object: 'origination-url', action: 'update', id: openAIUrl.sid, description: `origination URL ${openAIUrl.sid}: ${what.join(', ')}` },
      apply: async () => void (await client.trunking.v1.trunks(trunkSid()).originationUrls(openAIUrl.sid).update({ sipUrl: target.sipUri, enabled: true })),
    });
  } else if (!openAIUrl) {
    steps.push({
      change: { service: 'twilio', object: 'origination-url', action: 'create', description: `origination URL ${target.sipUri} added to the trunk` },
      apply: async () =>
        void (await client.trunking.v1.trunks(trunkSid()).originationUrls.create({ sipUrl: target.sipUri, friendlyName: urlName, priority: 10, weight: 10, enabled: true })),
    });
  }
  for (const other of urls) {
    if (other === openAIUrl || !other.enabled || parseOpenAISipUri(other.sipUrl) !== undefined) continue;
    result.warnings.push(
      `The trunk also sends calls to ${other.sipUrl} (priority ${other.priority}, weight ${other.weight}): Twilio tries the lowest priority first and shares ` +
        'calls by weight, so some calls may not reach OpenAI. Remove or disable it in Console > Elastic SIP Trunking > Trunks > Origination if it is not wanted.',
    );
  }

  // The number: on this trunk. Attached when it is on none; moved (on the number itself) when it is on another.
  if (!chosen || number.trunkSid !== chosen.sid) {
    const previous = number.trunkSid || null;
    if (previous === null) {
      steps.push({
        change: { service: 'twilio', object: 'phone-number', action: 'attach', id: number.sid, description: `${target.phoneNumber} attached to the trunk (its voice URL is no longer used)` },
        apply: async () => void (await client.trunking.v1.trunks(trunkSid()).phoneNumbers.create({ phoneNumberSid: number.sid })),
      });
    } else {
      const from = trunks.find((trunk) => trunk.sid === previous);
      steps.push({
        change: {
          service: 'twilio',
          object: 'phone-number',
          action: 'move',
          id: number.sid,
          description: `${target.phoneNumber} moved from trunk ${previous}${from ? ` ("${from.friendlyName}")` : ''} to this one (that trunk itself is left as it is)`,
        },
        apply: async () => void (await client.incomingPhoneNumbers(number.sid).update({ trunkSid: trunkSid() })),
      });
    }
  }
  result.number = { phoneNumber: target.phoneNumber, sid: number.sid, previousTrunkSid: number.trunkSid || null };
  result.trunk = {
    ...(chosen ? { sid: chosen.sid } : {}),
    friendlyName: chosen?.friendlyName ?? SIP_TRUNK_NAME,
    secure: true,
    transferMode: SIP_TRANSFER_MODE,
    originationUrl: target.sipUri,
  };
  return plan;
}

function twilioProblem(error: unknown, config: Config, doing: string, made: readonly SetupChange[]): SetupSipProblem {
  const failure = describeTwilioError(error);
  const detail = madeSoFar(made);
  if (failure.kind === 'authenticate') {
    return {
      kind: 'twilio-error',
      summary: `Twilio rejected the credentials for account ${maskSecret(config.twilio.accountSid?.trim())} (${twilioErrorLabel(failure)} Authenticate)`,
      detail,
      fix: 'Copy TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) again from https://console.twilio.com, then run this command again.',
    };
  }
  const generic = genericTwilioFailure(failure, config);
  return {
    kind: 'twilio-error',
    summary: `${doing}: ${generic.summary}`,
    detail,
    fix: generic.fix.replace('run the doctor again', 'run this command again'),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// OpenAI

interface WebhookPlan {
  state: SipWebhookState;
  /** The endpoint's ID, once it exists. */
  id(): string | undefined;
  /** The new signing secret, once there is one (created or rotated). */
  secret(): string | undefined;
  /** True when .env gets a new secret. */
  newSecret: boolean;
}

/** The event types as the SDK types them; the service may accept more than the SDK's list names. */
type SdkEventTypes = OpenAI.Webhooks.WebhookCreateParams['event_types'];

/**
 * True when the endpoint's hint can be the hint of this secret. The hint shows only parts of the secret, with the
 * rest masked: each visible part must be where it is in the secret. No hint: nothing contradicts the secret.
 */
export function secretMatchesHint(secret: string, hint: string | null | undefined): boolean {
  if (hint === null || hint === undefined || hint.trim() === '') return true;
  const parts = hint.split(/[…*•]+|\.{3,}/).filter((part) => part !== '');
  if (parts.length === 0) return true;
  const first = parts[0]!;
  const last = parts.at(-1)!;
  const startsMasked = /^[…*•.]/.test(hint);
  const endsMasked = /[…*•.]$/.test(hint);
  if (!startsMasked && !secret.startsWith(first)) return false;
  if (!endsMasked && !secret.endsWith(last)) return false;
  return parts.every((part) => secret.includes(part));
}

async function planWebhook(
  client: OpenAI,
  target: { webhookUrl: string; config: Config; event: string },
  steps: Step[],
  result: SetupSipResult,
): Promise<WebhookPlan | { error: SetupSipProblem }> {
  const { webhookUrl, config, event } = target;
  // The SDK's list of event types may lag the service: the service says what this project can subscribe to.
  let available: string[] | undefined;
  try {
    available = (await client.webhooks.eventTypes.list()).data;
  } catch (error) {
    const failure = await classifyOpenAIError(error);
    if (failure.kind !== 'not-found') throw error;
    result.warnings.push(`${describeBaseURL(config)} does not answer GET /webhook_event_types (404), so whether ${event} can be subscribed was not checked beforehand.`);
  }
  if (available !== undefined && !available.includes(event)) {
    result.unavailableEvents = [event];
    const engine = result.engine === 'live' ? 'GPT-Live (VOICE_ENGINE=live)' : 'OpenAI Realtime (VOICE_ENGINE=realtime)';
    return {
      error: {
        kind: 'event-unavailable',
        summary: `this OpenAI project cannot subscribe a webhook endpoint to ${event}, the event ${engine} is offered SIP calls with`,
        detail: [
          `GET /webhook_event_types lists: ${available.length > 0 ? available.join(', ') : '(nothing)'}`,
          'Nothing was changed on Twilio or OpenAI.',
        ],
        fix:
          result.engine === 'live'
            ? 'GPT-Live over SIP is not available to this project yet: use VOICE_ENGINE=realtime, or ask OpenAI for access; then run this command again.'
            : 'SIP calls are not available to this project: check that OPENAI_PROJECT_ID names the project of OPENAI_API_KEY, or ask OpenAI for access; then run this command again.',
      },
    };
  }

  const endpoints: OpenAI.Webhooks.WebhookEndpoint[] = [];
  for await (const endpoint of client.webhooks.list({ limit: 100 })) endpoints.push(endpoint);
  const byUrl = endpoints.filter((endpoint) => sameUrl(endpoint.url, webhookUrl));
  const existing = byUrl.find((endpoint) => endpoint.name === WEBHOOK_ENDPOINT_NAME) ?? byUrl[0] ?? endpoints.find((endpoint) => endpoint.name === WEBHOOK_ENDPOINT_NAME);

  const envSecret = config.sip.webhookSecret?.trim();
  const envSecretUsable = envSecret !== undefined && webhookSecretProblem(envSecret) === undefined;
  let newSecret: string | undefined;
  let createdId: string | undefined;

  if (!existing) {
    steps.push({
      change: { service: 'openai', object: 'webhook-endpoint', action: 'create', description: `OpenAI webhook endpoint "${WEBHOOK_ENDPOINT_NAME}" created: ${webhookUrl}, for ${event}` },
      apply: async () => {
        const created = await client.webhooks.create({ name: WEBHOOK_ENDPOINT_NAME, url: webhookUrl, event_types: [event] as SdkEventTypes });
        createdId = created.id;
        newSecret = created.signing_secret;
        const change = steps.find((step) => step.change.object === 'webhook-endpoint')!.change;
        change.id = created.id;
        change.description = `OpenAI webhook endpoint ${created.id} ("${WEBHOOK_ENDPOINT_NAME}") created: ${webhookUrl}, for ${event}`;
      },
    });
    return { state: { url: webhookUrl, eventTypes: [event], secret: 'created' }, id: () => createdId, secret: () => newSecret, newSecret: true };
  }

  // Existing: its other subscriptions are kept; the URL is corrected (a tunnel that moved); nothing is removed.
  const eventTypes = existing.event_types.includes(event) ? existing.event_types : [...existing.event_types, event];
  const update: { url?: string; event_types?: SdkEventTypes } = {};
  const what: string[] = [];
  if (!sameUrl(existing.url, webhookUrl)) {
    update.url = webhookUrl;
    what.push(`URL ${existing.url} → ${webhookUrl}`);
  }
  if (eventTypes !== existing.event_types) {
    update.event_types = eventTypes as SdkEventTypes;
    what.push(`now also subscribed to ${event}`);
  }
  if (what.length > 0) {
    steps.push({
      change: { service: 'openai', object: 'webhook-endpoint', action: 'update', id: existing.id, description: `OpenAI webhook endpoint ${existing.id} ("${existing.name}"): ${what.join(', ')}` },
      apply: async () => void (await client.webhooks.update(existing.id, update)),
    });
  }
  // Its secret is shown only on creation or rotation: when .env does not hold it, a new one is the only way to get it.
  // The old one stays valid for 24 hours, so that a server still running with it keeps taking calls meanwhile.
  const keep = envSecretUsable && secretMatchesHint(envSecret, existing.signing_secret_hint);
  if (!keep) {
    const why = envSecret === undefined ? `${ENV_KEY} is not set` : !envSecretUsable ? `${ENV_KEY} is not a signing secret` : `${ENV_KEY} is not this endpoint's secret (${existing.signing_secret_hint})`;
    steps.push({
      change: { service: 'openai', object: 'webhook-secret', action: 'rotate', id: existing.id, description: `OpenAI webhook endpoint ${existing.id}: new signing secret (${why}; the old one stays valid for 24 hours)` },
      apply: async () => {
        const rotated = await client.webhooks.rotateSecret(existing.id, { keep_old_secret_active_for_24_hours: true });
        newSecret = rotated.signing_secret;
      },
    });
  }
  return {
    state: { id: existing.id, url: webhookUrl, eventTypes: [...eventTypes], secret: keep ? 'kept' : 'rotated' },
    id: () => existing.id,
    secret: () => newSecret,
    newSecret: !keep,
  };
}

async function openAIProblem(error: unknown, config: Config, doing: string, made: readonly SetupChange[], timeoutMs: number): Promise<SetupSipProblem> {
  const failure = await classifyOpenAIError(error);
  const detail = [`OpenAI said: ${failure.message}`, ...madeSoFar(made)];
  const status = failure.status === undefined ? '' : ` (${failure.status}${failure.code ? ` ${failure.code}` : ''})`;
  if (failure.kind === 'wrong-organization') {
    return {
      kind: 'openai-error',
      summary: `OPENAI_PROJECT_ID (${config.sip.projectId?.trim()}) is not the project of the key ${maskSecret(config.openai.apiKey)}${status}`,
      detail,
      fix: 'Use an API key of that project (https://platform.openai.com/api-keys, with the project selected), or set OPENAI_PROJECT_ID to the key’s project; then run this command again.',
    };
  }
  const known = describeKeyOrConnectionFailure(failure, config, timeoutMs);
  if (known) return { kind: 'openai-error', summary: `${doing}: ${known.summary}`, detail, fix: known.fix };
  return {
    kind: 'openai-error',
    summary: `${doing}: OpenAI answered${status}`,
    detail,
    fix: 'Run this command again; if it persists, check https://status.openai.com. What was already made stays, and a new run picks up from there.',
  };
}

function madeSoFar(made: readonly SetupChange[]): string[] {
  if (made.length === 0) return ['Nothing was changed.'];
  return ['Already done (a new run keeps it and picks up from there):', ...made.map((change) => `  ${change.description}`)];
}
