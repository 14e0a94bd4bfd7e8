// Check: with VOICE_ENGINE=live, GPT-Live (gpt-live-1) is available to this key and not retiring. GPT-Live is not yet
// offered to every key, and without it every call fails, so `serve` runs this check before it starts. Uses the models
// list the key check fetched; asks GET /models/gpt-live-1 only when that list lacks it.
import { DEFAULT_LIVE_MODEL } from '../../config/defaults.js';
import { lifecycleSeverity, modelLifecycle, modelLifecycleHeadline } from '../../models/model-lifecycle.js';
import type { Check, CheckResult } from '../check.js';
import { createModelFinder } from '../model-entry.js';
import { modelVerdictFacts } from '../model-verdict-facts.js';
import { redactResult } from '../redact-result.js';
import { listedModels } from './openai-key.js';

const BACK_TO_REALTIME = 'Set VOICE_ENGINE=realtime (the default) to take calls with OpenAI Realtime meanwhile.';

export interface LiveModelCheckOptions {
  requestTimeoutMs?: number;
}

export function createLiveModelCheck(options: LiveModelCheckOptions = {}): Check {
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  return {
    id: 'live-model',
    title: 'GPT-Live model',
    needs: ['openai-key'],
    online: true,
    timeoutMs: requestTimeoutMs + 2_000,
    async run({ config, clock, results, signal }) {
      // Nothing to check, and nothing wrong: calls do not use GPT-Live.
      if (config.openai.voiceEngine !== 'live') return { status: 'ok', summary: 'not in use: calls speak through OpenAI Realtime (VOICE_ENGINE=live would use GPT-Live)' };
      const model = DEFAULT_LIVE_MODEL;
      const find = createModelFinder(config, listedModels(results.get('openai-key')), signal, requestTimeoutMs);
      const found = await find(model);
      let result: CheckResult;
      if (found.kind === 'unknown') {
        result = { status: found.status, summary: found.line, fix: found.fix };
      } else if (found.kind === 'missing') {
        result = {
          status: 'fail',
          summary: `${model} is not available to this key (404${found.code ? ` ${found.code}` : ''}): every call with VOICE_ENGINE=live would fail`,
          fix: `GPT-Live is not yet offered to every key. Use a key from a project that has ${model} (platform.openai.com → Settings → Limits), or ${BACK_TO_REALTIME}`,
          facts: modelVerdictFacts([{ label: 'GPT-Live model', setting: 'VOICE_ENGINE', status: 'fail' }]),
        };
      } else {
        const lifecycle = modelLifecycle(model, [found.entry], clock);
        const status = lifecycleSeverity(lifecycle);
        result = {
          status,
          summary: modelLifecycleHeadline(lifecycle),
          ...(status === 'ok'
            ? {}
            : {
                fix:
                  lifecycle.state === 'retiring'
                    ? `Set VOICE_ENGINE=realtime (the default) to take calls with OpenAI Realtime before ${model} shuts down on ${lifecycle.shutdownDate}.`
                    : `Set VOICE_ENGINE=realtime (the default) to take calls with OpenAI Realtime: every call with VOICE_ENGINE=live fails now.`,
              }),
          facts: modelVerdictFacts([{ label: 'GPT-Live model', setting: 'VOICE_ENGINE', status, lifecycle }]),
        };
      }
      return redactResult(result, config.secrets);
    },
  };
}

export const liveModelCheck = createLiveModelCheck();
