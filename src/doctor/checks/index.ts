// Every doctor check, in the order the report shows them. Adding a check never touches the runner.
// With TRANSPORT=sip the checks that only make sense for Media Streams (the number's voice URL) give way to the SIP
// ones: the project and webhook secret, the trunk, and the OpenAI webhook endpoint.
import type { Config } from '../../config/config.js';
import type { Check } from '../check.js';
import { agentModelCheck } from './agent-model.js';
import { assistantIdCheck } from './assistant-id.js';
import { callToolsCheck } from './call-tools.js';
import { dialPrefixesCheck } from './dial-prefixes.js';
import { envFileCheck } from './env-file.js';
import { liveModelCheck } from './live-model.js';
import { openaiKeyCheck } from './openai-key.js';
import { outboundApiKeyCheck } from './outbound-api-key.js';
import { outboundNumberCheck } from './outbound-number.js';
import { phoneNumberCheck } from './phone-number.js';
import { portCheck } from './port.js';
import { realtimeModelCheck } from './realtime-model.js';
import { openAIWebhookCheck } from './openai-webhook.js';
import { requiredVarsCheck, requiredVarsCheckFor } from './required-vars.js';
import { sipSettingsCheck } from './sip-settings.js';
import { sipTrunkCheck } from './sip-trunk.js';
import { twilioCredentialsCheck } from './twilio-credentials.js';
import { webhookUrlCheck } from './webhook-url.js';

export const allChecks: readonly Check[] = [
  envFileCheck,
  requiredVarsCheck,
  openaiKeyCheck,
  assistantIdCheck,
  realtimeModelCheck,
  liveModelCheck,
  agentModelCheck,
  twilioCredentialsCheck,
  phoneNumberCheck,
  webhookUrlCheck,
  callToolsCheck,
  outboundApiKeyCheck,
  dialPrefixesCheck,
  outboundNumberCheck,
  portCheck,
];

/** The checks for TRANSPORT=sip: the same, with the SIP checks where the number's voice URL check was. */
export const sipChecks: readonly Check[] = [
  envFileCheck,
  requiredVarsCheck,
  sipSettingsCheck,
  openaiKeyCheck,
  assistantIdCheck,
  realtimeModelCheck,
  liveModelCheck,
  agentModelCheck,
  twilioCredentialsCheck,
  sipTrunkCheck,
  openAIWebhookCheck,
  webhookUrlCheck,
  callToolsCheck,
  portCheck,
];

/** Required variables for a run that takes no call from Twilio: the OpenAI key and the agent, nothing of Twilio's. */
const withoutTwilioRequiredVarsCheck = requiredVarsCheckFor({ twilio: false });

/**
 * The checks for this configuration's transport. Without `twilio` (a run that takes no call from Twilio: the browser
 * phone alone, or serve in SIP mode, where Twilio sends calls to OpenAI), Twilio's variables are not required.
 */
export function checksFor(config: Pick<Config, 'transport'>, needs: { twilio: boolean } = { twilio: true }): readonly Check[] {
  const checks = config.transport === 'sip' ? sipChecks : allChecks;
  return needs.twilio ? checks : checks.map((check) => (check === requiredVarsCheck ? withoutTwilioRequiredVarsCheck : check));
}
