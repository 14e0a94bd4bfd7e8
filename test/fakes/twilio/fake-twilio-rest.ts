// The tests' Twilio REST fake is the simulator's (src/simulator/twilio), which serve --simulate runs too.
export * from '../../../src/simulator/twilio/fake-twilio-rest.js';
