// What an agent is told first on a call it placed, the same words for every backend: that it called, whom, why, and
// that it speaks first. It is the conversation's first input, so it stays in the agent's history for the whole call.
import type { OutboundCallContext } from './brain.js';

/** Marks the note so people reading a transcript (and tests) can find it. */
export const OUTBOUND_NOTE_PREFIX = '[Note: this is a phone call you placed';

export function outboundOpening(outbound: OutboundCallContext): string {
  const why = outbound.context?.replace(/\s+/g, ' ').trim();
  return [
    `${OUTBOUND_NOTE_PREFIX} to ${outbound.to}, and a person has just answered.`,
    why ? `Why you are calling: ${why}` : 'No reason for the call was given: introduce yourself and ask how you can help.',
    'Speak first: greet them, say who you are and why you are calling, in a sentence or two, then listen.]',
  ].join(' ');
}
