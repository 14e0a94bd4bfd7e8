// Whether a model still works, and until when: turns a model's shutdown_date from GET /models into one verdict that
// the doctor, `serve` and `create-assistant` all share, so they judge and word a retiring model the same way.
//
//   const models = await fetchModelList(client);                       // src/models/model-list.ts, one GET /models
//   const lifecycle = modelLifecycle('gpt-realtime', models, clock, { role: 'realtime' });
//   lifecycle.state   // 'current' | 'retiring' (within 90 days) | 'retired' | 'unlisted'
//   describeModelLifecycle(lifecycle)
//   // → 'gpt-realtime shuts down on 2027-01-20 (57 days left); switch to gpt-realtime-2.1'
//
// Refuse 'retired' and 'unlisted' (lifecycleSeverity → 'fail'), warn on 'retiring' ('warn'), say nothing otherwise.
// Dates come only from the API; successors from model-replacements.ts, else the role's default model.
import { DEFAULT_ASSISTANT_MODEL, DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIBE_MODEL } from '../config/defaults.js';
import type { Clock } from '../util/clock.js';
import { replacementFor } from './model-replacements.js';

/** A model shutting down within this many days is a warning: enough time to switch before calls break. */
export const SHUTDOWN_WARNING_DAYS = 90;

const DAY_MS = 86_400_000;

/** One entry of GET /models (or the answer of GET /models/{id}), reduced to what the lifecycle needs. */
export interface ListedModel {
  id: string;
  /** YYYY-MM-DD, or null when no shutdown is announced. */
  shutdown_date: string | null;
}

/**
 * A shutdown_date as the API sent it, as YYYY-MM-DD, or null when none is announced. The API sends YYYY-MM-DD; a date
 * with a time (2027-01-20T00:00:00Z) or a Unix timestamp in seconds is read as its day rather than ignored, since an
 * ignored date would let a retiring model pass unnoticed. Anything else is kept as it came, for the lifecycle to pass
 * over.
 */
export function readShutdownDate(raw: unknown): string | null {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return new Date(raw * 1000).toISOString().slice(0, 10);
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const day = /^(\d{4}-\d{2}-\d{2})(?:[T ]|$)/.exec(raw.trim())?.[1];
  return day ?? raw;
}

/** What a model is used for in voicebridge: decides which successor fits when the table has none of that kind. */
export type ModelRole = 'realtime' | 'transcription' | 'agent';

export type ModelLifecycleState =
  /** Listed, with no shutdown date or one more than SHUTDOWN_WARNING_DAYS away. */
  | 'current'
  /** Listed, shutting down within SHUTDOWN_WARNING_DAYS. */
  | 'retiring'
  /** Its shutdown date has passed, or it is a known retiring model that the list no longer carries. */
  | 'retired'
  /** Not in the list and not a model known to retire: mistyped, or not available to this key. */
  | 'unlisted';

export interface ModelLifecycle {
  model: string;
  state: ModelLifecycleState;
  /** YYYY-MM-DD, when the API announced one. */
  shutdownDate?: string;
  /** Whole days from now until the shutdown date (0 or less once it has passed). */
  daysLeft?: number;
  /** The model to move to: set for every state but a current model with no shutdown date. */
  replacement?: string;
}

export interface ModelLifecycleOptions {
  /** With a role, a successor of the wrong kind (a text model for a Realtime one) gives way to the role's default. */
  role?: ModelRole;
}

const ROLE_DEFAULTS: Record<ModelRole, string> = {
  realtime: DEFAULT_REALTIME_MODEL,
  transcription: DEFAULT_TRANSCRIBE_MODEL,
  agent: DEFAULT_ASSISTANT_MODEL,
};

/** The model voicebridge uses for a role when none is configured: each has no announced shutdown. */
export function defaultModelFor(role: ModelRole): string {
  return ROLE_DEFAULTS[role];
}

/** Whether a model's name says it is of the kind the role needs (a Realtime model for the voice, and so on). */
export function modelFitsRole(model: string, role: ModelRole): boolean {
  const realtime = /realtime/i.test(model);
  const transcription = /transcribe|whisper/i.test(model);
  if (role === 'realtime') return realtime;
  if (role === 'transcription') return transcription;
  return !realtime && !transcription && !/tts|embedding|moderation|dall-e|image|^gpt-live/i.test(model);
}

/** The successor for a model that is going away: the table's, if it fits the role, else the role's default. */
export function successorFor(model: string, options: ModelLifecycleOptions = {}): string | undefined {
  const known = replacementFor(model);
  if (!options.role) return known;
  if (known && modelFitsRole(known, options.role)) return known;
  const fallback = ROLE_DEFAULTS[options.role];
  return fallback === model ? undefined : fallback;
}

/**
 * Judges `model` against the models list (GET /models, or just the entry GET /models/{id} returned) on the clock's
 * today. Pure: no request, no date of its own.
 */
export function modelLifecycle(model: string, models: readonly ListedModel[], clock: Clock, options: ModelLifecycleOptions = {}): ModelLifecycle {
  const entry = models.find((candidate) => candidate.id === model);
  const successor = successorFor(model, options);
  const withSuccessor = (lifecycle: ModelLifecycle): ModelLifecycle => (successor ? { ...lifecycle, replacement: successor } : lifecycle);

  if (!entry) {
    // A model the table knows as retiring that the list no longer carries has been taken down.
    return withSuccessor({ model, state: replacementFor(model) ? 'retired' : 'unlisted' });
  }
  const shutdownDate = entry.shutdown_date ?? undefined;
  const shutdown = shutdownDate && /^\d{4}-\d{2}-\d{2}$/.test(shutdownDate) ? new Date(`${shutdownDate}T00:00:00Z`) : undefined;
  if (!shutdown || Number.isNaN(shutdown.getTime())) return { model, state: 'current' };

  const daysLeft = Math.ceil((shutdown.getTime() - clock.now().getTime()) / DAY_MS);
  const state: ModelLifecycleState = daysLeft <= 0 ? 'retired' : daysLeft <= SHUTDOWN_WARNING_DAYS ? 'retiring' : 'current';
  return withSuccessor({ model, state, shutdownDate, daysLeft });
}

/** How much a lifecycle matters to a caller: refuse ('fail'), warn, or nothing to say ('ok'). */
export function lifecycleSeverity(lifecycle: ModelLifecycle): 'ok' | 'warn' | 'fail' {
  if (lifecycle.state === 'retired' || lifecycle.state === 'unlisted') return 'fail';
  return lifecycle.state === 'retiring' ? 'warn' : 'ok';
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The model, its date and the days left, without the successor — for callers that name the successor in a fix of
 * their own (`Set OPENAI_REALTIME_MODEL=…`):
 * "gpt-realtime shuts down on 2027-01-20 (57 days left)", "gpt-4o was shut down on 2027-01-14: calls with it fail".
 */
export function modelLifecycleHeadline(lifecycle: ModelLifecycle): string {
  const { model, shutdownDate, daysLeft } = lifecycle;
  switch (lifecycle.state) {
    case 'current':
      return shutdownDate ? `${model} is available (shuts down on ${shutdownDate})` : `${model} is available (no shutdown announced)`;
    case 'retiring':
      return `${model} shuts down on ${shutdownDate} (${plural(daysLeft ?? 0, 'day')} left)`;
    case 'retired':
      return shutdownDate
        ? `${model} was shut down on ${shutdownDate}: calls with it fail`
        : `${model} has been shut down (OpenAI no longer lists it): calls with it fail`;
    case 'unlisted':
      return `${model} is not among the models OpenAI offers this key: calls with it fail`;
  }
}

/**
 * One sentence for people: the model, its date, the days left and what to switch to.
 * "gpt-realtime shuts down on 2027-01-20 (57 days left); switch to gpt-realtime-2.1"
 */
export function describeModelLifecycle(lifecycle: ModelLifecycle): string {
  const headline = modelLifecycleHeadline(lifecycle);
  if (!lifecycle.replacement) return headline;
  if (lifecycle.state === 'current') return `${headline}; its successor is ${lifecycle.replacement}`;
  return `${headline}; switch to ${lifecycle.replacement}`;
}
