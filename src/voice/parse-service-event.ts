// Reads one text message from a voice service (Realtime, GPT-Live) as one of the events its engine acts on, checked
// against that event's schema. Only the events an engine reads have a schema: any other type is passed over after a
// look at its `type`, so the many events the bridge has no use for cost no validation. A malformed message, or an
// event the engine reads in a shape it cannot, is the service's fault, never a reason to drop the call: the reader
// says what is wrong, for the engine to log, and the event is not acted on.
import { z } from 'zod';

/** The schema of one event the engine reads: an object whose `type` is that event's name. */
export type ServiceEventSchema = z.ZodObject<{ type: z.ZodLiteral<string> }>;

/**
 * An event to act on; or `unreadable`, the rest of a log line after the service's name ("sent a message that is not
 * JSON; ignored"); or undefined for an event of a type the engine does not read.
 */
export type ReadServiceEvent<E> = { event: E } | { unreadable: string } | undefined;

/**
 * For an event whose fields have a log line of their own when they are wrong: the field, and that line (after the
 * service's name).
 */
export type FieldProblems = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Builds the reader of one service's events from the schemas of the events its engine reads. */
export function serviceEventReader<const Schemas extends readonly [ServiceEventSchema, ...ServiceEventSchema[]]>(
  schemas: Schemas,
  fieldProblems: FieldProblems = {},
): (text: string) => ReadServiceEvent<z.output<Schemas[number]>> {
  const events = z.discriminatedUnion('type', schemas);
  const known = new Set<string>(schemas.map((schema) => schema.shape.type.value));
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { unreadable: 'sent a message that is not JSON; ignored' };
    }
    if (typeof value !== 'object' || value === null) return { unreadable: 'sent a message that is not an event object; ignored' };
    // The cheap look first: most of what a service sends (transcript deltas, item and part events) is not read at all.
    const type = 'type' in value ? value.type : undefined;
    if (typeof type !== 'string' || !known.has(type)) return undefined;
    const parsed = events.safeParse(value);
    if (parsed.success) return { event: parsed.data };
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    const ownLine = typeof field === 'string' && Object.hasOwn(fieldProblems, type) ? fieldProblems[type]?.[field] : undefined;
    if (ownLine !== undefined) return { unreadable: ownLine };
    const where = issue && issue.path.length > 0 ? `, ${issue.path.join('.')}` : '';
    return { unreadable: `sent an event the bridge could not read (${type}${where}: ${issue?.message ?? 'wrong shape'}); ignored` };
  };
}
