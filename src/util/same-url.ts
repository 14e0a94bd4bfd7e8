/** Same URL up to the case of the scheme and host and a default port (which Twilio, OpenAI and browsers ignore). */
export function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a.trim()).href === new URL(b.trim()).href;
  } catch {
    return a.trim() === b.trim();
  }
}
