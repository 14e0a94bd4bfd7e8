// The tests' fakes share the simulator's synthetic audio (src/simulator).
export * from '../../src/simulator/fake-audio.js';
