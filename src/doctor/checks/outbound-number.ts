// Whether TWILIO_PHONE_NUMBER can place the calls serve is asked to make: its capabilities, from Twilio's REST API.
// Only when outbound calls are on (VOICEBRIDGE_API_KEY). It needs working credentials, not a passing Phone number
// check: a voice URL that does not point here yet concerns calls coming in, and must not hide whether calls can go out.
import { createTwilioClient } from '../../clients/twilio-client.js';
import { describeTwilioError, genericTwilioFailure } from '../../knowledge/twilio-failure.js';
import type { Check, CheckResult } from '../check.js';
import { redactResult } from '../redact-result.js';

const REQUEST_TIMEOUT_MS = 8_000;

export const outboundNumberCheck: Check = {
  id: 'outbound-number',
  title: 'Number can place calls',
  needs: ['twilio-credentials'],
  online: true,
  timeoutMs: 12_000,
  async run({ config }): Promise<CheckResult> {
    if (config.outbound.apiKey === undefined) return { status: 'ok', summary: 'not checked: outbound calls are off (VOICEBRIDGE_API_KEY is not set)' };
    const number = config.twilio.phoneNumber?.trim() ?? '';
    try {
      const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
      const found = (await client.incomingPhoneNumbers.list({ phoneNumber: number, limit: 20 })).find((candidate) => candidate.phoneNumber === number);
      if (!found) return { status: 'fail', summary: `${number} is not a number on this account`, fix: 'Set TWILIO_PHONE_NUMBER to one of the account’s numbers (see Phone number).' };
      const capabilities = (found.capabilities ?? {}) as { voice?: boolean };
      if (capabilities.voice !== true) {
        return {
          status: 'fail',
          summary: `${number} has no voice capability: Twilio cannot place calls from it`,
          fix: 'Use a voice-capable number for TWILIO_PHONE_NUMBER (Console > Phone Numbers > Buy a number, with Voice ticked).',
        };
      }
      return { status: 'ok', summary: `${number} can place calls (voice capability)` };
    } catch (error) {
      return redactResult({ status: 'fail', ...genericTwilioFailure(describeTwilioError(error), config) }, config.secrets);
    }
  },
};
