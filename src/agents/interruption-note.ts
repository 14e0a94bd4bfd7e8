// The note that keeps an agent's history true after a barge-in: the next turn's input starts by telling the agent that
// the caller cut its previous reply short and heard only part of it. The same words for every backend.

/** Marks the note so people reading a transcript (and tests) can find it. */
export const INTERRUPTION_NOTE_PREFIX = '[Note: the caller interrupted your previous reply';

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The note alone: what the caller heard of the previous reply, quoted, or that they heard none of it. */
export function interruptionNote(heardText: string): string {
  const heard = normalise(heardText);
  if (heard === '') return `${INTERRUPTION_NOTE_PREFIX} before hearing any of it. Do not assume they know what it said.]`;
  return `${INTERRUPTION_NOTE_PREFIX} and heard only: "${heard}". The rest was not heard; do not assume they know it.]`;
}

/** The turn's input: the note (when the previous reply was interrupted), a blank line, then what the caller said. */
export function withInterruptionNote(callerText: string, heardText: string | undefined): string {
  if (heardText === undefined) return callerText;
  return `${interruptionNote(heardText)}\n\n${callerText}`;
}
