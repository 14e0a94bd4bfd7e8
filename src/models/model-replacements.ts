// Which current model replaces a retiring one. Only the pairs live here: when a model shuts down comes from the API
// (the shutdown_date of GET /models), never from this file.
import { DEFAULT_ASSISTANT_MODEL, DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIBE_MODEL } from '../config/defaults.js';

/** Retiring model → its successor, as OpenAI's deprecations page pairs them. Snapshots map like their family. */
const REPLACEMENTS: Readonly<Record<string, string>> = {
  // Realtime voice models.
  'gpt-realtime': DEFAULT_REALTIME_MODEL,
  'gpt-realtime-mini': 'gpt-realtime-2.1-mini',
  'gpt-4o-realtime-preview': DEFAULT_REALTIME_MODEL,
  'gpt-4o-mini-realtime-preview': 'gpt-realtime-2.1-mini',
  // Transcription models.
  'gpt-4o-transcribe': DEFAULT_TRANSCRIBE_MODEL,
  'gpt-4o-mini-transcribe': DEFAULT_TRANSCRIBE_MODEL,
  'gpt-4o-transcribe-diarize': DEFAULT_TRANSCRIBE_MODEL,
  'whisper-1': DEFAULT_TRANSCRIBE_MODEL,
  // Text models an agent may run on.
  'gpt-4o': DEFAULT_ASSISTANT_MODEL,
  'gpt-4o-mini': DEFAULT_ASSISTANT_MODEL,
  'gpt-4.1': DEFAULT_ASSISTANT_MODEL,
  'gpt-4.1-mini': DEFAULT_ASSISTANT_MODEL,
  'gpt-4.1-nano': DEFAULT_ASSISTANT_MODEL,
  'gpt-5': DEFAULT_ASSISTANT_MODEL,
  'gpt-5-mini': DEFAULT_ASSISTANT_MODEL,
  'gpt-5-nano': DEFAULT_ASSISTANT_MODEL,
  'gpt-4-turbo': DEFAULT_ASSISTANT_MODEL,
  'gpt-4-turbo-preview': DEFAULT_ASSISTANT_MODEL,
  'gpt-3.5-turbo': DEFAULT_ASSISTANT_MODEL,
  'gpt-3.5-turbo-16k': DEFAULT_ASSISTANT_MODEL,
};

/** Snapshot suffixes a family's dated versions carry: -2025-08-28 (current style) and -0125 (older style). */
const SNAPSHOT_SUFFIXES = [/-\d{4}-\d{2}-\d{2}$/, /-\d{4}$/];

/**
 * The model to move to from `model`, or undefined when none is known.
 * Dated snapshots map like their family: `gpt-realtime-2025-08-28` like `gpt-realtime`, `gpt-3.5-turbo-0125` like
 * `gpt-3.5-turbo`.
 */
export function replacementFor(model: string): string | undefined {
  const name = model.trim();
  const exact = REPLACEMENTS[name];
  if (exact) return exact;
  for (const suffix of SNAPSHOT_SUFFIXES) {
    const family = name.replace(suffix, '');
    if (family !== name && REPLACEMENTS[family]) return REPLACEMENTS[family];
  }
  return undefined;
}
