// The fakes' audio convention: how text becomes G.711 μ-law bytes and back, so a test can say what the fake caller
// says and check what it heard, through a bridge that passes audio through untouched.
// - Caller speech: loud samples (so energy-based VAD hears speech) whose low bits carry the words.
// - Voice output: one byte run per character (alternating the top bit so repeated letters stay apart), each
//   utterance preceded by a little μ-law silence (0xFF).

export const MULAW_SILENCE = 0xff;
export const BYTES_PER_MS = 8;
export const FRAME_BYTES = 160; // 20 ms at 8 kHz

/** Decodes one μ-law byte to a 16-bit linear sample (ITU-T G.711). */
export function mulawToLinear(byte: number): number {
  const value = ~byte & 0xff;
  const sign = value & 0x80;
  const exponent = (value >> 4) & 0x07;
  const mantissa = value & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/** Mean absolute amplitude of μ-law audio: loud speech is in the thousands, silence is 0. */
export function meanAmplitude(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  let total = 0;
  for (const byte of bytes) total += Math.abs(mulawToLinear(byte));
  return total / bytes.length;
}

// Loud μ-law bytes have an (inverted) exponent of 7: 0x00–0x0F and 0x80–0x8F. Data nibbles use 0x80–0x8F,
// filler uses 0x00–0x0F.
const DATA = 0x80;

/** Loud audio of at least `durationMs` that carries `text`, for the fake caller to "say". */
export function speechAudio(text: string, durationMs = 400): Buffer {
  const data = Buffer.from(text, 'utf8');
  const nibbles = data.length * 2;
  const length = Math.max(Math.ceil((durationMs * BYTES_PER_MS) / FRAME_BYTES) * FRAME_BYTES, Math.ceil(nibbles / FRAME_BYTES) * FRAME_BYTES);
  const audio = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) {
    if (index < nibbles) {
      const byte = data[index >> 1]!;
      audio[index] = DATA | (index % 2 === 0 ? byte >> 4 : byte & 0x0f);
    } else {
      audio[index] = index % 16; // loud filler
    }
  }
  return audio;
}

/** The words carried by a burst of caller speech, as the fake's "transcription". */
export function wordsInSpeech(audio: Uint8Array): string {
  const nibbles: number[] = [];
  for (const byte of audio) if ((byte & 0xf0) === DATA) nibbles.push(byte & 0x0f);
  const bytes: number[] = [];
  for (let index = 0; index + 1 < nibbles.length; index += 2) bytes.push((nibbles[index]! << 4) | nibbles[index + 1]!);
  return Buffer.from(bytes).toString('utf8');
}

/** The fake voice saying `text`: a little silence, then `msPerCharacter` of audio per character. */
export function voiceAudio(text: string, msPerCharacter: number): Buffer {
  const run = Math.max(1, Math.round(msPerCharacter * BYTES_PER_MS));
  const characters = [...text].map((char) => {
    const code = char.charCodeAt(0);
    return code >= 0x20 && code < 0x7f ? code : 0x3f; // '?' for what the convention cannot carry
  });
  const audio = Buffer.alloc(run * (characters.length + 1), MULAW_SILENCE);
  characters.forEach((code, index) => audio.fill(code | (index % 2 === 1 ? 0x80 : 0), run * (index + 1), run * (index + 2)));
  return audio;
}

/** What the fake voice said in this audio, one string per utterance (split at the silence before each). */
export function phrasesInVoice(audio: Uint8Array): string[] {
  const phrases: string[] = [];
  let current: string | undefined;
  let previous = -1;
  for (const byte of audio) {
    if (byte === previous) continue;
    previous = byte;
    if (byte === MULAW_SILENCE) {
      if (current !== undefined && current !== '') phrases.push(current);
      current = '';
      continue;
    }
    current = (current ?? '') + String.fromCharCode(byte & 0x7f);
  }
  if (current !== undefined && current !== '') phrases.push(current);
  return phrases;
}
