import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentsBrain } from '../../src/agents/agents-brain.js';
import { AssistantsBrain } from '../../src/agents/assistants-brain.js';
import type { BrainError } from '../../src/agents/brain.js';
import { ResponsesBrain } from '../../src/agents/responses-brain.js';
import { waitForAgentTurn } from '../fakes/openai/agent-mind.js';
import { agentSessions } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import { fakeThreads } from '../fakes/openai/threads.js';
import { configFor, replyAnswering, replyError, replyText, startBackend, type BackendUnderTest } from './brain-harness.js';

const CALL = { callSid: 'CA0123456789abcdef0123456789abcdef' };
const NOW = new Date('2026-11-24T12:00:00Z');

let backend: BackendUnderTest | undefined;
afterEach(async () => {
  await backend?.stop();
  backend = undefined;
});

describe('the Assistants API brain', () => {
  it("explains the original bridge's failure: a workflow ID used as an assistant ID", async () => {
    backend = await startBackend('assistants');
    const config = configFor({ OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: backend.fake.baseURL, ASSISTANT_ID: 'wf_68e1f0a2b3c4d5e6' });
    // createBrain refuses this ID up front; built by hand, the brain meets OpenAI's 400 as the original bridge did.
    const brain = new AssistantsBrain({
      client: new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: backend.fake.baseURL, maxRetries: 0 }),
      assistantId: 'wf_68e1f0a2b3c4d5e6',
      errors: { config, backend: 'assistants', now: NOW },
    });
    const conversation = await brain.startConversation(CALL);
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('bad-request');
    expect(error.message).toMatch(/^a workflow ID was used as an assistant ID: OpenAI answered "400 Invalid 'assistant_id': 'wf_68e1f0a2b3c4d5e6'\. Expected an ID that begins with 'asst'\."/);
    expect(error.explanation).toContain('Run: npx voicebridge create-assistant');
    expect(error.explanation).not.toContain('\n');
  });

  it('explains that the Assistants API is gone where it was sunset', async () => {
    backend = await startBackend('assistants');
    backend.fake.assistantsApi = 'sunset';
    const error = (await backend.brain.startConversation(CALL).catch((caught: unknown) => caught)) as BrainError;
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain('no longer serves the Assistants API');
    expect(error.explanation).toContain('2026-08-26');
    expect(error.explanation).toContain('voicebridge create-assistant --api agents');
  });

  it('explains an assistant that is not in the project of the key', async () => {
    backend = await startBackend('assistants');
    backend.fake.assistants.clear();
    const conversation = await backend.brain.startConversation(CALL);
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('not-found');
    expect(error.explanation).toContain('in the project of this key');
  });

  it('sends the caller\'s words with the run, so a turn is one request', async () => {
    backend = await startBackend('assistants');
    const conversation = await backend.brain.startConversation(CALL);
    await replyText(conversation, 'one loaf please');
    const posts = backend.fake.requests.filter((request) => request.method === 'POST' && request.path.startsWith(`/v1/threads/${conversation.id}`));
    expect(posts.map((request) => request.path)).toEqual([`/v1/threads/${conversation.id}/runs`]);
    expect(fakeThreads(backend.fake).get(conversation.id)!.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
  });
});

describe('the Agents API brain', () => {
  it("creates the session with the caller's first words, as the service requires input for a session with no environment", async () => {
    backend = await startBackend('agents');
    const conversation = await backend.brain.startConversation(CALL);
    expect(agentSessions(backend.fake).size).toBe(0);
    expect(await replyText(conversation, 'hello')).toContain('You said: hello.');
    const sessionId = await conversation.created;
    expect(sessionId).toBe(conversation.id);
    expect(agentSessions(backend.fake).get(conversation.id)).toMatchObject({ status: 'idle', metadata: { call_sid: CALL.callSid } });
    const create = backend.fake.requests.find((request) => request.method === 'POST' && request.path === '/v1/agents/sessions');
    expect(create?.body).toMatchObject({ stream: true, environment: { type: 'none' } });
    expect(JSON.stringify((create?.body as { input: unknown }).input)).toContain('hello');
    expect(await replyText(conversation, 'and again')).toContain('You said: and again.');
    expect(backend.fake.requests.filter((request) => request.method === 'POST' && request.path === '/v1/agents/sessions')).toHaveLength(1);
  });

  it('explains an agent ID that is not in the project of the key', async () => {
    backend = await startBackend('agents');
    backend.fake.agents.clear();
    const conversation = await backend.brain.startConversation(CALL);
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('not-found');
    expect(error.explanation).toContain('no agent');
    expect(error.explanation).toContain('voicebridge create-assistant');
  });

  it('deletes the session at hang-up, cancelling a turn still running first', async () => {
    backend = await startBackend('agents');
    const conversation = await backend.brain.startConversation(CALL);
    backend.fake.agentBehaviour = { fail: 'hang' };
    const reading = replyText(conversation, 'hello?').catch((error: unknown) => error);
    await waitForAgentTurn(backend.fake, () => true);
    await conversation.close();
    expect(((await reading) as BrainError).kind).toBe('aborted');
    expect(backend.fake.agentTurns[0]).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect(agentSessions(backend.fake).has(conversation.id)).toBe(false);
    expect(((await replyError(conversation, 'anyone there')).error).kind).toBe('aborted');
  });

  it('cuts a turn short and deletes the session at hang-up even while nobody is reading the reply', async () => {
    backend = await startBackend('agents');
    const conversation = await backend.brain.startConversation(CALL);
    backend.fake.agentBehaviour = { reply: () => 'One. Two. Three. Four. Five. Six. Seven. Eight.', chunkDelayMs: 20 };
    const iterator = conversation.reply('count for me', { signal: new AbortController().signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text', delta: 'One.' });
    await conversation.close();
    expect(backend.fake.agentTurns[0]).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect(agentSessions(backend.fake).has(conversation.id)).toBe(false);
    expect(((await iterator.next().catch((error: unknown) => error)) as BrainError).kind).toBe('aborted');
  });

  it('sends no input when the call aborts before the turn is under way', async () => {
    backend = await startBackend('agents');
    const conversation = await backend.brain.startConversation(CALL);
    const abort = new AbortController();
    const iterator = conversation.reply('hello', { signal: abort.signal })[Symbol.asyncIterator]();
    const next = iterator.next().catch((error: unknown) => error);
    abort.abort();
    expect(((await next) as BrainError).kind).toBe('aborted');
    // The next turn goes through, and is the only one the agent ever received.
    expect(await replyText(conversation, 'hello again')).toContain('You said: hello again.');
    expect(backend.fake.agentTurns.map((turn) => turn.input)).toEqual(['hello again']);
  });

  it('reports the Agents API beta refused when the first words create the session', async () => {
    backend = await startBackend('agents');
    backend.fake.keys.set(FAKE_OPENAI_KEY, 'no_agents_access');
    const brain = new AgentsBrain({
      client: new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: backend.fake.baseURL, maxRetries: 0 }),
      agentId: [...backend.fake.agents.keys()][0]!,
      errors: { config: backend.config, backend: 'agents', now: NOW },
    });
    const conversation = await brain.startConversation(CALL);
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('403');
  });
});

describe('the Responses API brain', () => {
  it('answers with the configured model and the instructions from the file, in the call\'s conversation', async () => {
    backend = await startBackend('responses', { ASSISTANT_MODEL: 'gpt-6.1-terra' });
    const conversation = await backend.brain.startConversation(CALL);
    await replyText(conversation, 'hello');
    const request = backend.fake.requests.find((candidate) => candidate.path === '/v1/responses')!;
    expect(request.body).toMatchObject({
      model: 'gpt-6.1-terra',
      instructions: 'You answer phone callers for a bakery. Keep it short.',
      conversation: conversation.id,
      input: 'hello',
      stream: true,
    });
  });

  it("reads the Agents API agent's own tools once for many calls, not once per call", async () => {
    backend = await startBackend('agents');
    const tool = { name: 'end_call', description: 'Hang up.', parameters: { type: 'object', properties: {} } };
    for (let call = 0; call < 5; call += 1) await backend.brain.startConversation({ callSid: `CA${String(call).padStart(32, '0')}`, callTools: [tool] });
    const reads = backend.fake.requests.filter((request) => request.method === 'GET' && /^\/v1\/agents\/agent_/.test(request.path));
    expect(reads).toHaveLength(1);
  });

  it('answers a function call with a function_call_output item in a follow-up response of the same conversation', async () => {
    backend = await startBackend('responses');
    const tool = { name: 'end_call', description: 'Hang up.', parameters: { type: 'object', properties: { reason: { type: 'string' } } } };
    const conversation = await backend.brain.startConversation({ ...CALL, callTools: [tool] });
    backend.fake.agentBehaviour = { reply: () => 'Let me look that up.', functionCall: { name: 'lookup_order', arguments: '{"order":"A17"}' }, afterTool: () => 'Tuesday.' };
    const events = await replyAnswering(conversation, 'where is my order', () => '{"date":"Tuesday"}');
    const callId = backend.fake.agentTurns[0]!.calls[0]!.callId;
    expect(events.slice(-3)).toEqual([{ type: 'tool_call', callId, name: 'lookup_order', arguments: '{"order":"A17"}' }, { type: 'text', delta: 'Tuesday.' }, { type: 'done' }]);
    const requests = backend.fake.requests.filter((candidate) => candidate.path === '/v1/responses').map((request) => request.body);
    // A schema that leaves properties optional cannot be strict.
    const offered = [{ type: 'function', name: 'end_call', description: 'Hang up.', parameters: tool.parameters, strict: false }];
    expect(requests).toEqual([
      { model: 'gpt-6-luna', instructions: 'You answer phone callers for a bakery. Keep it short.', conversation: conversation.id, input: 'where is my order', tools: offered, stream: true },
      {
        model: 'gpt-6-luna',
        instructions: 'You answer phone callers for a bakery. Keep it short.',
        conversation: conversation.id,
        input: [{ type: 'function_call_output', call_id: callId, output: '{"date":"Tuesday"}' }],
        tools: offered,
        stream: true,
      },
    ]);
    expect(backend.fake.agentTurns.map((turn) => turn.status)).toEqual(['completed', 'completed']);
  });

  it('reports OpenAI not answering in time as a timeout', async () => {
    backend = await startBackend('responses');
    const brain = new ResponsesBrain({
      client: new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: backend.fake.baseURL, maxRetries: 0, timeout: 50 }),
      model: 'gpt-6-luna',
      instructions: 'Be brief.',
      instructionsSource: 'assistant.md',
      errors: { config: backend.config, backend: 'responses', now: NOW, timeoutMs: 50 },
    });
    const conversation = await brain.startConversation(CALL);
    backend.fake.injectFault({ method: 'POST', path: /\/responses$/, status: 500, body: {}, delayMs: 300 });
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('no answer from');
  });

  it('explains a model OpenAI does not have', async () => {
    backend = await startBackend('responses', { ASSISTANT_MODEL: 'gpt-4-turbo' });
    const conversation = await backend.brain.startConversation(CALL);
    const { error } = await replyError(conversation, 'hello');
    expect(error.kind).toBe('bad-request');
    expect(error.explanation).toContain('ASSISTANT_MODEL');
  });
});
