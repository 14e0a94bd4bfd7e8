// `doctor --explain`: turns a pasted error message, error code or ID into its cause and fix.
// The knowledge is a table of matchers, tried in order (most specific first); adding an error means adding a row.
import type { ChalkInstance } from 'chalk';
import { classifyAssistantId, classifyOpenAIKey, cleanId, type AssistantIdKind } from './openai-ids.js';
import { openAISipUri, projectIdProblem } from './openai-sip.js';
import { accountSidProblem, apiKeySidProblem, phoneNumberProblem } from './twilio-ids.js';
import { replacementFor } from '../models/model-replacements.js';
import { DEFAULT_REALTIME_MODEL } from '../config/defaults.js';
import { maskSecret } from '../util/mask-secret.js';
import {
  agentNotFoundAdvice,
  assistantNotInProjectAdvice,
  assistantsSunsetAdvice,
  ASSISTANTS_API_SUNSET,
  createAssistantCommand,
  offlineAssistantIdAdvice,
  shutdownPhrase,
  type Advice,
} from './assistant-id-advice.js';
import { voicebridgeCommand } from '../util/invocation.js';

export interface Explanation {
  matched: boolean;
  /** What was pasted, with anything that looks like a secret masked. */
  input: string;
  /** Which entry of the table answered, e.g. `openai.invalid_api_key`, `twilio.31920`, `id.workflow`. */
  topic: string;
  title: string;
  cause: string;
  fix: string;
  /** Where the service documents it, when it does. */
  docs?: string;
}

type Answer = Pick<Explanation, 'title' | 'cause' | 'fix'> & { docs?: string; topic?: string };

interface Matcher {
  topic: string;
  pattern: RegExp;
  /** Returns undefined to let the next matcher try (e.g. a single word that is not an ID after all). */
  explain(match: RegExpExecArray, now: Date): Answer | undefined;
}

function doctorHint(): string {
  return `Run: ${voicebridgeCommand('doctor')} — it checks the whole setup and prints the fix for each problem.`;
}
const OPENAI_ERRORS = 'https://platform.openai.com/docs/guides/error-codes';
const twilioDocs = (code: string): string => `https://www.twilio.com/docs/api/errors/${code}`;

function fromAdvice(title: string, advice: Advice): Answer {
  return { title, cause: [sentence(advice.summary), ...advice.detail].join(' '), fix: advice.fix };
}

function sentence(text: string): string {
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** Twilio error codes a voicebridge user meets, with what they mean for this setup. */
const TWILIO_ERRORS: Record<string, Omit<Answer, 'docs'>> = {
  '11200': {
    title: 'Twilio 11200: HTTP retrieval failure',
    cause:
      "Twilio requested your number's voice URL (WEBHOOK_URL/incoming-call) and did not get a usable answer: the server " +
      'answered with an error status, was not running, or the tunnel in front of it had moved.',
    fix: `Start the server (${voicebridgeCommand('serve')}) and check its log for the request. If you use a tunnel, update WEBHOOK_URL when its address changes. ${doctorHint()}`,
  },
  '11205': {
    title: 'Twilio 11205: HTTP connection failure',
    cause:
      'Twilio could not connect to the host of your voice URL at all: the name does not resolve, the port is closed, the TLS ' +
      'certificate is not valid, or the server did not answer in time.',
    fix: `Make WEBHOOK_URL a public https:// address with a valid certificate that reaches a running voicebridge serve (not localhost). ${doctorHint()}`,
  },
  '12100': {
    title: 'Twilio 12100: document parse failure',
    cause:
      'Your voice URL answered, but not with valid TwiML (XML): usually an HTML error page, JSON, or another app answering at that address.',
    fix: `Point the number's voice URL at voicebridge: WEBHOOK_URL/incoming-call with POST, which answers TwiML. ${doctorHint()}`,
  },
  '32010': {
    title: 'Twilio 32010: SIP, no valid origination URIs configured',
    cause:
      'A call reached a number on an Elastic SIP trunk, and the trunk had no enabled origination URL to send it to. With ' +
      'TRANSPORT=sip the trunk must send calls to sip:<OPENAI_PROJECT_ID>@sip.api.openai.com;transport=tls.',
    fix: `Run: ${voicebridgeCommand('setup-sip')} — it adds (or enables) that origination URL on the trunk. ${doctorHint()}`,
  },
  '20003': {
    title: 'Twilio 20003: authentication error',
    cause:
      'Twilio rejected the credentials: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) do ' +
      'not belong together, the token was rotated, or they are test credentials.',
    fix: `Copy the Account SID and Auth Token again from the Twilio Console (Account info) into .env. ${doctorHint()}`,
  },
  '21211': {
    title: "Twilio 21211: invalid 'To' phone number",
    cause: 'The number to call is not a valid phone number in E.164 form.',
    fix: 'Write it as E.164: + country code and number, no spaces or dashes, e.g. +14155550123.',
  },
  '31920': {
    title: 'Twilio 31920: Media Stream WebSocket handshake error',
    cause:
      'Twilio opened the <Stream> WebSocket (wss://…) and got an HTTP answer other than 101 Switching Protocols: that path does ' +
      'not serve WebSockets, a proxy or tunnel does not pass the upgrade through, or the URL carries a query string.',
    fix:
      'voicebridge builds the stream URL from WEBHOOK_URL: set it to the public https:// base URL with no path and no query string, ' +
      `and make sure any proxy in front forwards WebSocket upgrades. ${doctorHint()}`,
  },
  '31921': {
    title: 'Twilio 31921: Media Stream WebSocket closed by your server',
    cause:
      'Your server closed the Media Stream WebSocket; with <Connect><Stream> the call ends there. voicebridge closes it when a ' +
      'call hangs up, and when the bridge cannot go on (for example OpenAI Realtime refused the session).',
    fix: `Find the call in the voicebridge serve log (by its Call SID) to see why it ended. ${doctorHint()}`,
  },
  '31924': {
    title: 'Twilio 31924: Media Stream WebSocket protocol error',
    cause:
      'Your server sent something that breaks the WebSocket protocol (such as a fragmented control frame), or a message other than media, mark or clear.',
    fix: 'If a proxy sits between Twilio and voicebridge, try without it; voicebridge itself sends only media, mark and clear messages.',
  },
  '31930': {
    title: 'Twilio 31930: Media Stream congestion',
    cause: 'Twilio reported congestion on the media stream: messages between Twilio and your server were delayed, so audio could not keep up.',
    fix: 'Run the server with enough CPU and close to Twilio (network latency adds to every turn), and keep other heavy work off that machine.',
  },
  '31950': {
    title: 'Twilio 31950: Media Stream message could not be decoded',
    cause: 'Your server sent a binary WebSocket frame; Twilio accepts only JSON text messages, with audio as base64 in media.payload.',
    fix: 'Send audio as {"event":"media","streamSid":…,"media":{"payload":"<base64 μ-law 8 kHz>"}} in a text frame.',
  },
  '31951': {
    title: 'Twilio 31951: invalid Media Stream message',
    cause:
      'Your server sent a message Twilio does not accept: not valid JSON, an event other than media, mark or clear, missing or ' +
      'extra fields, or a streamSid that is not the one from the start message.',
    fix: 'Use the streamSid from the start message and send only media, mark and clear messages in their documented shape.',
  },
};

const TWILIO_SID_KINDS: Record<string, { what: string; use: string }> = {
  AC: { what: 'a Twilio Account SID', use: 'It belongs in TWILIO_ACCOUNT_SID.' },
  SK: { what: 'a Twilio API key SID', use: 'It belongs in TWILIO_API_KEY, with its secret in TWILIO_API_SECRET.' },
  PN: { what: 'a Twilio phone number SID', use: 'TWILIO_PHONE_NUMBER wants the number itself in E.164 form (+14155550123), not its SID.' },
  CA: { what: 'a Twilio Call SID', use: 'Look the call up in the Twilio Console (Monitor → Calls) and in the voicebridge serve log.' },
  MZ: { what: 'a Twilio Media Stream SID', use: 'It names one call\'s audio stream; look it up in the voicebridge serve log.' },
  AP: { what: 'a TwiML App SID', use: "If your number uses this app, the app's voice URL overrides the number's own: point it at WEBHOOK_URL/incoming-call." },
  TK: {
    what: 'a SIP trunk SID',
    use:
      'A number on a SIP trunk ignores its voice URL: remove the number from the trunk for voicebridge to answer it. ' +
      'With TRANSPORT=sip it is the other way round: the number must be on a trunk to sip:<OPENAI_PROJECT_ID>@sip.api.openai.com (voicebridge setup-sip).',
  },
};

const ID_TITLES: Partial<Record<AssistantIdKind, string>> = {
  workflow: 'An Agent Builder workflow ID, not an assistant',
  prompt: 'A prompt object ID, not an assistant',
  placeholder: 'A placeholder, not a real ID',
  thread: 'An Assistants API thread ID, not an assistant',
  run: 'An Assistants API run ID, not an assistant',
  conversation: 'A Conversations API ID, not an assistant',
  response: 'A Responses API response ID, not an assistant',
  'realtime-session': 'A Realtime session ID, not an assistant',
  'other-openai-object': 'An OpenAI ID of another kind, not an assistant',
};

function explainBareToken(token: string, now: Date): Answer | undefined {
  if (/^sk-/.test(token)) {
    const kind = classifyOpenAIKey(token).kind;
    const masked = maskSecret(token);
    return {
      topic: 'key.openai',
      title: `An OpenAI API key (${masked})`,
      cause:
        kind === 'admin'
          ? 'An admin key (sk-admin-…): it manages the organization and cannot call the model APIs, so the bridge cannot use it.'
          : 'A secret key for the OpenAI API. It belongs in OPENAI_API_KEY only: never in ASSISTANT_ID, a chat or a repository.',
      fix:
        kind === 'admin'
          ? 'Create a project key (sk-proj-…) at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY.'
          : `Put it in OPENAI_API_KEY in .env and run: ${voicebridgeCommand('doctor')}. If it was shared anywhere public, revoke it at https://platform.openai.com/api-keys.`,
    };
  }
  if (/^proj[_-]/.test(token)) {
    const problem = projectIdProblem(token);
    return {
      topic: problem ? 'id.openai_project.malformed' : 'id.openai_project',
      title: problem ? 'Not a whole OpenAI project ID' : 'An OpenAI project ID',
      cause: problem ? `${token} ${problem}.` : `${token} names an OpenAI project: with TRANSPORT=sip the trunk sends calls to ${openAISipUri(token)}.`,
      fix: 'It belongs in OPENAI_PROJECT_ID; OPENAI_API_KEY must be a key of the same project.',
    };
  }
  const sid = /^(AC|SK|PN|CA|MZ|AP|TK)[0-9a-f]{32}$/.exec(token);
  if (sid) {
    const kind = TWILIO_SID_KINDS[sid[1]!]!;
    return { topic: `id.twilio.${sid[1]}`, title: sentence(kind.what).replace(/\.$/, ''), cause: `${token} is ${kind.what}.`, fix: kind.use };
  }
  const nearSid = /^(AC|SK)[0-9A-Za-z]+$/.exec(token);
  if (nearSid && token.length !== 34) {
    const account = nearSid[1] === 'AC';
    const problem = account ? accountSidProblem(token) : apiKeySidProblem(token);
    return {
      topic: `id.twilio.${nearSid[1]}.malformed`,
      title: `Not a whole Twilio ${account ? 'Account SID' : 'API key SID'}`,
      cause: `${token} starts like ${account ? 'an Account SID' : 'an API key SID'}, but it ${problem}: part of it is missing or extra.`,
      fix: account
        ? 'Copy the Account SID again from Account Info at https://console.twilio.com into TWILIO_ACCOUNT_SID.'
        : 'Copy the API key SID again from Console > Account > API keys & tokens into TWILIO_API_KEY.',
    };
  }
  if (/^[0-9a-f]{32}$/.test(token)) {
    return {
      topic: 'key.twilio',
      title: 'Probably a Twilio Auth Token or API secret (32 hex digits)',
      cause: 'A secret that signs in to Twilio. It belongs in TWILIO_AUTH_TOKEN (or TWILIO_API_SECRET for an API key).',
      fix: `Put it in .env and run: ${voicebridgeCommand('doctor')}. If it was shared anywhere public, rotate it in the Twilio Console.`,
    };
  }
  const classification = classifyAssistantId(token, now);
  const value = cleanId(token);
  switch (classification.kind) {
    case 'empty':
    case 'not-an-id':
      return undefined;
    case 'assistant':
      return {
        topic: 'id.assistant',
        title: 'An Assistants API assistant ID',
        cause:
          `${value} is an assistant of the Assistants API, which OpenAI ${shutdownPhrase(ASSISTANTS_API_SUNSET, now, { past: 'sunset', future: 'sunsets' })}: ` +
          'it works only on an endpoint that still serves that API.',
        fix: `Run ${voicebridgeCommand('doctor')} to see whether your endpoint still serves it. To move to a current API: ${createAssistantCommand()} --api agents (or --api responses).`,
      };
    case 'agent':
      // Anything long enough classifies as an agent id; only explain what really looks like one.
      if (!/^agent_[A-Za-z0-9]+$/.test(value)) return undefined;
      return {
        topic: 'id.agent',
        title: 'An Agents API agent ID',
        cause: `${value} is a reusable agent of the Agents API (client.beta.agents): what voicebridge talks to by default.`,
        fix: `Put it in ASSISTANT_ID (ASSISTANT_ID=${value}) and run: ${voicebridgeCommand('doctor')} — it checks that this key can reach the agent.`,
      };
    default: {
      const advice = offlineAssistantIdAdvice(token, 'ASSISTANT_ID', now);
      if (!advice) return undefined;
      return { topic: `id.${classification.kind}`, ...fromAdvice(ID_TITLES[classification.kind] ?? 'Not an assistant ID', advice) };
    }
  }
}

/** The table. Order matters: OpenAI's messages first (they may contain numbers), then Twilio codes, then bare IDs. */
const MATCHERS: Matcher[] = [
  {
    topic: 'sip.call_ended_404',
    // A hang-up or transfer (REFER) of a SIP call answered 404: unlike an accept's, the call had been taken, and is over.
    pattern: /\b404\b[^\n]*\/(?:hangup|refer)\b|\/(?:hangup|refer)\b[^\n]*\b404\b/i,
    explain: () => ({
      title: '404 on hanging up or transferring a SIP call: the call has already ended',
      cause:
        'OpenAI answers 404 to a hangup or refer for a call that is no longer in progress: the caller hung up first, an earlier ' +
        'transfer or hang-up already ended it, or the ID (rtc_… for Realtime, live_… for GPT-Live) came from another project. ' +
        'Nothing is left to do on that call.',
      fix: `Nothing, when the caller had hung up. If calls end this way while the caller is still there, ${doctorHint()}`,
    }),
  },
  {
    topic: 'sip.webhook_unsigned',
    pattern: /Unsigned webhook|carries no Standard Webhooks signature/i,
    explain: () => ({
      title: 'A request to /openai-webhook without a webhook signature',
      cause:
        'OpenAI signs every webhook (webhook-id, webhook-timestamp and webhook-signature headers). A request without them did not ' +
        'come from OpenAI (a scanner, a health check pointed at the wrong path), or a proxy in front of serve removed the headers.',
      fix:
        'Nothing, when it was not OpenAI: serve refused it (400) and took no call. If OpenAI\'s calls are refused this way, pass the ' +
        `webhook-* headers through the proxy unchanged. ${doctorHint()}`,
    }),
  },
  {
    topic: 'sip.accept_404',
    // An accept (or reject) of a SIP call answered 404: the call's ID is no longer waiting for an answer.
    pattern: /\b404\b[^\n]*(?:\/(?:accept|reject|refer)\b|\brtc_\w+|\blive_\w+)|(?:\/(?:accept|reject|refer)\b|\brtc_\w+)[^\n]*\b404\b/i,
    explain: () => ({
      title: '404 on accepting a SIP call: the call is no longer waiting for an answer',
      cause:
        'OpenAI answers 404 when the call named in the accept (rtc_… for Realtime, live_… for GPT-Live) is not pending any more: it was ' +
        'already accepted (by another instance behind the same WEBHOOK_URL, or after OpenAI delivered the same webhook twice because ' +
        'the first answer was slow), the caller hung up while it rang, or the ID came from another project. The first accept wins; ' +
        'the call itself is fine if another one took it.',
      fix:
        'Nothing to do when another instance took the call. Otherwise answer the webhook within a few seconds, accept each call once ' +
        `(webhook-id is the same on a redelivery), and check that OPENAI_PROJECT_ID and OPENAI_API_KEY belong to one project. ${doctorHint()}`,
    }),
  },
  {
    topic: 'sip.webhook_signature',
    pattern: /webhook signature does not match|InvalidWebhookSignatureError|Invalid webhook timestamp format/i,
    explain: () => ({
      title: 'A webhook that does not verify with OPENAI_WEBHOOK_SECRET',
      cause:
        'serve checks every webhook against OPENAI_WEBHOOK_SECRET. It did not match: the secret in .env is not the endpoint\'s ' +
        '(it was rotated, or belongs to another endpoint or project), or something between OpenAI and serve changed the body.',
      fix: `Run: ${voicebridgeCommand('setup-sip')} — it writes the endpoint's secret into .env (making a new one when needed), then restart serve. ${doctorHint()}`,
    }),
  },
  {
    topic: 'sip.webhook_timestamp',
    pattern: /Webhook timestamp is too (old|new)/i,
    explain: (match) => ({
      title: `A webhook whose timestamp is too ${match[1]!.toLowerCase()}`,
      cause:
        'A webhook is accepted within 5 minutes of the time it was signed. This one was outside: the clock of the machine running ' +
        'serve is wrong, or the request was held up (or replayed) on the way.',
      fix: 'Sync the clock (NTP) of the machine running serve. A replayed request is rightly refused.',
    }),
  },
  {
    topic: 'openai.mismatched_project',
    pattern: /mismatched_project|OpenAI-Project header should match/i,
    explain: () => ({
      title: 'The key belongs to another OpenAI project (401 mismatched_project)',
      cause:
        'The request named a project (OPENAI_PROJECT_ID) that the key does not belong to. Calls, their webhooks and the key must ' +
        'all be of one project: the trunk sends calls to OPENAI_PROJECT_ID, and its webhooks are set up with the key.',
      fix: 'Use an API key created in that project, or set OPENAI_PROJECT_ID to the key\'s project (Settings > Project > General).',
    }),
  },
  {
    topic: 'sip.603',
    pattern: /\b603\b[^\n]*Decline|Decline[^\n]*\b603\b|SIP[^\n]*\b603\b/i,
    explain: () => ({
      title: 'SIP 603 Decline: the call was refused',
      cause:
        'A call over SIP ended with 603, the status a refused call gets: OpenAI refuses a call that nobody accepted in time. serve ' +
        'accepts nothing when it cannot take the call (it answers the webhook 503 at MAX_CALLS or while shutting down, for OpenAI ' +
        'to retry elsewhere) or when the webhook did not verify (400).',
      fix: `Look for the call in the log of voicebridge serve; check MAX_CALLS, and that the webhook reaches serve. ${doctorHint()}`,
    }),
  },
  {
    topic: 'openai.assistant_id_not_asst',
    pattern: /(?:Invalid 'assistant_id':\s*'([^']*)'[.\s]*)?Expected an ID that begins with 'asst'/i,
    explain(match, now) {
      const id = match[1] ?? '';
      const advice = id ? offlineAssistantIdAdvice(id, 'ASSISTANT_ID', now) : undefined;
      if (id.startsWith('wf_') && advice) return fromAdvice('A workflow ID was used as an assistant ID', advice);
      if (id.startsWith('pmpt_') && advice) return fromAdvice('A prompt ID was used as an assistant ID', advice);
      return {
        title: 'Something other than an assistant ID was used as an assistant ID',
        cause:
          `The Assistants API wants an asst_… ID${id ? `, and got ${id}: ${classifyAssistantId(id, now).description}` : ''}. ` +
          'Every reply fails with this error, so calls connect and then stay silent.',
        fix: advice?.fix ?? `Put a valid agent ID in ASSISTANT_ID, or run: ${createAssistantCommand()}.`,
      };
    },
  },
  {
    topic: 'openai.assistants_api_gone',
    pattern: /Invalid URL \((?:GET|POST|DELETE) \/v1\/(?:assistants|threads)(?:\/(asst_[A-Za-z0-9]+))?/i,
    explain: (match, now) => fromAdvice('The Assistants API is gone from this endpoint', assistantsSunsetAdvice(match[1] ?? 'The assistant', 'ASSISTANT_ID', now, 'the endpoint')),
  },
  {
    topic: 'openai.no_such_assistant',
    pattern: /No assistant found with id '([^']+)'/i,
    explain: (match) => fromAdvice('No such assistant in this project', assistantNotInProjectAdvice(match[1]!, 'ASSISTANT_ID')),
  },
  {
    topic: 'openai.no_such_agent',
    pattern: /No agent found with id '([^']+)'/i,
    explain: (match) => fromAdvice('No such agent in this project', agentNotFoundAdvice(match[1]!, 'ASSISTANT_ID')),
  },
  {
    topic: 'openai.beta_api_shape_disabled',
    pattern: /beta_api_shape_disabled/i,
    explain: () => ({
      title: 'Realtime: the beta header was sent to the GA API',
      cause:
        "The Realtime connection was opened with the header 'OpenAI-Beta: realtime=v1'. The GA Realtime API accepts the " +
        'connection, then sends the error beta_api_shape_disabled and closes it: the caller hears nothing.',
      fix:
        'Remove the OpenAI-Beta header from the Realtime connection (voicebridge does not send it; an older library or a proxy does) ' +
        'and use the GA event names (response.output_audio.delta, not response.audio.delta).',
    }),
  },
  {
    topic: 'openai.invalid_api_key',
    pattern: /invalid_api_key|Incorrect API key provided/i,
    explain: () => ({
      title: 'OpenAI rejected the API key (401 invalid_api_key)',
      cause: 'The key in OPENAI_API_KEY is wrong, revoked, or from another account.',
      fix: `Create a key at https://platform.openai.com/api-keys and put it in OPENAI_API_KEY. ${doctorHint()}`,
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'openai.no_api_key',
    pattern: /You didn't provide an API key/i,
    explain: () => ({
      title: 'No OpenAI API key was sent',
      cause: 'OPENAI_API_KEY is empty or missing where the request was made.',
      fix: `Set OPENAI_API_KEY in .env (or the environment of the process). ${doctorHint()}`,
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'openai.mismatched_organization',
    pattern: /mismatched_organization|OpenAI-Organization header should match/i,
    explain: () => ({
      title: 'The key belongs to another OpenAI organization (401 mismatched_organization)',
      cause: 'The request named an organization (OPENAI_ORG_ID, sent by the OpenAI SDK) that this key does not belong to.',
      fix: 'Unset OPENAI_ORG_ID and OPENAI_PROJECT_ID in your shell, or set them to the organization and project of the key.',
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'openai.missing_scopes',
    pattern: /Missing scopes?:\s*([\w.,: -]+?)(?:\.\s|\.$|$)|insufficient permissions for this operation/i,
    explain: (match) => ({
      title: `The key lacks a permission${match[1] ? ` (${match[1].trim()})` : ''}`,
      cause: 'A restricted key without the needed scope, an admin key, or a project role below Member.',
      fix: 'At https://platform.openai.com/api-keys give the key "All" permissions or the missing scope, or create a project key with All permissions.',
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'openai.insufficient_quota',
    pattern: /insufficient_quota|exceeded your current quota|credit_balance_exhausted|project_spend_limit_exceeded|billing_hard_limit_reached/i,
    explain: () => ({
      title: 'No OpenAI quota left (429 insufficient_quota): a billing problem',
      cause: 'The key is fine, but its organization or project has no credit left or hit its spend limit. Retrying will not help.',
      fix: "Add credit or raise the limit at https://platform.openai.com/settings/organization/billing (and the project's budget under Settings → Limits).",
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'openai.rate_limit_exceeded',
    pattern: /rate_limit_exceeded|Rate limit reached/i,
    explain: () => ({
      title: 'OpenAI rate limit (429 rate_limit_exceeded): too many requests right now',
      cause: 'The key is fine and the account has quota, but it sent more requests or tokens per minute than its limits allow.',
      fix: "Wait the time the message says and try again; if it keeps happening, lower the load or raise the project's rate limits (Settings → Limits).",
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'openai.model_not_found',
    pattern: /model_not_found|The model [`'"]?([\w.:-]+)[`'"]? does not exist/i,
    explain(match) {
      const model = match[1];
      const successor = model ? replacementFor(model) : undefined;
      return {
        title: `Model not available${model ? `: ${model}` : ''} (404 model_not_found)`,
        cause: `${model ?? 'The model'} does not exist, was shut down, or this key's project may not use it.`,
        fix: successor
          ? `Use ${successor} instead (its successor). ${doctorHint()}`
          : `Use a model this key can use (the Realtime default is ${DEFAULT_REALTIME_MODEL}); ${voicebridgeCommand('doctor')} checks OPENAI_REALTIME_MODEL and OPENAI_TRANSCRIBE_MODEL.`,
        docs: OPENAI_ERRORS,
      };
    },
  },
  {
    topic: 'network.unreachable',
    pattern: /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|Connection error\.)/,
    explain: (match) => ({
      title: `The service could not be reached (${match[1]!.replace(/\.$/, '')})`,
      cause:
        match[1] === 'ECONNREFUSED'
          ? 'Nothing listens at that address and port.'
          : match[1] === 'ENOTFOUND' || match[1] === 'EAI_AGAIN'
            ? 'The host name could not be resolved.'
            : 'The connection failed or timed out.',
      fix: `Check the address (OPENAI_BASE_URL, TWILIO_API_BASE_URL, WEBHOOK_URL) and your network. ${doctorHint()}`,
    }),
  },
  {
    topic: 'twilio',
    pattern: new RegExp(`\\b(${Object.keys(TWILIO_ERRORS).join('|')})\\b`),
    explain: (match) => ({ topic: `twilio.${match[1]}`, ...TWILIO_ERRORS[match[1]!]!, docs: twilioDocs(match[1]!) }),
  },
  {
    // twilio-node's RestException for 20003 carries only this word as its message.
    topic: 'twilio.20003',
    pattern: /\bAuthenticate\b/,
    explain: () => ({ ...TWILIO_ERRORS['20003']!, docs: twilioDocs('20003') }),
  },
  {
    topic: 'phone-number',
    // A phone number alone, or as a line of .env: digits with the usual separators, seven at least after a +, else ten
    // (so that a date or a short code is not taken for one).
    pattern: /^\s*(?:[A-Z][A-Z0-9_]*\s*=\s*)?['"]?\s*(\+(?=(?:[\s().-]*\d){7})[\d\s().-]+|(?=(?:[\s().-]*\d){10})[\d\s().-]+)\s*['"]?\s*$/,
    explain(match) {
      const number = match[1]!.trim();
      const problem = phoneNumberProblem(number);
      if (!problem) {
        return {
          title: 'A phone number in E.164 form',
          cause: `${number} is written as Twilio wants it: +, the country code and the number, nothing else.`,
          fix: `It belongs in TWILIO_PHONE_NUMBER (your Twilio number, which callers dial) or TRANSFER_NUMBER (where failing calls go). ${doctorHint()}`,
        };
      }
      return {
        title: 'A phone number not in E.164 form',
        cause: `${number} ${problem}. Twilio names numbers in E.164 form only, so TWILIO_PHONE_NUMBER written otherwise matches no number on the account.`,
        fix: 'Write it as E.164: +, the country code and the number, with no spaces, dashes or brackets (e.g. +14155550123).',
      };
    },
  },
  {
    topic: 'http.401',
    pattern: /^\s*(?:HTTP\s*)?401\b/i,
    explain: () => ({
      title: '401 Unauthorized: the credentials were rejected',
      cause: 'From OpenAI: OPENAI_API_KEY is wrong or revoked. From Twilio: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN do not match.',
      fix: `${doctorHint()} Paste the whole error message for a precise answer.`,
    }),
  },
  {
    topic: 'http.403',
    pattern: /^\s*(?:HTTP\s*)?403\b/i,
    explain: () => ({
      title: '403 Forbidden: the credentials were recognised but not allowed',
      cause:
        "From OpenAI: the key's project or role may not use that API or model (a restricted key, a project role below Member, " +
        'an organization without access to a beta such as the Agents API), or the request came from an unsupported country. ' +
        'From Twilio: the account may not do that (a trial account, or a permission the API key lacks).',
      fix: `${doctorHint()} Paste the whole error message for a precise answer.`,
    }),
  },
  {
    topic: 'http.429',
    pattern: /^\s*(?:HTTP\s*)?429\b/i,
    explain: () => ({
      title: '429: quota or rate limit',
      cause: 'OpenAI answers 429 both when the account has no quota left (insufficient_quota: retrying never helps) and when it is rate-limited for a moment (rate_limit_exceeded).',
      fix: 'Paste the whole error message: its code tells which. For quota, fix billing; for a rate limit, wait and retry.',
      docs: OPENAI_ERRORS,
    }),
  },
  {
    topic: 'secret.openai_webhook',
    // A webhook signing secret alone or as a line of .env; its base64 may hold + / =, which no ID has.
    pattern: /^\s*(?:export\s+)?(?:[A-Z][A-Z0-9_]*\s*=\s*)?['"]?\s*(whsec_[A-Za-z0-9+/]+={0,2})\s*['"]?\s*$/,
    explain: (match) => ({
      title: `An OpenAI webhook signing secret (${maskSecret(match[1]!)})`,
      cause: 'The secret OpenAI signs webhooks with. It belongs in OPENAI_WEBHOOK_SECRET only (TRANSPORT=sip), never in a chat or a repository.',
      fix: `Put it in OPENAI_WEBHOOK_SECRET in .env. If it was shared, delete that line and run ${voicebridgeCommand('setup-sip')}: the endpoint gets a new secret.`,
    }),
  },
  {
    topic: 'id',
    // A bare ID or key, alone or as a line of .env (ASSISTANT_ID=wf_…).
    pattern: /^\s*(?:export\s+)?(?:[A-Z][A-Z0-9_]*\s*=\s*)?['"]?\s*([A-Za-z0-9_.:-]{2,200})\s*['"]?\s*$/,
    explain: (match, now) => explainBareToken(match[1]!, now),
  },
];

/** Masks what looks like a secret in pasted text: OpenAI keys, and 32-character tokens (Twilio auth tokens and secrets). */
function maskPastedSecrets(text: string): string {
  return text
    .replace(/sk-[A-Za-z0-9_-]{6,}/g, (key) => maskSecret(key))
    .replace(/whsec_[A-Za-z0-9+/=]{6,}/g, (secret) => maskSecret(secret))
    .replace(/\b(?=[0-9A-Za-z]*\d)[0-9A-Za-z]{32}\b/g, (token) => maskSecret(token));
}

export function explainText(input: string, now: Date = new Date()): Explanation {
  const text = input.trim();
  const shown = maskPastedSecrets(text);
  for (const matcher of MATCHERS) {
    const match = matcher.pattern.exec(text);
    if (!match) continue;
    const answer = matcher.explain(match, now);
    if (!answer) continue;
    const { topic, ...rest } = answer;
    return { matched: true, input: shown, topic: topic ?? matcher.topic, ...rest };
  }
  const code = /\b(\d{5})\b/.exec(text)?.[1];
  return {
    matched: false,
    input: shown,
    topic: 'unrecognised',
    title: 'Not recognised',
    cause: text === '' ? 'Nothing was given to explain.' : 'voicebridge does not know this message or ID.',
    fix:
      `Paste the whole error message (or the bare ID) in quotes: ${voicebridgeCommand('doctor --explain "<text>"')}. ${doctorHint()}` +
      (code ? ` Twilio documents error ${code} at ${twilioDocs(code)}.` : ` OpenAI's error codes: ${OPENAI_ERRORS}.`),
  };
}

export function renderExplanation(explanation: Explanation, chalk: ChalkInstance): string {
  const colour = explanation.matched ? chalk.bold : chalk.yellow.bold;
  const field = (label: string, text: string): string[] => {
    const [first, ...rest] = text.split('\n');
    return [`${label} ${first}`, ...rest.map((line) => `       ${line}`)];
  };
  const lines = [colour(explanation.title), '', ...field(chalk.dim('cause:'), explanation.cause), ...field(chalk.cyan('fix:  '), explanation.fix)];
  if (explanation.docs) lines.push(...field(chalk.dim('docs: '), explanation.docs));
  return lines.join('\n');
}
