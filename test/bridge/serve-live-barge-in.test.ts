// GPT-Live calls where the caller does not wait (VOICE_ENGINE=live): a newer request replaces one in progress, and
// the caller speaks over an answer while Twilio may still have some of it buffered.
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import type { BridgeServerOptions } from '../../src/server/bridge-server.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import type { FakeLiveConnection } from '../fakes/openai/live.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

function startLiveBridge(backend: BrainBackend, server: Partial<BridgeServerOptions> = {}): Promise<CallBridge> {
  return startCallBridge(backend, { env: { VOICE_ENGINE: 'live' }, server });
}

/** The commentary the bridge sent on one GPT-Live session: [delegation_id, content] in order. */
function commentary(connection: FakeLiveConnection): Array<[string | null, string]> {
  return connection.clientEvents
    .filter((event) => event.type === 'session.commentary.append')
    .map((event) => [event.delegation_id as string | null, String(event.content)]);
}

describe('a delegation the caller made obsolete', () => {
  it('is cancelled at the agent, and its late output never reaches GPT-Live', async () => {
    bridge = await startLiveBridge('agents');
    const rambling = Array.from({ length: 60 }, (_, index) => `detail${index}`).join(' ');
    bridge.fake.agentBehaviour = {
      chunkDelayMs: 40,
      reply: (input) => (input.includes('Forget') ? 'Sure, forgotten.' : `Sure. ${rambling}.`),
    };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Tell me everything about your menu');
    await eventually(() => bridge!.fake.agentTurns[0]?.streamed.includes('detail3') ?? false, 'the agent is in the middle of its reply');

    await caller.say('Forget it');
    await caller.waitToHear('Sure, forgotten.');

    const [connection] = bridge.fake.live.connections;
    const [first, second] = connection!.delegations;
    const said = commentary(connection!);
    expect(said.filter(([delegation]) => delegation === first)).toEqual([[first, 'Sure.']]);
    expect(said.filter(([delegation]) => delegation === second)).toEqual([[second, 'Sure, forgotten.']]);
    const [obsolete, current] = bridge.fake.agentTurns;
    expect(obsolete!.status).not.toBe('completed');
    expect(obsolete!.streamed.length).toBeLessThan(obsolete!.reply.length);
    expect(current!.input).toContain('Forget it');
    expect(caller.heard().join(' ')).not.toContain('detail59');
    expect(bridge.callLog(caller).join('\n')).toContain('The caller moved on before the agent finished');
  });
});

describe('barge-in on a GPT-Live call', () => {
  const LONG_ANSWER = 'The bakery opens at seven every morning and closes at six, except on Sundays.';

  async function interruptLongAnswer(burstAhead: number): Promise<{ clears: number; unplayedLog: string | undefined; stoppedEarly: boolean; voiceStopped: boolean }> {
    bridge = await startLiveBridge('responses');
    bridge.fake.agentBehaviour = { reply: (input) => (input.includes('Stop') ? 'Okay.' : LONG_ANSWER) };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.live.options.msPerCharacter = 25;
    bridge.fake.live.options.burstAhead = burstAhead;
    await caller.say('When are you open');
    await caller.waitFor(() => (caller.heard().at(-1) ?? '').startsWith('The bakery opens'), 'the answer is playing');
    await caller.say('Stop please');
    await caller.waitToHear('Okay.');
    const heard = caller.heard().find((phrase) => phrase.startsWith('The bakery opens')) ?? '';
    expect(caller.protocolErrors).toEqual([]);
    return {
      clears: caller.clears,
      unplayedLog: bridge.callLog(caller).find((line) => line.includes('Caller interrupted')),
      stoppedEarly: heard.length < LONG_ANSWER.length,
      voiceStopped: bridge.fake.live.connections[0]!.interruptions > 0,
    };
  }

  it('clears what Twilio still has to play when GPT-Live ran far ahead of real time', async () => {
    const outcome = await interruptLongAnswer(10);
    // GPT-Live had sent the whole sentence long before: only the clear stops what the caller hears.
    expect(outcome.voiceStopped).toBe(false);
    expect(outcome.clears).toBe(1);
    expect(outcome.stoppedEarly).toBe(true);
    expect(outcome.unplayedLog).toMatch(/Caller interrupted \(caller started speaking with \d+ ms of speech still to play\)/);
  });

  it('sends no clear when GPT-Live keeps to real time: its own stop is enough', async () => {
    const outcome = await interruptLongAnswer(1);
    expect(outcome.clears).toBe(0);
    expect(outcome.voiceStopped).toBe(true);
    expect(outcome.stoppedEarly).toBe(true);
    expect(outcome.unplayedLog).toBeUndefined();
  });
});
