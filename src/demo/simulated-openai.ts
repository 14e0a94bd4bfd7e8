// The simulated OpenAI of demo and serve --simulate: the bundled simulator on 127.0.0.1 (the one the tests use), with
// an agent seeded and a simple, deterministic agent that acknowledges each line. The simulator reads the caller's words
// from the demo caller's synthetic speech, and describes speech it cannot read (a real voice) by its length.
import { seedAgent } from '../simulator/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../simulator/openai/fake-openai.js';
import { heardSpeechSeconds } from '../simulator/voice-activity.js';

export interface SimulatedOpenAI {
  baseURL: string;
  apiKey: string;
  agentId: string;
  close(): Promise<void>;
}

/** The simulated agent's reply to what the caller said (any note about an interruption comes first, and is left out). */
export function demoAgentReply(input: string): string {
  const paragraphs = input.trim().split(/\n\s*\n/);
  const said = (paragraphs[paragraphs.length - 1] ?? '').trim().replace(/[.!?]+$/, '');
  // Real speech (a microphone) reaches the simulator as sound it cannot read: it says so rather than pretend.
  const seconds = heardSpeechSeconds(said);
  if (seconds !== undefined) {
    return `I heard you speak for ${seconds} seconds. I am the simulated agent: I cannot understand real speech, but your voice came through the whole bridge.`;
  }
  return `You said: ${said}. I am the simulated agent, so I can only repeat what I hear.`;
}

export async function startSimulatedOpenAI(): Promise<SimulatedOpenAI> {
  const fake = await FakeOpenAI.start();
  const agent = seedAgent(fake, { name: 'Demo agent', instructions: 'Acknowledge what the caller says.' });
  fake.agentBehaviour = { reply: demoAgentReply };
  return { baseURL: fake.baseURL, apiKey: FAKE_OPENAI_KEY, agentId: agent.id, close: () => fake.close() };
}
