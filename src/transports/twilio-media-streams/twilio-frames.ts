// Twilio Media Streams wire format: pure decode (validated) of the frames Twilio sends, and encode of the three
// frames we may send (media, mark, clear). Nothing else in the bridge ever sees Twilio JSON.
import { isBase64 } from '../../util/base64.js';

export interface TwilioMediaFormat {
  encoding: string;
  sampleRate: number;
  channels: number;
}

export interface TwilioStartInfo {
  streamSid: string;
  accountSid: string;
  callSid: string;
  tracks: string[];
  customParameters: Record<string, string>;
  mediaFormat: TwilioMediaFormat;
}

export type TwilioInboundFrame =
  | { event: 'connected'; protocol: string; version: string }
  | { event: 'start'; sequenceNumber: string; streamSid: string; start: TwilioStartInfo }
  | { event: 'media'; sequenceNumber: string; streamSid: string; media: { track: string; chunk: string; timestamp: string; payload: string } }
  | { event: 'mark'; sequenceNumber: string; streamSid: string; mark: { name: string } }
  | { event: 'dtmf'; streamSid: string; sequenceNumber?: string; dtmf: { track: string; digit: string } }
  | { event: 'stop'; sequenceNumber: string; streamSid: string; stop: { accountSid: string; callSid: string } };

export type DecodedTwilioFrame = { ok: true; frame: TwilioInboundFrame } | { ok: false; problem: string };


const CALL_SID = /^CA[0-9a-f]{32}$/;
/** The keys of a phone keypad, as Twilio reports them. */
const DTMF_DIGIT = /^[0-9A-D*#]$/;


type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(object: Json, keys: readonly string[]): string | undefined {
  for (const key of keys) if (typeof object[key] !== 'string') return `"${key}" is missing or not a string`;
  return undefined;
}

function fail(problem: string): DecodedTwilioFrame {
  return { ok: false, problem };
}

/**
 * Decodes one text frame from Twilio. Never throws: anything malformed comes back as a problem to log, because a
 * broken frame must not end a call (or the process).
 */
export function decodeTwilioFrame(text: string): DecodedTwilioFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('a frame is not valid JSON');
  }
  if (!isObject(parsed)) return fail('a frame is not a JSON object');
  const frame = parsed;
  switch (frame.event) {
    case 'media': {
      // The hot path: 50 frames a second per call, so checks are plain property tests, and a frame as Twilio sends
      // it (every field a string) is returned as parsed, without copying; only an unusual one is normalised.
      const media = frame.media;
      if (typeof frame.streamSid !== 'string' || !isObject(media)) return fail('a media frame lacks streamSid or media');
      const payload = media.payload;
      if (typeof payload !== 'string') return fail('media frame: "payload" is missing or not a string');
      if (!isBase64(payload)) return fail('media frame: the payload is not valid base64');
      if (typeof frame.sequenceNumber === 'string' && typeof media.track === 'string' && typeof media.chunk === 'string' && typeof media.timestamp === 'string') {
        return { ok: true, frame: frame as unknown as TwilioInboundFrame };
      }
      return {
        ok: true,
        frame: {
          event: 'media',
          sequenceNumber: String(frame.sequenceNumber ?? ''),
          streamSid: frame.streamSid,
          media: {
            track: String(media.track ?? 'inbound'),
            chunk: String(media.chunk ?? ''),
            timestamp: String(media.timestamp ?? ''),
            payload,
          },
        },
      };
    }
    case 'connected':
      return { ok: true, frame: { event: 'connected', protocol: String(frame.protocol ?? ''), version: String(frame.version ?? '') } };
    case 'start': {
      const start = frame.start;
      if (typeof frame.streamSid !== 'string' || !isObject(start)) return fail('a start frame lacks streamSid or start');
      const problem = strings(start, ['callSid', 'accountSid']);
      if (problem) return fail(`start frame: ${problem}`);
      // The CallSid binds the stream to its webhook's token and tags every log line: nothing else may pass for one.
      if (!CALL_SID.test(start.callSid as string)) return fail('start frame: "callSid" is not a CallSid (CA and 32 hex digits)');
      const custom = isObject(start.customParameters) ? start.customParameters : {};
      const customParameters: Record<string, string> = {};
      for (const [key, value] of Object.entries(custom)) if (typeof value === 'string') customParameters[key] = value;
      const format = isObject(start.mediaFormat) ? start.mediaFormat : {};
      return {
        ok: true,
        frame: {
          event: 'start',
          sequenceNumber: String(frame.sequenceNumber ?? ''),
          streamSid: frame.streamSid,
          start: {
            streamSid: typeof start.streamSid === 'string' ? start.streamSid : frame.streamSid,
            accountSid: start.accountSid as string,
            callSid: start.callSid as string,
            tracks: Array.isArray(start.tracks) ? start.tracks.filter((track): track is string => typeof track === 'string') : [],
            customParameters,
            mediaFormat: {
              encoding: String(format.encoding ?? ''),
              sampleRate: Number(format.sampleRate ?? 0),
              channels: Number(format.channels ?? 0),
            },
          },
        },
      };
    }
    case 'mark': {
      const mark = frame.mark;
      if (typeof frame.streamSid !== 'string' || !isObject(mark) || typeof mark.name !== 'string') return fail('a mark frame lacks streamSid or mark.name');
      return { ok: true, frame: { event: 'mark', sequenceNumber: String(frame.sequenceNumber ?? ''), streamSid: frame.streamSid, mark: { name: mark.name } } };
    }
    case 'dtmf': {
      const dtmf = frame.dtmf;
      if (typeof frame.streamSid !== 'string' || !isObject(dtmf) || typeof dtmf.digit !== 'string') return fail('a dtmf frame lacks streamSid or dtmf.digit');
      if (!DTMF_DIGIT.test(dtmf.digit)) return fail('a dtmf frame carries something other than one keypad key');
      return {
        ok: true,
        frame: {
          event: 'dtmf',
          streamSid: frame.streamSid,
          ...(frame.sequenceNumber !== undefined ? { sequenceNumber: String(frame.sequenceNumber) } : {}),
          dtmf: { track: String(dtmf.track ?? ''), digit: dtmf.digit },
        },
      };
    }
    case 'stop': {
      const stop = isObject(frame.stop) ? frame.stop : {};
      if (typeof frame.streamSid !== 'string') return fail('a stop frame lacks streamSid');
      return {
        ok: true,
        frame: {
          event: 'stop',
          sequenceNumber: String(frame.sequenceNumber ?? ''),
          streamSid: frame.streamSid,
          stop: { accountSid: String(stop.accountSid ?? ''), callSid: String(stop.callSid ?? '') },
        },
      };
    }
    default:
      return fail(`unknown event ${JSON.stringify(String(frame.event)).slice(0, 40)}`);
  }
}

/** Encoders for the frames we send on one stream. The media prefix is built once: the payload is already base64. */
export interface TwilioFrameEncoder {
  media(payload: string): string;
  mark(name: string): string;
  clear(): string;
}

export function createFrameEncoder(streamSid: string): TwilioFrameEncoder {
  const sid = JSON.stringify(streamSid);
  const mediaPrefix = `{"event":"media","streamSid":${sid},"media":{"payload":"`;
  const clearFrame = `{"event":"clear","streamSid":${sid}}`;
  return {
    media: (payload) => `${mediaPrefix}${payload}"}}`,
    mark: (name) => `{"event":"mark","streamSid":${sid},"mark":{"name":${JSON.stringify(name)}}}`,
    clear: () => clearFrame,
  };
}
