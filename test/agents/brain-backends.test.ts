import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend, BrainConversation, BrainEvent, CallFunctionTool } from '../../src/agents/brain.js';
import { BrainError } from '../../src/agents/brain.js';
import { INTERRUPTION_NOTE_PREFIX } from '../../src/agents/interruption-note.js';
import { UNANSWERED_OUTPUT } from '../../src/agents/responses-brain.js';
import { replyDeltas, waitForAgentTurn, type AgentTurnRecord } from '../fakes/openai/agent-mind.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import { replyAnswering, replyError, replyEvents, replyText, spoken, startBackend, textEvents, type AskedCall, type BackendUnderTest } from './brain-harness.js';

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
const STOCK = { name: 'check_stock', arguments: '{"item":"rye"}' };
const HANG_UP: CallFunctionTool = {
  name: 'end_call',
  description: 'Hang up once the caller has said goodbye.',
  parameters: { type: 'object', properties: { reason: { type: 'string' } }, required: ['reason'], additionalProperties: false },
};
/** How each backend offers the call's function to the agent, in its own wire shape. */
const OFFERED_HANG_UP: Record<BrainBackend, unknown> = {
  agents: { type: 'function', name: HANG_UP.name, description: HANG_UP.description, parameters: HANG_UP.parameters },
  assistants: { type: 'function', function: { name: HANG_UP.name, description: HANG_UP.description, parameters: HANG_UP.parameters } },
  responses: { type: 'function', name: HANG_UP.name, description: HANG_UP.description, parameters: HANG_UP.parameters, strict: true },
};
/** The agent's own tool, as the saved agent or assistant holds it (the Responses brain's agent has none). */
const OWN_TOOL: Record<BrainBackend, unknown> = {
  agents: { type: 'function', name: 'check_stock', description: 'Whether an item is in stock.', parameters: { type: 'object', properties: {} }, defer_loading: false },
  assistants: { type: 'function', function: { name: 'check_stock', description: 'Whether an item is in stock.', parameters: { type: 'object', properties: {} } } },
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

describe.each<BrainBackend>(['agents', 'assistants', 'responses'])('the %s brain, when its agent calls functions', (name) => {
  async function startCall(callTools?: CallFunctionTool[], env = {}): Promise<{ fake: BackendUnderTest['fake']; conversation: BrainConversation }> {
    backend = await startBackend(name, env);
    const conversation = await backend.brain.startConversation({ callSid: 'CA0123456789abcdef0123456789abcdef', ...(callTools ? { callTools } : {}) });
    return { fake: backend.fake, conversation };
  }
  /** The saved agent or assistant gets a tool of its own. */
  const giveOwnTool = (fake: BackendUnderTest['fake']): void => {
    for (const agent of fake.agents.values()) agent.tools = [OWN_TOOL.agents];
    for (const assistant of fake.assistants.values()) assistant.tools = [OWN_TOOL.assistants];
  };
  /** Every call the agent made in the call, with the output it was given, whichever turn or response it was in. */
  const callsMade = (fake: BackendUnderTest['fake']) => fake.agentTurns.flatMap((turn) => turn.calls.map(({ name: called, output }) => [called, output]));

  it("streams the agent's words after an answered call in the same reply, and the agent reads the output", async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = {
      reply: () => 'Let me look that up.',
      functionCall: LOOKUP,
      afterTool: (results) => ` It arrives on ${(JSON.parse(results[0]!.output) as { date: string }).date}.`,
    };
    const events = await replyAnswering(conversation, 'where is my order', () => '{"date":"Tuesday"}');
    const callId = fake.agentTurns[0]!.calls[0]!.callId;
    expect(events).toEqual([
      ...textEvents('Let me look that up.'),
      { type: 'tool_call', callId, name: 'lookup_order', arguments: LOOKUP.arguments },
      ...textEvents(' It arrives on Tuesday.'),
      { type: 'done' },
    ]);
    expect(callsMade(fake)).toEqual([['lookup_order', '{"date":"Tuesday"}']]);

    // The conversation goes on as usual afterwards.
    fake.agentBehaviour = { reply: () => 'You are welcome.' };
    expect(await replyText(conversation, 'thanks')).toBe('You are welcome.');
    await conversation.close();
  });

  it('answers two calls of one turn in order, submitted together, before the agent says anything', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = {
      reply: () => '',
      functionCalls: [LOOKUP, STOCK],
      afterTool: (results) => results.map((result) => `${result.name} gave ${result.output}.`).join(' '),
    };
    const answers: Record<string, string> = { lookup_order: '"Tuesday"', check_stock: '"yes"' };
    const events = await replyAnswering(conversation, 'where is my order, and is there rye', (call) => answers[call.name]!);
    const [first, second] = fake.agentTurns[0]!.calls;
    expect(events).toEqual([
      { type: 'tool_call', callId: first!.callId, name: 'lookup_order', arguments: LOOKUP.arguments },
      { type: 'tool_call', callId: second!.callId, name: 'check_stock', arguments: STOCK.arguments },
      ...textEvents('lookup_order gave "Tuesday". check_stock gave "yes".'),
      { type: 'done' },
    ]);
    expect(callsMade(fake)).toEqual([
      ['lookup_order', '"Tuesday"'],
      ['check_stock', '"yes"'],
    ]);
  });

  it('follows a call, words and another call to the end of the turn', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = {
      reply: () => 'One moment.',
      functionCall: LOOKUP,
      afterTool: (results) => (results[0]!.name === 'lookup_order' ? { say: ' Found it.', calls: [STOCK] } : ' And rye is in stock.'),
    };
    const events = await replyAnswering(conversation, 'order and rye', () => '{"ok":true}');
    expect(events.filter((event) => event.type === 'tool_call').map((event) => (event as AskedCall).name)).toEqual(['lookup_order', 'check_stock']);
    expect(events.map((event) => (event.type === 'text' ? event.delta : `[${event.type}]`)).join('')).toBe(
      'One moment.[tool_call] Found it.[tool_call] And rye is in stock.[done]',
    );
  });

  it("offers the call's functions on every turn, beside the agent's own tools", async () => {
    backend = await startBackend(name);
    const { fake } = backend;
    giveOwnTool(fake);
    const conversation = await backend.brain.startConversation({ callSid: 'CA0123456789abcdef0123456789abcdef', callTools: [HANG_UP] });
    await replyText(conversation, 'hello');
    await replyText(conversation, 'bye now');
    const expected = name === 'responses' ? [OFFERED_HANG_UP[name]] : [OWN_TOOL[name], OFFERED_HANG_UP[name]];
    expect(fake.agentTurns.map((turn) => turn.offeredTools)).toEqual([expected, expected]);
  });

  it('sends the same requests as before when the call gives no functions', async () => {
    backend = await startBackend(name);
    const { fake } = backend;
    giveOwnTool(fake);
    const conversation = await backend.brain.startConversation({ callSid: 'CA0123456789abcdef0123456789abcdef', callTools: [] });
    await replyText(conversation, 'hello');
    const bodies = fake.requests.filter((request) => request.method === 'POST').map((request) => request.body as Record<string, unknown>);
    for (const body of bodies) {
      expect(body).not.toHaveProperty('tools');
      expect(body).not.toHaveProperty('agent');
    }
    // The saved agent's tools are not even read.
    expect(fake.requests.filter((request) => request.method === 'GET' && /\/(agents|assistants)\//.test(request.path))).toEqual([]);
    expect(fake.agentTurns[0]!.offeredTools).toEqual(name === 'responses' ? [] : [OWN_TOOL[name]]);
  });

  it('cancels the turn when the call aborts while a call is unanswered, and takes the next turn', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { reply: () => 'Let me look that up.', functionCall: LOOKUP };
    const abort = new AbortController();
    const iterator = conversation.reply('where is my order', { signal: abort.signal })[Symbol.asyncIterator]();
    let event: BrainEvent | undefined;
    do event = (await iterator.next()).value as BrainEvent;
    while (event?.type !== 'tool_call');
    expect(event.answer).toBeTypeOf('function');

    abort.abort();
    const stopped = await iterator.next().catch((error: unknown) => error);
    expect((stopped as BrainError).kind).toBe('aborted');
    if (name === 'responses') {
      // A response that calls a function is complete as it is; its call simply gets no output from this turn.
      expect(fake.agentTurns[0]!.status).toBe('completed');
    } else {
      expect(await waitForAgentTurn(fake, (turn) => turn.status !== 'in_progress')).toMatchObject({ status: 'cancelled', cancelRequested: true });
    }

    fake.agentBehaviour = { reply: () => 'Still here.' };
    expect(await replyText(conversation, 'hello?')).toBe('Still here.');
    // The Responses conversation must close the call before it takes more: the next turn gives it an error output.
    expect(callsMade(fake)).toEqual([['lookup_order', name === 'responses' ? UNANSWERED_OUTPUT : undefined]]);
    await conversation.close();
  });

  it('reports a refused submission of the outputs as a failed turn of the right kind, and takes the next turn', async () => {
    const { fake, conversation } = await startCall();
    fake.agentBehaviour = { reply: () => 'Let me look that up.', functionCall: LOOKUP };
    const submission = { agents: /\/agents\/sessions\/[^/]+\/events$/, assistants: /\/submit_tool_outputs$/, responses: /\/responses$/ }[name];
    let error: unknown;
    try {
      for await (const event of conversation.reply('where is my order', { signal: new AbortController().signal })) {
        if (event.type !== 'tool_call') continue;
        fake.injectFault({ method: 'POST', path: submission, status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } } });
        event.answer!('{"date":"Tuesday"}');
      }
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrainError);
    expect((error as BrainError).kind).toBe('server');

    fake.agentBehaviour = { reply: () => 'Still here.' };
    expect(await replyText(conversation, 'hello?')).toBe('Still here.');
    // The Responses conversation still owed the output, and got it with the next turn.
    expect(callsMade(fake)).toEqual([['lookup_order', name === 'responses' ? '{"date":"Tuesday"}' : undefined]]);
    await conversation.close();
  });
});
