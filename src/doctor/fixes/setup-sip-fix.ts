// The fix for everything SIP needs on Twilio and OpenAI: `voicebridge setup-sip`, run in this process (the same
// function). Its plan is setup-sip's own dry run, so what is shown is exactly what the run then does.
import { dirname } from 'node:path';
import { Chalk } from 'chalk';
import type { Config } from '../../config/config.js';
import { renderEnvChange } from '../../provision/render-env-change.js';
import { setupSip } from '../../provision/sip/setup-sip.js';
import type { SetupSipResult } from '../../provision/sip/setup-sip-result.js';
import type { AutoFix, FixOutcome, FixPlan } from '../check.js';
import { commandFor } from './assistant-id-fixes.js';
import { shellValues } from './reload-config.js';

const PLAIN = new Chalk({ level: 0 });

function changeLines(result: SetupSipResult): string[] {
  const lines: string[] = [];
  for (const change of result.changes) {
    if (change.object === 'env-file' && result.env) lines.push(...renderEnvChange(result.env.diff, PLAIN).map((line) => line.trim()));
    else lines.push(change.description);
  }
  return lines;
}

export function setupSipFix(config: Config): AutoFix {
  const command = commandFor(config, 'setup-sip');
  const run = (dryRun: boolean) =>
    setupSip({ envFile: config.envFile.path, dryRun }, { env: shellValues(config), cwd: dirname(config.envFile.path) });
  return {
    id: 'sip.setup-sip',
    description: `Set up SIP (${command}): the trunk to this project with the number on it, and the OpenAI webhook endpoint with its secret in .env`,
    command,
    async plan(): Promise<FixPlan> {
      const result = await run(true);
      if (result.error) return { kind: 'cannot', reason: `${result.error.summary}. ${result.error.fix}` };
      if (result.changes.length === 0) return { kind: 'not-needed', reason: 'setup-sip finds nothing to change' };
      return { kind: 'change', lines: changeLines(result) };
    },
    async apply(): Promise<FixOutcome> {
      const result = await run(false);
      if (result.error) {
        const made = result.changes.length > 0 ? ` (made before it stopped: ${result.changes.map((change) => change.description).join('; ')})` : '';
        return { applied: false, message: `${result.error.summary}${made}. ${result.error.fix}` };
      }
      const count = result.changes.length;
      return { applied: true, message: count === 0 ? 'nothing left to change' : `setup-sip made ${count === 1 ? 'one change' : `${count} changes`}`, lines: changeLines(result) };
    },
  };
}
