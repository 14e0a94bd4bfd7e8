// The Responses API backend (no ASSISTANT_ID, instructions from ASSISTANT_INSTRUCTIONS_FILE): a Conversation per call
// keeps the history, and each utterance is one streamed response with the configured model and instructions.
// Closing the stream is how a response is stopped.
import type OpenAI from 'openai';
import type { Brain, BrainConversation, BrainError, StartConversationContext } from './brain.js';
import { toBrainError, turnFailedError, type BrainErrorContext } from './brain-errors.js';
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
      return new ResponsesConversation(conversation.id, client, model, instructions, { errors: this.options.errors, settleTimeoutMs: this.options.settleTimeoutMs });
    } catch (error) {
      throw await toBrainError(error, { ...this.options.errors, action: 'creating the conversation' });
    }
  }
}

class ResponsesConversation extends TurnTakingConversation {
  readonly kind = 'conversation' as const;

  constructor(
    id: string,
    private readonly client: OpenAI,
    private readonly model: string,
    private readonly instructions: string,
    options: TurnTakingOptions,
  ) {
    super(id, options);
  }

  protected openTurn(input: string): TurnSource {
    const { client, model, instructions, id: conversationId } = this;
    const controller = new AbortController();
    const context = this.errorContext("the agent's reply");
    const failed = (error: BrainError): TurnEvent => ({ type: 'failed', error });

    async function* events(): AsyncGenerator<TurnEvent> {
      const stream = await client.responses.create(
        { model, instructions, conversation: conversationId, input, stream: true },
        { signal: controller.signal, maxRetries: 0 },
      );
      for await (const event of stream) {
        switch (event.type) {
          case 'response.output_text.delta':
            yield { type: 'text', delta: event.delta };
            break;
          // Only the finished item carries the whole arguments; the response itself goes on to complete.
          case 'response.output_item.done':
            if (event.item.type === 'function_call') {
              yield { type: 'tool_call', callId: event.item.call_id, name: event.item.name, arguments: event.item.arguments };
            }
            break;
          case 'response.completed':
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
    }

    return { events: events(), stop: () => controller.abort() };
  }

  /** The conversation stays at OpenAI: it is the call's transcript, and it expires there by itself. */
  protected async release(): Promise<void> {}
}
