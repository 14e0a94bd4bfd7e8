// The fixes for the agent ID: a working ID under the old name AGENT_WORKFLOW_ID is renamed to ASSISTANT_ID in place;
// a value that can never answer a caller (a workflow, a deleted or sunset assistant, a placeholder, nothing at all)
// is not renamed but replaced by a new agent, provisioned exactly as create-assistant provisions one (the same
// function, in this process), which comments the old line out with the reason.
import { dirname } from 'node:path';
import type { Config } from '../../config/config.js';
import { DEFAULT_ASSISTANT_MODEL } from '../../config/defaults.js';
import { documentValues, effectiveEntry, entriesFor, parseEnvDocument } from '../../config/env-document.js';
import { EnvEditRefusedError, planEnvEdits, type EnvEdit } from '../../config/env-editor.js';
import { secretsInEnvDocument } from '../../config/env-secrets.js';
import { assistantEnvEdits } from '../../provision/assistant-env-edits.js';
import { inspectExistingAssistant } from '../../provision/existing-assistant.js';
import { provisionAgent } from '../../provision/provision-agent.js';
import type { ProvisionObserver, ProvisionResult } from '../../provision/provision-result.js';
import { NEW_ID_PLACEHOLDER } from '../../provision/render-env-change.js';
import { DEFAULT_ASSISTANT_NAME } from '../../provision/speech-instructions.js';
import { redactSecrets } from '../../util/mask-secret.js';
import { shellQuote } from '../../util/shell-quote.js';
import type { AutoFix, FixContext, FixOutcome, FixPlan } from '../check.js';
import { describeBaseURL } from '../../knowledge/openai-failure.js';
import { envEditFix, readEnvTextForEdit, refusalText, whyNotWritable } from './env-edit-fix.js';
import { reloadConfig, shellValues } from './reload-config.js';
import { showEnvChange } from './show-env-change.js';
import { voicebridgeCommand } from '../../util/invocation.js';

const LOOKUP_TIMEOUT_MS = 10_000;

/** A command for the same .env: `--env` is added when the doctor was given one. */
export function commandFor(config: Config, command: string): string {
  if (!config.envFile.explicit) return voicebridgeCommand(command);
  return voicebridgeCommand(`${command} --env ${shellQuote(config.envFile.path)}`);
}

export function renameOldIdVariableFix(config: Config): AutoFix {
  return envEditFix({
    id: 'assistant-id.rename-old-name',
    description: 'Rename AGENT_WORKFLOW_ID to ASSISTANT_ID (its current name), keeping the value',
    envPath: config.envFile.path,
    secrets: config.secrets,
    edits: (document, { clock }): EnvEdit[] => {
      const old = effectiveEntry(document, 'AGENT_WORKFLOW_ID');
      if (!old) return [];
      const current = effectiveEntry(document, 'ASSISTANT_ID');
      if (!current) return [{ action: 'rename', key: 'AGENT_WORKFLOW_ID', to: 'ASSISTANT_ID' }];
      // An ASSISTANT_ID line is already there (empty, or the old name would not be in use): it takes the value.
      const reason = `${clock.now().toISOString().slice(0, 10)} voicebridge doctor --fix: AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID.`;
      const comment: EnvEdit = { action: 'comment-out', key: 'AGENT_WORKFLOW_ID', reason };
      return current.value.trim() === '' ? [comment, { action: 'set', key: 'ASSISTANT_ID', value: old.value }] : [comment];
    },
  });
}

export function createAssistantFix(config: Config, why: string): AutoFix {
  const command = commandFor(config, 'create-assistant');
  const envPath = config.envFile.path;
  const oldName = config.assistant.idVariable === 'AGENT_WORKFLOW_ID';
  return {
    id: 'assistant-id.create-assistant',
    description:
      `Create an agent for the bridge (${command}) and write its ID into ASSISTANT_ID${oldName ? ', commenting out AGENT_WORKFLOW_ID' : ''}: ${why}`,
    command,
    async plan({ clock }): Promise<FixPlan> {
      const now = clock.now();
      const current = reloadConfig(config);
      if (!current.openai.apiKey) return { kind: 'cannot', reason: `OPENAI_API_KEY is not set, so no agent can be created. Set it, then run: ${command}` };
      const existing = await inspectExistingAssistant(current, { now, timeoutMs: LOOKUP_TIMEOUT_MS });
      if (existing.state === 'working') return { kind: 'not-needed', reason: `${existing.variable}=${existing.shown} works now: ${existing.description}` };
      if (existing.state === 'unverified') {
        return { kind: 'cannot', reason: `${existing.variable}=${existing.shown} could not be checked (${existing.description}), so it is not replaced automatically. To replace it anyway: ${command} --force` };
      }
      let text: string;
      try {
        text = await readEnvTextForEdit(envPath);
      } catch (error) {
        if (error instanceof EnvEditRefusedError) {
          return { kind: 'cannot', reason: `${envPath} cannot be edited safely (${refusalText(error)}), so no agent was created. Save it as UTF-8, then run: ${command}` };
        }
        return { kind: 'cannot', reason: `${envPath} cannot be read: ${(error as Error).message}` };
      }
      // Checked before an agent is offered: one whose ID cannot be written would be left on OpenAI, unused.
      const blocked = await whyNotWritable(envPath);
      if (blocked) {
        return { kind: 'cannot', reason: `${envPath} cannot be changed: ${blocked.reason}, so no agent was created (its ID could not be saved). ${blocked.fix}, then run: ${command}` };
      }
      const document = parseEnvDocument(text);
      const edits = assistantEnvEdits({
        target: { api: 'agents', id: NEW_ID_PLACEHOLDER },
        fileValues: documentValues(document),
        existing,
        date: now.toISOString().slice(0, 10),
      });
      try {
        const plan = planEnvEdits(text, edits);
        const secrets = [...current.secrets, ...secretsInEnvDocument(document)];
        const diff = showEnvChange(plan.hunks, secrets).map((line) => line.split(NEW_ID_PLACEHOLDER).join("<the new agent's ID>"));
        return {
          kind: 'change',
          lines: [
            `create an Agents API agent "${DEFAULT_ASSISTANT_NAME}" on ${describeBaseURL(current)}, model ${DEFAULT_ASSISTANT_MODEL}, with the default phone-call instructions`,
            envPath,
            ...diff,
          ],
        };
      } catch (error) {
        if (!(error instanceof EnvEditRefusedError)) throw error;
        return { kind: 'cannot', reason: `${envPath} cannot be edited safely (${refusalText(error)}), so no agent was created. Fix that line by hand, then run: ${command}` };
      }
    },
    apply: (context) => provisionForFix(config, context),
  };
}

/**
 * Provisions an agent with create-assistant's defaults against the doctor's .env. People watching see the run as
 * create-assistant shows it; otherwise (--json) the outcome itself says what was created and the .env change made.
 */
async function provisionForFix(config: Config, context: FixContext): Promise<FixOutcome> {
  const current = reloadConfig(config);
  const envPath = current.envFile.path;
  const secrets = [...current.secrets];
  const display = context.showProvisioning;
  const shown = display?.begin(envPath);
  const observer: ProvisionObserver = {
    secrets: (values) => {
      secrets.push(...values);
      shown?.secrets(values);
    },
    step: (step) => shown?.step(step),
    wait: (text, work) => (shown ? shown.wait(text, work) : work()),
  };
  // The .env's folder as the working folder: with the defaults no other path is resolved, and none should be
  // resolved anywhere but next to the file being changed.
  const result = await provisionAgent({ envFile: envPath }, { env: shellValues(current), cwd: dirname(envPath), clock: context.clock, observer });
  display?.end(result);
  return display ? shownOutcome(result, envPath) : reportedOutcome(result, envPath, secrets);
}

/** The run was shown as it went: one line says how it ended. */
function shownOutcome(result: ProvisionResult, envPath: string): FixOutcome {
  return result.kind === 'created'
    ? { applied: true, message: `create-assistant created the agent and wrote its ID into ${envPath}` }
    : { applied: false, message: `create-assistant did not finish (see above); nothing else was changed by it` };
}

/** Nothing was shown: the outcome names what was created and carries the .env change, with every secret masked. */
function reportedOutcome(result: ProvisionResult, envPath: string, secrets: readonly string[]): FixOutcome {
  if (result.kind === 'created') {
    const { provisioned } = result;
    return {
      applied: true,
      message:
        provisioned.backend === 'responses'
          ? `wrote the agent's settings into ${envPath}`
          : `created ${provisioned.object.id} and wrote ASSISTANT_ID=${provisioned.object.id} into ${envPath}`,
      lines: [envPath, ...showEnvChange(result.env.diff, secrets)],
    };
  }
  if (result.kind === 'dry-run') return { applied: false, message: 'nothing was created: the run only planned the change' };
  return { applied: false, message: redactSecrets(`create-assistant failed: ${result.problem.summary}. ${result.problem.fix}`, secrets) };
}

/** Which of the two the check's verdict calls for, if any. `dead` is the check's finding that the ID cannot answer. */
export function assistantIdFixes(config: Config, verdict: { dead: boolean; why: string }): AutoFix[] {
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  // A value from the shell is not in .env: no edit of the file would change what runs.
  if (config.assistant.id !== undefined && config.sources[variable] !== 'env-file') return [];
  if (verdict.dead) return config.openai.apiKey ? [createAssistantFix(config, verdict.why)] : [];
  if (variable === 'AGENT_WORKFLOW_ID' && entriesFor(parseEnvDocument(config.envFile.text ?? ''), 'AGENT_WORKFLOW_ID').length > 0) {
    return [renameOldIdVariableFix(config)];
  }
  return [];
}
