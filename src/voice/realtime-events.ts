// The OpenAI Realtime server events the Realtime engine reads, as it reads them: only the fields it uses, each as
// lenient as the engine's handling of it allows (an optional field stays optional), so that a well-formed event from
// the service always passes, and one the engine could not act on is a bad event rather than a crash. Every other event
// type is ignored unread. The shapes follow openai/resources/realtime (RealtimeServerEvent).
import { z } from 'zod';
import { serviceEventReader } from './parse-service-event.js';

const realtimeEventSchemas = [
  /** The session settings are applied: the proof that a connection works. */
  z.object({ type: z.literal('session.updated') }),
  z.object({ type: z.literal('input_audio_buffer.speech_started') }),
  z.object({ type: z.literal('conversation.item.input_audio_transcription.completed'), item_id: z.string(), transcript: z.string() }),
  z.object({
    type: z.literal('conversation.item.input_audio_transcription.failed'),
    error: z.object({ message: z.string().optional() }).optional(),
  }),
  z.object({
    type: z.literal('response.created'),
    response: z.object({
      id: z.string().optional(),
      // Our own tag, echoed back; a service that does not echo metadata sends none, or null.
      metadata: z.object({ voicebridge_speech: z.string().optional() }).nullish(),
    }),
  }),
  // The hot path: a few dozen of these per second per call. Its base64 is checked only for audio that is ours.
  z.object({ type: z.literal('response.output_audio.delta'), response_id: z.string(), delta: z.string() }),
  z.object({
    type: z.literal('response.done'),
    response: z.object({
      id: z.string().optional(),
      // A string rather than the four known statuses: any other one is a speech that failed, not an unreadable event.
      status: z.string().optional(),
      status_details: z
        .object({ reason: z.string().optional(), error: z.object({ message: z.string().optional() }).nullish() })
        .nullish(),
    }),
  }),
  // A sideband (SIP) call: no audio reaches the bridge; the service says when its speech plays to the caller, and
  // hears the keypad itself.
  z.object({ type: z.literal('response.output_audio_transcript.delta'), response_id: z.string() }),
  z.object({ type: z.literal('output_audio_buffer.started'), response_id: z.string() }),
  z.object({ type: z.literal('output_audio_buffer.stopped'), response_id: z.string() }),
  z.object({ type: z.literal('output_audio_buffer.cleared'), response_id: z.string().optional() }),
  z.object({ type: z.literal('input_audio_buffer.dtmf_event_received'), event: z.string() }),
  z.object({
    type: z.literal('error'),
    error: z.object({ message: z.string(), code: z.string().nullish(), event_id: z.string().nullish() }),
  }),
] as const;

/** Reads one message from OpenAI Realtime: an event the engine acts on, a bad event, or one it does not read. */
export const readRealtimeEvent = serviceEventReader(realtimeEventSchemas, {
  // Audio that cannot be tied to a response could be anything; audio that is not text cannot be played.
  'response.output_audio.delta': {
    response_id: 'sent audio that names no response; dropped',
    delta: 'sent audio that is not valid base64; dropped',
  },
});

export type RealtimeEvent = z.output<(typeof realtimeEventSchemas)[number]>;
