// Whole calls through the real bridge server: a fake Twilio caller dials, FakeOpenAI is the Realtime voice and the
// agent (through the real SDK and the backend createBrain picks), and the test listens to what the caller heard.
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FAKE_MODEL_OWN_ANSWER } from '../fakes/openai/realtime.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const BACKENDS: Array<[BrainBackend, string]> = [
  ['agents', 'session'],
  ['assistants', 'thread'],
  ['responses', 'conversation'],
];

describe.each(BACKENDS)('a call answered by the %s backend', (backend, conversationKind) => {
  it('greets the caller, then speaks the agent reply sentence by sentence, in order', async () => {
    bridge = await startCallBridge(backend);
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);

    await caller.say('I need a table for two');
    await caller.waitToHear('Is there anything else?');

    expect(caller.heard()).toEqual([
      DEFAULT_GREETING,
      'You said: I need a table for two.',
      'I can help with that.',
      'Here is the first thing to know.',
      'And here is the second one.',
      'Is there anything else?',
    ]);
    expect(caller.protocolErrors).toEqual([]);
    expect(bridge.fake.agentTurns.map((turn) => [turn.backend, turn.input, turn.status])).toEqual([[backend, 'I need a table for two', 'completed']]);

    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain('Connected to OpenAI Realtime');
    expect(log).toMatch(new RegExp(`Created ${conversationKind}: \\S+`));
    expect(log).toContain('Customer said: I need a table for two');
    expect(log).toContain('→ Assistant: I need a table for two');
    expect(log).toContain('← Assistant: You said: I need a table for two. I can help with that.');

    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.realtime.openConnections.length === 0, 'the call is cleaned up');
  });
});

describe('the Realtime session a call opens', () => {
  it('speaks GA Realtime: pcmu both ways, server VAD that never answers by itself, out-of-band verbatim speech', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('What time do you open');
    await caller.waitToHear('Is there anything else?');

    const [connection] = bridge.fake.realtime.connections;
    expect(connection!.model).toBe('gpt-realtime-2.1');
    expect(connection!.headers.authorization).toMatch(/^Bearer sk-/);
    expect(connection!.headers['openai-beta']).toBeUndefined();
    const [update] = bridge.fake.realtime.clientEvents('session.update');
    expect(update).toMatchObject({
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-transcribe' },
            turn_detection: { type: 'server_vad', create_response: false, interrupt_response: false },
          },
          output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
        },
      },
    });
    const speeches = bridge.fake.realtime.clientEvents('response.create');
    expect(speeches.length).toBe(6);
    for (const speech of speeches) expect(speech.response).toMatchObject({ conversation: 'none', input: [], output_modalities: ['audio'] });
    expect(String((speeches[1]!.response as { instructions: string }).instructions)).toMatch(/word for word[\s\S]*\nYou said: What time do you open\.$/);
    expect(caller.heard()).not.toContain(FAKE_MODEL_OWN_ANSWER);
    // Caller audio reached Realtime untouched: every 20 ms frame, 160 bytes each.
    expect(connection!.appendedAudioBytes % 160).toBe(0);
    expect(connection!.appendedAudioBytes).toBeGreaterThan(160 * 20);
  });
});

describe('two calls at once', () => {
  it('keeps each caller in their own conversation', async () => {
    bridge = await startCallBridge('agents');
    const [alice, bob] = await Promise.all([bridge.dial(), bridge.dial()]);
    await Promise.all([alice.waitToHear(DEFAULT_GREETING), bob.waitToHear(DEFAULT_GREETING)]);
    await Promise.all([alice.say('Alice wants croissants'), bob.say('Bob wants bagels')]);
    await Promise.all([alice.waitToHear('Is there anything else?'), bob.waitToHear('Is there anything else?')]);

    expect(alice.heard()).toContain('You said: Alice wants croissants.');
    expect(bob.heard()).toContain('You said: Bob wants bagels.');
    expect(alice.heard().join(' ')).not.toContain('Bob');
    expect(bob.heard().join(' ')).not.toContain('Alice');
    expect(bridge.fake.realtime.connections.length).toBe(2);
    const conversations = new Set(bridge.fake.agentTurns.map((turn) => turn.conversationId));
    expect(conversations.size).toBe(2);
    expect(bridge.callLog(alice).join('\n')).not.toContain('Bob');
  });
});

