// The agent failing a turn, or the caller not being understood, through the real bridge: an apology (or a request to
// say it again) and the call goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_GOODBYE, DEFAULT_APOLOGY, NOT_UNDERSTOOD } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import type { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { startCallBridge, type CallBridge } from './call-harness.js';

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

describe('when the agent fails a turn', () => {
  it('apologises for a rate limit, and the next turn is answered', async () => {
    bridge = await startCallBridge('responses');
    bridge.fake.agentBehaviour = { fail: 'rate-limit', failTimes: 1 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await sayAndHearApology(caller, 'Book a table');
    expect(bridge.callLog(caller).join('\n')).toMatch(/The agent did not answer: .*rate limit/i);

    await caller.say('Book a table please');
    await caller.waitToHear('You said: Book a table please.');
    expect(bridge.call(caller).updates).toEqual([]);
  });

  it('apologises when the agent stays silent longer than AGENT_TIMEOUT_MS, and the next turn is answered', async () => {
    bridge = await startCallBridge('agents', { env: { AGENT_TIMEOUT_MS: '300' } });
    bridge.fake.agentBehaviour = { fail: 'hang', failTimes: 1 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await sayAndHearApology(caller, 'Hello');
    expect(bridge.callLog(caller).join('\n')).toContain('The agent did not answer: the agent produced nothing for 0.3 s');

    await caller.say('Hello again');
    await caller.waitToHear('You said: Hello again.');
  });

  it("apologises when the agent's conversation cannot be created, and the next turn creates it and is answered", async () => {
    bridge = await startCallBridge('responses');
    // Every attempt to create the conversation (the webhook's pre-warm, the stream's, their retries) is rate-limited
    // until the caller has heard the apology; then the service is fine again.
    bridge.fake.injectFault({
      method: 'POST',
      path: /^\/v1\/conversations$/,
      status: 429,
      body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded', param: null } },
      headers: { 'retry-after-ms': '10' },
      times: Infinity,
    });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await sayAndHearApology(caller, 'Book a table');
    expect(bridge.callLog(caller).join('\n')).toMatch(/Could not start the agent's conversation: .*429/);
    bridge.fake.clearFaults();

    await caller.say('Book a table please');
    await caller.waitToHear('You said: Book a table please.');
    expect(bridge.callLog(caller).join('\n')).toMatch(/Created conversation: conv_/);
    expect(caller.heard()).not.toContain(AGENT_GOODBYE);
  });

  it('tells the agent a function it calls is not available on phone calls, and the agent goes on in the same reply', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.agentBehaviour = {
      reply: () => 'Let me look that up.',
      functionCall: { name: 'lookup_order', arguments: '{"order":"A17"}' },
      afterTool: () => ' I cannot check orders by phone, sorry.',
    };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Where is my order');
    await caller.waitToHear('I cannot check orders by phone, sorry.');
    expect(bridge.fake.agentTurns[0]!.calls).toMatchObject([{ name: 'lookup_order', output: '{"error":"This function is not available on phone calls."}' }]);
    expect(caller.heard()).not.toContain(DEFAULT_APOLOGY);

    bridge.fake.agentBehaviour = {};
    await caller.say('Hello again');
    await caller.waitToHear('You said: Hello again.');
  });

  it('starts counting again after a turn that works: two failures, a reply, two failures do not end the call', async () => {
    bridge = await startCallBridge('responses');
    bridge.fake.agentBehaviour = { fail: 'error', failTimes: 2 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await sayAndHearApology(caller, 'One');
    await sayAndHearApology(caller, 'Two');
    await caller.say('Three');
    await caller.waitToHear('You said: Three.');
    bridge.fake.agentBehaviour = { fail: 'error', failTimes: 2 };
    await sayAndHearApology(caller, 'Four');
    await sayAndHearApology(caller, 'Five');

    expect(caller.heard()).not.toContain(AGENT_GOODBYE);
    expect(caller.closed).toBeUndefined();
    expect(bridge.call(caller).updates).toEqual([]);
  });
});

describe('when the caller cannot be made out', () => {
  it("says it did not catch that when the transcript of the caller's speech is empty", async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say(''); // loud, but no words
    await caller.waitToHear(NOT_UNDERSTOOD);
    expect(bridge.fake.agentTurns).toEqual([]);
  });

  it('says it did not catch that when the transcription fails, and answers the next utterance', async () => {
    bridge = await startCallBridge('responses');
    bridge.fake.realtime.failTranscriptions = 1;
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Mumble');
    await caller.waitToHear(NOT_UNDERSTOOD);
    expect(bridge.callLog(caller).join('\n')).toContain('Did not catch what the caller said (OpenAI Realtime could not transcribe what the caller said: The audio could not be transcribed.)');
    await caller.say('Opening hours');
    await caller.waitToHear('You said: Opening hours.');
  });
});
