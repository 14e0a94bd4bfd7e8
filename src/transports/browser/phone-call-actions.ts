// The call actions of a browser phone call. Hanging up closes the page's call. A page cannot be handed to a person:
// a transfer tells the page where the agent would have sent a phone caller, says so in the log, and ends the call.
import type { CallActions } from '../../call/call-actions.js';
import type { CallLogger } from '../../log/call-log.js';
import type { PhoneLine } from './phone-line.js';

export function phoneCallActions(line: PhoneLine, log: CallLogger): CallActions {
  return {
    via: 'the browser phone',
    api: 'the browser phone',
    hangUp: () => {
      line.endReason = 'The agent ended the call.';
      return Promise.resolve();
    },
    sayAndHangUp: (message) => {
      // The page has no voice of its own: it shows the words a phone caller would have heard.
      line.endReason = message;
      return Promise.resolve();
    },
    sayAndTransfer: (message, destination) => {
      log.info(`A browser call cannot be transferred: the page was told of the transfer to ${destination}, and the call ends`);
      line.send({ type: 'transfer', destination });
      line.endReason = `${message} (A phone caller would now be transferred to ${destination}; the browser phone ends the call instead.)`;
      return Promise.resolve();
    },
    describeFailure: (error) => (error instanceof Error ? error.message : String(error)),
  };
}
