import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend, BrainConversation, BrainEvent } from '../../src/agents/brain.js';
import { BrainError } from '../../src/agents/brain.js';
import { INTERRUPTION_NOTE_PREFIX } from '../../src/agents/interruption-note.js';
import { replyDeltas, waitForAgentTurn, type AgentTurnRecord } from '../fakes/openai/agent-mind.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import { replyError, replyEvents, replyText, spoken, startBackend, type BackendUnderTest } from './brain-harness.js';

let backend: BackendUnderTest | undefined;
afterEach(async () => {
  await backend?.stop();
  backend = undefined;
});

const KINDS: Record<BrainBackend, BrainConversation['kind']> = { agents: 'session', assistants: 'thread', responses: 'conversation' };
/** How each backend's fake sees a turn the call cut short: cancelled at the server, or (Responses) its stream closed. */
const CUT_SHORT: Record<BrainBackend, AgentTurnRecord['status']> = { agents: 'cancelled', assistants: 'cancelled', responses: 'disconnected' };

const LONG_REPLY = 'One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten. Eleven. Twelve. Thirteen. Fourteen. Fifteen. Sixteen.';

const LOOKUP = { name: 'lookup_order', arguments: '{"order":"A17","detail":"delivery date"}' };
/**
 * How each backend ends a turn whose function call nobody answers: the two whose turn waits for the result fail it;
 * a response that asks is complete.
 */
const UNANSWERED_CALL_ERROR: Record<BrainBackend, string | undefined> = {
  agents: 'the agent asked for an action a phone call cannot give (a function tool result or an approval)',
  assistants: 'the assistant asked for a function call result, which a phone call cannot give',
  responses: undefined,
};

describe.each<BrainBackend>(['agents', 'assistants', 'responses'])('the %s brain', (name) => {
  async function startCall(): Promise<{ fake: BackendUnderTest['fake']; conversation: BrainConversation }> {
    backend = await startBackend(name);
    expect(backend.brain.backend).toBe(name);
    return { fake: backend.fake, conversation: await backend.brain.startConversation({ callSid: 'CA0123456789abcdef0123456789abcdef' }) };
  }

  it('holds a conversation of two turns, each streamed in order as the agent speaks it', async () => {
    const { fake, conversation } = await startCall();
    expect(conversation.kind).toBe(KINDS[name]);
    // The Agents API creates its session with the first words; the others exist from the start.
    if (name !== 'agents') expect(conversation.id).not.toBe('');
    fake.agentBehaviour = { reply: (input) => `Fresh bread comes out at seven. We close at six. You asked: ${input}.` };

    const events = await replyEvents(conversation, 'when is the bread ready');
    const said = 'Fresh bread comes out at seven. We close at six. You asked: when is the bread ready.';
    // Each piece of text as the agent streamed it, in its order, then the end of the turn.
    expect(events).toEqual([...replyDeltas(said).map((delta) => ({ type: 'text', delta })), { type: 'done' }]);
    expect(events.length).toBeGreaterThan(5);

    expect(conversation.id).not.toBe('');
    expect(await replyText(conversation, 'and on sundays')).toBe('Fresh bread comes out at seven. We close at six. You asked: and on sundays.');
    expect(fake.agentTurns.map((turn) => [turn.conversationId, turn.input, turn.status])).toEqual([
      [conversation.id, 'when is the bread ready', 'completed'],
      [conversation.id, 'and on sundays', 'completed'],
    ]);
    await conversation.close();
  });

  it('surfaces a function the agent calls as a tool_call event, after the text before it, with the ID an answer would quote', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { reply: () => 'Let me look that up.', functionCall: LOOKUP };
    const { events } = UNANSWERED_CALL_ERROR[name]
      ? await replyError(conversation, 'where is my order')
      : { events: await replyEvents(conversation, 'where is my order') };
    const callId = fake.agentTurns[0]!.functionCall!.callId;
    expect(events.filter((event) => event.type !== 'done')).toEqual([
      ...replyDeltas('Let me look that up.').map((delta) => ({ type: 'text', delta })),
      { type: 'tool_call', callId, name: 'lookup_order', arguments: '{"order":"A17","detail":"delivery date"}' },
    ]);
  });

  it('stops at once when the call aborts, cuts the turn short at the server, and takes the next turn', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { reply: () => LONG_REPLY, chunkDelayMs: 15 };
    const abort = new AbortController();
    const iterator = conversation.reply('tell me everything', { signal: abort.signal })[Symbol.asyncIterator]();
    const heard: string[] = [];
    for (let count = 0; count < 3; count += 1) heard.push(spoken((await iterator.next()).value as BrainEvent));

    abort.abort();
    const stopped = await iterator.next().then(
      (result) => result,
      (error: unknown) => error,
    );
    expect(stopped).toBeInstanceOf(BrainError);
    expect((stopped as BrainError).kind).toBe('aborted');
    expect(heard.join('')).toBe('One. Two. Three.');
    const turn = await waitForAgentTurn(fake, (candidate) => candidate.status !== 'in_progress');
    expect(turn.status).toBe(CUT_SHORT[name]);
    expect(turn.cancelRequested).toBe(name !== 'responses');
    expect(turn.streamed.length).toBeLessThan(LONG_REPLY.length);

    fake.agentBehaviour = { reply: () => 'Still here.' };
    expect(await replyText(conversation, 'sorry, go on')).toBe('Still here.');
    await conversation.close();
  });

  it('stops a turn that never answers without waiting for the network', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { fail: 'hang' };
    const abort = new AbortController();
    const reading = replyText(conversation, 'hello?', abort.signal).catch((error: unknown) => error);
    await waitForAgentTurn(fake, () => true);
    abort.abort();
    const error = await reading;
    expect(error).toBeInstanceOf(BrainError);
    expect((error as BrainError).kind).toBe('aborted');
    expect((await waitForAgentTurn(fake, (turn) => turn.status !== 'in_progress')).status).toBe(CUT_SHORT[name]);
  });

  it('refuses a turn at once when the call has already hung up', async () => {
    const { fake, conversation } = await startCall();
    const abort = new AbortController();
    abort.abort();
    const error = await replyText(conversation, 'hello', abort.signal).catch((caught: unknown) => caught);
    expect((error as BrainError).kind).toBe('aborted');
    expect(fake.agentTurns).toEqual([]);
  });

  it('tells the agent, on the next turn, how much of an interrupted reply the caller heard', async () => {
    const { fake, conversation } = await startCall();
    await replyText(conversation, 'what cakes do you have');
    conversation.noteInterrupted('You said: what cakes do you have. I can');
    await replyText(conversation, 'do you have carrot cake');
    await replyText(conversation, 'great, thanks');

    const inputs = fake.agentTurns.map((turn) => turn.input);
    expect(inputs[1]!.startsWith(INTERRUPTION_NOTE_PREFIX)).toBe(true);
    expect(inputs[1]).toContain('heard only: "You said: what cakes do you have. I can"');
    expect(inputs[1]!.endsWith('\n\ndo you have carrot cake')).toBe(true);
    expect(inputs[2]).toBe('great, thanks');
  });

  it('keeps the interruption note for the next turn when a turn is refused before reaching the agent', async () => {
    const { fake, conversation } = await startCall();
    conversation.noteInterrupted('');
    fake.agentBehaviour = { fail: 'rate-limit', failTimes: 1 };
    expect((await replyError(conversation, 'hello')).error.kind).toBe('rate-limit');
    await replyText(conversation, 'hello again');
    expect(fake.agentTurns[1]!.input).toMatch(/^\[Note: the caller interrupted your previous reply before hearing any of it\./);
  });

  it('reports a turn that fails at OpenAI as a server failure, after the words already streamed', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { fail: 'failed', failAfterDeltas: 2, reply: () => 'Let me check that for you right away.' };
    const { error, streamed } = await replyError(conversation, 'is the shop open');
    expect(streamed).toBe('Let me');
    expect(error.kind).toBe('server');
    expect(error.message).toContain('server_error');
    expect(error.explanation).toContain('status.openai.com');
  });

  it('reports an error event in the stream as a server failure', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { fail: 'error', failTimes: 1 };
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('server');
    expect(await replyText(conversation, 'hello')).toContain('You said: hello.');
  });

  it('tells an exhausted quota from a passing rate limit', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { fail: 'quota', failTimes: 1 };
    const quota = (await replyError(conversation, 'hello')).error;
    expect(quota.kind).toBe('quota');
    expect(quota.message).toContain('no quota left');
    expect(quota.explanation).toContain('billing');

    fake.agentBehaviour = { fail: 'rate-limit', failTimes: 1 };
    const rateLimit = (await replyError(conversation, 'hello')).error;
    expect(rateLimit.kind).toBe('rate-limit');
    expect(rateLimit.message).toContain('rate-limiting');
  });

  it('reports a key that stopped working as an authentication failure, never showing the key', async () => {
    const { fake, conversation } = await startCall();
    fake.keys.delete(FAKE_OPENAI_KEY);
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('auth');
    expect(error.explanation).toContain('platform.openai.com/api-keys');
    expect(`${error.message} ${error.explanation}`).not.toContain(FAKE_OPENAI_KEY);
  });

  it('reports OpenAI being unreachable as a network failure', async () => {
    const { fake, conversation } = await startCall();
    await fake.close();
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('network');
    expect(error.message).toContain('refused');
  });
});

describe.each<BrainBackend>(['agents', 'assistants'])('the %s brain, when its agent waits for a function result', (name) => {
  it('fails the turn after the text before the call, cancels it at the server, and takes the next turn', async () => {
    backend = await startBackend(name);
    const { fake } = backend;
    const conversation = await backend.brain.startConversation({ callSid: 'CA0123456789abcdef0123456789abcdef' });
    fake.agentBehaviour = { reply: () => 'Let me look that up.', functionCall: LOOKUP };
    const { error, streamed, events } = await replyError(conversation, 'where is my order');
    expect(streamed).toBe('Let me look that up.');
    expect(events.at(-1)).toMatchObject({ type: 'tool_call', name: 'lookup_order' });
    expect(error.kind).toBe('bad-request');
    expect(error.message).toBe(UNANSWERED_CALL_ERROR[name]);
    expect(error.explanation).toMatch(/^Fix: /);
    expect(await waitForAgentTurn(fake, (turn) => turn.status !== 'in_progress')).toMatchObject({ status: 'cancelled', cancelRequested: true });

    fake.agentBehaviour = { reply: () => 'It arrives on Tuesday.' };
    expect(await replyText(conversation, 'hello?')).toBe('It arrives on Tuesday.');
    await conversation.close();
  });
});
