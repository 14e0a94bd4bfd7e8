// What the ID already configured is: nothing, a dead end (a workflow, a prompt, an assistant the endpoint no longer
// serves, an object the API says does not exist), or something that still works and must not be replaced silently.
// Uses the doctor's classification, then asks the API about the IDs only it can judge.
import { createOpenAIClient } from '../clients/openai-client.js';
import type { Config } from '../config/config.js';
import {
  agentNotFoundAdvice,
  assistantNotInProjectAdvice,
  assistantsSunsetAdvice,
  displayId,
  offlineAssistantIdAdvice,
} from '../knowledge/assistant-id-advice.js';
import { classifyOpenAIError, describeBaseURL, describeKeyOrConnectionFailure } from '../knowledge/openai-failure.js';
import { classifyAssistantId, cleanId } from '../knowledge/openai-ids.js';

export type IdVariable = 'ASSISTANT_ID' | 'AGENT_WORKFLOW_ID';

export type ExistingAssistant =
  | { state: 'none' }
  | {
      /** dead: safe to replace; working: replace only with --force; unverified: could not tell, so treat as working. */
      state: 'dead' | 'working' | 'unverified';
      variable: IdVariable;
      /** The ID as shown to the user (an API key pasted by mistake is masked). */
      shown: string;
      /** What it is, in one sentence that does not start with the variable's name. */
      description: string;
    };

export interface InspectOptions {
  now: Date;
  timeoutMs: number;
}

export async function inspectExistingAssistant(config: Config, options: InspectOptions): Promise<ExistingAssistant> {
  const raw = config.assistant.id;
  const variable = config.assistant.idVariable ?? 'ASSISTANT_ID';
  const classification = classifyAssistantId(raw, options.now);
  if (raw === undefined || classification.kind === 'empty') return { state: 'none' };
  const id = cleanId(raw);
  const shown = displayId(id);

  const offline = offlineAssistantIdAdvice(raw, variable, options.now);
  // The doctor's words start with the variable ("ASSISTANT_ID is a workflow ID…"); keep only what the value is.
  if (offline) return { state: 'dead', variable, shown, description: offline.summary.replace(new RegExp(`^${variable} (is )?`), '') };

  const backend = classification.backend === 'assistants' ? 'assistants' : 'agents';
  const what = backend === 'assistants' ? 'an Assistants API assistant' : 'an Agents API agent';
  if (!config.openai.apiKey) {
    return { state: 'unverified', variable, shown, description: `${what}; whether it still works cannot be checked without OPENAI_API_KEY` };
  }
  try {
    const client = await createOpenAIClient(config, { maxRetries: 0, timeoutMs: options.timeoutMs });
    const found = backend === 'assistants' ? await client.beta.assistants.retrieve(id) : await client.beta.agents.retrieve(id);
    const name = found.name ? `"${found.name}"` : '(unnamed)';
    return { state: 'working', variable, shown, description: `${what} ${name}, model ${found.model}, that ${describeBaseURL(config)} still serves` };
  } catch (error) {
    const failure = await classifyOpenAIError(error);
    if (failure.kind === 'not-found') {
      const routeMissing = /invalid url/i.test(failure.message);
      const advice =
        backend === 'assistants'
          ? routeMissing
            ? assistantsSunsetAdvice(id, variable, options.now, describeBaseURL(config))
            : assistantNotInProjectAdvice(id, variable)
          : routeMissing
            ? { summary: `${describeBaseURL(config)} does not serve the Agents API, so agent ${id} cannot answer there` }
            : agentNotFoundAdvice(id, variable);
      return { state: 'dead', variable, shown, description: advice.summary };
    }
    const described = describeKeyOrConnectionFailure(failure, config, options.timeoutMs);
    return {
      state: 'unverified',
      variable,
      shown,
      description: `${what}; whether it still works could not be checked: ${described?.summary ?? failure.message}`,
    };
  }
}
