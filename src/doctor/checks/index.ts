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
import { requiredVarsCheck } from './required-vars.js';
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

/** The checks for this configuration's transport. */
export function checksFor(config: Pick<Config, 'transport'>): readonly Check[] {
  return config.transport === 'sip' ? sipChecks : allChecks;
}
