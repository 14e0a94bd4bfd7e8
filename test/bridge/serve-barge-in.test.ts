// Barge-in through the real bridge: the caller speaks over the agent; Twilio's buffer is cleared, the speech and the
// agent's stream are stopped, and the agent's next turn knows what the caller actually heard.
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const BACKENDS: BrainBackend[] = ['agents', 'assistants', 'responses'];

describe.each(BACKENDS)('barge-in on the %s backend', (backend) => {
  it('stops talking at once when the caller speaks over the agent, and tells the agent what was heard', async () => {
    bridge = await startCallBridge(backend);
    const longTail = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');
    bridge.fake.agentBehaviour = {
      chunkDelayMs: 25,
      reply: (input) =>
        input.includes('Stop')
          ? 'Okay, stopping there.'
          : `Sure. The first thing to know is that the bakery opens at seven every morning. ${longTail}.`,
    };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    // A slower voice from here on, so the caller can speak while a sentence is still playing.
    bridge.fake.realtime.options.msPerCharacter = 20;
    await caller.say('Tell me everything');
    await caller.waitToHear('Sure.');
    await caller.waitFor(() => (caller.heard().at(-1) ?? '').startsWith('The first'), 'the second sentence is playing');

    await caller.say('Stop please');
    await caller.waitToHear('Okay, stopping there.');

    expect(caller.clears).toBeGreaterThanOrEqual(1);
    expect(bridge.fake.realtime.clientEvents('response.cancel').length).toBeGreaterThanOrEqual(1);
    const heard = caller.heard();
    const cut = heard.find((phrase) => phrase.startsWith('The first'));
    expect(cut).toBeDefined();
    expect(cut!.length).toBeLessThan('The first thing to know is that the bakery opens at seven every morning.'.length);
    expect(heard.some((phrase) => phrase.includes('word39'))).toBe(false);

    const [first, second] = bridge.fake.agentTurns;
    expect(first!.status).not.toBe('completed');
    expect(first!.streamed.length).toBeLessThan(first!.reply.length);
    expect(second!.input).toContain('heard only: "Sure."');
    expect(second!.input).toContain('Stop please');
    expect(bridge.callLog(caller).join('\n')).toContain('Caller interrupted the assistant after hearing: Sure.');
    expect(caller.protocolErrors).toEqual([]);
  });
});
