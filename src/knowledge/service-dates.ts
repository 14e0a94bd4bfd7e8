// OpenAI's dates (from its deprecations page) that decide whether an ID can still work, and the words that tell them
// from the clock's today: a date already past is told in the past tense, one ahead in the future with the days left.

export const ASSISTANTS_API_SUNSET = '2026-08-26';
export const AGENT_BUILDER_SHUTDOWN = '2026-11-30';
export const PROMPT_OBJECTS_SHUTDOWN = '2026-11-30';

function isPast(isoDate: string, now: Date): boolean {
  return now.getTime() >= new Date(`${isoDate}T00:00:00Z`).getTime();
}

/** "shut down on 2026-11-30" or "shuts down on 2026-11-30 (in 6 days)", depending on today. */
export function shutdownPhrase(isoDate: string, now: Date, verbs: { past: string; future: string }): string {
  if (isPast(isoDate, now)) return `${verbs.past} on ${isoDate}`;
  const days = Math.ceil((new Date(`${isoDate}T00:00:00Z`).getTime() - now.getTime()) / 86_400_000);
  return `${verbs.future} on ${isoDate} (in ${days} day${days === 1 ? '' : 's'})`;
}
