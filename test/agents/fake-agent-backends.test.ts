import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForAgentTurn } from '../fakes/openai/agent-mind.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { seedAssistant } from '../fakes/openai/threads.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: ConstructorParameters<typeof FakeOpenAI>[0] = {}): Promise<{ fake: FakeOpenAI; client: OpenAI }> {
  fake = await FakeOpenAI.start(options);
  return { fake, client: new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 }) };
}

describe("the fake agent backends satisfy the SDK's own stream helpers", () => {
  it('streams an Agents API turn at session creation and a follow-up through sessions.stream', async () => {
    const { fake, client } = await start();
    const agent = seedAgent(fake);
    fake.agentBehaviour = { reply: (input) => `First answer to ${input}. Done.` };
    const created = await client.beta.agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'hello', stream: true });
    const first = await created.finalResult();
    expect(first.turn.status).toBe('completed');
    const sessionId = fake.agentTurns[0]!.conversationId;

    fake.agentBehaviour = { reply: (input) => `Second answer to ${input}. Done.` };
    const deltas: string[] = [];
    for await (const event of client.beta.agents.sessions.stream(sessionId, { input: 'and again' })) {
      if (event.type === 'agent.session.turn.output_text.delta') deltas.push(event.delta);
    }
    expect(deltas.join('')).toBe('Second answer to and again. Done.');
    expect(fake.agentTurns.map((turn) => [turn.input, turn.status])).toEqual([
      ['hello', 'completed'],
      ['and again', 'completed'],
    ]);
    expect((await client.beta.agents.sessions.retrieve(sessionId)).status).toBe('idle');
  });

  it('keeps an Agents API turn running when its stream is closed, until input.cancel arrives', async () => {
    const { fake, client } = await start();
    const agent = seedAgent(fake);
    fake.agentBehaviour = { fail: 'hang' };
    const session = await client.beta.agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' } });
    const stream = client.beta.agents.sessions.stream(session.id, { input: 'hello' });
    const reading = (async () => {
      for await (const _event of stream) void _event;
    })().catch(() => undefined);
    const turn = await waitForAgentTurn(fake, () => true);
    stream.abort();
    await reading;
    expect((await client.beta.agents.sessions.retrieve(session.id)).status).toBe('in_progress');
    await client.beta.agents.sessions.events.create(session.id, { events: [{ type: 'agent.session.input.cancel' }] });
    await waitForAgentTurn(fake, (candidate) => candidate === turn && candidate.status === 'cancelled');
    expect(turn.cancelRequested).toBe(true);
    await client.beta.agents.sessions.delete(session.id);
  });

  it('stops an Agents API turn that calls a function at requires_action, as the result helper expects, until cancelled', async () => {
    const { fake, client } = await start();
    const agent = seedAgent(fake);
    fake.agentBehaviour = { reply: () => 'Let me look.', functionCall: { name: 'lookup_order', arguments: '{"order":"A17"}' } };
    const created = await client.beta.agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'where is my order', stream: true });
    const error = await created.finalResult().catch((caught: unknown) => caught);
    const turn = fake.agentTurns[0]!;
    expect(error).toMatchObject({
      reason: 'requires_action',
      turn_id: turn.turnId,
      required_actions: [{ type: 'function_call', call_id: turn.functionCall!.callId, name: 'lookup_order', arguments: '{"order":"A17"}', turn_id: turn.turnId }],
    });
    expect((await client.beta.agents.sessions.retrieve(turn.conversationId)).status).toBe('requires_action');

    await client.beta.agents.sessions.events.create(turn.conversationId, { events: [{ type: 'agent.session.input.cancel' }] });
    await waitForAgentTurn(fake, (candidate) => candidate === turn && candidate.status === 'cancelled');
    expect(await client.beta.agents.sessions.retrieve(turn.conversationId)).toMatchObject({ status: 'idle', required_actions: [] });
  });

  it('streams an Assistants API run through runs.stream and its accumulating helper', async () => {
    const { fake, client } = await start({ assistantsApi: 'available' });
    const assistant = seedAssistant(fake);
    const thread = await client.beta.threads.create();
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, additional_messages: [{ role: 'user', content: 'what time is it' }] });
    const deltas: string[] = [];
    stream.on('textDelta', (delta) => deltas.push(delta.value ?? ''));
    const messages = await stream.finalMessages();
    const run = await stream.finalRun();
    expect(run.status).toBe('completed');
    expect(messages[0]!.content[0]).toMatchObject({ type: 'text', text: { value: deltas.join('') } });
    expect(fake.agentTurns[0]!.input).toBe('what time is it');
  });

  it('ends an Assistants API run stream at requires_action when the assistant calls a function, and cancels the run on request', async () => {
    const { fake, client } = await start({ assistantsApi: 'available' });
    const assistant = seedAssistant(fake);
    fake.agentBehaviour = { reply: () => 'Let me look.', functionCall: { name: 'lookup_order', arguments: '{"order":"A17"}' } };
    const thread = await client.beta.threads.create();
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, additional_messages: [{ role: 'user', content: 'where is my order' }] });
    const run = await stream.finalRun();
    const callId = fake.agentTurns[0]!.functionCall!.callId;
    expect(run.status).toBe('requires_action');
    expect(run.required_action).toEqual({
      type: 'submit_tool_outputs',
      submit_tool_outputs: { tool_calls: [{ id: callId, type: 'function', function: { name: 'lookup_order', arguments: '{"order":"A17"}' } }] },
    });
    expect((await stream.finalMessages())[0]!.content[0]).toMatchObject({ type: 'text', text: { value: 'Let me look.' } });

    expect((await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id })).status).toBe('cancelling');
    await waitForAgentTurn(fake, (turn) => turn.status === 'cancelled');
    expect((await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status).toBe('cancelled');
  });

  it('answers a wf_ assistant_id with the 400 the original bridge got', async () => {
    const { client } = await start({ assistantsApi: 'available' });
    const thread = await client.beta.threads.create();
    const error = await client.beta.threads.runs.create(thread.id, { assistant_id: 'wf_68e1f0a2b3c4' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toBe("400 Invalid 'assistant_id': 'wf_68e1f0a2b3c4'. Expected an ID that begins with 'asst'.");
  });

  it('streams a Responses API reply in a conversation through responses.stream', async () => {
    const { fake, client } = await start();
    const conversation = await client.conversations.create();
    const stream = client.responses.stream({ model: 'gpt-6-luna', instructions: 'Be brief.', conversation: conversation.id, input: 'hi there' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe(deltas.join(''));
    expect(fake.agentTurns[0]).toMatchObject({ backend: 'responses', conversationId: conversation.id, input: 'hi there', status: 'completed' });
  });

  it('ends a Responses API reply with the function call item the helper accumulates', async () => {
    const { fake, client } = await start();
    fake.agentBehaviour = { reply: () => 'Let me look.', functionCall: { name: 'lookup_order', arguments: '{"order":"A17"}' } };
    const stream = client.responses.stream({ model: 'gpt-6-luna', input: 'where is my order' });
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me look.');
    expect(final.output[1]).toMatchObject({ type: 'function_call', call_id: fake.agentTurns[0]!.functionCall!.callId, name: 'lookup_order', arguments: '{"order":"A17"}' });
    expect(fake.agentTurns[0]!.status).toBe('completed');
  });

  it('fails a Responses API stream with response.failed, which the helper reports as a failed response', async () => {
    const { fake, client } = await start();
    fake.agentBehaviour = { fail: 'failed', failAfterDeltas: 2 };
    const stream = client.responses.stream({ model: 'gpt-6-luna', input: 'hi' });
    const final = await stream.finalResponse();
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('server_error');
  });
});

describe('the fake agent backends take function outputs as each API does', () => {
  const LOOKUP = { name: 'lookup_order', arguments: '{"order":"A17"}' };
  const afterTool = (results: Array<{ output: string }>): string => `It says ${results[0]!.output}.`;

  it('goes on with an Agents API turn once every call has its agent.session.input.tool_result, and refuses one for a call it did not make', async () => {
    const { fake, client } = await start();
    const agent = seedAgent(fake);
    fake.agentBehaviour = { reply: () => 'Let me look.', functionCall: LOOKUP, afterTool };
    const created = await client.beta.agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'where is my order', stream: true });
    const streaming = created.finalResult().catch((error: unknown) => error);
    const turn = await waitForAgentTurn(fake, (candidate) => candidate.calls.length === 1);
    const sessionId = turn.conversationId;
    expect((await client.beta.agents.sessions.retrieve(sessionId)).status).toBe('requires_action');

    const wrong = await client.beta.agents.sessions.events
      .create(sessionId, { events: [{ type: 'agent.session.input.tool_result', call_id: 'call_unknown', turn_id: turn.turnId, success: true, output: '"x"' }] })
      .catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(OpenAI.BadRequestError);
    expect(wrong).toMatchObject({ status: 400, error: { type: 'invalid_request_error', param: 'events[0].call_id' } });

    const events: string[] = [];
    const reading = (async () => {
      for await (const event of await client.beta.agents.sessions.events.stream(sessionId, {})) {
        events.push(event.type);
        if (event.type === 'agent.session.idle') return;
      }
    })();
    await client.beta.agents.sessions.events.create(sessionId, {
      events: [{ type: 'agent.session.input.tool_result', call_id: turn.calls[0]!.callId, turn_id: turn.turnId, success: true, output: '"Tuesday"' }],
    });
    await reading;
    await streaming;
    expect(turn).toMatchObject({ status: 'completed', streamed: 'Let me look.It says "Tuesday".', calls: [{ ...LOOKUP, output: '"Tuesday"' }] });
    expect(events).toContain('agent.session.turn.completed');
    expect((await client.beta.agents.sessions.retrieve(sessionId)).status).toBe('idle');
  });

  it('streams an Assistants API run on after submitToolOutputsStream, and refuses outputs that miss a call', async () => {
    const { fake, client } = await start({ assistantsApi: 'available' });
    const assistant = seedAssistant(fake);
    fake.agentBehaviour = { reply: () => 'Let me look.', functionCalls: [LOOKUP, { name: 'check_stock', arguments: '{}' }], afterTool };
    const thread = await client.beta.threads.create();
    const run = await client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, additional_messages: [{ role: 'user', content: 'where is my order' }] }).finalRun();
    const [first, second] = fake.agentTurns[0]!.calls;

    const partial = await client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: first!.callId, output: '"Tuesday"' }] }).catch((error: unknown) => error);
    expect(partial).toBeInstanceOf(OpenAI.BadRequestError);
    expect((partial as Error).message).toBe(`400 Expected tool outputs for call_ids ["${first!.callId}","${second!.callId}"], got ["${first!.callId}"]`);

    const stream = client.beta.threads.runs.submitToolOutputsStream(run.id, {
      thread_id: thread.id,
      tool_outputs: [
        { tool_call_id: first!.callId, output: '"Tuesday"' },
        { tool_call_id: second!.callId, output: '"yes"' },
      ],
    });
    expect((await stream.finalRun()).status).toBe('completed');
    expect((await stream.finalMessages())[0]!.content[0]).toMatchObject({ type: 'text', text: { value: 'It says "Tuesday".' } });
    expect(fake.agentTurns[0]).toMatchObject({ status: 'completed', calls: [{ output: '"Tuesday"' }, { output: '"yes"' }] });
  });

  it('refuses a Responses API request in a conversation whose function call has no output, and takes the output in the next one', async () => {
    const { fake, client } = await start();
    fake.agentBehaviour = { reply: () => '', functionCall: LOOKUP, afterTool };
    const conversation = await client.conversations.create();
    const asked = await client.responses.create({ model: 'gpt-6-luna', conversation: conversation.id, input: 'where is my order' });
    expect(asked.output).toMatchObject([{ type: 'function_call', name: 'lookup_order' }]);
    const callId = fake.agentTurns[0]!.calls[0]!.callId;

    const skipped = await client.responses.create({ model: 'gpt-6-luna', conversation: conversation.id, input: 'hello?' }).catch((error: unknown) => error);
    expect(skipped).toBeInstanceOf(OpenAI.BadRequestError);
    expect((skipped as Error).message).toBe(`400 No tool output found for function call ${callId}.`);
    const unknown = await client.responses
      .create({ model: 'gpt-6-luna', conversation: conversation.id, input: [{ type: 'function_call_output', call_id: 'call_unknown', output: '"x"' }] })
      .catch((error: unknown) => error);
    expect((unknown as Error).message).toBe('400 No tool call found for function call output with call_id call_unknown.');

    const answered = await client.responses.stream({ model: 'gpt-6-luna', conversation: conversation.id, input: [{ type: 'function_call_output', call_id: callId, output: '"Tuesday"' }] }).finalResponse();
    expect(answered.output_text).toBe('It says "Tuesday".');
    expect(fake.agentTurns[1]).toMatchObject({ toolResults: [{ callId, name: 'lookup_order', output: '"Tuesday"' }], status: 'completed' });
  });
});
