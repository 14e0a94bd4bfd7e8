// SIP mode (TRANSPORT=sip): OpenAI announces each call with a webhook, so the project must have an endpoint at
// WEBHOOK_URL/openai-webhook subscribed to the event the voice engine is offered calls with, and the secret in .env
// must be that endpoint's (the endpoint shows only a hint of it), or serve refuses every webhook as unsigned.
import type { Config } from '../../config/config.js';
import { createOpenAIClient } from '../../clients/openai-client.js';
import { openAIWebhookUrl } from '../../config/webhook-urls.js';
import { classifyOpenAIError, describeKeyOrConnectionFailure } from '../../knowledge/openai-failure.js';
import { projectIdProblem, sipWebhookEvent, webhookSecretProblem } from '../../knowledge/openai-sip.js';
import { secretMatchesHint } from '../../provision/sip/setup-sip.js';
import { WEBHOOK_ENDPOINT_NAME } from '../../provision/sip/setup-sip-result.js';
import { maskSecret } from '../../util/mask-secret.js';
import type { Check, CheckResult } from '../check.js';
import { setupSipFix } from '../fixes/setup-sip-fix.js';
import { isPlaceholder } from '../placeholder-values.js';
import { redactResult } from '../redact-result.js';
import { sameUrl } from '../../util/same-url.js';
import { voicebridgeCommand } from '../../util/invocation.js';

const REQUEST_TIMEOUT_MS = 8_000;
const DASHBOARD = 'https://platform.openai.com/settings/project/webhooks';

export const openAIWebhookCheck: Check = {
  id: 'openai-webhook',
  title: 'OpenAI webhook endpoint',
  needs: ['openai-key'],
  online: true,
  timeoutMs: 12_000,
  async run({ config }) {
    return redactResult(await checkOpenAIWebhook(config), config.secrets);
  },
};

async function checkOpenAIWebhook(config: Config): Promise<CheckResult> {
  const base = config.webhookUrl?.trim();
  if (base === undefined || base === '' || isPlaceholder(base)) return { status: 'skip', summary: 'WEBHOOK_URL is not set (see Required variables)' };
  const url = openAIWebhookUrl(base);
  const event = sipWebhookEvent(config.openai.voiceEngine);
  const project = config.sip.projectId?.trim();
  const projectUsable = project !== undefined && projectIdProblem(project) === undefined;
  const fix = [setupSipFix(config)];
  const byHand = `Run ${voicebridgeCommand('setup-sip')} (or doctor --fix): it creates or corrects the endpoint and writes its secret into .env. By hand: ${DASHBOARD}.`;

  let endpoints;
  try {
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: REQUEST_TIMEOUT_MS, ...(projectUsable ? { project } : {}) });
    endpoints = [];
    for await (const endpoint of client.webhooks.list({ limit: 100 })) endpoints.push(endpoint);
  } catch (error) {
    const failure = await classifyOpenAIError(error);
    if (failure.kind === 'wrong-organization' && projectUsable) {
      return {
        status: 'fail',
        summary: `OPENAI_PROJECT_ID (${project}) is not the project of the key ${maskSecret(config.openai.apiKey)} (${failure.status ?? 401} ${failure.code ?? ''})`.replace(/ \)$/, ')'),
        fix: 'Use an API key of that project, or set OPENAI_PROJECT_ID to the key’s project: calls and their webhooks belong to one project.',
      };
    }
    const known = describeKeyOrConnectionFailure(failure, config, REQUEST_TIMEOUT_MS);
    if (known) return { status: known.status, summary: known.summary, fix: known.fix };
    return { status: 'fail', summary: `listing the webhook endpoints failed (${failure.status ?? 'no answer'}): ${failure.message}`, fix: 'Run the doctor again; if it persists, check https://status.openai.com.' };
  }

  const here = endpoints.filter((endpoint) => sameUrl(endpoint.url, url));
  const endpoint = here.find((candidate) => candidate.event_types.includes(event)) ?? here[0];
  if (!endpoint) {
    const ours = endpoints.find((candidate) => candidate.name === WEBHOOK_ENDPOINT_NAME);
    return {
      status: 'fail',
      summary: `this project has no webhook endpoint at ${url}: OpenAI has nowhere to announce a call, so it rings and nothing answers`,
      detail: [
        ours
          ? `the "${WEBHOOK_ENDPOINT_NAME}" endpoint ${ours.id} points at ${ours.url} (WEBHOOK_URL has changed since?)`
          : `the project has ${endpoints.length === 0 ? 'no webhook endpoints' : `${endpoints.length} other endpoint${endpoints.length === 1 ? '' : 's'}: ${endpoints.map((other) => other.url).join(', ')}`}`,
      ],
      fix: byHand,
      autoFixes: fix,
    };
  }
  const named = `${endpoint.id} ("${endpoint.name}")`;
  if (!endpoint.event_types.includes(event)) {
    return {
      status: 'fail',
      summary: `the webhook endpoint ${named} at ${url} is not subscribed to ${event}, the event ${config.openai.voiceEngine === 'live' ? 'GPT-Live' : 'Realtime'} is offered calls with`,
      detail: [`subscribed to: ${endpoint.event_types.join(', ') || '(nothing)'}`],
      fix: byHand,
      autoFixes: fix,
    };
  }
  const secret = config.sip.webhookSecret?.trim();
  if (secret !== undefined && webhookSecretProblem(secret) === undefined && !secretMatchesHint(secret, endpoint.signing_secret_hint)) {
    return {
      status: 'fail',
      summary: `OPENAI_WEBHOOK_SECRET (${maskSecret(secret)}) is not the secret of ${named} (${endpoint.signing_secret_hint}): serve would refuse every call's webhook as not from OpenAI`,
      fix: `Run ${voicebridgeCommand('setup-sip')}: the endpoint gets a new secret, written into .env (the old one stays valid for 24 hours).`,
      autoFixes: fix,
    };
  }
  return { status: 'ok', summary: `${named} at ${url} is subscribed to ${event}` };
}
