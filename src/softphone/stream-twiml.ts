// Reads the TwiML a voice webhook answers the way Twilio acts on it for a Media Stream: the <Connect><Stream url>
// to open and its <Parameter>s, which Twilio hands back in the start frame's customParameters.

export interface StreamTwiml {
  /** The wss:// URL Twilio opens. */
  url: string;
  parameters: Record<string, string>;
}

/** TwiML that would not connect a two-way Media Stream; the message says what Twilio would do instead. */
export class StreamTwimlError extends Error {}

// Attributes may hold a bare '>' (XML only requires '<' and '&' to be escaped in them), so tags are matched
// attribute by attribute.
const ATTRIBUTES = String.raw`((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*`;
const CONNECT = new RegExp(String.raw`<Connect\b${ATTRIBUTES}>([\s\S]*?)<\/Connect>`);
const STREAM = new RegExp(String.raw`<Stream\b${ATTRIBUTES}(?:\/>|>([\s\S]*?)<\/Stream>)`);
const PARAMETER = new RegExp(String.raw`<Parameter\b${ATTRIBUTES}\/?>`, 'g');

export function readStreamTwiml(twiml: string): StreamTwiml {
  const connect = CONNECT.exec(twiml);
  const stream = connect ? STREAM.exec(connect[2]!) : null;
  if (!stream) {
    if (/<Start\b[^>]*>[\s\S]*?<Stream\b/.test(twiml)) {
      throw new StreamTwimlError('the TwiML starts a one-way stream (<Start><Stream>): the caller would hear nothing the bridge sends. A bridge must answer <Connect><Stream>.');
    }
    throw new StreamTwimlError(`the TwiML has no <Connect><Stream>, so Twilio would not stream the call: ${excerpt(twiml)}`);
  }
  const url = attributes(stream[1]!).url;
  if (!url) throw new StreamTwimlError('the TwiML\'s <Stream> has no url attribute');
  if (!url.startsWith('wss://')) throw new StreamTwimlError(`Twilio only opens wss:// Stream URLs; the TwiML asks for ${url} (Twilio error 31920)`);
  if (new URL(url).search !== '') throw new StreamTwimlError(`Twilio rejects a Stream URL with a query string (31920): ${url}. Pass per-call data as <Parameter>s.`);
  const parameters: Record<string, string> = {};
  for (const match of (stream[2] ?? '').matchAll(PARAMETER)) {
    const { name, value } = attributes(match[1]!);
    if (name !== undefined) parameters[name] = value ?? '';
  }
  return { url, parameters };
}

function attributes(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) found[match[1]!] = unescapeXml(match[2] ?? match[3] ?? '');
  return found;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_all, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_all, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&amp;/g, '&');
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(an empty body)' : flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
