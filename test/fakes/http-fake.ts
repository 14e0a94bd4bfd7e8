// The tests' fakes share the simulator's HTTP base (src/simulator).
export * from '../../src/simulator/http-fake.js';
