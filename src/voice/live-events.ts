// The GPT-Live server events the GPT-Live engine reads, as it reads them: only the fields it uses, each as lenient as
// the engine's handling of it allows, so that a well-formed event from the service always passes, and one the engine
// could not act on is a bad event rather than a crash. Every other event type is ignored unread. The shapes follow
// openai/resources/live (ServerEvent).
import { z } from 'zod';
import { serviceEventReader } from './parse-service-event.js';

const liveEventSchemas = [
  /** The session is configured and running: the proof that a connection works. */
  z.object({ type: z.literal('session.started') }),
  /** A sideband's answer to its session.update: the proof that an attached connection works. */
  z.object({ type: z.literal('session.updated') }),
  /** A key the caller pressed on a SIP call. */
  z.object({ type: z.literal('transport.dtmf.received'), event: z.string() }),
  // The hot path: a few dozen of these per second per call.
  z.object({ type: z.literal('session.output_audio.delta'), delta: z.string() }),
  z.object({ type: z.literal('session.input_transcript.delta'), delta: z.string(), start_ms: z.number().optional() }),
  z.object({
    type: z.literal('session.delegation.created'),
    // A string rather than the three known targets: a delegation to anyone but us is not ours to answer, not unreadable.
    delegation: z.object({ id: z.string(), target: z.string() }),
    offset_ms: z.number().optional(),
  }),
  z.object({ type: z.literal('session.closed'), reason: z.string().optional() }),
  z.object({
    type: z.literal('error'),
    client_event_id: z.string().optional(),
    error: z.object({ message: z.string(), code: z.string().nullish(), client_event_id: z.string().optional() }).optional(),
  }),
] as const;

/** Reads one message from GPT-Live: an event the engine acts on, a bad event, or one it does not read. */
export const readLiveEvent = serviceEventReader(liveEventSchemas, {
  'session.output_audio.delta': { delta: 'sent audio that is not valid base64; dropped' },
});

export type LiveEvent = z.output<(typeof liveEventSchemas)[number]>;
