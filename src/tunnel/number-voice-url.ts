// Points the Twilio number at a bridge for the length of a run (`serve --tunnel --configure-number`): its voice URL
// set to <base>/incoming-call with POST, the previous setting kept so it can be put back on exit.
import { createTwilioClient } from '../clients/twilio-client.js';
import type { Config } from '../config/config.js';
import { describeTwilioError, twilioErrorLabel } from '../knowledge/twilio-failure.js';
import { voicebridgeCommand } from '../util/invocation.js';

export interface NumberVoiceSetting {
  phoneNumber: string;
  numberSid: string;
  voiceUrl: string;
  voiceMethod: string;
}

/** The number could not be read or changed; the message says why and what to do instead. */
export class NumberSetupError extends Error {}

const REQUEST_TIMEOUT_MS = 10_000;

/** Sets the number's voice URL to `voiceUrl` (POST) and returns the setting it had. */
export async function pointNumberAt(config: Config, voiceUrl: string): Promise<NumberVoiceSetting> {
  const phoneNumber = config.twilio.phoneNumber?.trim();
  if (!phoneNumber) throw new NumberSetupError('TWILIO_PHONE_NUMBER is not set: say which number to point at the tunnel (E.164, e.g. +14155550123).');
  const byHand = `In the Twilio Console (Phone Numbers > Manage > Active numbers > ${phoneNumber}), set "A call comes in" to Webhook ${voiceUrl} with HTTP POST.`;
  const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
  let number;
  try {
    [number] = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 1 });
  } catch (error) {
    throw new NumberSetupError(`${phoneNumber} could not be looked up: ${failureText(error)}. Run ${voicebridgeCommand('doctor')}. ${byHand}`);
  }
  if (!number) throw new NumberSetupError(`${phoneNumber} is not a number of this Twilio account (check TWILIO_PHONE_NUMBER and TWILIO_ACCOUNT_SID; ${voicebridgeCommand('doctor')} lists the account's numbers).`);
  if (number.trunkSid) throw new NumberSetupError(`calls to ${phoneNumber} go to the SIP trunk ${number.trunkSid}, which ignores the voice URL: remove the number from the trunk first.`);
  if (number.voiceApplicationSid) {
    throw new NumberSetupError(`calls to ${phoneNumber} go to the TwiML App ${number.voiceApplicationSid}, which overrides the voice URL: set the app's Voice Request URL to ${voiceUrl} (POST) instead.`);
  }
  const previous: NumberVoiceSetting = { phoneNumber, numberSid: number.sid, voiceUrl: number.voiceUrl ?? '', voiceMethod: (number.voiceMethod || 'POST').toUpperCase() };
  try {
    await client.incomingPhoneNumbers(number.sid).update({ voiceUrl, voiceMethod: 'POST' });
  } catch (error) {
    throw new NumberSetupError(`${phoneNumber} was not changed: ${failureText(error)}. ${byHand}`);
  }
  return previous;
}

/** Puts back the voice URL and method the number had. */
export async function restoreNumber(config: Config, previous: NumberVoiceSetting): Promise<void> {
  const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    await client.incomingPhoneNumbers(previous.numberSid).update({ voiceUrl: previous.voiceUrl, voiceMethod: previous.voiceMethod === 'GET' ? 'GET' : 'POST' });
  } catch (error) {
    throw new NumberSetupError(
      `${previous.phoneNumber}'s voice URL could not be put back to ${previous.voiceUrl || '(none)'} (${previous.voiceMethod}): ${failureText(error)}. Set it in the Twilio Console.`,
    );
  }
}

function failureText(error: unknown): string {
  const failure = describeTwilioError(error);
  const label = twilioErrorLabel(failure);
  return label ? `Twilio answered ${label}: ${failure.message}` : `the Twilio API could not be reached: ${failure.message}`;
}
