// SIP mode (TRANSPORT=sip): OPENAI_PROJECT_ID names the project whose SIP address the trunk calls, and
// OPENAI_WEBHOOK_SECRET verifies the webhooks OpenAI sends serve. Both checked for their shape, offline; neither
// value is ever repeated (a key pasted into either must not show).
import type { Config } from '../../config/config.js';
import { openAISipUri, projectIdProblem, webhookSecretProblem } from '../../knowledge/openai-sip.js';
import type { Check, CheckResult } from '../check.js';
import { setupSipFix } from '../fixes/setup-sip-fix.js';
import { isPlaceholder } from '../placeholder-values.js';
import { redactResult } from '../redact-result.js';
import { voicebridgeCommand } from '../../util/invocation.js';

export const sipSettingsCheck: Check = {
  id: 'sip-settings',
  title: 'SIP project and webhook secret',
  timeoutMs: 2_000,
  async run({ config }) {
    return redactResult(checkSipSettings(config), config.secrets);
  },
};

function checkSipSettings(config: Config): CheckResult {
  const project = config.sip.projectId;
  const secret = config.sip.webhookSecret;
  const problems: string[] = [];
  const fixes: string[] = [];

  if (project === undefined || project.trim() === '' || isPlaceholder(project)) {
    problems.push(`OPENAI_PROJECT_ID is ${project === undefined || project.trim() === '' ? 'not set' : 'still an example value'}: the trunk sends calls to sip:<project ID>@sip.api.openai.com`);
    fixes.push(`Set OPENAI_PROJECT_ID=proj_… in ${config.envFile.path}: the project of OPENAI_API_KEY, from Settings > Project > General on platform.openai.com.`);
  } else {
    const problem = projectIdProblem(project.trim()) ?? (project !== project.trim() ? 'has spaces around it' : undefined);
    if (problem) {
      problems.push(`OPENAI_PROJECT_ID ${problem}`);
      fixes.push('Copy the project ID again from Settings > Project > General on platform.openai.com (it starts with proj_).');
    }
  }

  let secretFixable = false;
  if (secret === undefined || secret.trim() === '') {
    problems.push('OPENAI_WEBHOOK_SECRET is not set: serve cannot verify that a call’s webhook comes from OpenAI, and refuses to start in SIP mode');
    secretFixable = true;
  } else if (isPlaceholder(secret)) {
    problems.push('OPENAI_WEBHOOK_SECRET still holds an example value');
    secretFixable = true;
  } else {
    const problem = webhookSecretProblem(secret.trim()) ?? (secret !== secret.trim() ? 'has spaces around it' : undefined);
    if (problem) {
      problems.push(`OPENAI_WEBHOOK_SECRET ${problem}`);
      secretFixable = true;
    }
  }
  if (secretFixable) {
    fixes.push(`Run ${voicebridgeCommand('setup-sip')}: it sets up the webhook endpoint and writes its signing secret into .env (the secret is shown only once, on creation).`);
  }

  if (problems.length > 0) {
    return {
      status: 'fail',
      summary: problems[0]!,
      ...(problems.length > 1 ? { detail: problems.slice(1) } : {}),
      fix: fixes.join('\n'),
      ...(secretFixable && fixes.length === 1 ? { autoFixes: [setupSipFix(config)] } : {}),
    };
  }
  return { status: 'ok', summary: `calls go to ${openAISipUri(project!.trim())}; OPENAI_WEBHOOK_SECRET has the shape of a signing secret` };
}
