// What to tell a user about the value in ASSISTANT_ID: the words shared by the doctor's assistant-id check and
// `doctor --explain`, so a pasted ID and a configured one get the same explanation and the same fix.
import { classifyAssistantId, cleanId, type AssistantIdClassification } from './openai-ids.js';
import { maskSecret } from '../util/mask-secret.js';
import { AGENT_BUILDER_SHUTDOWN, ASSISTANTS_API_SUNSET, PROMPT_OBJECTS_SHUTDOWN, shutdownPhrase } from './service-dates.js';
import { voicebridgeCommand } from '../util/invocation.js';

export interface Advice {
  /** One line: what is wrong. */
  summary: string;
  /** Why it matters, in a few lines. */
  detail: string[];
  /** What to do. */
  fix: string;
}

export { AGENT_BUILDER_SHUTDOWN, ASSISTANTS_API_SUNSET, PROMPT_OBJECTS_SHUTDOWN, shutdownPhrase } from './service-dates.js';

/** The command that creates an agent, as this run was started (npx voicebridge create-assistant, or without npx). */
export function createAssistantCommand(): string {
  return voicebridgeCommand('create-assistant');
}

/** The exact error the bridge got from OpenAI when a workflow ID was passed as assistant_id. */
export function seedErrorText(id: string): string {
  return `400 Invalid 'assistant_id': '${id}'. Expected an ID that begins with 'asst'.`;
}

/** An ID is never secret, but an API key pasted into the wrong variable is: show that one masked. */
export function displayId(value: string): string {
  const clean = cleanId(value);
  return /^sk-/.test(clean) ? maskSecret(clean) : value;
}

/** The line added to every fix when the value came from the old variable name. */
export function renameNote(variable: string): string | undefined {
  return variable === 'AGENT_WORKFLOW_ID' ? 'Rename AGENT_WORKFLOW_ID to ASSISTANT_ID (AGENT_WORKFLOW_ID is the old name).' : undefined;
}

function withRename(fix: string, variable: string): string {
  const note = renameNote(variable);
  return note ? `${fix}\n${note}` : fix;
}

export function workflowAdvice(id: string, variable: string, now: Date): Advice {
  return {
    summary: `${variable} is an Agent Builder workflow ID (${id}), not an assistant: calls would connect and then stay silent`,
    detail: [
      `Used as an assistant, it gets this answer from OpenAI (known from the ID itself; OpenAI was not asked): ${seedErrorText(id)}`,
      'The caller hears the greeting, then nothing: every reply from the agent fails with that error.',
      `A workflow runs only inside ChatKit; there is no server-side way to send it a message. Agent Builder ${shutdownPhrase(AGENT_BUILDER_SHUTDOWN, now, { past: 'shut down', future: 'shuts down' })}.`,
    ],
    fix: withRename(
      `Run: ${createAssistantCommand()} (it creates an agent from your instructions and writes its ID into ${variable === 'AGENT_WORKFLOW_ID' ? 'ASSISTANT_ID' : variable}).\n` +
        "To keep the workflow's logic, export it from Agent Builder as Agents SDK code and copy its instructions.",
      variable,
    ),
  };
}

export function promptAdvice(id: string, variable: string, now: Date): Advice {
  return {
    summary: `${variable} is a prompt object ID (${id}), not an assistant`,
    detail: [
      'A pmpt_ ID names reusable instructions for the Responses API; it cannot answer a caller by itself.',
      `Prompt objects ${shutdownPhrase(PROMPT_OBJECTS_SHUTDOWN, now, { past: 'were shut down', future: 'shut down' })}: keep the instructions in your own file instead.`,
    ],
    fix: withRename(
      `Copy the prompt's instructions into assistant.md, then run: ${createAssistantCommand()} --api responses ` +
        '(or remove the ID and set ASSISTANT_INSTRUCTIONS_FILE=assistant.md).',
      variable,
    ),
  };
}

const NOT_AN_ASSISTANT_HINT: Partial<Record<AssistantIdClassification['kind'], string>> = {
  thread: 'A thread is one conversation with an assistant; the bridge needs the assistant itself (asst_…) or an agent.',
  run: 'A run is one reply of an assistant; the bridge needs the assistant itself or an agent.',
  conversation: 'A conversation holds one exchange; voicebridge creates one per call by itself.',
  response: 'A response is one model answer; voicebridge creates them by itself.',
  'realtime-session': 'A Realtime session lives for one call; voicebridge opens one per call by itself.',
  'other-openai-object': 'It names some other OpenAI object; the bridge needs an agent.',
};

/**
 * Advice for every value that is wrong without asking OpenAI (placeholder, workflow, prompt, thread, …).
 * Returns undefined for the values only the API can judge (asst_ and Agents API ids) and for an empty value.
 */
export function offlineAssistantIdAdvice(raw: string, variable: string, now: Date): Advice | undefined {
  const classification = classifyAssistantId(raw, now);
  const value = cleanId(raw);
  const shown = displayId(value);
  switch (classification.kind) {
    case 'empty':
    case 'assistant':
    case 'agent':
      return undefined;
    case 'workflow':
      return workflowAdvice(value, variable, now);
    case 'prompt':
      return promptAdvice(value, variable, now);
    case 'placeholder':
      return {
        summary: `${variable} is still a placeholder ("${shown}"), not a real ID`,
        detail: [],
        fix: withRename(`Run: ${createAssistantCommand()} (it creates an agent and writes its real ID into .env).`, variable),
      };
    case 'not-an-id':
      return {
        summary: `${variable} is not an ID: ${classification.description}`,
        detail: [],
        fix: withRename(`Put the agent's ID in ${variable}, or run: ${createAssistantCommand()}.`, variable),
      };
    default: {
      const isKey = /^sk-/.test(value);
      return {
        summary: isKey
          ? `${variable} holds an OpenAI API key (${shown}), not an assistant ID`
          : `${variable} is ${classification.description} (${shown})`,
        detail: isKey ? ['Keys belong in OPENAI_API_KEY only.'] : [NOT_AN_ASSISTANT_HINT[classification.kind] ?? ''].filter(Boolean),
        fix: withRename(`Put the agent's ID in ${variable} (an Agents API id, or asst_… where the Assistants API is still served), or run: ${createAssistantCommand()}.`, variable),
      };
    }
  }
}

export function assistantsSunsetAdvice(id: string, variable: string, now: Date, where: string): Advice {
  return {
    summary: `${id} is an Assistants API assistant, and ${where} no longer serves the Assistants API`,
    detail: [
      `The Assistants API (assistants, threads, runs) ${shutdownPhrase(ASSISTANTS_API_SUNSET, now, { past: 'was sunset by OpenAI', future: 'will be sunset by OpenAI' })}: /assistants answers 404 "Invalid URL".`,
      'Calls would connect, then the agent would never answer.',
    ],
    fix: withRename(
      `Recreate the assistant on a current API: ${createAssistantCommand()} --api agents (or --api responses), then run the doctor again.`,
      variable,
    ),
  };
}

export function assistantNotInProjectAdvice(id: string, variable: string): Advice {
  return {
    summary: `no assistant ${id} in the project of this key`,
    detail: ['The Assistants API answers, but this key cannot see that assistant: it was deleted, or it lives in another project.'],
    fix: withRename(
      `Use a key from the project the assistant was created in (platform.openai.com, project selector), or run: ${createAssistantCommand()}.`,
      variable,
    ),
  };
}

export function agentNotFoundAdvice(id: string, variable: string): Advice {
  return {
    summary: `no agent ${id} in the project of this key`,
    detail: ['The Agents API answers, but this key cannot see that agent: the ID is mistyped, the agent was deleted, or it lives in another project.'],
    fix: withRename(`Check the ID and that OPENAI_API_KEY is from the agent's project, or run: ${createAssistantCommand()}.`, variable),
  };
}
