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
 * The system clock, unless VOICEBRIDGE_TODAY (YYYY-MM-DD) fixes the date: lets a user ask
 * "will this setup still work on that day?" and lets end-to-end tests pin dates.
 */
export function clockFromEnvironment(env: NodeJS.ProcessEnv = process.env): Clock {
  const today = env.VOICEBRIDGE_TODAY;
  return today ? fixedClock(`${today}T12:00:00Z`) : systemClock;
}
