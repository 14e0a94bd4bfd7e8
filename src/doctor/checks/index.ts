// Every doctor check, in the order the report shows them. Adding a check never touches the runner.
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
import { requiredVarsCheck } from './required-vars.js';
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
