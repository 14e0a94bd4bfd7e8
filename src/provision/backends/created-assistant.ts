// What a backend hands back once it has created the object the bridge will talk to.
export interface CreatedAssistant {
  id: string;
  name: string | null;
  model: string;
}

/** Tags every object voicebridge creates, so it can be recognised later in the OpenAI dashboard. */
export const CREATED_BY_METADATA = { created_by: 'voicebridge create-assistant', purpose: 'phone calls' } as const;
