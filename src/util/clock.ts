// An injectable "now", so date-dependent behaviour (sunsets, shutdown dates) is testable without editing dates.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock frozen at the given ISO date, for tests and for VOICEBRIDGE_TODAY. */
export function fixedClock(iso: string): Clock {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`Not a date: ${iso}`);
  return { now: () => new Date(date) };
}

/**
 * The system clock, unless VOICEBRIDGE_TODAY (YYYY-MM-DD, or a full ISO date and time) fixes the date: lets a user ask
 * "will this setup still work on that day?" and lets end-to-end tests pin dates. A day is taken at noon UTC, so it is
 * that day everywhere.
 */
export function clockFromEnvironment(env: NodeJS.ProcessEnv = process.env): Clock {
  const raw = env.VOICEBRIDGE_TODAY;
  const today = raw?.trim();
  if (!today) return systemClock;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(today);
  const date = day ? new Date(`${today}T12:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(today) ? new Date(today) : undefined;
  // A day that does not exist (2027-02-30) would roll over into the next month: refuse it rather than answer for another day.
  if (!date || Number.isNaN(date.getTime()) || (day && date.toISOString().slice(0, 10) !== today)) {
    throw new Error(`VOICEBRIDGE_TODAY=${raw} is not a date. Write it as YYYY-MM-DD (e.g. VOICEBRIDGE_TODAY=2027-01-21), or unset it to use today's date.`);
  }
  return { now: () => new Date(date) };
}
