// The default backend: a reusable agent on OpenAI's beta Agents API, the successor of an assistant with an ID.
import type OpenAI from 'openai';
import type { ProvisionRequest } from '../provision-request.js';
import { CREATED_BY_METADATA, type CreatedAssistant } from './created-assistant.js';

export async function createAgent(client: OpenAI, request: ProvisionRequest): Promise<CreatedAssistant> {
  const agent = await client.beta.agents.create({
    name: request.name,
    model: request.model,
    instructions: request.instructions,
    metadata: { ...CREATED_BY_METADATA },
  });
  return { id: agent.id, name: agent.name, model: agent.model };
}
