// Check: the Realtime model (OPENAI_REALTIME_MODEL) and the transcription model (OPENAI_TRANSCRIBE_MODEL) are
// available to this key and not retiring. Uses the models list the key check fetched; asks GET /models/{model} only
// for a model that list lacks. Shutdown dates come from the API; successors from src/models/model-replacements.ts.
import type OpenAI from 'openai';
import { createOpenAIClient } from '../../clients/openai-client.js';
import type { Config } from '../../config/config.js';
import { DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIBE_MODEL } from '../../config/defaults.js';
import { replacementFor } from '../../models/model-replacements.js';
import type { Check, CheckResult, CheckStatus } from '../check.js';
import { classifyOpenAIError, describeKeyOrConnectionFailure } from '../openai-failure.js';
import { redactResult } from '../redact-result.js';
import { listedModels, type ListedModel } from './openai-key.js';

/** A model shutting down within this many days is a warning: enough time to switch before calls break. */
export const SHUTDOWN_WARNING_DAYS = 90;

interface ModelRole {
  variable: 'OPENAI_REALTIME_MODEL' | 'OPENAI_TRANSCRIBE_MODEL';
  label: string;
  /** Put before each line about this model: the check's title already names the Realtime model. */
  prefix: string;
  model: string;
  fallback: string;
  /** Words a model of this role has in its name; anything else is probably the wrong kind of model. */
  looksRight: RegExp;
  kindName: string;
}

interface Verdict {
  status: Exclude<CheckStatus, 'skip'>;
  line: string;
  fix?: string;
}

const RANK: Record<Verdict['status'], number> = { ok: 0, warn: 1, fail: 2 };

export interface RealtimeModelCheckOptions {
  requestTimeoutMs?: number;
}

export function createRealtimeModelCheck(options: RealtimeModelCheckOptions = {}): Check {
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  return {
    id: 'realtime-model',
    title: 'Realtime model',
    needs: ['openai-key'],
    online: true,
    // Both models are looked up at once, so one request's time bounds the check.
    timeoutMs: requestTimeoutMs + 2_000,
    async run({ config, clock, results, signal }) {
      const models = listedModels(results.get('openai-key'));
      const result = await checkModels(config, models, clock.now(), signal, requestTimeoutMs);
      return redactResult(result, config.secrets);
    },
  };
}

export const realtimeModelCheck = createRealtimeModelCheck();

async function checkModels(config: Config, models: ListedModel[] | undefined, now: Date, signal: AbortSignal, requestTimeoutMs: number): Promise<CheckResult> {
  const roles: ModelRole[] = [
    {
      variable: 'OPENAI_REALTIME_MODEL',
      label: 'Realtime',
      prefix: '',
      model: config.openai.realtimeModel,
      fallback: DEFAULT_REALTIME_MODEL,
      looksRight: /realtime/i,
      kindName: 'a Realtime model (the bridge speaks the Realtime protocol)',
    },
    {
      variable: 'OPENAI_TRANSCRIBE_MODEL',
      label: 'Transcription',
      prefix: 'Transcription model: ',
      model: config.openai.transcribeModel,
      fallback: DEFAULT_TRANSCRIBE_MODEL,
      looksRight: /transcribe|whisper/i,
      kindName: 'a transcription model',
    },
  ];
  let client: OpenAI | undefined;
  const lookUp = async (model: string): Promise<ListedModel | Verdict> => {
    try {
      client ??= await createOpenAIClient(config, { maxRetries: 0, timeoutMs: requestTimeoutMs });
      const found: unknown = await client.models.retrieve(model, { signal });
      const id = (found as { id?: unknown } | null)?.id;
      const shutdown = (found as { shutdown_date?: unknown }).shutdown_date;
      if (typeof id !== 'string') {
        const described = describeKeyOrConnectionFailure({ kind: 'not-openai', message: 'its answer is not a model' }, config, requestTimeoutMs)!;
        return { status: 'fail', line: `could not look up ${model}: ${described.summary}`, fix: described.fix };
      }
      return { id, shutdown_date: typeof shutdown === 'string' && shutdown !== '' ? shutdown : null };
    } catch (error) {
      const failure = await classifyOpenAIError(error);
      if (failure.kind === 'not-found') return { status: 'fail', line: `${model} is not available to this key (404${failure.code ? ` ${failure.code}` : ''})` };
      const described = describeKeyOrConnectionFailure(failure, config, requestTimeoutMs);
      return {
        status: described?.status ?? 'fail',
        line: `could not look up ${model}: ${described?.summary ?? failure.message}`,
        fix: described?.fix ?? 'Run the doctor again; if it persists, check OPENAI_BASE_URL.',
      };
    }
  };

  const verdicts = await Promise.all(roles.map(async (role) => judgeModel(role, models, now, lookUp)));
  const worst = verdicts.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
  const others = verdicts.filter((verdict) => verdict !== worst);
  const fixes = verdicts.map((verdict) => verdict.fix).filter((fix): fix is string => Boolean(fix));
  return {
    status: worst.status,
    summary: worst.line,
    detail: others.map((verdict) => verdict.line),
    ...(fixes.length > 0 ? { fix: [...new Set(fixes)].join('\n') } : {}),
  };
}

async function judgeModel(
  role: ModelRole,
  models: ListedModel[] | undefined,
  now: Date,
  lookUp: (model: string) => Promise<ListedModel | Verdict>,
): Promise<Verdict> {
  const prefix = role.prefix;
  // A successor of the wrong kind (gpt-4o → an agent model, set as the Realtime model) is no help: use the default.
  const known = replacementFor(role.model);
  const successor = known && role.looksRight.test(known) ? known : role.model === role.fallback ? undefined : role.fallback;
  const switchFix = successor ? `Set ${role.variable}=${successor}` : undefined;

  let entry: ListedModel | Verdict | undefined = models?.find((model) => model.id === role.model);
  if (!entry) entry = await lookUp(role.model);
  if ('status' in entry) {
    if (entry.fix) return { ...entry, line: `${prefix}${entry.line}` };
    return {
      status: entry.status,
      line: `${prefix}${entry.line}`,
      fix: switchFix
        ? `${switchFix} (a current ${role.label.toLowerCase()} model).`
        : `This key's project may not be allowed to use ${role.model}: check project Settings → Limits at https://platform.openai.com.`,
    };
  }

  const verdict = judgeShutdown(role, entry, now, prefix, switchFix);
  if (verdict.status !== 'fail' && !role.looksRight.test(role.model)) {
    return {
      status: 'warn',
      line: `${prefix}${role.model} is available, but its name says it is not ${role.kindName}`,
      fix: `Set ${role.variable}=${role.fallback}, or remove it to use the default.`,
    };
  }
  return verdict;
}

function judgeShutdown(role: ModelRole, entry: ListedModel, now: Date, prefix: string, switchFix: string | undefined): Verdict {
  if (!entry.shutdown_date) return { status: 'ok', line: `${prefix}${role.model} is available (no shutdown announced)` };
  const shutdown = new Date(`${entry.shutdown_date}T00:00:00Z`);
  if (Number.isNaN(shutdown.getTime())) return { status: 'ok', line: `${prefix}${role.model} is available` };
  const daysLeft = Math.ceil((shutdown.getTime() - now.getTime()) / 86_400_000);
  const fix = switchFix
    ? `${switchFix} (its successor, with no shutdown announced).`
    : `Choose a ${role.label.toLowerCase()} model with no shutdown date (GET /v1/models lists them) and set ${role.variable}.`;
  if (daysLeft <= 0) {
    return { status: 'fail', line: `${prefix}${role.model} was shut down on ${entry.shutdown_date}: calls with it fail`, fix };
  }
  if (daysLeft <= SHUTDOWN_WARNING_DAYS) {
    return {
      status: 'warn',
      line: `${prefix}${role.model} shuts down on ${entry.shutdown_date} (${daysLeft} day${daysLeft === 1 ? '' : 's'} left)`,
      fix,
    };
  }
  return { status: 'ok', line: `${prefix}${role.model} is available (shuts down on ${entry.shutdown_date})` };
}
