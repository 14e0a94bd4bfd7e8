// The fakes' audio convention: how text becomes G.711 μ-law bytes and back, so a test can say what the fake caller
// says and check what it heard, through a bridge that passes audio through untouched.
// - Caller speech: loud samples (so energy-based VAD hears speech) whose low bits carry the words.
// - Voice output: one byte run per printable ASCII character, two runs per byte of any other character's UTF-8
//   (alternating the top bit so repeated runs stay apart), each utterance preceded by a little μ-law silence (0xFF).
// Audio in neither convention (a person speaking into a microphone, a tone, noise) is not words: the fakes describe
// it by its energy instead (see voice-activity.ts).

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

/** The words carried by a burst of caller speech, as the fake's "transcription" (lenient: any data nibbles count). */
export function wordsInSpeech(audio: Uint8Array): string {
  const nibbles: number[] = [];
  for (const byte of audio) if ((byte & 0xf0) === DATA) nibbles.push(byte & 0x0f);
  const bytes: number[] = [];
  for (let index = 0; index + 1 < nibbles.length; index += 2) bytes.push((nibbles[index]! << 4) | nibbles[index + 1]!);
  return Buffer.from(bytes).toString('utf8');
}

/** Below this magnitude a byte is the quiet around speech (silence, line noise), not part of the encoding. */
const QUIET_MAGNITUDE = 512;
/** Control characters other than tab and line breaks: no spoken line holds them (a clipped square wave decodes to NULs). */
function hasControlCharacters(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if ((code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r') || code === 0x7f) return true;
  }
  return false;
}

/**
 * The words a burst of audio carries when it is the fake caller's synthetic speech (see speechAudio), else undefined:
 * real speech, a tone or noise is never read as words. The audio qualifies only if every byte is a data nibble, the
 * filler's counting sequence or quiet, and the nibbles spell valid UTF-8 text (none at all: the empty string). `partial`: the burst is still going
 * on, so a character cut in the middle is left for later.
 */
export function syntheticWords(audio: Uint8Array, partial = false): string | undefined {
  const nibbles: number[] = [];
  let previousFiller = -1;
  let filler = 0;
  for (const byte of audio) {
    if ((byte & 0xf0) === DATA) {
      nibbles.push(byte & 0x0f);
      previousFiller = -1;
    } else if ((byte & 0xf0) === 0) {
      if (previousFiller >= 0 && byte !== (previousFiller + 1) % 16) return undefined;
      previousFiller = byte;
      filler += 1;
    } else if (Math.abs(mulawToLinear(byte)) < QUIET_MAGNITUDE) {
      previousFiller = -1;
    } else {
      return undefined;
    }
  }
  // Filler alone is the fake caller saying nothing: loud, but no words.
  if (nibbles.length === 0) return filler > 0 ? '' : undefined;
  if (!partial && nibbles.length % 2 === 1) return undefined;
  const bytes = new Uint8Array(nibbles.length >> 1);
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = (nibbles[2 * index]! << 4) | nibbles[2 * index + 1]!;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: partial });
  } catch {
    return undefined;
  }
  return hasControlCharacters(text) ? undefined : text;
}

// Voice runs: printable ASCII is its own code; any other character is its UTF-8 bytes, each as a run of 0x10–0x17
// (the high nibble, which is 8–15 in a byte of a multi-byte character) then a run of 0x00–0x0F (the low nibble).
// None of these, with the top bit set for alternation, is 0xFF (silence) or 0x7F (which decodes to silence too).
const HIGH_NIBBLE = 0x10;

function voiceRuns(text: string): number[] {
  const runs: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f) {
      runs.push(code);
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      if (byte < 0x80) {
        runs.push(0x3f); // '?': an ASCII control character is not speech
        continue;
      }
      runs.push(HIGH_NIBBLE | ((byte >> 4) - 8), byte & 0x0f);
    }
  }
  return runs;
}

/** The fake voice saying `text`: a little silence, then `msPerCharacter` of audio per run (see voiceRuns). */
export function voiceAudio(text: string, msPerCharacter: number): Buffer {
  const run = Math.max(1, Math.round(msPerCharacter * BYTES_PER_MS));
  const runs = voiceRuns(text);
  const audio = Buffer.alloc(run * (runs.length + 1), MULAW_SILENCE);
  runs.forEach((code, index) => audio.fill(code | (index % 2 === 1 ? 0x80 : 0), run * (index + 1), run * (index + 2)));
  return audio;
}

/** What the fake voice said in this audio, one string per utterance (split at the silence before each). */
export function phrasesInVoice(audio: Uint8Array): string[] {
  const phrases: string[] = [];
  let current: number[] | undefined;
  let high: number | undefined;
  let previous = -1;
  const finish = (): void => {
    if (current !== undefined && current.length > 0) phrases.push(Buffer.from(current).toString('utf8'));
    current = undefined;
    high = undefined;
  };
  for (const byte of audio) {
    if (byte === previous) continue;
    previous = byte;
    if (byte === MULAW_SILENCE) {
      finish();
      current = [];
      continue;
    }
    current ??= [];
    const code = byte & 0x7f;
    if (code >= 0x20) {
      current.push(code);
      high = undefined;
    } else if (code >= HIGH_NIBBLE && code < HIGH_NIBBLE + 8) {
      high = code - HIGH_NIBBLE + 8;
    } else if (code < HIGH_NIBBLE && high !== undefined) {
      current.push((high << 4) | code);
      high = undefined;
    }
  }
  finish();
  return phrases;
}
