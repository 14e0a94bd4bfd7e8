// Fake Assistants API threads, messages and runs (streamed with `stream: true`, cancellable), answered by the shared
// fake agent mind. With `assistantsApi: 'sunset'` every /threads path is a 404 "Invalid URL", as on OpenAI since
// 2026-08-26; while it is available, a `wf_` assistant_id gets exactly the 400 the original bridge got.
import type { ServerResponse } from 'node:http';
import { sendJson, startSse, type FakeRequest } from '../http-fake.js';
import { beginAgentTurn, inputText, type FakeAgentTurn, type TurnEnding } from './agent-mind.js';
import type { FakeAssistant } from './assistants.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError } from './openai-errors.js';
import { fakeId } from './ids.js';

type Sse = ReturnType<typeof startSse>;

interface FakeMessage {
  id: string;
  object: 'thread.message';
  created_at: number;
  thread_id: string;
  role: 'user' | 'assistant';
  content: Array<{ type: 'text'; text: { value: string; annotations: unknown[] } }>;
  assistant_id: string | null;
  run_id: string | null;
  attachments: unknown[];
  metadata: Record<string, string>;
  status: 'in_progress' | 'incomplete' | 'completed';
  incomplete_details: null | { reason: string };
  completed_at: number | null;
  incomplete_at: number | null;
}

type RunStatus = 'queued' | 'in_progress' | 'requires_action' | 'cancelling' | 'cancelled' | 'failed' | 'completed';

interface RequiredAction {
  type: 'submit_tool_outputs';
  submit_tool_outputs: { tool_calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> };
}

interface FakeRun {
  id: string;
  threadId: string;
  assistant: FakeAssistant;
  createdAt: number;
  status: RunStatus;
  lastError: null | { code: string; message: string };
  finishedAt: number | null;
  requiredAction?: RequiredAction;
  turn: FakeAgentTurn;
  stream?: Sse;
  /** The run's tools: the assistant's, or those the run was created with (which replace them). */
  tools: unknown[];
}

export interface FakeThread {
  id: string;
  created_at: number;
  metadata: Record<string, string>;
  messages: FakeMessage[];
  runs: Map<string, FakeRun>;
  /** Messages added since the last run started: what the next run reads. */
  unread: FakeMessage[];
}

const threadsByFake = new WeakMap<FakeOpenAI, Map<string, FakeThread>>();

/** The fake's Assistants API threads, by ID. */
export function fakeThreads(fake: FakeOpenAI): Map<string, FakeThread> {
  let threads = threadsByFake.get(fake);
  if (!threads) {
    threads = new Map();
    threadsByFake.set(fake, threads);
  }
  return threads;
}

/** Adds an assistant to the fake directly, as if created before the sunset. */
export function seedAssistant(fake: FakeOpenAI, overrides: Partial<FakeAssistant> = {}): FakeAssistant {
  const assistant: FakeAssistant = {
    id: fakeId('asst_'),
    object: 'assistant',
    created_at: Math.floor(Date.now() / 1000),
    name: 'Front desk',
    description: null,
    model: 'gpt-6-luna',
    instructions: 'Answer phone callers briefly.',
    tools: [],
    metadata: {},
    ...overrides,
  };
  fake.assistants.set(assistant.id, assistant);
  return assistant;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const isActive = (run: FakeRun): boolean =>
  run.status === 'queued' || run.status === 'in_progress' || run.status === 'requires_action' || run.status === 'cancelling';

export function installThreadRoutes(fake: FakeOpenAI): void {
  const threads = fakeThreads(fake);

  const sunset = (request: FakeRequest, response: ServerResponse): boolean => {
    if (fake.assistantsApi !== 'sunset') return false;
    sendOpenAIError(response, 404, { message: `Invalid URL (${request.method} ${request.path})`, type: 'invalid_request_error', code: null });
    return true;
  };

  const findThread = (request: FakeRequest, response: ServerResponse): FakeThread | undefined => {
    if (sunset(request, response)) return undefined;
    const thread = threads.get(request.params.id!);
    if (!thread) sendOpenAIError(response, 404, { message: `No thread found with id '${request.params.id}'.`, type: 'invalid_request_error', code: null });
    return thread;
  };

  /** The thread and its run the path names, or a 404 in OpenAI's words for whichever is missing. */
  const findRun = (request: FakeRequest, response: ServerResponse): { thread: FakeThread; run: FakeRun } | undefined => {
    const thread = findThread(request, response);
    if (!thread) return undefined;
    const run = thread.runs.get(request.params.runId!);
    if (!run) {
      sendOpenAIError(response, 404, { message: `No run found with id '${request.params.runId}'.`, type: 'invalid_request_error', code: null });
      return undefined;
    }
    return { thread, run };
  };

  const threadWire = (thread: FakeThread) => ({ id: thread.id, object: 'thread', created_at: thread.created_at, metadata: thread.metadata, tool_resources: null });

  const runWire = (run: FakeRun) => ({
    id: run.id,
    object: 'thread.run',
    created_at: run.createdAt,
    assistant_id: run.assistant.id,
    thread_id: run.threadId,
    status: run.status,
    started_at: run.status === 'queued' ? null : run.createdAt,
    expires_at: run.finishedAt === null ? run.createdAt + 600 : null,
    cancelled_at: run.status === 'cancelled' ? run.finishedAt : null,
    failed_at: run.status === 'failed' ? run.finishedAt : null,
    completed_at: run.status === 'completed' ? run.finishedAt : null,
    required_action: run.status === 'requires_action' ? (run.requiredAction ?? null) : null,
    last_error: run.lastError,
    model: run.assistant.model,
    instructions: run.assistant.instructions ?? '',
    tools: run.tools,
    metadata: {},
    incomplete_details: null,
    usage: null,
    temperature: 1,
    top_p: 1,
    max_prompt_tokens: null,
    max_completion_tokens: null,
    truncation_strategy: { type: 'auto', last_messages: null },
    response_format: 'auto',
    tool_choice: 'auto',
    parallel_tool_calls: true,
  });

  const addMessage = (thread: FakeThread, role: 'user' | 'assistant', content: unknown): FakeMessage => {
    const message: FakeMessage = {
      id: fakeId('msg_'),
      object: 'thread.message',
      created_at: nowSeconds(),
      thread_id: thread.id,
      role,
      content: [{ type: 'text', text: { value: inputText(content), annotations: [] } }],
      assistant_id: null,
      run_id: null,
      attachments: [],
      metadata: {},
      status: 'completed',
      incomplete_details: null,
      completed_at: nowSeconds(),
      incomplete_at: null,
    };
    thread.messages.push(message);
    if (role === 'user') thread.unread.push(message);
    return message;
  };

  /** Runs one run to its end, streaming the Assistants API events in their order to `run.stream` when there is one. */
  const execute = async (thread: FakeThread, run: FakeRun): Promise<void> => {
    const send = (event: string, data: unknown): void => run.stream?.send(event, data);
    send('thread.run.created', runWire(run));
    send('thread.run.queued', runWire(run));
    run.status = 'in_progress';
    send('thread.run.in_progress', runWire(run));
    for (;;) {
      const ending = await playStretch(thread, run, send);
      if (ending.outcome !== 'function_call') return;
      // The run stops to ask for the outputs: its stream ends there, and the run waits for them or a cancel.
      const toolStep = {
        ...stepBase(thread, run),
        type: 'tool_calls',
        step_details: { type: 'tool_calls', tool_calls: ending.calls.map((call) => ({ id: call.callId, type: 'function', function: { name: call.name, arguments: call.arguments, output: null as string | null } })) },
      };
      send('thread.run.step.created', toolStep);
      send('thread.run.step.in_progress', toolStep);
      run.status = 'requires_action';
      run.requiredAction = {
        type: 'submit_tool_outputs',
        submit_tool_outputs: { tool_calls: ending.calls.map((call) => ({ id: call.callId, type: 'function', function: { name: call.name, arguments: call.arguments } })) },
      };
      send('thread.run.requires_action', runWire(run));
      send('done', '[DONE]');
      run.stream?.end();
      run.stream = undefined;
      const waited = await run.turn.awaitFunctionResult();
      run.requiredAction = undefined;
      if (waited.outcome !== 'results') {
        run.finishedAt = nowSeconds();
        run.status = 'cancelled';
        return;
      }
      // submit_tool_outputs opened the stream the run goes on in.
      run.status = 'queued';
      send('thread.run.queued', runWire(run));
      run.status = 'in_progress';
      send('thread.run.in_progress', runWire(run));
      const outputs = waited.results;
      send('thread.run.step.completed', {
        ...toolStep,
        status: 'completed',
        completed_at: nowSeconds(),
        step_details: { type: 'tool_calls', tool_calls: outputs.map((result) => ({ id: result.callId, type: 'function', function: { name: result.name, arguments: result.arguments, output: result.output } })) },
      });
    }
  };

  const stepBase = (thread: FakeThread, run: FakeRun) => ({
    id: fakeId('step_'),
    object: 'thread.run.step',
    created_at: nowSeconds(),
    run_id: run.id,
    assistant_id: run.assistant.id,
    thread_id: thread.id,
    type: 'message_creation',
    status: 'in_progress',
    cancelled_at: null,
    completed_at: null,
    expired_at: null,
    failed_at: null,
    last_error: null as null | { code: string; message: string },
    step_details: {} as Record<string, unknown>,
    usage: null,
    metadata: {},
  });

  /**
   * Streams one stretch of the run: a message (none when the assistant says nothing before calling functions), then
   * the run's end — or, when it calls functions, returns that ending without ending the run.
   */
  const playStretch = async (thread: FakeThread, run: FakeRun, send: (event: string, data: unknown) => void): Promise<TurnEnding> => {
    // Nothing to say before the calls: no message at all. (A silent stretch that ends the run still gets an empty one.)
    const silent = run.turn.segmentText === '' ? await run.turn.play(() => undefined) : undefined;
    if (silent?.outcome === 'function_call') return silent;
    const message: FakeMessage = {
      id: fakeId('msg_'),
      object: 'thread.message',
      created_at: nowSeconds(),
      thread_id: thread.id,
      role: 'assistant',
      content: [],
      assistant_id: run.assistant.id,
      run_id: run.id,
      attachments: [],
      metadata: {},
      status: 'in_progress',
      incomplete_details: null,
      completed_at: null,
      incomplete_at: null,
    };
    const step = { ...stepBase(thread, run), step_details: { type: 'message_creation', message_creation: { message_id: message.id } } };
    send('thread.run.step.created', step);
    send('thread.run.step.in_progress', step);
    send('thread.message.created', message);
    send('thread.message.in_progress', message);
    let text = '';
    const ending: TurnEnding = silent
      ? silent
      : await run.turn.play((delta) => {
          const first = text === '';
          text += delta;
          send('thread.message.delta', {
            id: message.id,
            object: 'thread.message.delta',
            delta: { content: [{ index: 0, type: 'text', text: first ? { value: delta, annotations: [] } : { value: delta } }] },
          });
        });
    if (ending.outcome === 'function_call') {
      const done: FakeMessage = { ...message, status: 'completed', content: [{ type: 'text', text: { value: text, annotations: [] } }], completed_at: nowSeconds() };
      thread.messages.push(done);
      send('thread.message.completed', done);
      send('thread.run.step.completed', { ...step, status: 'completed', completed_at: nowSeconds() });
      return ending;
    }
    run.finishedAt = nowSeconds();
    const finalMessage = (status: FakeMessage['status']): FakeMessage => ({
      ...message,
      status,
      content: text === '' ? [] : [{ type: 'text', text: { value: text, annotations: [] } }],
      completed_at: status === 'completed' ? run.finishedAt : null,
      incomplete_at: status === 'incomplete' ? run.finishedAt : null,
      incomplete_details: status === 'incomplete' ? { reason: 'run_cancelled' } : null,
    });
    switch (ending.outcome) {
      case 'completed': {
        const done = finalMessage('completed');
        thread.messages.push(done);
        send('thread.message.completed', done);
        send('thread.run.step.completed', { ...step, status: 'completed', completed_at: run.finishedAt });
        run.status = 'completed';
        send('thread.run.completed', runWire(run));
        break;
      }
      case 'cancelled':
      case 'disconnected': {
        const partial = finalMessage('incomplete');
        if (text !== '') thread.messages.push(partial);
        send('thread.message.incomplete', partial);
        send('thread.run.step.cancelled', { ...step, status: 'cancelled', cancelled_at: run.finishedAt });
        run.status = 'cancelled';
        send('thread.run.cancelled', runWire(run));
        break;
      }
      case 'error':
        run.status = 'failed';
        run.lastError = { code: ending.code, message: ending.message };
        send('error', { error: { message: ending.message, type: 'server_error', param: null, code: ending.code } });
        run.stream?.end();
        return ending;
      case 'failed': {
        send('thread.message.incomplete', finalMessage('incomplete'));
        run.lastError = { code: ending.code, message: ending.message };
        send('thread.run.step.failed', { ...step, status: 'failed', failed_at: run.finishedAt, last_error: run.lastError });
        run.status = 'failed';
        send('thread.run.failed', runWire(run));
        break;
      }
    }
    send('done', '[DONE]');
    run.stream?.end();
    return ending;
  };

  fake.api('POST', '/threads', (request, response) => {
    if (sunset(request, response)) return;
    const body = (request.body ?? {}) as { metadata?: Record<string, string>; messages?: Array<{ role?: 'user' | 'assistant'; content?: unknown }> };
    const thread: FakeThread = { id: fakeId('thread_'), created_at: nowSeconds(), metadata: body.metadata ?? {}, messages: [], runs: new Map(), unread: [] };
    for (const message of body.messages ?? []) addMessage(thread, message.role ?? 'user', message.content);
    threads.set(thread.id, thread);
    sendJson(response, 200, threadWire(thread));
  });

  fake.api('GET', '/threads/:id', (request, response) => {
    const thread = findThread(request, response);
    if (thread) sendJson(response, 200, threadWire(thread));
  });

  fake.api('DELETE', '/threads/:id', (request, response) => {
    const thread = findThread(request, response);
    if (!thread) return;
    for (const run of thread.runs.values()) if (isActive(run)) run.turn.cancel();
    threads.delete(thread.id);
    sendJson(response, 200, { id: thread.id, object: 'thread.deleted', deleted: true });
  });

  fake.api('POST', '/threads/:id/messages', (request, response) => {
    const thread = findThread(request, response);
    if (!thread) return;
    const active = [...thread.runs.values()].find(isActive);
    if (active) {
      sendOpenAIError(response, 400, {
        message: `Can't add messages to ${thread.id} while a run ${active.id} is active.`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
      return;
    }
    const body = (request.body ?? {}) as { role?: 'user' | 'assistant'; content?: unknown };
    sendJson(response, 200, addMessage(thread, body.role ?? 'user', body.content));
  });

  fake.api('GET', '/threads/:id/messages', (request, response) => {
    const thread = findThread(request, response);
    if (!thread) return;
    const data = [...thread.messages].reverse();
    sendJson(response, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: false });
  });

  fake.api('POST', '/threads/:id/runs', async (request, response) => {
    const thread = findThread(request, response);
    if (!thread) return;
    const body = (request.body ?? {}) as {
      assistant_id?: string;
      stream?: boolean;
      tools?: unknown[] | null;
      additional_messages?: Array<{ role?: 'user' | 'assistant'; content?: unknown }>;
    };
    const assistantId = body.assistant_id ?? '';
    if (!assistantId.startsWith('asst')) {
      sendOpenAIError(response, 400, {
        message: `Invalid 'assistant_id': '${assistantId}'. Expected an ID that begins with 'asst'.`,
        type: 'invalid_request_error',
        param: 'assistant_id',
        code: 'invalid_value',
      });
      return;
    }
    const assistant = fake.assistants.get(assistantId);
    if (!assistant) {
      sendOpenAIError(response, 404, { message: `No assistant found with id '${assistantId}'.`, type: 'invalid_request_error', code: null });
      return;
    }
    const active = [...thread.runs.values()].find(isActive);
    if (active) {
      sendOpenAIError(response, 400, { message: `Thread ${thread.id} already has an active run ${active.id}.`, type: 'invalid_request_error', param: null, code: null });
      return;
    }
    for (const message of body.additional_messages ?? []) addMessage(thread, message.role ?? 'user', message.content);
    const input = thread.unread.map((message) => inputText(message.content)).join('\n\n');
    const runId = fakeId('run_');
    // A run's `tools` replace the assistant's for this run.
    const tools = body.tools ?? [...assistant.tools];
    const begun = beginAgentTurn(fake, { backend: 'assistants', conversationId: thread.id, turnId: runId, input, offeredTools: tools });
    if (begun.httpFailure) {
      sendOpenAIError(response, begun.httpFailure.status, begun.httpFailure.error, begun.httpFailure.headers);
      return;
    }
    thread.unread = [];
    const run: FakeRun = { id: runId, threadId: thread.id, assistant, createdAt: nowSeconds(), status: 'queued', lastError: null, finishedAt: null, turn: begun.turn, tools };
    thread.runs.set(run.id, run);
    if (body.stream !== true) {
      sendJson(response, 200, runWire(run));
      void execute(thread, run);
      return;
    }
    // A run goes on when its stream is closed; only the cancel endpoint stops it.
    run.stream = startSse(response);
    await execute(thread, run);
  });

  fake.api('GET', '/threads/:id/runs/:runId', (request, response) => {
    const found = findRun(request, response);
    if (!found) return;
    const { run } = found;
    sendJson(response, 200, runWire(run));
  });

  fake.api('POST', '/threads/:id/runs/:runId/submit_tool_outputs', (request, response) => {
    const found = findRun(request, response);
    if (!found) return;
    const { run } = found;
    if (run.status !== 'requires_action' || !run.requiredAction) {
      sendOpenAIError(response, 400, { message: `Runs in status "${run.status}" do not accept tool outputs.`, type: 'invalid_request_error', param: null, code: null });
      return;
    }
    const body = (request.body ?? {}) as { tool_outputs?: Array<{ tool_call_id?: unknown; output?: unknown }>; stream?: boolean };
    if (!Array.isArray(body.tool_outputs)) {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'tool_outputs'.", type: 'invalid_request_error', param: 'tool_outputs', code: 'missing_required_parameter' });
      return;
    }
    for (const [index, output] of body.tool_outputs.entries()) {
      if (typeof output.output !== 'string') {
        sendOpenAIError(response, 400, { message: `Invalid type for 'tool_outputs[${index}].output': expected a string.`, type: 'invalid_request_error', param: `tool_outputs[${index}].output`, code: 'invalid_type' });
        return;
      }
    }
    // Every call the run waits on is answered in one submission, as the service requires.
    const expected = run.requiredAction.submit_tool_outputs.tool_calls.map((call) => call.id);
    const given = body.tool_outputs.map((output) => output.tool_call_id);
    if (expected.length !== given.length || !expected.every((id) => given.includes(id))) {
      sendOpenAIError(response, 400, {
        message: `Expected tool outputs for call_ids ${JSON.stringify(expected)}, got ${JSON.stringify(given)}`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
      return;
    }
    const outputs = body.tool_outputs.map((output) => ({ callId: output.tool_call_id as string, output: output.output as string }));
    if (body.stream === true) run.stream = startSse(response);
    else sendJson(response, 200, { ...runWire(run), status: 'queued', required_action: null });
    run.turn.giveResults(outputs);
  });

  fake.api('POST', '/threads/:id/runs/:runId/cancel', (request, response) => {
    const found = findRun(request, response);
    if (!found) return;
    const { run } = found;
    if (!isActive(run)) {
      sendOpenAIError(response, 400, { message: `Cannot cancel run with status '${run.status}'.`, type: 'invalid_request_error', param: null, code: null });
      return;
    }
    run.status = 'cancelling';
    sendJson(response, 200, runWire(run));
    run.turn.cancel();
  });
}
