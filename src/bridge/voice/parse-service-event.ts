// Reads one text message from a voice service (Realtime, GPT-Live) as an event object, or says what it is instead.
// A malformed message is the service's fault, never a reason to drop the call: callers log it and carry on.

export type ParsedServiceEvent<T> = { event: T } | { problem: 'not JSON' | 'not an event object' };

export function parseServiceEvent<T extends object>(text: string): ParsedServiceEvent<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { problem: 'not an event object' };
  return { event: value as T };
}
