// Check 8: WEBHOOK_URL is a base URL Twilio can call (https, public host, no query string), and whether a
// voicebridge server answers behind it right now (GET WEBHOOK_URL/healthz).
import { DEFAULT_PORT } from '../../config/defaults.js';
import { healthzUrl, INCOMING_CALL_PATH, OPENAI_WEBHOOK_PATH } from '../../config/webhook-urls.js';
import type { Check, CheckContext, CheckResult, CheckStatus } from '../check.js';
import { redactResult } from '../redact-result.js';
import { isPlaceholder } from '../placeholder-values.js';
import { probeVoicebridge } from '../probe-voicebridge.js';
import { isLocalOnlyHost, unreachableHostReason } from '../../knowledge/public-host.js';
import { voicebridgeCommand } from '../../util/invocation.js';

const PROBE_TIMEOUT_MS = 3_000;
const START_SERVER = 'Start the server:';
const EXPOSE_SERVER = 'Expose the server with a tunnel';

export const webhookUrlCheck: Check = {
  id: 'webhook-url',
  title: 'Webhook URL',
  online: true,
  timeoutMs: 6_000,
  async run(context) {
    return redactResult(await checkWebhookUrl(context), context.config.secrets);
  },
};

interface Finding {
  status: Exclude<CheckStatus, 'skip'>;
  summary: string;
  fix?: string;
}

async function checkWebhookUrl({ config, signal }: CheckContext): Promise<CheckResult> {
  const raw = config.webhookUrl;
  if (raw === undefined) return { status: 'skip', summary: 'WEBHOOK_URL is not set (see Required variables)' };
  const value = raw.trim();
  if (isPlaceholder(value)) return { status: 'skip', summary: 'WEBHOOK_URL still holds an example value (see Required variables)' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {
      status: 'fail',
      summary: `WEBHOOK_URL (${value}) is not a URL`,
      fix: 'Set WEBHOOK_URL to the public https base URL of this server, e.g. WEBHOOK_URL=https://voice.example.com (the URL your tunnel prints).',
    };
  }

  const port = config.port ?? DEFAULT_PORT;
  const tunnelHint = `${EXPOSE_SERVER} (e.g. ngrok http ${port}) and set WEBHOOK_URL to the https URL it prints.`;
  const findings: Finding[] = [];
  // The base path without a voicebridge route someone pasted on the end; every shape fix proposes the same URL.
  const fullPath = /\/(incoming-call|media-stream|healthz|openai-webhook)\/?$/.exec(url.pathname);
  const path = (fullPath ? url.pathname.slice(0, fullPath.index) : url.pathname).replace(/\/+$/, '');
  const base = `${url.protocol}//${url.host}${path}`;
  const hostReason = unreachableHostReason(url.hostname);
  const local = isLocalOnlyHost(url.hostname);
  // Who calls WEBHOOK_URL: Twilio (its webhook, then the stream), or in SIP mode OpenAI (its webhook for each call).
  const sip = config.transport === 'sip';
  const caller = sip ? 'OpenAI' : 'Twilio';
  // A host only this machine or network reaches is a local-only setup (voicebridge call): no https to propose for it,
  // since no certificate makes localhost reachable from Twilio; the local base URL over http is what it needs.
  const localOnly = `For calls from this machine only (voicebridge call, no Twilio), WEBHOOK_URL=http://${url.host}${path} is enough: no tunnel, no https.`;
  const corrected = !local
    ? `Set WEBHOOK_URL=https://${url.host}${path} (the https base URL of your server or tunnel).`
    : sip
      ? 'Set WEBHOOK_URL to the https base URL your tunnel prints (nothing after it).'
      : `Set WEBHOOK_URL=http://${url.host}${path} (the base URL, nothing after it) for calls from this machine only, or to the https URL of your tunnel for real calls.`;

  if (url.protocol === 'http:') {
    // With a local host this is said beside the unreachable host below: http is what a local-only setup uses.
    if (!local) {
      findings.push({
        status: 'fail',
        summary: sip ? 'WEBHOOK_URL uses http: OpenAI sends its webhooks to https only' : 'WEBHOOK_URL uses http: Twilio needs https (and wss, with a valid certificate, for the call audio)',
        fix: corrected,
      });
    }
  } else if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    findings.push({
      status: 'fail',
      summary: `WEBHOOK_URL uses ${url.protocol.slice(0, -1)}: it must be the https:// base URL (voicebridge derives the wss:// stream URL from it)`,
      fix: corrected,
    });
  } else if (url.protocol !== 'https:') {
    findings.push({ status: 'fail', summary: `WEBHOOK_URL uses ${url.protocol}, not https:`, fix: corrected });
  }
  if (url.search !== '' || url.hash !== '') {
    findings.push({
      status: 'fail',
      summary: `WEBHOOK_URL has a ${url.search !== '' ? 'query string' : '#fragment'}: Twilio rejects a stream URL with a query string (error 31920)`,
      fix: corrected,
    });
  }
  if (fullPath) {
    findings.push({
      status: 'fail',
      summary: `WEBHOOK_URL ends in /${fullPath[1]}: it must be the base URL (voicebridge adds ${fullPath[1] === 'openai-webhook' ? OPENAI_WEBHOOK_PATH : INCOMING_CALL_PATH} itself)`,
      fix: corrected,
    });
  }
  if (hostReason) {
    findings.push({
      status: 'warn',
      summary: `${caller} cannot reach ${url.host}: ${hostReason}${local && url.protocol === 'http:' ? ` (and ${caller} needs https)` : ''}`,
      // A SIP call always comes through OpenAI: there is no local-only way to take one.
      fix: local && !sip ? `${tunnelHint}\n${localOnly}` : tunnelHint,
    });
  }

  const healthz = healthzUrl(base);
  const detail: string[] = [];
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const probe = await probeVoicebridge(healthz, { timeoutMs: PROBE_TIMEOUT_MS, signal });
    if (probe.kind === 'voicebridge') {
      detail.push(`a voicebridge server answers at ${healthz}${probe.version ? ` (version ${probe.version})` : ''}`);
    } else if (probe.kind === 'other-server') {
      findings.push({
        status: 'warn',
        summary: `a server answers at ${healthz}, but it is not voicebridge (${probe.description})`,
        fix: `Point the tunnel or proxy at the port voicebridge serve listens on (PORT=${port}), e.g. ngrok http ${port}.`,
      });
    } else {
      findings.push({
        status: 'warn',
        summary: `no voicebridge server answers at ${healthz} (${probe.reason})`,
        fix: `${START_SERVER} ${voicebridgeCommand('serve')} (it listens on port ${port}).\n${tunnelHint}`,
      });
    }
  }

  return combine(findings, detail, base);
}

function combine(findings: Finding[], detail: string[], base: string): CheckResult {
  const rank = { ok: 0, warn: 1, fail: 2 } as const;
  const sorted = [...findings].sort((a, b) => rank[b.status] - rank[a.status]);
  const worst = sorted[0];
  if (!worst) return { status: 'ok', summary: `${base} is a public https URL; ${detail[0] ?? 'a voicebridge server answers there'}` };
  const others = sorted.slice(1);
  // One fix line per step, each said once: "start a server" and "expose it with a tunnel" often come from two findings.
  const fixes = [...new Set(sorted.flatMap((finding) => finding.fix?.split('\n') ?? []))];
  // Starting the server comes before exposing it with a tunnel, whichever finding asked first.
  const start = fixes.findIndex((line) => line.startsWith(START_SERVER));
  const expose = fixes.findIndex((line) => line.startsWith(EXPOSE_SERVER));
  if (start > expose && expose >= 0) fixes.splice(expose, 0, ...fixes.splice(start, 1));
  return {
    status: worst.status,
    summary: worst.summary,
    detail: [...others.map((finding) => finding.summary), ...detail],
    ...(fixes.length > 0 ? { fix: fixes.join('\n') } : {}),
  };
}
