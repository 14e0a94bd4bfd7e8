// The functions a call gives the agent, on every backend and both voice engines: end the call once its goodbye has
// played, and hand the caller to a person. Their descriptions are the model's only guide to when to use them.
import type { CallFunctionTool } from '../agents/brain.js';

export const END_CALL = 'end_call';
export const TRANSFER_CALL = 'transfer_call';

/** The call's tools, with the transfer destinations this line is configured with named in the description. */
export function callTools(destinations: TransferDestinations): CallFunctionTool[] {
  const names = Object.keys(destinations.named);
  const choices =
    names.length > 0
      ? ` Set destination to one of: ${names.join(', ')}${destinations.defaultNumber ? ', or leave it out for the main line' : ''}.`
      : ' Leave destination out: the line has one transfer number.';
  const tools: CallFunctionTool[] = [
    {
      name: END_CALL,
      description:
        'End the phone call. Use it only when the conversation is over: the caller has said goodbye, or has what they ' +
        'called for and wants nothing more. Say your goodbye in the same reply; the call ends once the caller has heard it.',
      parameters: {
        type: 'object',
        properties: { reason: { type: 'string', description: 'Why the call is ending, in a few words, for the log.' } },
        additionalProperties: false,
      },
    },
  ];
  if (destinations.defaultNumber || names.length > 0) {
    tools.push({
      name: TRANSFER_CALL,
      description:
        'Hand the caller to a person. Use it when the caller asks for a human, or needs something you cannot do. ' +
        `Tell the caller in one short sentence that you are transferring them, in the same reply.${choices}`,
      parameters: {
        type: 'object',
        properties: {
          destination: { type: 'string', description: 'Which destination to transfer to, by name.' },
          reason: { type: 'string', description: 'Why the caller is being transferred, in a few words, for the log.' },
        },
        additionalProperties: false,
      },
    });
  }
  return tools;
}

/** Where a call may be transferred: only ever what the configuration names, never a number the agent makes up. */
export interface TransferDestinations {
  /** TRANSFER_NUMBER: where a transfer with no destination goes. */
  defaultNumber?: string | undefined;
  /** TRANSFER_TARGETS: name → E.164 number. */
  named: Readonly<Record<string, string>>;
}

export type TransferChoice = { ok: true; number: string; name?: string } | { ok: false; error: string };

/**
 * The number a transfer request may dial. A destination the agent names must be one of TRANSFER_TARGETS (by name,
 * in any case, or by its exact number) or TRANSFER_NUMBER itself; anything else is refused back to the agent.
 */
export function chooseTransfer(destinations: TransferDestinations, requested: string | undefined): TransferChoice {
  const wanted = requested?.trim() ?? '';
  const names = Object.keys(destinations.named);
  const available = names.length > 0 ? ` Available destinations: ${names.join(', ')}.` : '';
  if (wanted === '') {
    if (destinations.defaultNumber) return { ok: true, number: destinations.defaultNumber };
    if (names.length === 1) return { ok: true, number: destinations.named[names[0]!]!, name: names[0]! };
    return { ok: false, error: names.length > 0 ? `Say which destination to transfer to.${available}` : 'Transfers are not set up for this line.' };
  }
  const byName = names.find((name) => name.toLowerCase() === wanted.toLowerCase());
  if (byName) return { ok: true, number: destinations.named[byName]!, name: byName };
  const byNumber = names.find((name) => destinations.named[name] === wanted);
  if (byNumber) return { ok: true, number: wanted, name: byNumber };
  if (destinations.defaultNumber && wanted === destinations.defaultNumber) return { ok: true, number: wanted };
  return { ok: false, error: `There is no transfer destination "${wanted.slice(0, 60)}"; nothing was dialled.${available || ' Leave destination out to use the main line.'}` };
}
