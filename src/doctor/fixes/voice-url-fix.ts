// The fix for a Twilio number whose calls do not reach this bridge: set its voice URL to WEBHOOK_URL/incoming-call
// with POST. Offered only when WEBHOOK_URL itself is a usable https base URL on a host Twilio can reach, and never when
// a TwiML App or a SIP trunk takes the number's calls: there the voice URL is ignored, and changing it would only look
// like a fix.
import { createTwilioClient } from '../../clients/twilio-client.js';
import type { Config } from '../../config/config.js';
import type { AutoFix, FixOutcome, FixPlan } from '../check.js';
import { isPlaceholder } from '../placeholder-values.js';
import { isLocalOnlyHost, unreachableHostReason } from '../../knowledge/public-host.js';
import { describeTwilioError, twilioErrorLabel } from '../../knowledge/twilio-failure.js';
import { sameUrl } from '../../util/same-url.js';

const REQUEST_TIMEOUT_MS = 10_000;

/** Why WEBHOOK_URL cannot be given to Twilio as it is (the Webhook URL check says how to fix it), or undefined. */
export function webhookUrlUnfitForTwilio(webhookUrl: string): string | undefined {
  if (isPlaceholder(webhookUrl)) return 'WEBHOOK_URL still holds an example value';
  let url: URL;
  try {
    url = new URL(webhookUrl.trim());
  } catch {
    return 'WEBHOOK_URL is not a URL';
  }
  if (url.protocol !== 'https:') return 'WEBHOOK_URL is not an https URL';
  if (url.search !== '' || url.hash !== '') return 'WEBHOOK_URL has a query string or fragment';
  if (/\/(incoming-call|media-stream|healthz)\/?$/.test(url.pathname)) return 'WEBHOOK_URL is not the base URL';
  // https on this machine or the local network (a local-only setup) is as far from Twilio as http: a real number
  // pointed there would have every call fail.
  if (isLocalOnlyHost(url.hostname)) return `Twilio cannot reach ${url.host} (${unreachableHostReason(url.hostname)!})`;
  return undefined;
}

/** The WEBHOOK_URL's host when only this machine or the local network reaches it (a local-only setup), or undefined. */
export function localOnlyWebhookHost(webhookUrl: string): string | undefined {
  try {
    const url = new URL(webhookUrl.trim());
    return isLocalOnlyHost(url.hostname) ? url.host : undefined;
  } catch {
    return undefined;
  }
}

export interface VoiceUrlTarget {
  phoneNumber: string;
  numberSid: string;
  /** WEBHOOK_URL/incoming-call */
  voiceUrl: string;
}

function failureText(error: unknown): string {
  const failure = describeTwilioError(error);
  const label = twilioErrorLabel(failure);
  return label ? `Twilio answered ${label}: ${failure.message}` : `the Twilio API could not be reached: ${failure.message}`;
}

export function voiceUrlFix(config: Config, target: VoiceUrlTarget): AutoFix {
  const { phoneNumber, numberSid, voiceUrl } = target;
  const byHand = `In the Twilio Console (Phone Numbers > Manage > Active numbers > ${phoneNumber}), set "A call comes in" to Webhook ${voiceUrl} with HTTP POST.`;
  return {
    id: 'phone-number.voice-url',
    description: `Point ${phoneNumber} at this bridge: voice URL ${voiceUrl}, method POST`,
    async plan(): Promise<FixPlan> {
      // The check offers this fix only for a reachable WEBHOOK_URL; said again here, since a number pointed at a host
      // Twilio cannot reach loses every real call.
      const localHost = localOnlyWebhookHost(voiceUrl);
      if (localHost !== undefined) {
        return { kind: 'cannot', reason: `Twilio cannot reach ${localHost}, so ${phoneNumber} is left as it is: set WEBHOOK_URL to the public https URL of your tunnel or server first` };
      }
      try {
        const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
        const number = await client.incomingPhoneNumbers(numberSid).fetch();
        if (number.trunkSid) {
          return { kind: 'cannot', reason: `calls to ${phoneNumber} go to the SIP trunk ${number.trunkSid}, which ignores the voice URL: remove the number from the trunk first` };
        }
        if (number.voiceApplicationSid) {
          return {
            kind: 'cannot',
            reason: `calls to ${phoneNumber} go to the TwiML App ${number.voiceApplicationSid}, which overrides the voice URL: set the app's Voice Request URL to ${voiceUrl} (POST) instead`,
          };
        }
        const method = (number.voiceMethod || 'POST').toUpperCase();
        const current = number.voiceUrl || '(none)';
        if (number.voiceUrl && sameUrl(number.voiceUrl, voiceUrl) && method === 'POST') {
          return { kind: 'not-needed', reason: `${phoneNumber} already sends calls to ${voiceUrl} (POST)` };
        }
        return { kind: 'change', lines: [`voice URL: ${current} (${method}) → ${voiceUrl} (POST)`] };
      } catch (error) {
        return { kind: 'cannot', reason: `${phoneNumber} could not be read back (${failureText(error)}). ${byHand}` };
      }
    },
    async apply(): Promise<FixOutcome> {
      try {
        const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
        const updated = await client.incomingPhoneNumbers(numberSid).update({ voiceUrl, voiceMethod: 'POST' });
        if (!updated.voiceUrl || !sameUrl(updated.voiceUrl, voiceUrl) || (updated.voiceMethod || '').toUpperCase() !== 'POST') {
          return { applied: false, message: `Twilio accepted the change but reports voice URL ${updated.voiceUrl || '(none)'} (${updated.voiceMethod}). ${byHand}` };
        }
        return { applied: true, message: `Twilio now sends calls to ${phoneNumber} to ${voiceUrl} (POST)` };
      } catch (error) {
        return { applied: false, message: `${phoneNumber} was not changed: ${failureText(error)}. ${byHand}` };
      }
    },
  };
}
