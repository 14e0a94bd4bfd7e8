// The Assistants API backend (asst_…), for endpoints that still serve it. OpenAI itself sunset that API on
// 2026-08-26 and answers 404 "Invalid URL"; the caller explains that answer and offers the current backends.
import type OpenAI from 'openai';
import type { ProvisionRequest } from '../provision-request.js';
import { CREATED_BY_METADATA, type CreatedAssistant } from './created-assistant.js';

export async function createAssistantsApiAssistant(client: OpenAI, request: ProvisionRequest): Promise<CreatedAssistant> {
  const assistant = await client.beta.assistants.create({
    name: request.name,
    model: request.model,
    instructions: request.instructions,
    metadata: { ...CREATED_BY_METADATA },
  });
  return { id: assistant.id, name: assistant.name, model: assistant.model };
}
