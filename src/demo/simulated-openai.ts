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

/**
 * The mean μ-law amplitude from which a 20 ms frame is speech, in the simulation. The tests' fakes hear only loud
 * synthetic audio (2000); a person on a microphone is often quieter (about -35 dBFS here), and a quiet room well below.
 */
export const SIMULATED_SPEECH_AMPLITUDE = 500;

export async function startSimulatedOpenAI(): Promise<SimulatedOpenAI> {
  const fake = await FakeOpenAI.start();
  fake.realtime.options.speechAmplitude = SIMULATED_SPEECH_AMPLITUDE;
  fake.live.options.speechAmplitude = SIMULATED_SPEECH_AMPLITUDE;
  const agent = seedAgent(fake, { name: 'Demo agent', instructions: 'Acknowledge what the caller says.' });
  fake.agentBehaviour = { reply: demoAgentReply };
  return { baseURL: fake.baseURL, apiKey: FAKE_OPENAI_KEY, agentId: agent.id, close: () => fake.close() };
}
