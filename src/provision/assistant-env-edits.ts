// The .env change create-assistant makes: the new ASSISTANT_ID (or, for the Responses backend, the instructions
// file and model with ASSISTANT_ID emptied), and the old AGENT_WORKFLOW_ID line commented out with the date and why.
import type { EnvEdit } from '../config/env-editor.js';
import type { ExistingAssistant } from './existing-assistant.js';

export type AssistantEnvTarget =
  | { api: 'agents' | 'assistants'; id: string }
  | { api: 'responses'; instructionsFile: string; model: string };

export interface AssistantEnvEditsInput {
  target: AssistantEnvTarget;
  /** The values the .env file itself sets (not the shell's). */
  fileValues: Record<string, string>;
  existing: ExistingAssistant;
  /** YYYY-MM-DD, for the comment left on the old line. */
  date: string;
}

function oldVariableReason(input: AssistantEnvEditsInput): string {
  const { existing, target } = input;
  const replacement = target.api === 'responses' ? 'ASSISTANT_INSTRUCTIONS_FILE (Responses API)' : 'ASSISTANT_ID';
  const what =
    existing.state !== 'none' && existing.variable === 'AGENT_WORKFLOW_ID'
      ? existing.description
      : 'AGENT_WORKFLOW_ID is the old name of ASSISTANT_ID, and is ignored while ASSISTANT_ID is set';
  return `${input.date} voicebridge create-assistant replaced this line by ${replacement}: ${what}.`;
}

export function assistantEnvEdits(input: AssistantEnvEditsInput): EnvEdit[] {
  const edits: EnvEdit[] = [];
  const oldValue = input.fileValues.AGENT_WORKFLOW_ID;
  const hasOldVariable = oldValue !== undefined && oldValue.trim() !== '';
  // Once ASSISTANT_ID is written the old name is dead weight; with ASSISTANT_ID empty it would even come back into use.
  if (hasOldVariable) edits.push({ action: 'comment-out', key: 'AGENT_WORKFLOW_ID', reason: oldVariableReason(input) });

  const { target } = input;
  if (target.api !== 'responses') {
    edits.push({ action: 'set', key: 'ASSISTANT_ID', value: target.id, after: 'AGENT_WORKFLOW_ID' });
    return edits;
  }
  // ASSISTANT_ID is written empty even when the file lacks it: the line shows that no agent ID is wanted, on purpose.
  if (input.fileValues.ASSISTANT_ID !== '') edits.push({ action: 'set', key: 'ASSISTANT_ID', value: '', after: 'AGENT_WORKFLOW_ID' });
  edits.push({ action: 'set', key: 'ASSISTANT_INSTRUCTIONS_FILE', value: target.instructionsFile, after: 'ASSISTANT_ID' });
  edits.push({ action: 'set', key: 'ASSISTANT_MODEL', value: target.model, after: 'ASSISTANT_INSTRUCTIONS_FILE' });
  return edits;
}
