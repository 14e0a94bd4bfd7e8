// The catalogue of OpenAI identifiers a user may paste into ASSISTANT_ID, and what each one means for the bridge.

export type AssistantIdKind =
  | 'empty'
  | 'not-an-id'
  | 'placeholder'
  | 'assistant'
  | 'workflow'
  | 'prompt'
  | 'thread'
  | 'run'
  | 'conversation'
  | 'response'
  | 'realtime-session'
  | 'other-openai-object'
  | 'agent';

export interface AssistantIdClassification {
  kind: AssistantIdKind;
  /** What the value is, in one sentence a user understands. */
  description: string;
  /** The backend that can serve this ID, when one can. */
  backend?: 'assistants' | 'agents';
  /** Cosmetic problems (quotes, whitespace) that make an otherwise good ID fail. */
  cosmetic?: string;
}

const PLACEHOLDER = /(your|xxx+|\.\.\.|…|<|>|changeme|replace|example|here|todo|placeholder)/i;

const OTHER_PREFIXES: Array<[RegExp, AssistantIdKind, string]> = [
  [/^thread_/, 'thread', 'an Assistants API thread ID (a conversation), not an assistant'],
  [/^run_/, 'run', 'an Assistants API run ID (one reply), not an assistant'],
  [/^conv_/, 'conversation', 'a Conversations API conversation ID, not an assistant'],
  [/^resp_/, 'response', 'a Responses API response ID, not an assistant'],
  [/^sess_/, 'realtime-session', 'a Realtime session ID, not an assistant'],
  [/^(msg_|step_|file_|vs_|rtc_|ek_|proj_|org-|cksess_|batch_|ftjob-|sk-)/, 'other-openai-object', 'an OpenAI ID of another kind, not an assistant'],
];

/** Classifies a raw ASSISTANT_ID value exactly as found in the environment (quotes and spaces included). */
export function classifyAssistantId(raw: string | undefined): AssistantIdClassification {
  if (raw === undefined || raw.trim() === '' || /^(['"])\s*\1$/.test(raw.trim())) {
    return { kind: 'empty', description: 'no assistant ID is set' };
  }
  let value = raw.trim();
  let cosmetic: string | undefined;
  if (value !== raw) cosmetic = 'has spaces around it';
  const quoted = /^(['"])(.*)\1$/.exec(value);
  if (quoted) {
    value = quoted[2]!.trim();
    cosmetic = 'is wrapped in quotes that became part of the value';
  } else if (/^['"]|['"]$/.test(value)) {
    value = value.replace(/^['"]|['"]$/g, '');
    cosmetic = 'has a stray quote character';
  }
  const withCosmetic = (c: AssistantIdClassification): AssistantIdClassification =>
    cosmetic ? { ...c, cosmetic } : c;

  if (PLACEHOLDER.test(value)) {
    return withCosmetic({ kind: 'placeholder', description: `"${value}" is a placeholder from an example, not a real ID` });
  }
  if (/\s/.test(value) || !/^[A-Za-z0-9_.:-]+$/.test(value)) {
    return withCosmetic({ kind: 'not-an-id', description: 'the value contains characters no OpenAI ID has' });
  }
  if (value.startsWith('asst_')) {
    return withCosmetic({
      kind: 'assistant',
      backend: 'assistants',
      description: 'an Assistants API assistant (the Assistants API was sunset on OpenAI on 2026-08-26)',
    });
  }
  if (value.startsWith('wf_')) {
    return withCosmetic({
      kind: 'workflow',
      description: 'an Agent Builder workflow ID: workflows can never be used as an assistant (Agent Builder shuts down on 2026-11-30)',
    });
  }
  if (value.startsWith('pmpt_')) {
    return withCosmetic({
      kind: 'prompt',
      description: 'a reusable prompt object ID (prompt objects shut down on 2026-11-30), not an assistant',
    });
  }
  for (const [pattern, kind, description] of OTHER_PREFIXES) {
    if (pattern.test(value)) return withCosmetic({ kind, description });
  }
  if (value.length < 6) {
    return withCosmetic({ kind: 'not-an-id', description: `"${value}" is too short to be an OpenAI ID` });
  }
  return withCosmetic({
    kind: 'agent',
    backend: 'agents',
    description: 'an Agents API agent ID (client.beta.agents)',
  });
}

/** The ID with surrounding whitespace and quotes removed: what the user meant to write. */
export function cleanId(raw: string): string {
  return raw.trim().replace(/^(['"])(.*)\1$/, '$2').replace(/^['"]|['"]$/g, '').trim();
}

export type OpenAIKeyKind = 'project' | 'service-account' | 'admin' | 'user' | 'invalid';

export function classifyOpenAIKey(raw: string): { kind: OpenAIKeyKind; problem?: string } {
  const key = raw;
  if (key !== key.trim()) return { kind: 'invalid', problem: 'has spaces or a line break around it' };
  if (/^['"]|['"]$/.test(key)) return { kind: 'invalid', problem: 'is wrapped in quotes that became part of the value' };
  if (/\s/.test(key)) return { kind: 'invalid', problem: 'contains whitespace' };
  if (key.startsWith('sk-admin-')) return { kind: 'admin' };
  if (key.startsWith('sk-proj-')) return { kind: 'project' };
  if (key.startsWith('sk-svcacct-')) return { kind: 'service-account' };
  if (key.startsWith('sk-')) return { kind: 'user' };
  return { kind: 'invalid', problem: 'does not start with sk- as every OpenAI API key does' };
}
