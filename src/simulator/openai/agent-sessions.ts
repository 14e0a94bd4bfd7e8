// Fake beta Agents API sessions: POST /agents/sessions (optionally streamed), GET /agents/sessions/{id}, the live event
// stream GET …/events, input events POST …/events (message, cancel) and DELETE. As on the real service, closing an
// event stream does not stop a turn: only `agent.session.input.cancel` does.
import type { ServerResponse } from 'node:http';
import { sendJson, startSse, type FakeRequest } from '../http-fake.js';
import { beginAgentTurn, inputText, type FakeAgentTurn, type TurnEnding } from './agent-mind.js';
import { requireAgentsBeta, type FakeAgent } from './agents.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError } from './openai-errors.js';
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
        tools: [],
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
    const itemId = fakeId('msg_');
    const message = (status: string, text: string) => ({
      id: itemId,
      type: 'message',
      role: 'assistant',
      phase: 'final_answer',
      status,
      turn_id: turnId,
      content: text === '' && status === 'in_progress' ? [] : [{ type: 'output_text', text }],
    });
    emit(session, 'agent.session.turn.item.added', { ...common, output_index: 0, item: message('in_progress', '') });
    emit(session, 'agent.session.turn.content_part.added', { ...common, item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '' } });
    const messageDone = (text: string): void => {
      emit(session, 'agent.session.turn.output_text.done', { ...common, item_id: itemId, output_index: 0, content_index: 0, text });
      emit(session, 'agent.session.turn.content_part.done', { ...common, item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text } });
      emit(session, 'agent.session.turn.item.done', { ...common, output_index: 0, item: message('completed', text) });
    };
    let ending: TurnEnding = await turn.play((delta) =>
      emit(session, 'agent.session.turn.output_text.delta', { ...common, item_id: itemId, output_index: 0, content_index: 0, delta }),
    );
    if (ending.outcome === 'function_call') {
      // The turn waits for the function's result; the session says what it needs with `requires_action`.
      messageDone(ending.text);
      const { callId, name, arguments: args } = ending.call;
      const callItem = (status: string) => ({ id: fakeId('fc_'), type: 'function_call', call_id: callId, name, arguments: args, status, turn_id: turnId });
      emit(session, 'agent.session.turn.item.added', { ...common, output_index: 1, item: callItem('in_progress') });
      emit(session, 'agent.session.turn.item.done', { ...common, output_index: 1, item: callItem('completed') });
      session.status = 'requires_action';
      session.requiredActions = [{ type: 'function_call', call_id: callId, name, arguments: args, turn_id: turnId }];
      emit(session, 'agent.session.requires_action', { session: sessionWire(session) });
      ending = await turn.awaitFunctionResult();
      session.requiredActions = undefined;
    }
    switch (ending.outcome) {
      case 'completed':
        messageDone(ending.text);
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
    const begun = beginAgentTurn(fake, { backend: 'agents', conversationId: session.id, input: inputText(input) });
    if (begun.httpFailure) {
      sendOpenAIError(response, begun.httpFailure.status, begun.httpFailure.error, begun.httpFailure.headers);
      return undefined;
    }
    return begun.turn;
  };

  fake.api('POST', '/agents/sessions', async (request, response) => {
    if (!requireAgentsBeta(request, response)) return;
    const body = (request.body ?? {}) as { agent_id?: string; environment?: { type?: string }; input?: unknown; metadata?: Record<string, string>; stream?: boolean };
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
    const events = (request.body as { events?: Array<{ type?: string; input?: unknown }> } | undefined)?.events;
    if (!Array.isArray(events) || events.length === 0) {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'events'.", type: 'invalid_request_error', param: 'events', code: 'missing_required_parameter' });
      return;
    }
    for (const event of events) {
      if (event.type === 'agent.session.input.cancel') {
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
