// Check 6: the Twilio credentials have the right shape, and Twilio accepts them for an account that can take calls.
// The auth token is tried whenever it is set (serve verifies webhook signatures with it); an API key is tried too.
// The account resource Twilio returns carries the auth token: nothing from it is shown but its status and name.
import type { Config } from '../../config/config.js';
import { createTwilioClient } from '../../clients/twilio-client.js';
import { accountSidProblem, apiKeySidProblem, authTokenProblem } from '../../knowledge/twilio-ids.js';
import { maskSecret } from '../../util/mask-secret.js';
import type { Check, CheckResult } from '../check.js';
import { isPlaceholder } from '../placeholder-values.js';
import { redactResult } from '../redact-result.js';
import { describeTwilioError, genericTwilioFailure, isNetworkFailure, twilioErrorLabel, type TwilioFailure } from '../../knowledge/twilio-failure.js';

const REQUEST_TIMEOUT_MS = 8_000;
const CONSOLE = 'https://console.twilio.com';

export interface TwilioCredentialFacts {
  accountSid: string;
  accountStatus?: string;
  auth: 'auth-token' | 'api-key';
}

export const twilioCredentialsCheck: Check = {
  id: 'twilio-credentials',
  title: 'Twilio credentials',
  online: true,
  timeoutMs: 12_000,
  async run({ config }) {
    return redactResult(await checkTwilioCredentials(config), config.secrets);
  },
};

interface AccountInfo {
  status: string;
  type: string;
  friendlyName: string;
}

async function checkTwilioCredentials(config: Config): Promise<CheckResult> {
  const { accountSid, authToken, apiKey, apiSecret } = config.twilio;
  if (accountSid === undefined) return { status: 'skip', summary: 'TWILIO_ACCOUNT_SID is not set (see Required variables)' };
  const useKey = apiKey !== undefined && apiSecret !== undefined;
  if (authToken === undefined && !useKey) {
    return { status: 'skip', summary: 'no TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) is set (see Required variables)' };
  }

  const placeholders = (
    [
      ['TWILIO_ACCOUNT_SID', accountSid],
      ['TWILIO_AUTH_TOKEN', authToken],
      ['TWILIO_API_KEY', useKey ? apiKey : undefined],
      ['TWILIO_API_SECRET', useKey ? apiSecret : undefined],
    ] as const
  ).filter(([, value]) => value !== undefined && isPlaceholder(value));
  if (placeholders.length > 0) {
    return { status: 'skip', summary: `${placeholders.map(([name]) => name).join(', ')} still hold${placeholders.length === 1 ? 's' : ''} an example value (see Required variables)` };
  }

  const formatProblems: string[] = [];
  const cosmetic: string[] = [];
  const checkFormat = (name: string, value: string | undefined, problemOf: (value: string) => string | undefined, shown: string): void => {
    if (value === undefined) return;
    const problem = problemOf(value.trim());
    if (problem) formatProblems.push(`${name} ${shown} ${problem}`);
    else if (value !== value.trim()) cosmetic.push(`${name} has spaces around it; voicebridge trims them, but remove them to be safe`);
  };
  checkFormat('TWILIO_ACCOUNT_SID', accountSid, accountSidProblem, `(${maskSecret(accountSid)})`);
  checkFormat('TWILIO_AUTH_TOKEN', authToken, tokenProblem('TWILIO_AUTH_TOKEN'), '');
  if (useKey) {
    checkFormat('TWILIO_API_KEY', apiKey, apiKeySidProblem, `(${maskSecret(apiKey)})`);
    checkFormat('TWILIO_API_SECRET', apiSecret, tokenProblem('TWILIO_API_SECRET'), '');
  }
  if (formatProblems.length > 0) {
    return {
      status: 'fail',
      summary: formatProblems[0]!.replace(/ {2,}/g, ' '),
      ...(formatProblems.length > 1 ? { detail: formatProblems.slice(1).map((line) => line.replace(/ {2,}/g, ' ')) } : {}),
      fix: `Copy the values again from ${CONSOLE}: the Account SID and Auth Token are under Account Info on the dashboard` +
        (useKey ? '; API keys are under Account > API keys & tokens.' : '.'),
    };
  }

  const sid = accountSid.trim();
  const shownSid = maskSecret(sid);
  const detail = [...cosmetic];
  let account: AccountInfo | undefined;

  if (authToken !== undefined) {
    const tokenConfig: Config = { ...config, twilio: { ...config.twilio, apiKey: undefined, apiSecret: undefined } };
    const fetched = await fetchAccount(tokenConfig, sid);
    if ('failure' in fetched) {
      const failure = fetched.failure;
      if (failure.kind === 'authenticate') {
        return {
          status: 'fail',
          summary: `Twilio rejected the Account SID ${shownSid} with this auth token (${twilioErrorLabel(failure)} Authenticate)`,
          detail,
          fix: `Copy the Account SID and the primary Auth Token again from ${CONSOLE} (Account Info). ` +
            'If the token was rotated, use the new one; Twilio signs webhooks with it, so serve needs the right one too.',
        };
      }
      if (failure.kind === 'not-found') return notFound(failure, shownSid, detail);
      return { status: 'fail', ...genericTwilioFailure(failure, config), detail };
    }
    account = fetched.account;
  }

  if (useKey) {
    const keyFailure = await tryApiKey(config, sid);
    if (keyFailure) {
      if (keyFailure.kind === 'authenticate' || keyFailure.kind === 'forbidden') {
        return {
          status: 'fail',
          summary: `Twilio rejected the API key ${maskSecret(apiKey)} and its secret (${twilioErrorLabel(keyFailure)})`,
          detail,
          fix: 'Check TWILIO_API_KEY (SK…) and TWILIO_API_SECRET. The secret is shown only once, when the key is created: if it is lost, ' +
            `create a new key in ${CONSOLE} > Account > API keys & tokens. The key must belong to account ${shownSid}.`,
        };
      }
      if (keyFailure.kind === 'not-found') {
        return {
          status: 'fail',
          summary: `the API key ${maskSecret(apiKey)} is valid but cannot see account ${shownSid} (${twilioErrorLabel(keyFailure)})`,
          detail,
          fix: 'Set TWILIO_ACCOUNT_SID to the account the API key belongs to, or create a key in this account.',
        };
      }
      return { status: 'fail', ...genericTwilioFailure(keyFailure, config), detail };
    }
    if (account === undefined) {
      // A Standard API key may not read the account resource; a Main key may. Either way the key works.
      const fetched = await fetchAccount(config, sid);
      if ('account' in fetched) account = fetched.account;
      else if (isNetworkFailure(fetched.failure)) return { status: 'fail', ...genericTwilioFailure(fetched.failure, config), detail };
      else detail.push('A Standard API key may not read the account itself, so the account’s status (active, suspended) was not checked.');
    }
  }

  const facts: TwilioCredentialFacts = { accountSid: sid, auth: useKey ? 'api-key' : 'auth-token', ...(account ? { accountStatus: account.status } : {}) };
  const how = useKey ? `API key ${maskSecret(apiKey)}${authToken !== undefined ? ' and auth token' : ''} accepted` : 'Account SID and auth token accepted';
  if (account === undefined) {
    return { status: 'ok', summary: `${how} for account ${shownSid}`, detail, facts: { ...facts } };
  }
  const named = `account ${shownSid} ("${account.friendlyName}")`;
  if (account.status === 'suspended') {
    return {
      status: 'fail',
      summary: `${named} is suspended: Twilio connects no calls for it`,
      detail,
      fix: `See why in ${CONSOLE} (usually an unpaid balance: Billing), or contact Twilio support to reactivate it.`,
      facts: { ...facts },
    };
  }
  if (account.status === 'closed') {
    return {
      status: 'fail',
      summary: `${named} is closed`,
      detail,
      fix: 'A closed account cannot be reopened: use the Account SID and auth token of an active account (and a number on it).',
      facts: { ...facts },
    };
  }
  if (account.status !== 'active') {
    return { status: 'fail', summary: `${named} has status "${account.status}"`, detail, fix: `Check the account in ${CONSOLE}.`, facts: { ...facts } };
  }
  if (account.type === 'Trial') {
    detail.push('This is a trial account: callers first hear Twilio’s trial message and must press a key; upgrade the account to remove it.');
    return { status: 'warn', summary: `${how}; ${named} is an active trial account`, detail, fix: `Upgrade in ${CONSOLE} > Billing to remove the trial message.`, facts: { ...facts } };
  }
  return { status: 'ok', summary: `${how}; ${named} is active`, detail, facts: { ...facts } };
}

function tokenProblem(name: string): (value: string) => string | undefined {
  return (value) => {
    if (/^(AC|SK)[0-9a-f]{32}$/i.test(value)) return `looks like a SID (${value.slice(0, 2)}…), not ${name === 'TWILIO_AUTH_TOKEN' ? 'the auth token' : 'the API key’s secret'}`;
    return authTokenProblem(value);
  };
}

function notFound(failure: TwilioFailure, shownSid: string, detail: string[]): CheckResult {
  return {
    status: 'fail',
    summary: `Twilio has no account ${shownSid} for these credentials (${twilioErrorLabel(failure)} not found)`,
    detail,
    fix: `Check TWILIO_ACCOUNT_SID against ${CONSOLE} (Account Info); the auth token or API key must belong to that same account.`,
  };
}

async function fetchAccount(config: Config, sid: string): Promise<{ account: AccountInfo } | { failure: TwilioFailure }> {
  try {
    const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
    const account = await client.api.v2010.accounts(sid).fetch();
    return { account: { status: account.status, type: account.type, friendlyName: account.friendlyName } };
  } catch (error) {
    return { failure: describeTwilioError(error) };
  }
}

/** Lists one number with the API key: works for every kind of key, and proves the key belongs to the account. */
async function tryApiKey(config: Config, sid: string): Promise<TwilioFailure | undefined> {
  try {
    const client = await createTwilioClient(config, { timeoutMs: REQUEST_TIMEOUT_MS });
    await client.api.v2010.accounts(sid).incomingPhoneNumbers.page({ pageSize: 1 });
    return undefined;
  } catch (error) {
    return describeTwilioError(error);
  }
}
