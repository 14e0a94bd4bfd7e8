// What `setup-sip` hands back: data, not text. The command prints it (for people, or as --json) and `doctor --fix`
// words its own lines from it, so neither depends on how the other says things. No secret is ever in it: the new
// webhook secret reaches .env and nothing else, and the .env diff carries it masked.
import type { EnvChange } from '../../config/env-editor.js';
import type { DiffHunk } from '../../config/line-diff.js';

/** One change to a service or to .env: made, or (dry run) that would be made. */
export interface SetupChange {
  service: 'twilio' | 'openai' | 'env';
  object: 'trunk' | 'origination-url' | 'phone-number' | 'webhook-endpoint' | 'webhook-secret' | 'env-file';
  action: 'create' | 'update' | 'attach' | 'move' | 'rotate' | 'write';
  /** The SID or ID it concerns, once one exists. */
  id?: string;
  /** One line a person reads, e.g. "secure media (SRTP): off → on". */
  description: string;
}

/** The trunk calls take, as it is after the run (or would be, after a dry run). */
export interface SipTrunkState {
  /** Undefined only in a dry run that would create it. */
  sid?: string;
  friendlyName: string;
  secure: boolean;
  transferMode: string;
  originationUrl: string;
}

export interface SipNumberState {
  phoneNumber: string;
  sid: string;
  /** The trunk it was on before the run (null: none); the same as the trunk's SID when it was already there. */
  previousTrunkSid: string | null;
}

export interface SipWebhookState {
  /** Undefined only in a dry run that would create it. */
  id?: string;
  url: string;
  eventTypes: string[];
  /** kept: .env already holds the endpoint's secret; created/rotated: a new one was (or would be) written to .env. */
  secret: 'kept' | 'created' | 'rotated';
}

/** What went wrong, in the words shown to people and in --json's `error`: one line, more lines, what to do. */
export interface SetupSipProblem {
  kind:
    | 'missing-settings'
    | 'env-not-writable'
    | 'env-busy'
    | 'env-unreadable'
    | 'number-not-found'
    | 'event-unavailable'
    | 'twilio-error'
    | 'openai-error'
    | 'env-not-written';
  summary: string;
  detail?: string[];
  fix: string;
}

export interface SetupSipResult {
  /** True when everything SIP needs is in place (or, in a dry run, would be). */
  ok: boolean;
  dryRun: boolean;
  /** Absolute path of the .env file. */
  envFile: string;
  /** The voice engine, which decides the webhook event. */
  engine: 'realtime' | 'live';
  /** The webhook event the engine is offered a call with. */
  event: string;
  /** TRANSPORT as configured: setup-sip prepares SIP whatever it says, and says when it is not yet `sip`. */
  transport: 'media-streams' | 'sip';
  /** Events that GET /webhook_event_types says this project cannot subscribe to (the one needed, when it is so). */
  unavailableEvents: string[];
  /** What was changed (or would be, in a dry run), in order. Empty: nothing to change. */
  changes: SetupChange[];
  trunk?: SipTrunkState;
  number?: SipNumberState;
  webhook?: SipWebhookState;
  /** The .env change, with the secret masked in the diff. */
  env?: { written: boolean; changes: EnvChange[]; diff: DiffHunk[] };
  /** Things to know that did not stop the run. */
  warnings: string[];
  error?: SetupSipProblem;
}

/** Whoever shows a run as it goes. */
export interface SetupSipObserver {
  /** Secrets that anything shown from now on must mask (the configuration's, and a new webhook secret). */
  secrets(values: readonly string[]): void;
  /** Runs one wait on the network, showing `text` meanwhile (a spinner, on a terminal). */
  wait<T>(text: string, work: () => Promise<T>): Promise<T>;
}

export const SILENT_SETUP_OBSERVER: SetupSipObserver = { secrets: () => undefined, wait: (_text, work) => work() };

/** The name given to what setup-sip creates, so that a later run finds them again. */
export const SIP_TRUNK_NAME = 'voicebridge';
export const WEBHOOK_ENDPOINT_NAME = 'voicebridge';
