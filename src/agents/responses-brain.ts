// The Responses API backend (no ASSISTANT_ID, instructions from ASSISTANT_INSTRUCTIONS_FILE): a Conversation per call
// keeps the history, and each utterance is one streamed response with the configured model and instructions.
// Closing the stream is how a response is stopped. A response that calls functions is complete; their outputs go to
// the same conversation as `function_call_output` items of a follow-up response, streamed on as the same turn. The
// call's own functions are in every request's `tools`.
import type OpenAI from 'openai';
import type { Brain, BrainConversation, BrainError, CallFunctionTool, StartConversationContext } from './brain.js';
import { toBrainError, turnFailedError, type BrainErrorContext } from './brain-errors.js';
import { ToolCallBatch } from './tool-call-batch.js';
import type { TurnEvent, TurnSource } from './turn-stream.js';
import { TurnTakingConversation, type TurnTakingOptions } from './turn-taking-conversation.js';

export interface ResponsesBrainOptions {
  client: OpenAI;
  model: string;
  instructions: string;
  /** Where the instructions came from, for the start-up banner. */
  instructionsSource: string;
  errors: Omit<BrainErrorContext, 'action'>;
  settleTimeoutMs?: number;
}

const SETUP_RETRIES = 1;

type FunctionTool = OpenAI.Responses.FunctionTool;
type FunctionCallOutput = OpenAI.Responses.ResponseInputItem.FunctionCallOutput;

/** The output a call gets when the turn that asked it was cut short before the call answered it. */
export const UNANSWERED_OUTPUT = JSON.stringify({ error: 'The caller moved on before this function was answered.' });

/**
 * Whether OpenAI's strict mode can hold this schema: every object closes its properties (`additionalProperties:
 * false`) and requires all of them, all the way down. Otherwise the function is offered without strict mode.
 */
export function strictCompatible(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return true;
  const node = schema as { type?: unknown; properties?: unknown; required?: unknown; additionalProperties?: unknown; items?: unknown };
  if (node.type === 'object' || node.properties !== undefined) {
    if (node.additionalProperties !== false) return false;
    const properties = (node.properties ?? {}) as Record<string, unknown>;
    const required = Array.isArray(node.required) ? node.required : [];
    if (!Object.keys(properties).every((key) => required.includes(key))) return false;
    if (!Object.values(properties).every(strictCompatible)) return false;
  }
  return node.items === undefined || strictCompatible(node.items);
}

function responsesFunctionTool(tool: CallFunctionTool): FunctionTool {
  return { type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters, strict: strictCompatible(tool.parameters) };
}

export class ResponsesBrain implements Brain {
  readonly backend = 'responses' as const;

  constructor(private readonly options: ResponsesBrainOptions) {}

  describe(): string {
    return `Responses API with ${this.options.model} and the instructions in ${this.options.instructionsSource} (a conversation per call)`;
  }

  async startConversation(context: StartConversationContext): Promise<BrainConversation> {
    const { client, model, instructions } = this.options;
    try {
      const conversation = await client.conversations.create({ metadata: { call_sid: context.callSid } }, { signal: context.signal, maxRetries: SETUP_RETRIES });
      const tools = context.callTools && context.callTools.length > 0 ? context.callTools.map(responsesFunctionTool) : undefined;
      return new ResponsesConversation(conversation.id, client, model, instructions, tools, { errors: this.options.errors, settleTimeoutMs: this.options.settleTimeoutMs, ...(context.outbound ? { outbound: context.outbound } : {}) });
    } catch (error) {
      throw await toBrainError(error, { ...this.options.errors, action: 'creating the conversation' });
    }
  }
}

class ResponsesConversation extends TurnTakingConversation {
  readonly kind = 'conversation' as const;
  /**
   * Outputs owed to the conversation: the calls of a turn cut short before its outputs were submitted. OpenAI refuses
   * the next response of a conversation with a call still unanswered, so the next turn sends them first.
   */
  private owed: FunctionCallOutput[] = [];

  constructor(
    id: string,
    private readonly client: OpenAI,
    private readonly model: string,
    private readonly instructions: string,
    /** The call's functions, in every request; absent when the call gives none. */
    private readonly tools: FunctionTool[] | undefined,
    options: TurnTakingOptions,
  ) {
    super(id, options);
  }

  protected openTurn(input: string): TurnSource {
    const { client, model, instructions, tools, id: conversationId } = this;
    const controller = new AbortController();
    const context = this.errorContext("the agent's reply");
    const failed = (error: BrainError): TurnEvent => ({ type: 'failed', error });
    const owed = this.owed;
    this.owed = [];
    const owe = (outputs: FunctionCallOutput[]): void => {
      this.owed.push(...outputs);
    };
    const outputItem = (callId: string, output: string): FunctionCallOutput => ({ type: 'function_call_output', call_id: callId, output });

    const request = (turnInput: string | OpenAI.Responses.ResponseInput) =>
      client.responses.create(
        { model, instructions, conversation: conversationId, input: turnInput, ...(tools ? { tools } : {}), stream: true },
        { signal: controller.signal, maxRetries: 0 },
      );

    async function* events(): AsyncGenerator<TurnEvent> {
      // Without owed outputs the input is the caller's words alone, as a plain string.
      let stream = await request(owed.length === 0 ? input : [...owed, { role: 'user', content: input }]);
      for (;;) {
        const batch = new ToolCallBatch();
        let completed = false;
        for await (const event of stream) {
          switch (event.type) {
            case 'response.output_text.delta':
              yield { type: 'text', delta: event.delta };
              break;
            // Only the finished item carries the whole arguments; the response itself goes on to complete.
            case 'response.output_item.done':
              if (event.item.type === 'function_call') {
                yield batch.add({ callId: event.item.call_id, name: event.item.name, arguments: event.item.arguments });
              }
              break;
            case 'response.completed':
              completed = true;
              if (batch.size === 0) yield { type: 'done' };
              break;
            case 'response.incomplete':
              yield { type: 'done' };
              break;
            case 'response.failed':
              yield failed(turnFailedError(event.response.error, context));
              break;
            case 'error':
              yield failed(turnFailedError(event, context));
              break;
            default:
              break;
          }
        }
        if (!completed || batch.size === 0) return;
        const outputs = await batch.answered(controller.signal);
        if (!outputs) {
          // Cut short: the conversation still holds the calls, and gets their outputs with the next turn.
          owe(batch.partial().map(({ callId, output }) => outputItem(callId, output ?? UNANSWERED_OUTPUT)));
          return;
        }
        const items = outputs.map(({ callId, output }) => outputItem(callId, output));
        try {
          stream = await request(items);
        } catch (error) {
          if (!controller.signal.aborted) owe(items);
          throw error;
        }
      }
    }

    return { events: events(), stop: () => controller.abort() };
  }

  /** The conversation stays at OpenAI: it is the call's transcript, and it expires there by itself. */
  protected async release(): Promise<void> {}
}
