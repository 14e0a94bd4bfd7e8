// Check 2: every variable a call needs is set, and none still holds an example value.
// Secret values are never echoed, not even a placeholder (a real secret taken for one must not leak).
import type { Config, EnvKey } from '../../config/config.js';
import { classifyAssistantId } from '../../knowledge/openai-ids.js';
import { phoneNumberProblem } from '../../knowledge/twilio-ids.js';
import { entriesFor } from '../../config/env-document.js';
import type { AutoFix, Check, CheckResult } from '../check.js';
import { envEditFix } from '../fixes/env-edit-fix.js';
import { redactResult } from '../redact-result.js';
import { intendedVariable } from '../misnamed-variables.js';
import { isPlaceholder } from '../placeholder-values.js';
import { voicebridgeCommand } from '../../util/invocation.js';

const SECRET_KEYS: ReadonlySet<EnvKey> = new Set(['OPENAI_API_KEY', 'TWILIO_AUTH_TOKEN', 'TWILIO_API_SECRET']);

/** Where each required value comes from, for the fix line. */
const WHERE: Partial<Record<EnvKey, string>> = {
  OPENAI_API_KEY: 'an OpenAI API key, from https://platform.openai.com/api-keys',
  TWILIO_ACCOUNT_SID: 'AC…, from Account Info at https://console.twilio.com',
  TWILIO_AUTH_TOKEN: 'the Auth Token beside the Account SID in https://console.twilio.com',
  TWILIO_API_KEY: 'SK…, from Console > Account > API keys & tokens',
  TWILIO_API_SECRET: 'the secret shown once when the API key was created',
  TWILIO_PHONE_NUMBER: 'your Twilio number in E.164 form, e.g. +14155550123, from Console > Phone Numbers',
  WEBHOOK_URL: 'the public https URL Twilio reaches this server at, e.g. the one your tunnel prints',
};

interface Problem {
  key: string;
  text: string;
}

export const requiredVarsCheck: Check = requiredVarsCheckFor({ twilio: true });

/**
 * The check for a run that takes calls from Twilio (the doctor, serve) or only from the browser phone
 * (`serve --phone` without Twilio's settings), which needs the OpenAI key and the agent, nothing of Twilio's.
 */
export function requiredVarsCheckFor(needs: { twilio: boolean }): Check {
  return {
    id: 'required-vars',
    title: 'Required variables',
    timeoutMs: 2_000,
    async run({ config }) {
      const result = redactResult(checkRequiredVars(config, needs.twilio), config.secrets);
      const autoFixes = requiredVarsFixes(config);
      return autoFixes.length > 0 ? { ...result, autoFixes } : result;
    },
  };
}

/** The old AGENT_WORKFLOW_ID beside ASSISTANT_ID is dead weight (and would come back into use if ASSISTANT_ID were emptied). */
function requiredVarsFixes(config: Config): AutoFix[] {
  if (!present(config.raw.ASSISTANT_ID) || !present(config.raw.AGENT_WORKFLOW_ID) || config.sources.AGENT_WORKFLOW_ID !== 'env-file') return [];
  return [
    envEditFix({
      id: 'required-vars.comment-out-old-name',
      description: 'Comment out AGENT_WORKFLOW_ID: it is the old name of ASSISTANT_ID, and ignored while ASSISTANT_ID is set',
      envPath: config.envFile.path,
      secrets: config.secrets,
      edits: (document, { clock }) =>
        entriesFor(document, 'AGENT_WORKFLOW_ID').length === 0
          ? []
          : [
              {
                action: 'comment-out',
                key: 'AGENT_WORKFLOW_ID',
                reason: `${clock.now().toISOString().slice(0, 10)} voicebridge doctor --fix: AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID, and ignored while ASSISTANT_ID is set.`,
              },
            ],
    }),
  ];
}

function checkRequiredVars(config: Config, twilio: boolean): CheckResult {
  const missing: Problem[] = [];
  const placeholders: Problem[] = [];
  const notes: string[] = [];
  let advice: string | undefined;

  const require = (key: EnvKey): void => {
    const value = config.raw[key];
    if (value === undefined || value.trim() === '' || /^(['"`])\s*\1$/.test(value.trim())) {
      const misnamed = Object.keys(config.envFile.values).find((name) => intendedVariable(name) === key);
      const hint = misnamed && value === undefined ? ` (the .env file has ${misnamed}: rename it to ${key})` : '';
      missing.push({ key, text: `${key} is ${value === undefined ? 'not set' : 'empty'}${hint}` });
    } else if (isPlaceholder(value)) {
      const shown = SECRET_KEYS.has(key) ? '' : ` (${value.trim()})`;
      placeholders.push({ key, text: `${key} still holds an example value${shown}` });
    }
  };

  require('OPENAI_API_KEY');
  if (twilio) require('TWILIO_ACCOUNT_SID');

  const hasToken = present(config.raw.TWILIO_AUTH_TOKEN);
  const hasKey = present(config.raw.TWILIO_API_KEY);
  const hasSecret = present(config.raw.TWILIO_API_SECRET);
  // An API key is enough for REST calls, but not for a call: serve refuses to start without the auth token, the only
  // credential that can verify Twilio's webhook signatures.
  // Over SIP no Twilio webhook reaches serve (OpenAI's are verified with OPENAI_WEBHOOK_SECRET): the API key is enough.
  const sip = config.transport === 'sip';
  let signatureProblem: Problem | undefined;
  // The browser phone alone reads none of Twilio's settings, so none is required.
  if (twilio) {
    if (hasKey !== hasSecret) require(hasKey ? 'TWILIO_API_SECRET' : 'TWILIO_API_KEY');
    if (hasKey && hasSecret) {
      require('TWILIO_API_KEY');
      require('TWILIO_API_SECRET');
    }
    if (hasToken || !(hasKey && hasSecret)) {
      require('TWILIO_AUTH_TOKEN');
    } else if (!sip) {
      signatureProblem = {
        key: 'TWILIO_AUTH_TOKEN',
        text: 'TWILIO_AUTH_TOKEN is not set: REST calls can use TWILIO_API_KEY, but voicebridge serve needs the auth token to check Twilio’s webhook signatures, and does not start without it',
      };
      missing.push(signatureProblem);
    }
    require('TWILIO_PHONE_NUMBER');
    require('WEBHOOK_URL');
  }

  // The agent: an ID (any backend; the assistant-id check judges which) or an instructions file for the Responses backend.
  const idKind = config.assistant.id !== undefined ? classifyAssistantId(config.assistant.id).kind : 'empty';
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  if (idKind === 'placeholder') {
    placeholders.push({ key: variable, text: `${variable} still holds an example value (${config.assistant.id?.trim()})` });
  } else if (idKind === 'empty' && config.assistant.instructionsFile === undefined) {
    missing.push({ key: 'ASSISTANT_ID', text: 'no agent is configured: neither ASSISTANT_ID nor ASSISTANT_INSTRUCTIONS_FILE is set' });
  }
  if (config.assistant.idVariable === 'AGENT_WORKFLOW_ID') {
    notes.push('the agent ID is read from AGENT_WORKFLOW_ID, the old name: rename the variable to ASSISTANT_ID');
    advice ??= 'Rename AGENT_WORKFLOW_ID to ASSISTANT_ID in your .env (the value stays the same).';
  }
  if (present(config.raw.ASSISTANT_ID) && present(config.raw.AGENT_WORKFLOW_ID)) {
    notes.push('both ASSISTANT_ID and the old AGENT_WORKFLOW_ID are set; ASSISTANT_ID is used: delete AGENT_WORKFLOW_ID');
    advice ??= 'Delete AGENT_WORKFLOW_ID from your .env: ASSISTANT_ID is the one used.';
  }

  // Optional, but a mistyped transfer number would only show on the day a caller needs it.
  const transfer = config.raw.TRANSFER_NUMBER?.trim();
  const transferProblem = transfer ? phoneNumberProblem(transfer) : undefined;
  if (transferProblem) {
    notes.push(`TRANSFER_NUMBER=${transfer} ${transferProblem}: a call whose agent keeps failing would be ended instead of transferred`);
    advice ??= 'Write TRANSFER_NUMBER in E.164 form (+, country code and number, e.g. +14155550123), or remove it to end such calls politely.';
  }

  const problems = [...missing, ...placeholders];
  if (problems.length > 0) {
    const names = (list: Problem[]) => list.map((problem) => problem.key).join(', ');
    const summary = [missing.length > 0 ? `missing ${names(missing)}` : '', placeholders.length > 0 ? `example values in ${names(placeholders)}` : '']
      .filter(Boolean)
      .join('; ');
    const setThem = [`Set ${problems.length === 1 ? 'it' : 'them'} in ${config.envFile.path}:`, ...problems.map((problem) => `${problem.key}=… ${whereFrom(problem.key, sip)}`)];
    if (signatureProblem && problems.length === 1 && problems[0] === signatureProblem) {
      return {
        status: 'fail',
        summary: signatureProblem.text,
        ...(notes.length > 0 ? { detail: notes } : {}),
        fix: [
          'Add TWILIO_AUTH_TOKEN as well: the API key covers REST calls, but Twilio signs every webhook with the primary auth token, ' +
            'and voicebridge serve needs it to verify those signatures.',
          ...setThem,
        ].join('\n'),
      };
    }
    return {
      status: 'fail',
      summary,
      detail: [...problems.map((problem) => problem.text), ...notes],
      fix: setThem.join('\n'),
    };
  }
  if (notes.length > 0) {
    return { status: 'warn', summary: notes[0]!, ...(notes.length > 1 ? { detail: notes.slice(1) } : {}), ...(advice ? { fix: advice } : {}) };
  }
  const agent = config.assistant.id !== undefined ? variable : 'ASSISTANT_INSTRUCTIONS_FILE';
  if (!twilio) return { status: 'ok', summary: `all set for the browser phone: OPENAI_API_KEY, ${agent}` };
  const twilioAuth =
    hasKey && hasSecret ? (sip && !hasToken ? 'TWILIO_API_KEY + TWILIO_API_SECRET' : 'TWILIO_API_KEY + TWILIO_API_SECRET and TWILIO_AUTH_TOKEN') : 'TWILIO_AUTH_TOKEN';
  return { status: 'ok', summary: `all set: OPENAI_API_KEY, ${agent}, TWILIO_ACCOUNT_SID, ${twilioAuth}, TWILIO_PHONE_NUMBER, WEBHOOK_URL` };
}

function present(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

function whereFrom(key: string, sip: boolean): string {
  if (key === 'ASSISTANT_ID' || key === 'AGENT_WORKFLOW_ID') {
    return `(run: ${voicebridgeCommand('create-assistant')}; or set ASSISTANT_INSTRUCTIONS_FILE to a file with the agent’s instructions)`;
  }
  // In SIP mode OpenAI, not Twilio, calls WEBHOOK_URL (its webhook for each call).
  const where = sip && key === 'WEBHOOK_URL' ? 'the public https URL OpenAI reaches this server at, e.g. the one your tunnel prints' : WHERE[key as EnvKey];
  return where ? `(${where})` : '';
}
