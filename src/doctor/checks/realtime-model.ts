// Check: the Realtime model (OPENAI_REALTIME_MODEL) and the transcription model (OPENAI_TRANSCRIBE_MODEL) are
// available to this key and not retiring. Uses the models list the key check fetched; asks GET /models/{model} only
// for a model that list lacks. src/models/model-lifecycle.ts judges each model's shutdown_date, as serve does.
import type { Config } from '../../config/config.js';
import {
  defaultModelFor,
  lifecycleSeverity,
  modelFitsRole,
  modelLifecycle,
  modelLifecycleHeadline,
  successorFor,
  type ModelLifecycle,
  type ModelRole,
} from '../../models/model-lifecycle.js';
import type { Clock } from '../../util/clock.js';
import type { Check, CheckResult, CheckStatus } from '../check.js';
import { createModelFinder, type ModelFinder } from '../model-entry.js';
import { modelVerdictFacts } from '../model-verdict-facts.js';
import { redactResult } from '../redact-result.js';
import { listedModels } from './openai-key.js';

export { SHUTDOWN_WARNING_DAYS } from '../../models/model-lifecycle.js';

interface ModelInPlay {
  role: ModelRole;
  variable: 'OPENAI_REALTIME_MODEL' | 'OPENAI_TRANSCRIBE_MODEL';
  label: string;
  /** Put before each line about this model: the check's title already names the Realtime model. */
  prefix: string;
  model: string;
  kindName: string;
}

interface Verdict {
  status: Exclude<CheckStatus, 'skip'>;
  line: string;
  fix?: string;
  /** The shutdown-date verdict this one comes from, if it does. */
  lifecycle?: ModelLifecycle;
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
      if (config.openai.voiceEngine === 'live') return { status: 'ok', summary: 'not in use: calls speak through GPT-Live (VOICE_ENGINE=live)' };
      const find = createModelFinder(config, listedModels(results.get('openai-key')), signal, requestTimeoutMs);
      return redactResult(await checkModels(config, find, clock), config.secrets);
    },
  };
}

export const realtimeModelCheck = createRealtimeModelCheck();

async function checkModels(config: Config, find: ModelFinder, clock: Clock): Promise<CheckResult> {
  const inPlay: ModelInPlay[] = [
    {
      role: 'realtime',
      variable: 'OPENAI_REALTIME_MODEL',
      label: 'Realtime',
      prefix: '',
      model: config.openai.realtimeModel,
      kindName: 'a Realtime model (the bridge speaks the Realtime protocol)',
    },
    {
      role: 'transcription',
      variable: 'OPENAI_TRANSCRIBE_MODEL',
      label: 'Transcription',
      prefix: 'Transcription model: ',
      model: config.openai.transcribeModel,
      kindName: 'a transcription model',
    },
  ];
  const verdicts = await Promise.all(inPlay.map(async (used) => judgeModel(used, find, clock)));
  const worst = verdicts.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
  const others = verdicts.filter((verdict) => verdict !== worst);
  const fixes = verdicts.map((verdict) => verdict.fix).filter((fix): fix is string => Boolean(fix));
  return {
    status: worst.status,
    summary: worst.line,
    detail: others.map((verdict) => verdict.line),
    ...(fixes.length > 0 ? { fix: [...new Set(fixes)].join('\n') } : {}),
    facts: modelVerdictFacts(
      verdicts.map((verdict, index) => ({
        label: `${inPlay[index]!.label} model`,
        setting: inPlay[index]!.variable,
        status: verdict.status,
        ...(verdict.lifecycle ? { lifecycle: verdict.lifecycle } : {}),
      })),
    ),
  };
}

async function judgeModel(used: ModelInPlay, find: ModelFinder, clock: Clock): Promise<Verdict> {
  const { prefix, role, model, variable } = used;
  // A successor of the wrong kind (gpt-4o → an agent model, set as the Realtime model) is no help: the role's default is.
  const successor = successorFor(model, { role });
  const switchFix = successor ? `Set ${variable}=${successor}` : undefined;

  const found = await find(model);
  if (found.kind === 'unknown') return { status: found.status, line: `${prefix}${found.line}`, fix: found.fix };
  if (found.kind === 'missing') {
    const gone = modelLifecycle(model, [], clock, { role });
    return {
      status: 'fail',
      lifecycle: gone,
      line: `${prefix}${gone.state === 'retired' ? modelLifecycleHeadline(gone) : `${model} is not available to this key (404${found.code ? ` ${found.code}` : ''})`}`,
      fix: switchFix
        ? `${switchFix} (a current ${used.label.toLowerCase()} model).`
        : `This key's project may not be allowed to use ${model}: check project Settings → Limits at https://platform.openai.com.`,
    };
  }

  const lifecycle = modelLifecycle(model, [found.entry], clock, { role });
  const status = lifecycleSeverity(lifecycle);
  if (status !== 'fail' && !modelFitsRole(model, role)) {
    return {
      status: 'warn',
      line: `${prefix}${model} is available, but its name says it is not ${used.kindName}`,
      fix: `Set ${variable}=${defaultModelFor(role)}, or remove it to use the default.`,
    };
  }
  if (status === 'ok') return { status, line: `${prefix}${modelLifecycleHeadline(lifecycle)}`, lifecycle };
  return {
    status,
    lifecycle,
    line: `${prefix}${modelLifecycleHeadline(lifecycle)}`,
    fix: switchFix
      ? `${switchFix} (its successor, with no shutdown announced).`
      : `Choose a ${used.label.toLowerCase()} model with no shutdown date (GET /v1/models lists them) and set ${variable}.`,
  };
}
