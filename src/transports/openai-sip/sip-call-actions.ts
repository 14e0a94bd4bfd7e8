// The call actions of a call OpenAI answered over SIP: OpenAI's own call API hangs it up or hands the caller on with a
// SIP REFER (tel:+E164). There is no transport voice to say a last sentence, as Twilio's <Say> is for Media Streams:
// the call's own voice says it (over its sideband, or over a new one when that is gone) before the REFER or hang-up.
import type { CallActions } from '../../call/call-actions.js';
import { describeOpenAIFailure, type SipControl, type SipEngine } from './sip-control.js';

export interface SipCallActionsOptions {
  control: SipControl;
  engine: SipEngine;
  callId: string;
  /** Says the text to the caller and resolves once it has been heard (or could not be); never rejects. */
  say(text: string): Promise<void>;
}

export function sipCallActions(options: SipCallActionsOptions): CallActions {
  const { control, engine, callId, say } = options;
  return {
    via: 'OpenAI',
    api: engine === 'realtime' ? "OpenAI's Realtime calls API" : "OpenAI's Live sessions API",
    hangUp: () => control.hangUp(engine, callId),
    async sayAndHangUp(message) {
      await say(message);
      await control.hangUp(engine, callId);
    },
    async sayAndTransfer(message, destination) {
      await say(message);
      await control.refer(engine, callId, `tel:${destination}`);
    },
    describeFailure: describeOpenAIFailure,
  };
}
