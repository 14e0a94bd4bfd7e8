// Tags that make every benchmark audio frame traceable. The first 6 bytes of a 160-byte μ-law frame carry a stream
// number (16 bits) and a frame number (32 bits); the other 154 bytes are silence. Six bytes are exactly 8 base64
// characters, so a payload is the tag's 8 characters followed by one constant string: the receiver reads the tag
// without decoding anything and checks, with one string comparison, that the rest arrived byte for byte.

export const FRAME_MS = 20;
export const FRAME_BYTES = 160;
const TAG_BYTES = 6;
export const TAG_CHARS = 8;

/** The base64 of the 154 bytes of μ-law silence after the tag. */
export const PAYLOAD_REST = Buffer.alloc(FRAME_BYTES - TAG_BYTES, 0xff).toString('base64');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(128).fill(-1);
for (let index = 0; index < ALPHABET.length; index += 1) VALUE[ALPHABET.charCodeAt(index)] = index;

const TAG_SPACE = 2 ** 32;

/** The base64 payload of frame `frame` of stream `stream`: 160 bytes, tag first. */
export function taggedPayload(stream: number, frame: number): string {
  const b0 = (stream >>> 8) & 0xff;
  const b1 = stream & 0xff;
  const b2 = (frame >>> 24) & 0xff;
  const b3 = (frame >>> 16) & 0xff;
  const b4 = (frame >>> 8) & 0xff;
  const b5 = frame & 0xff;
  return (
    ALPHABET[b0 >> 2]! +
    ALPHABET[((b0 & 3) << 4) | (b1 >> 4)]! +
    ALPHABET[((b1 & 15) << 2) | (b2 >> 6)]! +
    ALPHABET[b2 & 63]! +
    ALPHABET[b3 >> 2]! +
    ALPHABET[((b3 & 3) << 4) | (b4 >> 4)]! +
    ALPHABET[((b4 & 15) << 2) | (b5 >> 6)]! +
    ALPHABET[b5 & 63]! +
    PAYLOAD_REST
  );
}

/**
 * Reads the tag of a payload that starts at `at` in `text`: stream × 2³² + frame, or -1 when the 8 characters are
 * not base64 (the payload was altered).
 */
export function readTag(text: string, at: number): number {
  const v0 = charValue(text, at);
  const v1 = charValue(text, at + 1);
  const v2 = charValue(text, at + 2);
  const v3 = charValue(text, at + 3);
  const v4 = charValue(text, at + 4);
  const v5 = charValue(text, at + 5);
  const v6 = charValue(text, at + 6);
  const v7 = charValue(text, at + 7);
  if ((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) < 0) return -1;
  const b0 = (v0 << 2) | (v1 >> 4);
  const b1 = ((v1 & 15) << 4) | (v2 >> 2);
  const b2 = ((v2 & 3) << 6) | v3;
  const b3 = (v4 << 2) | (v5 >> 4);
  const b4 = ((v5 & 15) << 4) | (v6 >> 2);
  const b5 = ((v6 & 3) << 6) | v7;
  const stream = (b0 << 8) | b1;
  const frame = b2 * 2 ** 24 + ((b3 << 16) | (b4 << 8) | b5);
  return stream * TAG_SPACE + frame;
}

function charValue(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code < 128 ? VALUE[code]! : -1;
}

export function tagStream(tag: number): number {
  return Math.floor(tag / TAG_SPACE);
}

export function tagFrame(tag: number): number {
  return tag % TAG_SPACE;
}

/** True when the payload at `at` is a tag followed by the untouched rest and its closing quote. */
export function restIsUntouched(text: string, at: number): boolean {
  return text.startsWith(PAYLOAD_REST, at + TAG_CHARS) && text.charCodeAt(at + TAG_CHARS + PAYLOAD_REST.length) === 34;
}
