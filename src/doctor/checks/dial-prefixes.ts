// Where outbound calls may go: DIAL_ALLOWED_PREFIXES read as serve reads it (or its default, the country code of
// TWILIO_PHONE_NUMBER), with the premium-rate ranges that are refused whatever it says. Offline.
import { parseAllowedPrefixes } from '../../knowledge/dialing.js';
import type { Check, CheckResult } from '../check.js';

export const dialPrefixesCheck: Check = {
  id: 'dial-prefixes',
  title: 'Outbound destinations',
  async run({ config }): Promise<CheckResult> {
    const raw = config.outbound.allowedPrefixes;
    const allowed = parseAllowedPrefixes(raw, config.twilio.phoneNumber);
    const off = config.outbound.apiKey === undefined;
    if (!allowed.ok) {
      // Without the API key nothing is placed: a wrong value is worth fixing, but breaks nothing yet.
      if (off && raw === undefined) return { status: 'ok', summary: 'outbound calls are off (VOICEBRIDGE_API_KEY is not set): no destinations to check' };
      return { status: off ? 'warn' : 'fail', summary: allowed.problem };
    }
    const where = raw === undefined ? `${allowed.prefixes.join(',')} (the country code of TWILIO_PHONE_NUMBER; set DIAL_ALLOWED_PREFIXES to change it)` : allowed.prefixes.join(',');
    return {
      status: 'ok',
      summary: `outbound calls may go to ${where}; premium-rate ranges are always refused`,
      detail: [`at most ${config.outbound.ratePerMinute} calls placed per minute (DIAL_RATE_PER_MINUTE)`],
    };
  },
};
