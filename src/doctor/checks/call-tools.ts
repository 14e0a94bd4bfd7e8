// Check: what the agent may do on a call beyond talking — transfer to the named numbers in TRANSFER_TARGETS, and
// have its own functions answered by TOOLS_URL, signed with TOOLS_SECRET. Offline: the values alone are judged.
import { parseTransferTargets } from '../../config/config.js';
import type { Config } from '../../config/config.js';
import { describeToolsUrl, TOOLS_RESPONSE_LIMIT_BYTES } from '../../call/tools-endpoint.js';
import type { Check, CheckResult, CheckStatus } from '../check.js';
import { unreachableHostReason } from '../../knowledge/public-host.js';
import { redactResult } from '../redact-result.js';

const TARGETS_FORM = 'TRANSFER_TARGETS=sales=+14155550100,support=+14155550101 (name=E.164 number, separated by commas)';
const NEW_SECRET = 'openssl rand -hex 32';
/** Below this, a secret is easy to guess, and too short to be masked in output. */
const SHORT_SECRET = 16;

export const callToolsCheck: Check = {
  id: 'call-tools',
  title: 'Call tools',
  async run({ config }) {
    return redactResult(checkCallTools(config), config.secrets);
  },
};

interface Finding {
  status: Exclude<CheckStatus, 'skip'>;
  summary: string;
  fix?: string;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function checkCallTools(config: Config): CheckResult {
  const { TRANSFER_TARGETS: targetsRaw, TOOLS_URL: urlRaw, TOOLS_SECRET: secretRaw } = config.raw;
  if (!present(targetsRaw) && !present(urlRaw) && !present(secretRaw)) {
    // Both are optional: a setup without them takes calls, so this is no reason to hold anything back.
    return { status: 'ok', summary: "TRANSFER_TARGETS and TOOLS_URL are not set (both optional): the agent's own functions are not answered on calls" };
  }
  const findings: Finding[] = [];
  const detail: string[] = [];

  if (present(targetsRaw)) {
    const { targets, problems } = parseTransferTargets(targetsRaw);
    for (const { entry, problem } of problems) {
      findings.push({ status: 'fail', summary: `TRANSFER_TARGETS entry ${entry} ${problem}`, fix: `Fix TRANSFER_TARGETS in .env: ${TARGETS_FORM}.` });
    }
    const names = Object.entries(targets).map(([name, number]) => `${name} → ${number}`);
    detail.push(names.length > 0 ? `the agent may transfer a call to: ${names.join(', ')}` : 'TRANSFER_TARGETS names no number the agent could transfer to');
  }

  if (present(urlRaw)) findings.push(...judgeToolsUrl(urlRaw.trim(), secretRaw, config.tools.timeoutMs, detail));
  else if (present(secretRaw)) {
    findings.push({
      status: 'warn',
      summary: "TOOLS_SECRET is set but TOOLS_URL is not: the agent's own functions are not sent anywhere on a call",
      fix: 'Set TOOLS_URL to the https address of your endpoint, or remove TOOLS_SECRET if the agent has no functions of its own.',
    });
  }

  const rank = { ok: 0, warn: 1, fail: 2 } as const;
  const sorted = [...findings].sort((a, b) => rank[b.status] - rank[a.status]);
  const worst = sorted[0];
  if (!worst) {
    const what = [...(present(targetsRaw) ? ['TRANSFER_TARGETS'] : []), ...(present(urlRaw) ? ['TOOLS_URL', 'TOOLS_SECRET'] : [])];
    const named = what.length === 1 ? `${what[0]} is` : `${what.slice(0, -1).join(', ')} and ${what.at(-1)} are`;
    return { status: 'ok', summary: `${named} ready for calls`, detail };
  }
  const fixes = [...new Set(sorted.flatMap((finding) => (finding.fix ? [finding.fix] : [])))];
  return {
    status: worst.status,
    summary: worst.summary,
    detail: [...sorted.slice(1).map((finding) => finding.summary), ...detail],
    ...(fixes.length > 0 ? { fix: fixes.join('\n') } : {}),
  };
}

function judgeToolsUrl(value: string, secret: string | undefined, timeoutMs: number, detail: string[]): Finding[] {
  const findings: Finding[] = [];
  const example = 'e.g. TOOLS_URL=https://api.example.com/voicebridge/tools';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [{ status: 'fail', summary: "TOOLS_URL is not a URL, so the agent's own functions cannot be answered on a call", fix: `Set TOOLS_URL to the https address of your endpoint, ${example}.` }];
  }
  const shown = describeToolsUrl(value);
  const hostReason = unreachableHostReason(url.hostname);
  if (url.protocol === 'http:') {
    if (hostReason) {
      findings.push({
        status: 'warn',
        summary: `TOOLS_URL uses http (${hostReason}): fine on one machine or a private network, but the calls and their answers travel unencrypted`,
        fix: `Use https for TOOLS_URL once the endpoint runs anywhere else (https://${url.host}${url.pathname}).`,
      });
    } else {
      findings.push({
        status: 'fail',
        summary: `TOOLS_URL uses http on a public host (${url.host}): callers' requests and your answers would cross the internet unencrypted`,
        fix: `Serve the endpoint over https and set TOOLS_URL=https://${url.host}${url.pathname}.`,
      });
    }
  } else if (url.protocol !== 'https:') {
    findings.push({ status: 'fail', summary: `TOOLS_URL uses ${url.protocol}: it must be an https address`, fix: `Set TOOLS_URL to the https address of your endpoint, ${example}.` });
  }
  if (!present(secret)) {
    findings.push({
      status: 'fail',
      summary: "TOOLS_URL is set but TOOLS_SECRET is not: requests cannot be signed, so the agent's own functions are not sent there",
      fix: `Set TOOLS_SECRET in .env to a long random value (e.g. the output of: ${NEW_SECRET}), and verify X-Voicebridge-Signature with it in your endpoint.`,
    });
  } else if (secret.trim().length < SHORT_SECRET) {
    findings.push({
      status: 'warn',
      summary: `TOOLS_SECRET is shorter than ${SHORT_SECRET} characters: easy to guess, and too short to be masked in output`,
      fix: `Set TOOLS_SECRET to a long random value (e.g. the output of: ${NEW_SECRET}), in .env and in your endpoint.`,
    });
  }
  detail.push(
    `the agent's own functions are POSTed to ${shown}, signed with TOOLS_SECRET; each must answer within ${timeoutMs} ms (TOOL_TIMEOUT_MS) with at most ${TOOLS_RESPONSE_LIMIT_BYTES / 1024} KB of JSON`,
  );
  return findings;
}
