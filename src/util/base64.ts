// Base64 checks for audio payloads, without decoding them: Twilio's frames and the voice services' audio deltas are
// both base64 μ-law, and both sides check them the same way.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True for standard base64 with correct padding: what Twilio sends and what Realtime accepts. */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}

/** Bytes of audio carried by a base64 payload, without decoding it. */
export function base64ByteLength(payload: string): number {
  if (payload.length === 0) return 0;
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  return (payload.length / 4) * 3 - padding;
}
