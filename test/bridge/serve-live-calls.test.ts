// Whole calls on the GPT-Live voice engine (VOICE_ENGINE=live) through the real bridge server: a fake Twilio caller
// dials, FakeOpenAI plays GPT-Live (which decides the turns and delegates them to us) and the agent behind each
// backend, and the test listens to what the caller heard and reads what went over the GPT-Live socket.
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { DEFAULT_APOLOGY } from '../../src/call/call-session.js';
import type { BridgeServerOptions } from '../../src/server/bridge-server.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import type { FakeLiveConnection } from '../fakes/openai/live.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const LIVE = { VOICE_ENGINE: 'live' } as const;

function startLiveBridge(backend: BrainBackend, server: Partial<BridgeServerOptions> = {}): Promise<CallBridge> {
  return startCallBridge(backend, { env: LIVE, server });
}

/** The commentary the bridge sent on one GPT-Live session: [delegation_id, content] in order. */
function commentary(connection: FakeLiveConnection): Array<[string | null, string]> {
  return connection.clientEvents
    .filter((event) => event.type === 'session.commentary.append')
    .map((event) => [event.delegation_id as string | null, String(event.content)]);
}

const BACKENDS: Array<[BrainBackend, string]> = [
  ['agents', 'session'],
  ['assistants', 'thread'],
  ['responses', 'conversation'],
];

describe.each(BACKENDS)('a GPT-Live call answered by the %s backend', (backend, conversationKind) => {
  it('greets the caller, hands each delegation to the agent and streams its reply back as commentary', async () => {
    bridge = await startLiveBridge(backend);
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

    const [connection] = bridge.fake.live.connections;
    const [delegation] = connection!.delegations;
    expect(commentary(connection!)).toEqual([
      [null, DEFAULT_GREETING],
      [delegation, 'You said: I need a table for two.'],
      [delegation, 'I can help with that.'],
      [delegation, 'Here is the first thing to know.'],
      [delegation, 'And here is the second one.'],
      [delegation, 'Is there anything else?'],
    ]);
    expect(bridge.fake.realtime.connections).toEqual([]);

    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain('Connected to OpenAI GPT-Live');
    expect(log).toMatch(new RegExp(`Created ${conversationKind}: \\S+`));
    expect(log).toContain('Customer said: I need a table for two');
    expect(log).toContain('→ Assistant: I need a table for two');
    expect(log).toContain('← Assistant: You said: I need a table for two. I can help with that.');

    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.live.openConnections.length === 0, 'the call is cleaned up');
    expect(bridge.fake.live.clientEvents('session.close').length).toBe(1);
    expect(connection!.closedReason).toBe('close_requested');
  });
});

describe('the GPT-Live session a call opens', () => {
  it('starts with Bearer auth only, μ-law at 8 kHz both ways, phone instructions and client delegation', async () => {
    bridge = await startLiveBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('What time do you open');
    await caller.waitToHear('Is there anything else?');

    const [connection] = bridge.fake.live.connections;
    expect(connection!.url).toBe('/v1/live/sessions');
    expect(connection!.headers.authorization).toMatch(/^Bearer sk-/);
    expect(connection!.headers['openai-beta']).toBeUndefined();
    const [start] = bridge.fake.live.clientEvents('session.start');
    expect(start).toMatchObject({
      session: { model: 'gpt-live-1', audio: { format: { type: 'audio/pcmu', rate: 8000 }, output: { voice: 'marin' } }, delegation: { type: 'client' } },
    });
    expect(String((start!.session as { instructions: string }).instructions)).toMatch(/phone/);
    expect(connection!.timeline[0]).toBe('in:session.start');
    // Caller audio reached GPT-Live untouched: whole 20 ms frames of 160 bytes, and none before session.started.
    expect(connection!.audioBeforeStart).toBe(0);
    expect(connection!.appendedAudioBytes % 160).toBe(0);
    expect(connection!.appendedAudioBytes).toBeGreaterThan(160 * 20);
  });

  it('holds the caller\'s first words until the session has started, and answers them', async () => {
    bridge = await startLiveBridge('agents', { prewarmTimeoutMs: 0 });
    bridge.fake.live.options.startDelayMs = 400;
    const caller = await bridge.dial();
    await caller.say('Early words');
    expect(bridge.fake.live.connections[0]!.session).toBeUndefined();
    await caller.waitToHear('You said: Early words.');
    expect(bridge.fake.live.connections[0]!.audioBeforeStart).toBe(0);
    expect(bridge.fake.agentTurns.map((turn) => turn.input)).toEqual(['Early words']);
  });

  it('answers a delegation that arrives before the transcript of the words it is about', async () => {
    bridge = await startLiveBridge('agents');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    // Transcription lags the turn decision; the voice runs far ahead, so a spurious clear would cut the answer.
    bridge.fake.live.options.transcriptAfterDelegationMs = 150;
    bridge.fake.live.options.burstAhead = 10;
    await caller.say('I need a table for two');
    await caller.waitToHear('Is there anything else?');
    await caller.say('Make it three');
    await caller.waitToHear('You said: Make it three.');

    expect(bridge.fake.agentTurns.map((turn) => turn.input)).toEqual(['I need a table for two', 'Make it three']);
    const [connection] = bridge.fake.live.connections;
    const [first, second] = connection!.delegations;
    expect(commentary(connection!).filter(([delegation]) => delegation === null)).toEqual([[null, DEFAULT_GREETING]]);
    expect(commentary(connection!)).toContainEqual([first, 'You said: I need a table for two.']);
    expect(commentary(connection!)).toContainEqual([second, 'You said: Make it three.']);
    expect(caller.clears).toBe(0);
    expect(caller.heard()).toContain('Is there anything else?');
  });

  it('splits a sentence too long for one commentary message', async () => {
    bridge = await startLiveBridge('responses');
    const long = `${Array.from({ length: 120 }, (_, index) => `word${index}`).join(' ')}.`;
    bridge.fake.agentBehaviour = { reply: () => long };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Tell me a lot');
    await caller.waitToHear('word119.');
    const [, ...reply] = commentary(bridge.fake.live.connections[0]!);
    expect(reply.length).toBeGreaterThan(1);
    for (const [, content] of reply) expect(Buffer.byteLength(content)).toBeLessThanOrEqual(500);
    expect(reply.map(([, content]) => content).join(' ')).toBe(long);
    expect(bridge.fake.live.serverEvents('error')).toEqual([]);
  });
});

describe('when the agent fails on a GPT-Live call', () => {
  it('tells the caller sorry through commentary for that delegation, and the call goes on', async () => {
    bridge = await startLiveBridge('agents');
    bridge.fake.agentBehaviour = { fail: 'server-error', failTimes: 1 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Are you there');
    await caller.waitToHear(DEFAULT_APOLOGY);
    const [connection] = bridge.fake.live.connections;
    expect(commentary(connection!).at(-1)).toEqual([connection!.delegations[0], DEFAULT_APOLOGY]);
    expect(bridge.callLog(caller).join('\n')).toMatch(/The agent did not answer: .*answered 500/);

    await caller.say('Hello again');
    await caller.waitToHear('You said: Hello again.');
  });

  it('apologises when the agent says nothing before the deadline', async () => {
    bridge = await startLiveBridge('responses', { agentTimeoutMs: 400 });
    bridge.fake.agentBehaviour = { fail: 'hang' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello');
    await caller.waitToHear(DEFAULT_APOLOGY);
    expect(bridge.callLog(caller).join('\n')).toMatch(/The agent did not answer: the agent produced nothing for 0\.4 s/);
  });
});

describe('two GPT-Live calls at once', () => {
  it('keeps each caller in their own session and conversation', async () => {
    bridge = await startLiveBridge('agents');
    const [alice, bob] = await Promise.all([bridge.dial(), bridge.dial()]);
    await Promise.all([alice.waitToHear(DEFAULT_GREETING), bob.waitToHear(DEFAULT_GREETING)]);
    await Promise.all([alice.say('Alice wants croissants'), bob.say('Bob wants bagels')]);
    await Promise.all([alice.waitToHear('Is there anything else?'), bob.waitToHear('Is there anything else?')]);

    expect(alice.heard()).toContain('You said: Alice wants croissants.');
    expect(bob.heard()).toContain('You said: Bob wants bagels.');
    expect(alice.heard().join(' ')).not.toContain('Bob');
    expect(bob.heard().join(' ')).not.toContain('Alice');
    expect(bridge.fake.live.connections.length).toBe(2);
    expect(new Set(bridge.fake.agentTurns.map((turn) => turn.conversationId)).size).toBe(2);
  });
});

describe('the end of a GPT-Live call', () => {
  it('ends the call when GPT-Live closes the session, and says why', async () => {
    bridge = await startLiveBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.live.endSessions('expired');
    await caller.waitForClose();
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.live.openConnections.length === 0, 'the call has ended');
    expect(bridge.callLog(caller).join('\n')).toMatch(/The voice connection failed: GPT-Live ended the session \(the session reached its duration limit\)/);
  });

  it('stops the agent and closes GPT-Live when the caller hangs up mid-answer', async () => {
    bridge = await startLiveBridge('agents');
    bridge.fake.agentBehaviour = { fail: 'hang' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello');
    await eventually(() => bridge!.fake.agentTurns.length === 1, 'the agent is thinking');
    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0 && bridge!.fake.live.openConnections.length === 0, 'GPT-Live is closed');
    await eventually(() => bridge!.fake.agentTurns[0]!.status !== 'in_progress', 'the agent turn is stopped');
    expect(bridge.callLog(caller).join('\n')).toContain('Call ended (caller hung up)');
  });

  it('ends the call with the reason when the key cannot use GPT-Live', async () => {
    bridge = await startLiveBridge('responses');
    bridge.fake.models = bridge.fake.models.filter((model) => model.id !== 'gpt-live-1');
    const caller = await bridge.dial();
    await caller.waitForClose();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call has ended');
    expect(bridge.callLog(caller).join('\n')).toMatch(/GPT-Live refused the session: The model 'gpt-live-1' does not exist .*\(model_not_found\)\. .*VOICE_ENGINE=realtime/);
  });
});
