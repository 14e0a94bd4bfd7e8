// Fake Responses API with Conversations: POST/GET/DELETE /conversations and POST /responses (streamed in the full
// event order the SDK's strict helpers expect, ending in response.completed | response.failed, or an `error` event),
// answered by the shared fake agent mind. Closing the stream stops the response, as it does on OpenAI.
import type { ServerResponse } from 'node:http';
import { sendJson, startSse } from '../http-fake.js';
import { beginAgentTurn, inputText, type FakeCallRecord, type FakeToolResult, type TurnEnding } from './agent-mind.js';
import type { FakeOpenAI } from './fake-openai.js';
import { sendOpenAIError } from './openai-errors.js';
import { fakeId } from './ids.js';

export interface FakeConversation {
  id: string;
  created_at: number;
  metadata: Record<string, string>;
  /** The conversation's items in order: what the caller said and what the agent answered. */
  items: Array<{ role: 'user' | 'assistant' | 'system' | 'developer'; text: string }>;
  /** Function calls in the conversation still without an output: the next request must give each one. */
  pendingCalls: Map<string, FakeCallRecord>;
}

const conversationsByFake = new WeakMap<FakeOpenAI, Map<string, FakeConversation>>();

/** The fake's conversations, by ID. */
export function fakeConversations(fake: FakeOpenAI): Map<string, FakeConversation> {
  let conversations = conversationsByFake.get(fake);
  if (!conversations) {
    conversations = new Map();
    conversationsByFake.set(fake, conversations);
  }
  return conversations;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

type ItemInput = string | Array<{ role?: string; content?: unknown; type?: string; call_id?: unknown; output?: unknown }>;

function inputItems(input: ItemInput | undefined): FakeConversation['items'] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ role: 'user', text: input }];
  return input
    .filter((item) => item.type === undefined || item.type === 'message')
    .map((item) => ({ role: (item.role ?? 'user') as FakeConversation['items'][number]['role'], text: inputText(item.content) }));
}

export function installResponseRoutes(fake: FakeOpenAI): void {
  const conversations = fakeConversations(fake);

  const conversationWire = (conversation: FakeConversation) => ({
    id: conversation.id,
    object: 'conversation',
    created_at: conversation.created_at,
    metadata: conversation.metadata,
  });

  const notFound = (response: ServerResponse, id: string): void =>
    sendOpenAIError(response, 404, { message: `Conversation with id '${id}' not found.`, type: 'invalid_request_error', param: 'conversation', code: null });

  fake.api('POST', '/conversations', (request, response) => {
    const body = (request.body ?? {}) as { metadata?: Record<string, string>; items?: ItemInput };
    const conversation: FakeConversation = { id: fakeId('conv_'), created_at: nowSeconds(), metadata: body.metadata ?? {}, items: inputItems(body.items), pendingCalls: new Map() };
    conversations.set(conversation.id, conversation);
    sendJson(response, 200, conversationWire(conversation));
  });

  fake.api('GET', '/conversations/:id', (request, response) => {
    const conversation = conversations.get(request.params.id!);
    if (!conversation) notFound(response, request.params.id!);
    else sendJson(response, 200, conversationWire(conversation));
  });

  fake.api('DELETE', '/conversations/:id', (request, response) => {
    if (!conversations.delete(request.params.id!)) notFound(response, request.params.id!);
    else sendJson(response, 200, { id: request.params.id, object: 'conversation.deleted', deleted: true });
  });

  fake.api('POST', '/responses', async (request, response) => {
    const body = (request.body ?? {}) as {
      model?: string;
      instructions?: string | null;
      conversation?: string | { id?: string };
      input?: ItemInput;
      stream?: boolean;
      tools?: unknown[];
    };
    if (typeof body.model !== 'string' || body.model === '') {
      sendOpenAIError(response, 400, { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' });
      return;
    }
    if (!fake.models.some((model) => model.id === body.model)) {
      sendOpenAIError(response, 400, { message: `The requested model '${body.model}' does not exist.`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
      return;
    }
    const conversationId = typeof body.conversation === 'string' ? body.conversation : body.conversation?.id;
    const conversation = conversationId === undefined ? undefined : conversations.get(conversationId);
    if (conversationId !== undefined && !conversation) {
      notFound(response, conversationId);
      return;
    }
    const items = inputItems(body.input);
    // Function outputs answer calls of earlier responses in the conversation, and every such call needs its output.
    const outputs = (typeof body.input === 'string' ? [] : (body.input ?? [])).filter((item) => item.type === 'function_call_output');
    const refuse = (message: string, param = 'input'): void => sendOpenAIError(response, 400, { message, type: 'invalid_request_error', param, code: null });
    for (const [index, item] of outputs.entries()) {
      if (typeof item.call_id !== 'string') return refuse(`Missing required parameter: 'input[${index}].call_id'.`, `input[${index}].call_id`);
      if (typeof item.output !== 'string' && !Array.isArray(item.output)) return refuse(`Invalid type for 'input[${index}].output': expected a string or an array of content parts.`, `input[${index}].output`);
      if (conversation && !conversation.pendingCalls.has(item.call_id)) return refuse(`No tool call found for function call output with call_id ${item.call_id}.`);
    }
    for (const callId of conversation?.pendingCalls.keys() ?? []) {
      if (!outputs.some((item) => item.call_id === callId)) return refuse(`No tool output found for function call ${callId}.`);
    }
    const toolResults: FakeToolResult[] | undefined =
      outputs.length === 0
        ? undefined
        : outputs.map((item) => {
            const callId = item.call_id as string;
            const call = conversation?.pendingCalls.get(callId);
            const output = inputText(item.output);
            if (call) call.output = output;
            conversation?.pendingCalls.delete(callId);
            return { callId, name: call?.name ?? '', arguments: call?.arguments ?? '', output };
          });
    const responseId = fakeId('resp_');
    const begun = beginAgentTurn(fake, {
      backend: 'responses',
      conversationId: conversationId ?? responseId,
      turnId: responseId,
      input: items.map((item) => item.text).join('\n\n'),
      offeredTools: body.tools ?? [],
      toolResults,
    });
    if (begun.httpFailure) {
      sendOpenAIError(response, begun.httpFailure.status, begun.httpFailure.error, begun.httpFailure.headers);
      return;
    }
    const turn = begun.turn;
    const createdAt = nowSeconds();
    const messageId = fakeId('msg_');
    const message = (status: 'in_progress' | 'completed' | 'incomplete', text: string | undefined) => ({
      id: messageId,
      type: 'message',
      role: 'assistant',
      status,
      content: text === undefined ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }],
    });
    const responseWire = (status: string, output: unknown[], error: unknown = null) => ({
      id: responseId,
      object: 'response',
      created_at: createdAt,
      status,
      background: false,
      error,
      incomplete_details: null,
      instructions: body.instructions ?? null,
      max_output_tokens: null,
      model: body.model,
      output,
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: body.tools ?? [],
      top_p: 1,
      truncation: 'disabled',
      usage: status === 'completed' ? { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 24, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 36 } : null,
      user: null,
      metadata: {},
      conversation: conversationId === undefined ? null : { id: conversationId },
    });
    const remember = (text: string): void => {
      conversation?.items.push(...items, { role: 'assistant', text });
    };
    const callItemIds = new Map<string, string>();
    const functionCall = (status: 'in_progress' | 'completed', call: FakeCallRecord) => {
      if (!callItemIds.has(call.callId)) callItemIds.set(call.callId, fakeId('fc_'));
      return { id: callItemIds.get(call.callId)!, type: 'function_call', status, call_id: call.callId, name: call.name, arguments: status === 'completed' ? call.arguments : '' };
    };
    /** The response asks for functions: it is complete, and their outputs are input to the next request. */
    const endWithCalls = (calls: FakeCallRecord[]): void => {
      turn.completeWithFunctionCall();
      for (const call of calls) conversation?.pendingCalls.set(call.callId, call);
    };
    // A response that calls functions before saying anything has no message.
    const silent = turn.segmentText === '';

    if (body.stream !== true) {
      const ending = await turn.play(() => undefined);
      if (ending.outcome === 'function_call') {
        endWithCalls(ending.calls);
        remember(ending.text);
        const said = silent ? [] : [message('completed', ending.text)];
        sendJson(response, 200, responseWire('completed', [...said, ...ending.calls.map((call) => functionCall('completed', call))]));
        return;
      }
      if (ending.outcome !== 'completed') {
        sendOpenAIError(response, 500, { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null });
        return;
      }
      remember(ending.text);
      sendJson(response, 200, responseWire('completed', [message('completed', ending.text)]));
      return;
    }

    const sse = startSse(response);
    let sequence = 0;
    const send = (type: string, fields: Record<string, unknown>): void => sse.send(type, { type, sequence_number: sequence++, ...fields });
    response.on('close', () => turn.disconnect());
    send('response.created', { response: responseWire('in_progress', []) });
    send('response.in_progress', { response: responseWire('in_progress', []) });
    if (!silent) {
      send('response.output_item.added', { output_index: 0, item: message('in_progress', undefined) });
      send('response.content_part.added', { item_id: messageId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    }
    let text = '';
    const ending: TurnEnding = await turn.play((delta) => {
      text += delta;
      send('response.output_text.delta', { item_id: messageId, output_index: 0, content_index: 0, delta, logprobs: [] });
    });
    const messageDone = (said: string): unknown[] => {
      if (silent) return [];
      send('response.output_text.done', { item_id: messageId, output_index: 0, content_index: 0, text: said, logprobs: [] });
      send('response.content_part.done', { item_id: messageId, output_index: 0, content_index: 0, part: { type: 'output_text', text: said, annotations: [], logprobs: [] } });
      const done = message('completed', said);
      send('response.output_item.done', { output_index: 0, item: done });
      return [done];
    };
    switch (ending.outcome) {
      case 'completed': {
        const output = messageDone(ending.text);
        remember(ending.text);
        send('response.completed', { response: responseWire('completed', output) });
        break;
      }
      case 'function_call': {
        const output = messageDone(ending.text);
        for (const call of ending.calls) {
          const index = output.length;
          const itemId = functionCall('in_progress', call).id;
          send('response.output_item.added', { output_index: index, item: functionCall('in_progress', call) });
          send('response.function_call_arguments.delta', { item_id: itemId, output_index: index, delta: call.arguments });
          send('response.function_call_arguments.done', { item_id: itemId, output_index: index, arguments: call.arguments });
          const done = functionCall('completed', call);
          send('response.output_item.done', { output_index: index, item: done });
          output.push(done);
        }
        endWithCalls(ending.calls);
        remember(ending.text);
        send('response.completed', { response: responseWire('completed', output) });
        break;
      }
      case 'failed':
        send('response.failed', { response: responseWire('failed', [message('incomplete', text)], { code: ending.code, message: ending.message }) });
        break;
      case 'error':
        send('error', { code: ending.code, message: ending.message, param: null });
        break;
      case 'cancelled':
      case 'disconnected':
        remember(text);
        break;
    }
    sse.end();
  });
}
