// A request's target, read without trusting it. Node's HTTP parser passes through targets that `new URL` cannot parse
// with a base (`//[`, `//host:port-that-is-not-a-number`…), and a parse that throws on the request path would take the
// whole server, and every call in it, down. Nothing here throws: a target that is not a plain path is refused.

export interface RequestTarget {
  /** The path, exactly as sent (no decoding, no dot-segment folding): it is compared with the routes as is. */
  pathname: string;
  /** '' or the query string with its leading '?', exactly as sent: Twilio signs the URL as it called it. */
  search: string;
}

/** Longer than any route or any query Twilio sends; a target past this is refused unread. */
const MAX_TARGET_LENGTH = 8 * 1024;

/**
 * The path and query of an origin-form target ("/incoming-call?x=1"), or undefined for anything else: an absolute URL,
 * `*`, a scheme-relative `//host/…`, a target with a fragment or a control character, or an absurdly long one.
 * Twilio only ever sends origin-form targets.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget | undefined {
  if (typeof target !== 'string' || target.length === 0 || target.length > MAX_TARGET_LENGTH) return undefined;
  if (target[0] !== '/' || target[1] === '/') return undefined;
  // Node's parser refuses most of these already; checking again costs nothing and holds whatever parser is in front.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f#]/.test(target)) return undefined;
  const query = target.indexOf('?');
  return query === -1 ? { pathname: target, search: '' } : { pathname: target.slice(0, query), search: target.slice(query) };
}

/** A target for a log line: control characters escaped, cut to a readable length. */
export function describeTarget(target: string | undefined): string {
  if (typeof target !== 'string') return '(none)';
  const shown = target.length > 120 ? `${target.slice(0, 120)}…` : target;
  return JSON.stringify(shown);
}
