// Check 7: TWILIO_PHONE_NUMBER is an E.164 number on this account, and Twilio sends its calls to this bridge:
// voice URL = WEBHOOK_URL + /incoming-call with POST, and no TwiML App or SIP trunk taking the calls elsewhere.
import type { Config } from '../../config/config.js';
import { DEFAULT_PORT } from '../../config/defaults.js';
import { incomingCallUrl } from '../../config/webhook-urls.js';
import { createTwilioClient } from '../../clients/twilio-client.js';
import { phoneNumberProblem } from '../../knowledge/twilio-ids.js';
import { maskSecret } from '../../util/mask-secret.js';
import type { Check, CheckResult } from '../check.js';
import { localOnlyWebhookHost, voiceUrlFix, webhookUrlUnfitForTwilio } from '../fixes/voice-url-fix.js';
import { sameUrl } from '../../util/same-url.js';
import { isPlaceholder } from '../placeholder-values.js';
import { redactResult } from '../redact-result.js';
import { describeTwilioError, genericTwilioFailure } from '../../knowledge/twilio-failure.js';
import { voicebridgeCommand } from '../../util/invocation.js';

const REQUEST_TIMEOUT_MS = 8_000;
const NUMBERS_PAGE = 'Console > Phone Numbers > Manage > Active numbers';

export interface PhoneNumberFacts {
  numberSid: string;
  voiceUrl: string | null;
  expectedVoiceUrl?: string;
}

export const phoneNumberCheck: Check = {
  id: 'phone-number',
  title: 'Phone number',
  needs: ['twilio-credentials'],
  online: true,
  timeoutMs: 12_000,
  async run({ config }) {
    return redactResult(await checkPhoneNumber(config), config.secrets);
  },
};

interface NumberRecord {
  sid: string;
  phoneNumber: string;
  voiceUrl: string | null;
  voiceMethod: string | null;
  voiceApplicationSid: string | null;
  trunkSid: string | null;
}

async function checkPhoneNumber(config: Config): Promise<CheckResult> {
  const raw = config.twilio.phoneNumber;
  if (raw === undefined) return { status: 'skip', summary: 'TWILIO_PHONE_NUMBER is not set (see Required variables)' };
  const number = raw.trim();
  if (isPlaceholder(number)) return { status: 'skip', summary: 'TWILIO_PHONE_NUMBER still holds an example value (see Required variables)' };
  const formatProblem = phoneNumberProblem(number);
  if (formatProblem) {
    const suggestion = /write it as (\+\d+)|looks like (\+\d+)/.exec(formatProblem);
    return {
      status: 'fail',
      summary: `TWILIO_PHONE_NUMBER ${number} ${formatProblem}`,
      fix: `Write the number in E.164 form (+, country code, number; no spaces): TWILIO_PHONE_NUMBER=${suggestion?.[1] ?? suggestion?.[2] ?? '+14155550123'}`,
    };
  }

  const account = maskSecret(config.twilio.accountSid?.trim());
  let matches: NumberRecord[];
  try {
    const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
    const listed = await client.incomingPhoneNumbers.list({ phoneNumber: number, limit: 20 });
    matches = listed.filter((candidate) => candidate.phoneNumber === number);
    if (matches.length === 0) {
      const others = await client.incomingPhoneNumbers.list({ limit: 10 });
      return {
        status: 'fail',
        summary: `${number} is not a number on account ${account}`,
        detail: [
          others.length === 0
            ? 'This account has no phone numbers.'
            : `Numbers on this account: ${others.map((other) => other.phoneNumber).join(', ')}${others.length === 10 ? ', …' : ''}`,
        ],
        fix: 'Set TWILIO_PHONE_NUMBER to one of the account’s numbers (or buy one in Console > Phone Numbers > Buy a number). ' +
          'If the number lives in a subaccount, use that subaccount’s SID and auth token.',
      };
    }
  } catch (error) {
    return { status: 'fail', ...genericTwilioFailure(describeTwilioError(error), config) };
  }

  const found = matches[0]!;
  const voiceUrl = found.voiceUrl || null;
  const method = (found.voiceMethod || 'POST').toUpperCase();
  const current = `${voiceUrl ?? '(none)'} (${method})`;
  const expected = config.webhookUrl !== undefined ? incomingCallUrl(config.webhookUrl) : undefined;
  const facts: PhoneNumberFacts = { numberSid: found.sid, voiceUrl, ...(expected ? { expectedVoiceUrl: expected } : {}) };
  const consolePath = `${NUMBERS_PAGE} > ${number} > Voice Configuration`;

  if (found.trunkSid) {
    return {
      status: 'fail',
      summary: `calls to ${number} go to the SIP trunk ${found.trunkSid}, so its voice URL is never used`,
      detail: [`voice URL (ignored): ${current}`],
      fix: `Remove the number from the trunk (Console > Elastic SIP Trunking > Trunks > ${found.trunkSid} > Numbers), ` +
        `then set its voice URL to ${expected ?? 'WEBHOOK_URL/incoming-call'} with HTTP POST.`,
      facts: { ...facts },
    };
  }
  if (found.voiceApplicationSid) {
    return {
      status: 'warn',
      summary: `calls to ${number} go to the TwiML App ${found.voiceApplicationSid}, which overrides the number’s voice URL`,
      detail: [`the app’s Voice Request URL must be ${expected ?? 'WEBHOOK_URL/incoming-call'} (POST)`, `number’s own voice URL (ignored): ${current}`],
      fix: `Set the TwiML App’s Voice Request URL to ${expected ?? 'WEBHOOK_URL/incoming-call'} with HTTP POST (Console > Voice > TwiML Apps), ` +
        `or in ${consolePath} choose "Webhook" instead of the app.`,
      facts: { ...facts },
    };
  }
  if (expected === undefined) {
    return {
      status: 'warn',
      summary: `${number} (${found.sid}) is on the account; its voice URL was not compared because WEBHOOK_URL is not set`,
      detail: [`voice URL: ${current}`],
      fix: 'Set WEBHOOK_URL, then run the doctor again.',
      facts: { ...facts },
    };
  }
  if (voiceUrl === null || !sameUrl(voiceUrl, expected) || method !== 'POST') {
    const what = voiceUrl !== null && sameUrl(voiceUrl, expected) ? `Twilio calls it with ${method}, but voicebridge expects POST` : 'its voice URL does not point at this bridge';
    // Pointing the number at a WEBHOOK_URL that is itself wrong would only move the problem: fix that one first.
    const unfit = webhookUrlUnfitForTwilio(config.webhookUrl!);
    const fixable = unfit === undefined;
    return {
      status: 'fail',
      summary: `${number}: ${what}`,
      detail: [`expected: ${expected} (POST)`, `found:    ${current}`],
      // A real number pointed at localhost (or http) gets every call refused: the URL is put right first, then the number.
      fix: fixable
        ? `In ${consolePath}, set "A call comes in" to Webhook ${expected} with HTTP POST, and save.`
        : leaveNumberFix(config, unfit),
      facts: { ...facts },
      ...(fixable ? { autoFixes: [voiceUrlFix(config, { phoneNumber: number, numberSid: found.sid, voiceUrl: expected })] } : {}),
    };
  }
  return { status: 'ok', summary: `${number} sends calls to ${expected} (POST)`, facts: { ...facts } };
}

/** Why the number is left alone, and what comes first: a public WEBHOOK_URL for real calls, or nothing for local ones. */
function leaveNumberFix(config: Config, unfit: string): string {
  const leave = `Leave the number as it is for now: ${unfit}, so calls to the number could not reach it.`;
  const webhookUrl = config.webhookUrl!;
  // An https URL on this machine is a local-only setup rather than a typo: say how real calls get there (a tunnel),
  // and that calls from this machine already work without touching the number.
  if (webhookUrl.trim().toLowerCase().startsWith('https:') && localOnlyWebhookHost(webhookUrl) !== undefined) {
    const port = config.port ?? DEFAULT_PORT;
    return `${leave} For real calls, expose the server with a tunnel (e.g. ngrok http ${port}), set WEBHOOK_URL to the https URL it prints, ` +
      'then point the number at WEBHOOK_URL/incoming-call (run the doctor again, or doctor --fix). ' +
      `For calls from this machine only, ${voicebridgeCommand('call')} reaches the server directly: the number needs no change.`;
  }
  return `${leave} Set WEBHOOK_URL to the public https URL of your tunnel or server (see Webhook URL), then point the number at WEBHOOK_URL/incoming-call (run the doctor again, or doctor --fix).`;
}
