// Pre-warming: the signed webhook opens the call's Realtime session and agent conversation, so when Twilio opens the
// stream the greeting and the first reply wait for no set-up. A call whose stream never comes is released, and a
// connection that failed while waiting is replaced rather than leaving the caller in silence.
import { afterEach, describe, expect, it } from 'vitest';
import type { Brain, BrainBackend, BrainConversation } from '../../src/agents/brain.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
const callers: FakeTwilioCaller[] = [];
afterEach(async () => {
  for (const caller of callers.splice(0)) caller.drop();
  await bridge?.stop();
  bridge = undefined;
});

function newCaller(): FakeTwilioCaller {
  const caller = new FakeTwilioCaller(bridge!.callerOptions());
  callers.push(caller);
  return caller;
}

/** The request each backend makes to create a call's conversation up front. */
const CONVERSATION_CREATED: Array<[BrainBackend, string]> = [
  ['assistants', '/v1/threads'],
  ['responses', '/v1/conversations'],
];

function creations(path: string): number {
  return bridge!.fake.requests.filter((request) => request.method === 'POST' && request.path === path).length;
}

/** Notes which of the brain's conversations are closed (the agent object released); the brain itself is the real one. */
function noteClosedConversations(brain: Brain): string[] {
  const closed: string[] = [];
  const startConversation = brain.startConversation.bind(brain);
  brain.startConversation = async (context): Promise<BrainConversation> => {
    const conversation = await startConversation(context);
    const close = conversation.close.bind(conversation);
    conversation.close = async () => {
      closed.push(conversation.id);
      await close();
    };
    return conversation;
  };
  return closed;
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe.each(CONVERSATION_CREATED)('a call answered by the %s backend', (backend, creationPath) => {
  it('opens the Realtime session and the agent conversation when the webhook arrives, and the stream adopts them', async () => {
    // A short pre-warm timeout: the call below (a greeting and a turn, several seconds) outlives it, so adoption must
    // have stopped the release timer. 1 s, not less, so that a loaded machine still creates the conversation in time.
    bridge = await startCallBridge(backend, { server: { prewarmTimeoutMs: 1_000 } });
    const realtime = bridge.fake.realtime;
    const caller = newCaller();
    const answer = await caller.postWebhook();
    expect(answer.status).toBe(200);

    await eventually(() => realtime.clientEvents('session.update').length === 1, 'the webhook configured a Realtime session');
    await eventually(() => creations(creationPath) === 1, 'the webhook created the conversation');
    expect(realtime.connections).toHaveLength(1);

    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Do you have gluten free bread');
    await caller.waitToHear('Is there anything else?');

    expect(realtime.connections).toHaveLength(1);
    expect(realtime.openConnections).toHaveLength(1);
    expect(creations(creationPath)).toBe(1);
    expect(realtime.connections[0]!.timeline.filter((entry) => entry.startsWith('in:') && entry !== 'in:input_audio_buffer.append').slice(0, 2)).toEqual([
      'in:session.update',
      'in:response.create',
    ]);
    expect(bridge.callLog(caller).join('\n')).not.toContain('Released the connections');
  });

  it('releases a call whose stream never starts: Realtime socket closed, conversation closed, no timer left', async () => {
    bridge = await startCallBridge(backend, { server: { prewarmTimeoutMs: 200 } });
    const closed = noteClosedConversations(bridge.backend.brain);
    const timersBefore = activeTimers();
    const caller = newCaller();
    await caller.postWebhook();
    await eventually(() => bridge!.fake.realtime.clientEvents('session.update').length === 1, 'the webhook opened the Realtime session');
    await eventually(() => creations(creationPath) === 1, 'the webhook created the conversation');

    await eventually(() => bridge!.fake.realtime.openConnections.length === 0, 'the Realtime socket is closed');
    await eventually(() => closed.length === 1, 'the conversation is closed');
    await eventually(() => activeTimers() <= timersBefore, 'no timer is left behind');
    expect(bridge.callLog(caller).join('\n')).toContain(
      'Released the connections opened for this call: its media stream did not start within 0.2 s. If every call ends like this, Twilio cannot reach wss://voice.example.test/media-stream',
    );
    expect(bridge.server.activeCalls).toBe(0);
  });
});

describe('pre-warming', () => {
  it('opens a new Realtime connection when the one opened ahead failed before the stream, so the caller is still greeted', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.realtime.refuseConnections = 1;
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await eventually(() => bridge!.callLog(caller).some((line) => line.includes('opened ahead of the stream failed')), 'the bridge noticed the failure');

    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Are you open on Sunday');
    await caller.waitToHear('You said: Are you open on Sunday.');
    expect(bridge.fake.realtime.openConnections).toHaveLength(1);
    expect(bridge.callLog(caller).join('\n')).toContain('OpenAI Realtime refused the connection: 503');
  });

  it('creates the conversation again when creating it ahead failed', async () => {
    bridge = await startCallBridge('responses');
    bridge.fake.injectFault({
      method: 'POST',
      path: /^\/v1\/conversations$/,
      status: 400,
      body: { error: { message: 'Temporarily refused.', type: 'invalid_request_error', param: null, code: null } },
    });
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await eventually(() => creations('/v1/conversations') === 1, 'the webhook tried to create the conversation');
    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Can I order a cake');
    await caller.waitToHear('You said: Can I order a cake.');
    expect(creations('/v1/conversations')).toBe(2);
    expect(bridge.callLog(caller).join('\n')).not.toContain('Could not start the agent');
  });

  it('keeps one set of connections per call when Twilio repeats the webhook: the repeat opens nothing', async () => {
    bridge = await startCallBridge('agents');
    const caller = newCaller();
    const first = await caller.postWebhook();
    await eventually(() => bridge!.fake.realtime.connections.length === 1, 'the first webhook opened a Realtime session');
    const answer = await caller.postWebhook();
    expect(answer.parameters).toEqual(first.parameters);
    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    expect(bridge.fake.realtime.connections).toHaveLength(1);
    expect(bridge.fake.realtime.openConnections).toEqual([bridge.fake.realtime.connections[0]]);
  });

  it('opens nothing before the stream when turned off', async () => {
    bridge = await startCallBridge('responses', { server: { prewarmTimeoutMs: 0 } });
    const caller = newCaller();
    const answer = await caller.postWebhook();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bridge.fake.realtime.connections).toEqual([]);
    expect(creations('/v1/conversations')).toBe(0);
    await caller.connectStream(answer);
    await caller.waitToHear(DEFAULT_GREETING);
    expect(bridge.fake.realtime.connections).toHaveLength(1);
  });

  it('releases calls still waiting for their stream when the server stops', async () => {
    bridge = await startCallBridge('agents');
    await newCaller().postWebhook();
    await newCaller().postWebhook();
    await eventually(() => bridge!.fake.realtime.clientEvents('session.update').length === 2, 'both calls opened their sessions');
    await bridge.server.close();
    await eventually(() => bridge!.fake.realtime.openConnections.length === 0, 'every Realtime socket is closed');
  });
});
