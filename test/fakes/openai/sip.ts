// The tests' fake OpenAI is the simulator voicebridge ships (src/simulator), so demo and tests share one implementation.
export * from '../../../src/simulator/openai/sip.js';
