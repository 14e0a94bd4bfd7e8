// Fake beta Agents API sessions: POST /agents/sessions (optionally streamed), GET /agents/sessions/{id}, the live event
// stream GET …/events, input events POST …/events (message, cancel) and DELETE. As on the real service, closing an
// event stream does not stop a turn: only `agent.session.input.cancel` does.
import type { ServerResponse } from 'node:http';
import { sendJson, startSse, type FakeRequest } from '../http-fake.js';
import { beginAgentTurn, inputText, type FakeAgentTurn, type TurnEnding } from './agent-mind.js';
import { requireAgentsBeta, type FakeAgent } from './agents.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError, type OpenAIErrorBody } from './openai-errors.js';
import { fakeId } from './ids.js';

type Sse = ReturnType<typeof startSse>;

export interface FakeAgentSession {
  id: string;
  agentId: string;
  createdAt: number;
  lastActiveAt: number;
  metadata: Record<string, string>;
  status: 'idle' | 'in_progress' | 'requires_action' | 'failed';
  /** Open event streams: live subscriptions and the creation stream. */
  subscribers: Set<Sse>;
  turn?: FakeAgentTurn;
  /** What the session waits for while `requires_action`: the function calls of its turn. */
  requiredActions?: Array<{ type: 'function_call'; call_id: string; name: string; arguments: string; turn_id: string }>;
  /** The results given so far for those calls: the turn goes on once every call has one. */
  toolResults?: Map<string, string>;
  /** The agent's tools for this session: the saved agent's, or the session's `agent.tools` override. */
  tools: unknown[];
}

const sessionsByFake = new WeakMap<FakeOpenAI, Map<string, FakeAgentSession>>();

/** The fake's agent sessions, by ID (deleted sessions are removed). */
export function agentSessions(fake: FakeOpenAI): Map<string, FakeAgentSession> {
  let sessions = sessionsByFake.get(fake);
  if (!sessions) {
    sessions = new Map();
    sessionsByFake.set(fake, sessions);
  }
  return sessions;
}

/** Adds an agent to the fake directly, as if created earlier in the project. */
export function seedAgent(fake: FakeOpenAI, overrides: Partial<FakeAgent> = {}): FakeAgent {
  const now = Math.floor(Date.now() / 1000);
  const agent: FakeAgent = {
    id: fakeId('agent_'),
    object: 'agent',
    created_at: now,
    updated_at: now,
    name: 'Front desk',
    model: 'gpt-6-luna',
    instructions: 'Answer phone callers briefly.',
    metadata: {},
    tools: [],
    ...overrides,
  };
  fake.agents.set(agent.id, agent);
  return agent;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Why the service would refuse this `agent.session.input.tool_result`, or undefined when it takes it. */
function toolResultRefusal(session: FakeAgentSession, event: Record<string, unknown>, index: number): OpenAIErrorBody | undefined {
  const at = (field: string): string => `events[${index}].${field}`;
  for (const field of ['call_id', 'turn_id'] as const) {
    if (typeof event[field] !== 'string') return { message: `Missing required parameter: '${at(field)}'.`, type: 'invalid_request_error', param: at(field), code: 'missing_required_parameter' };
  }
  if (typeof event.success !== 'boolean') return { message: `Missing required parameter: '${at('success')}'.`, type: 'invalid_request_error', param: at('success'), code: 'missing_required_parameter' };
  const output = event.output;
  if (output !== undefined && output !== null && typeof output !== 'string' && !Array.isArray(output)) {
    return { message: `Invalid type for '${at('output')}': expected a string or an array of content parts.`, type: 'invalid_request_error', param: at('output'), code: 'invalid_type' };
  }
  const action = session.requiredActions?.find((candidate) => candidate.call_id === event.call_id);
  if (session.status !== 'requires_action' || !action) {
    return { message: `No pending function call with id '${String(event.call_id)}' in this session.`, type: 'invalid_request_error', param: at('call_id'), code: 'invalid_value' };
  }
  if (action.turn_id !== event.turn_id) {
    return { message: `Function call '${action.call_id}' belongs to turn '${action.turn_id}', not '${String(event.turn_id)}'.`, type: 'invalid_request_error', param: at('turn_id'), code: 'invalid_value' };
  }
  return undefined;
}

/** What the agent reads as the function's result: its output, or the error of a call that failed. */
function toolResultOutput(event: Record<string, unknown>): string {
  if (event.success === false) return JSON.stringify({ error: typeof event.error === 'string' ? event.error : 'The function call failed.' });
  return inputText(event.output);
}

export function installAgentSessionRoutes(fake: FakeOpenAI): void {
  const sessions = agentSessions(fake);

  const sessionWire = (session: FakeAgentSession) => {
    const agent = fake.agents.get(session.agentId);
    return {
      id: session.id,
      object: 'agent.session',
      agent: {
        id: session.agentId,
        instructions: agent?.instructions ?? null,
        model: agent?.model ?? 'gpt-6-luna',
        multi_agent: { enabled: false, max_concurrent_subagents: null },
        name: agent?.name ?? null,
        reasoning: { effort: null },
        service_tier: 'auto',
        text: { format: { type: 'text' }, verbosity: 'medium' },
        tools: session.tools,
      },
      created_at: session.createdAt,
      environment: { type: 'none' },
      error: null,
      last_active_at: session.lastActiveAt,
      metadata: session.metadata,
      required_actions: session.requiredActions ?? [],
      status: session.status,
      usage: null,
      vault_ids: [],
    };
  };

  const emit = (session: FakeAgentSession, type: string, fields: Record<string, unknown>): void => {
    const event = { event_id: fakeId('event_'), type, ...fields };
    for (const subscriber of session.subscribers) subscriber.send(type, event);
  };

  const notFound = (response: ServerResponse, id: string): void =>
    sendOpenAIError(response, 404, { message: `No session found with id '${id}'.`, type: 'invalid_request_error', param: 'session_id', code: null });

  const findSession = (request: FakeRequest, response: ServerResponse): FakeAgentSession | undefined => {
    if (!requireAgentsBeta(request, response)) return undefined;
    const session = sessions.get(request.params.id!);
    if (!session) notFound(response, request.params.id!);
    return session;
  };

  /** Runs one turn to its end, emitting the events of the Agents API in their order. */
  const runTurn = async (session: FakeAgentSession, turn: FakeAgentTurn): Promise<void> => {
    const turnId = turn.record.turnId;
    const createdAt = nowSeconds();
    const turnWire = (status: string, error: unknown = null) => ({
      id: turnId,
      object: 'agent.session.turn',
      agent_id: session.agentId,
      session_id: session.id,
      created_at: createdAt,
      started_at: createdAt,
      completed_at: status === 'in_progress' ? null : nowSeconds(),
      error,
      status,
      subagent_id: null,
      usage: null,
    });
    const common = { session_id: session.id, turn_id: turnId };
    session.turn = turn;
    session.status = 'in_progress';
    session.lastActiveAt = createdAt;
    emit(session, 'agent.session.turn.created', { ...common, turn: turnWire('queued') });
    emit(session, 'agent.session.in_progress', { session: sessionWire(session) });
    emit(session, 'agent.session.turn.in_progress', { ...common, turn: turnWire('in_progress') });
    let outputIndex = 0;
    const message = (itemId: string, status: string, text: string) => ({
      id: itemId,
      type: 'message',
      role: 'assistant',
      phase: 'final_answer',
      status,
      turn_id: turnId,
      content: text === '' && status === 'in_progress' ? [] : [{ type: 'output_text', text }],
    });
    /** Streams one stretch of the reply as a message item (none when the agent says nothing before calling). */
    const playMessage = async (): Promise<TurnEnding> => {
      if (turn.segmentText === '') return turn.play(() => undefined);
      const itemId = fakeId('msg_');
      const index = outputIndex++;
      const at = { ...common, item_id: itemId, output_index: index, content_index: 0 };
      emit(session, 'agent.session.turn.item.added', { ...common, output_index: index, item: message(itemId, 'in_progress', '') });
      emit(session, 'agent.session.turn.content_part.added', { ...at, part: { type: 'output_text', text: '' } });
      const ending = await turn.play((delta) => emit(session, 'agent.session.turn.output_text.delta', { ...at, delta }));
      if (ending.outcome === 'completed' || ending.outcome === 'function_call') {
        emit(session, 'agent.session.turn.output_text.done', { ...at, text: ending.text });
        emit(session, 'agent.session.turn.content_part.done', { ...at, part: { type: 'output_text', text: ending.text } });
        emit(session, 'agent.session.turn.item.done', { ...common, output_index: index, item: message(itemId, 'completed', ending.text) });
      }
      return ending;
    };
    let ending: TurnEnding = await playMessage();
    while (ending.outcome === 'function_call') {
      // The turn waits for the functions' results; the session says what it needs with `requires_action`.
      const calls = ending.calls;
      const callItems = calls.map((call) => ({ id: fakeId('fc_'), index: outputIndex++, call }));
      const callItem = ({ id, call }: (typeof callItems)[number], status: string) => ({
        id,
        type: 'function_call',
        call_id: call.callId,
        name: call.name,
        arguments: call.arguments,
        status,
        turn_id: turnId,
      });
      for (const item of callItems) {
        emit(session, 'agent.session.turn.item.added', { ...common, output_index: item.index, item: callItem(item, 'in_progress') });
        emit(session, 'agent.session.turn.item.done', { ...common, output_index: item.index, item: callItem(item, 'completed') });
      }
      session.status = 'requires_action';
      session.requiredActions = calls.map((call) => ({ type: 'function_call', call_id: call.callId, name: call.name, arguments: call.arguments, turn_id: turnId }));
      session.toolResults = new Map();
      emit(session, 'agent.session.requires_action', { session: sessionWire(session) });
      const waited = await turn.awaitFunctionResult();
      session.requiredActions = undefined;
      session.toolResults = undefined;
      if (waited.outcome !== 'results') {
        ending = waited;
        break;
      }
      session.status = 'in_progress';
      emit(session, 'agent.session.in_progress', { session: sessionWire(session) });
      for (const result of waited.results) {
        emit(session, 'agent.session.turn.item.added', {
          ...common,
          output_index: outputIndex++,
          item: { id: fakeId('fco_'), type: 'function_call_output', call_id: result.callId, output: result.output, status: 'completed', turn_id: turnId },
        });
      }
      ending = await playMessage();
    }
    switch (ending.outcome) {
      case 'completed':
        emit(session, 'agent.session.turn.completed', { ...common, turn: turnWire('completed'), usage: null });
        break;
      case 'error':
        emit(session, 'error', { session_id: session.id, error: { code: ending.code, message: ending.message, param: null, type: 'server_error' } });
        emit(session, 'agent.session.turn.failed', { ...common, turn: turnWire('failed', { code: ending.code, message: ending.message }), usage: null });
        break;
      case 'failed':
        emit(session, 'agent.session.turn.failed', { ...common, turn: turnWire('failed', { code: ending.code, message: ending.message }), usage: null });
        break;
      case 'cancelled':
      case 'disconnected':
        emit(session, 'agent.session.turn.cancelled', { ...common, turn: turnWire('cancelled'), usage: null });
        break;
    }
    session.turn = undefined;
    session.status = 'idle';
    session.lastActiveAt = nowSeconds();
    emit(session, 'agent.session.idle', { session: sessionWire(session) });
  };

  /** Starts a turn for the given input, or answers the request with the failure the agent was scripted to have. */
  const startTurn = (session: FakeAgentSession, input: unknown, response: ServerResponse): FakeAgentTurn | undefined => {
    const begun = beginAgentTurn(fake, { backend: 'agents', conversationId: session.id, input: inputText(input), offeredTools: session.tools });
    if (begun.httpFailure) {
      sendOpenAIError(response, begun.httpFailure.status, begun.httpFailure.error, begun.httpFailure.headers);
      return undefined;
    }
    return begun.turn;
  };

  fake.api('POST', '/agents/sessions', async (request, response) => {
    if (!requireAgentsBeta(request, response)) return;
    const body = (request.body ?? {}) as {
      agent_id?: string;
      agent?: { tools?: unknown };
      environment?: { type?: string };
      input?: unknown;
      metadata?: Record<string, string>;
      stream?: boolean;
    };
    if (!body.environment || typeof body.environment.type !== 'string') {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'environment'.", type: 'invalid_request_error', param: 'environment', code: 'missing_required_parameter' });
      return;
    }
    if (typeof body.agent_id !== 'string' || !fake.agents.has(body.agent_id)) {
      sendOpenAIError(response, 404, {
        message: `No agent found with id '${body.agent_id ?? ''}'.`,
        type: 'invalid_request_error',
        param: 'agent_id',
        code: null,
      });
      return;
    }
    // The override's tools replace the saved agent's: omitted inherits them, null clears them.
    const override = body.agent?.tools;
    if (override !== undefined && override !== null && !Array.isArray(override)) {
      sendOpenAIError(response, 400, { message: "Invalid type for 'agent.tools': expected an array, but got an object instead.", type: 'invalid_request_error', param: 'agent.tools', code: 'invalid_type' });
      return;
    }
    const hasInput = body.input !== undefined && body.input !== null && inputText(body.input) !== '';
    if (body.stream === true && !hasInput) {
      sendOpenAIError(response, 400, { message: "'input' is required when 'stream' is true.", type: 'invalid_request_error', param: 'input', code: 'missing_required_parameter' });
      return;
    }
    const now = nowSeconds();
    const session: FakeAgentSession = {
      id: fakeId('session_'),
      agentId: body.agent_id,
      createdAt: now,
      lastActiveAt: now,
      metadata: body.metadata ?? {},
      status: 'idle',
      subscribers: new Set(),
      tools: override === undefined ? [...(fake.agents.get(body.agent_id)?.tools ?? [])] : (override ?? []),
    };
    sessions.set(session.id, session);
    if (!hasInput) {
      sendJson(response, 200, sessionWire(session));
      return;
    }
    const turn = startTurn(session, body.input, response);
    if (!turn) return;
    if (body.stream !== true) {
      session.status = 'in_progress';
      sendJson(response, 200, sessionWire(session));
      void runTurn(session, turn);
      return;
    }
    const sse = startSse(response);
    session.subscribers.add(sse);
    response.on('close', () => session.subscribers.delete(sse));
    sse.send('agent.session.created', { event_id: fakeId('event_'), type: 'agent.session.created', session: sessionWire(session) });
    await runTurn(session, turn);
    session.subscribers.delete(sse);
    sse.end();
  });

  fake.api('GET', '/agents/sessions/:id', (request, response) => {
    const session = findSession(request, response);
    if (session) sendJson(response, 200, sessionWire(session));
  });

  fake.api('GET', '/agents/sessions/:id/events', (request, response) => {
    const session = findSession(request, response);
    if (!session) return;
    const sse = startSse(response);
    session.subscribers.add(sse);
    response.on('close', () => session.subscribers.delete(sse));
    // A new subscriber learns the current state at once, as the service does.
    if (session.status === 'idle') sse.send('agent.session.idle', { event_id: fakeId('event_'), type: 'agent.session.idle', session: sessionWire(session) });
  });

  fake.api('POST', '/agents/sessions/:id/events', (request, response) => {
    const session = findSession(request, response);
    if (!session) return;
    const events = (request.body as { events?: Array<{ type?: string; input?: unknown } & Record<string, unknown>> } | undefined)?.events;
    if (!Array.isArray(events) || events.length === 0) {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'events'.", type: 'invalid_request_error', param: 'events', code: 'missing_required_parameter' });
      return;
    }
    // Tool results are checked all together first: a malformed one refuses the whole request, as the service does.
    for (const [index, event] of events.entries()) {
      if (event.type !== 'agent.session.input.tool_result') continue;
      const refusal = toolResultRefusal(session, event, index);
      if (refusal) {
        sendOpenAIError(response, 400, refusal);
        return;
      }
    }
    for (const event of events) {
      if (event.type === 'agent.session.input.tool_result') {
        const results = session.toolResults!;
        results.set(event.call_id as string, toolResultOutput(event));
        const required = session.requiredActions ?? [];
        if (required.every((action) => results.has(action.call_id))) {
          session.turn?.giveResults(required.map((action) => ({ callId: action.call_id, output: results.get(action.call_id)! })));
        }
      } else if (event.type === 'agent.session.input.cancel') {
        session.turn?.cancel();
      } else if (event.type === 'agent.session.input.message') {
        if (session.turn && !session.turn.ended) {
          sendOpenAIError(response, 409, {
            message: 'The session cannot accept additional input while a request is running.',
            type: 'invalid_request_error',
            param: null,
            code: 'active_turn_not_steerable',
          });
          return;
        }
        const turn = startTurn(session, event.input, response);
        if (!turn) return;
        void runTurn(session, turn);
      } else {
        sendOpenAIError(response, 400, { message: `Invalid value: '${String(event.type)}'.`, type: 'invalid_request_error', param: 'events[0].type', code: 'invalid_value' });
        return;
      }
    }
    response.writeHead(202);
    response.end();
  });

  fake.api('DELETE', '/agents/sessions/:id', (request, response) => {
    const session = findSession(request, response);
    if (!session) return;
    if (session.turn && !session.turn.ended) {
      sendOpenAIError(response, 409, {
        message: 'The session has a running turn. Cancel it before deleting the session.',
        type: 'invalid_request_error',
        param: null,
        code: 'session_busy',
      });
      return;
    }
    sessions.delete(session.id);
    for (const subscriber of session.subscribers) subscriber.end();
    sendJson(response, 200, { id: session.id, object: 'agent.session.deleted', deleted: true });
  });
}
