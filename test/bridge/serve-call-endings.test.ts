// The agent failing turn after turn, through the real bridge: after three in a row the call ends politely (a goodbye
// and a hang-up seen by Twilio's REST API) or the caller is handed to TRANSFER_NUMBER.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CONSECUTIVE_AGENT_FAILURES } from '../../src/call/call-session.js';
import { AGENT_GOODBYE, AGENT_TRANSFER, DEFAULT_APOLOGY } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import type { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

/** How many times the caller has heard `text` so far. */
function timesHeard(caller: FakeTwilioCaller, text: string): number {
  return caller.heard().filter((phrase) => phrase === text).length;
}

/** The caller says something and waits until they have heard the apology once more. */
async function sayAndHearApology(caller: FakeTwilioCaller, words: string): Promise<void> {
  const before = timesHeard(caller, DEFAULT_APOLOGY);
  await caller.say(words);
  await caller.waitFor(() => timesHeard(caller, DEFAULT_APOLOGY) > before, `the caller heard apology number ${before + 1}`);
}

describe(`when the agent fails ${MAX_CONSECUTIVE_AGENT_FAILURES} turns in a row`, () => {
  it('says goodbye, then hangs up through the Twilio REST API', async () => {
    bridge = await startCallBridge('responses');
    bridge.fake.agentBehaviour = { fail: 'server-error' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    for (let turn = 1; turn < MAX_CONSECUTIVE_AGENT_FAILURES; turn += 1) await sayAndHearApology(caller, `Attempt ${turn}`);
    await caller.say('Last attempt');
    await caller.waitToHear(AGENT_GOODBYE);
    await caller.waitForClose();

    expect(bridge.call(caller).updates).toEqual([{ Status: 'completed' }]);
    expect(bridge.call(caller).status).toBe('completed');
    expect(caller.heard().at(-1)).toBe(AGENT_GOODBYE);
    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain(`The agent failed ${MAX_CONSECUTIVE_AGENT_FAILURES} turns in a row: saying goodbye and hanging up`);
    expect(log).toContain('Hung up the call through Twilio after the goodbye');
    expect(log).toContain('Call ended (the agent kept failing)');
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.realtime.openConnections.length === 0, 'the call is cleaned up');
  });

  it('hands the caller to TRANSFER_NUMBER with a TwiML update, saying why first', async () => {
    bridge = await startCallBridge('agents', { env: { TRANSFER_NUMBER: '+14155550999' } });
    bridge.fake.agentBehaviour = { fail: 'error' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    for (let turn = 1; turn < MAX_CONSECUTIVE_AGENT_FAILURES; turn += 1) await sayAndHearApology(caller, `Attempt ${turn}`);
    await caller.say('Last attempt');
    await caller.waitForClose();

    const updates = bridge.call(caller).updates;
    expect(updates).toHaveLength(1);
    expect(updates[0]!.Twiml).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>${AGENT_TRANSFER}</Say><Dial>+14155550999</Dial></Response>`);
    expect(updates[0]!.Status).toBeUndefined();
    expect(caller.heard()).not.toContain(AGENT_GOODBYE);
    expect(bridge.callLog(caller).join('\n')).toContain(`transferring the call to +14155550999`);
  });

  it('says goodbye and closes the stream when Twilio refuses the hang-up, so the call still ends', async () => {
    bridge = await startCallBridge('responses');
    bridge.fake.agentBehaviour = { fail: 'failed' };
    const caller = await bridge.dial();
    bridge.twilio.calls.delete(caller.callSid); // Twilio no longer knows the call: the REST update answers 404
    await caller.waitToHear(DEFAULT_GREETING);
    for (let turn = 1; turn < MAX_CONSECUTIVE_AGENT_FAILURES; turn += 1) await sayAndHearApology(caller, `Attempt ${turn}`);
    await caller.say('Last attempt');
    await caller.waitToHear(AGENT_GOODBYE);
    await caller.waitForClose();
    expect(bridge.callLog(caller).join('\n')).toMatch(/Could not hang up through Twilio's REST API \(Twilio answered 404 \(error 20404\).*\); closing the stream instead/);
  });
});
