// SIP mode (TRANSPORT=sip): TWILIO_PHONE_NUMBER is on an Elastic SIP trunk whose origination URL is this project's
// SIP address, with secure media. In SIP mode the number's voice URL is never used: a number still on a voice URL
// is the classic "it rings and nothing answers", since nothing serves that URL's calls any more.
import type { Config } from '../../config/config.js';
import { createTwilioClient } from '../../clients/twilio-client.js';
import { openAISipUri, parseOpenAISipUri, projectIdProblem } from '../../knowledge/openai-sip.js';
import { describeTwilioError, genericTwilioFailure } from '../../knowledge/twilio-failure.js';
import { phoneNumberProblem } from '../../knowledge/twilio-ids.js';
import { maskSecret } from '../../util/mask-secret.js';
import type { Check, CheckResult } from '../check.js';
import { setupSipFix } from '../fixes/setup-sip-fix.js';
import { isPlaceholder } from '../placeholder-values.js';
import { redactResult } from '../redact-result.js';
import { voicebridgeCommand } from '../../util/invocation.js';

const REQUEST_TIMEOUT_MS = 8_000;
const TRUNKS_PAGE = 'Console > Elastic SIP Trunking > Trunks';

export const sipTrunkCheck: Check = {
  id: 'sip-trunk',
  title: 'SIP trunk',
  needs: ['twilio-credentials'],
  online: true,
  timeoutMs: 15_000,
  async run({ config }) {
    return redactResult(await checkSipTrunk(config), config.secrets);
  },
};

async function checkSipTrunk(config: Config): Promise<CheckResult> {
  const raw = config.twilio.phoneNumber;
  if (raw === undefined || isPlaceholder(raw.trim())) return { status: 'skip', summary: 'TWILIO_PHONE_NUMBER is not set (see Required variables)' };
  const number = raw.trim();
  const numberProblem = phoneNumberProblem(number);
  if (numberProblem) return { status: 'fail', summary: `TWILIO_PHONE_NUMBER ${number} ${numberProblem}`, fix: 'Write the number in E.164 form (+, country code, number; no spaces).' };
  const project = config.sip.projectId?.trim();
  if (project === undefined || projectIdProblem(project) !== undefined) {
    return { status: 'skip', summary: 'OPENAI_PROJECT_ID is not a project ID, so there is no SIP address to compare (see SIP project and webhook secret)' };
  }
  const expected = openAISipUri(project);
  const fix = [setupSipFix(config)];
  const byHand = `Run ${voicebridgeCommand('setup-sip')} (or doctor --fix): it puts the number on a trunk to this project, changing nothing else.`;

  try {
    const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
    const found = (await client.incomingPhoneNumbers.list({ phoneNumber: number, limit: 20 })).find((candidate) => candidate.phoneNumber === number);
    if (!found) {
      return {
        status: 'fail',
        summary: `${number} is not a number on account ${maskSecret(config.twilio.accountSid?.trim())}`,
        fix: 'Set TWILIO_PHONE_NUMBER to one of the account’s numbers (Console > Phone Numbers > Manage > Active numbers).',
      };
    }
    if (!found.trunkSid) {
      const where = found.voiceApplicationSid ? `the TwiML App ${found.voiceApplicationSid}` : `its voice URL (${found.voiceUrl || 'none'})`;
      return {
        status: 'fail',
        summary: `${number} is on no SIP trunk: calls go to ${where}, so with TRANSPORT=sip it rings and nothing answers`,
        detail: [`expected: ${number} on a trunk whose origination URL is ${expected}`],
        fix: byHand,
        autoFixes: fix,
      };
    }
    const trunk = await client.trunking.v1.trunks(found.trunkSid).fetch();
    const urls = await client.trunking.v1.trunks(found.trunkSid).originationUrls.list();
    const named = `trunk ${trunk.sid} ("${trunk.friendlyName}")`;
    const here = urls.find((url) => url.sipUrl.trim().toLowerCase() === expected.toLowerCase());
    const shown = urls.map((url) => `${url.sipUrl}${url.enabled ? '' : ' (disabled)'}`);
    if (!here) {
      const addresses = urls.map((url) => parseOpenAISipUri(url.sipUrl)).filter((address) => address !== undefined);
      // This project's address written otherwise (no transport=tls, a regional host) is not "another project".
      const ours = addresses.find((address) => address.projectId === project);
      const other = addresses.find((address) => address.projectId !== project);
      return {
        status: 'fail',
        summary: ours
          ? `${number} is on ${named}, which sends calls to this project but not at ${expected}${ours.tls ? '' : ': without TLS signalling, which secure media (SRTP) needs'}`
          : other
            ? `${number} is on ${named}, which sends calls to another OpenAI project (${other.projectId}), not ${project}`
            : `${number} is on ${named}, which does not send calls to OpenAI`,
        detail: [`expected origination URL: ${expected}`, `found:                    ${shown.length > 0 ? shown.join(', ') : '(none)'}`],
        fix: byHand,
        autoFixes: fix,
      };
    }
    if (!here.enabled) {
      return {
        status: 'fail',
        summary: `${named} has the origination URL ${expected}, but it is disabled: calls cannot reach OpenAI`,
        fix: `Enable it (${TRUNKS_PAGE} > ${trunk.sid} > Origination), or run ${voicebridgeCommand('setup-sip')}.`,
        autoFixes: fix,
      };
    }
    const detail: string[] = [];
    const others = urls.filter((url) => url !== here && url.enabled);
    if (others.length > 0) {
      detail.push(`the trunk also sends calls to ${others.map((url) => `${url.sipUrl} (priority ${url.priority}, weight ${url.weight})`).join(', ')}: some calls may not reach OpenAI`);
    }
    if (!trunk.secure) {
      // GPT-Live over SIP takes secure media only; Realtime takes plain RTP, but the call then travels unencrypted.
      const live = config.openai.voiceEngine === 'live';
      return {
        status: live ? 'fail' : 'warn',
        summary: live
          ? `${named} sends calls to ${expected} without secure media (SRTP), which GPT-Live over SIP needs`
          : `${named} sends calls to ${expected} without secure media (SRTP): the call audio travels unencrypted`,
        detail,
        fix: `Turn on Secure Trunking (${TRUNKS_PAGE} > ${trunk.sid} > General), or run ${voicebridgeCommand('setup-sip')}.`,
        autoFixes: fix,
      };
    }
    const transfers = config.calls.transferNumber !== undefined || Object.keys(config.calls.transferTargets).length > 0;
    if (transfers && trunk.transferMode === 'disable-all') {
      return {
        status: 'warn',
        summary: `${named} has call transfer disabled, so the transfers set in TRANSFER_NUMBER or TRANSFER_TARGETS cannot happen`,
        detail,
        fix: `Enable Call Transfer (SIP REFER) on the trunk (${TRUNKS_PAGE} > ${trunk.sid} > General), or run ${voicebridgeCommand('setup-sip')}.`,
        autoFixes: fix,
      };
    }
    if (others.length > 0) {
      return { status: 'warn', summary: `${number} → ${named} → ${expected}, secure media on; but not the only origination URL`, detail, fix: `Remove or disable the others in ${TRUNKS_PAGE} > ${trunk.sid} > Origination if they are not wanted.` };
    }
    return { status: 'ok', summary: `${number} → ${named} → ${expected}, secure media (SRTP) on` };
  } catch (error) {
    return { status: 'fail', ...genericTwilioFailure(describeTwilioError(error), config) };
  }
}
