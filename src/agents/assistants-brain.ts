// The Assistants API backend (asst_ IDs, on endpoints that still serve it): a thread per call, a streamed run per
// utterance with the caller's words sent along with the run (one request, not two). A cut-short run is cancelled at
// the server, because a thread with an active run refuses the next message.
import type OpenAI from 'openai';
import type { Brain, BrainConversation, StartConversationContext } from './brain.js';
import { BrainError } from './brain.js';
import { toBrainError, turnFailedError, type BrainErrorContext } from './brain-errors.js';
import type { TurnEvent, TurnSource } from './turn-stream.js';
import { TurnTakingConversation, type TurnTakingOptions } from './turn-taking-conversation.js';

export interface AssistantsBrainOptions {
  client: OpenAI;
  assistantId: string;
  errors: Omit<BrainErrorContext, 'action'>;
  settleTimeoutMs?: number;
}

const SETUP_RETRIES = 1;

export class AssistantsBrain implements Brain {
  readonly backend = 'assistants' as const;

  constructor(private readonly options: AssistantsBrainOptions) {}

  describe(): string {
    return `Assistants API assistant ${this.options.assistantId} (a thread per call)`;
  }

  async startConversation(context: StartConversationContext): Promise<BrainConversation> {
    const { client, assistantId } = this.options;
    try {
      const thread = await client.beta.threads.create({ metadata: { call_sid: context.callSid } }, { signal: context.signal, maxRetries: SETUP_RETRIES });
      return new ThreadConversation(thread.id, client, assistantId, { errors: this.options.errors, settleTimeoutMs: this.options.settleTimeoutMs });
    } catch (error) {
      throw await toBrainError(error, { ...this.options.errors, action: 'creating the thread' });
    }
  }
}

class ThreadConversation extends TurnTakingConversation {
  readonly kind = 'thread' as const;

  constructor(
    id: string,
    private readonly client: OpenAI,
    private readonly assistantId: string,
    options: TurnTakingOptions,
  ) {
    super(id, options);
  }

  protected openTurn(input: string): TurnSource {
    const { client, id: threadId } = this;
    const stream = client.beta.threads.runs.stream(
      threadId,
      { assistant_id: this.assistantId, additional_messages: [{ role: 'user', content: input }] },
      { maxRetries: 0 },
    );
    // Failures are read through iteration; these listeners keep the helper from also reporting them as unhandled.
    stream.on('error', () => undefined);
    stream.on('abort', () => undefined);
    let runId: string | undefined;
    let cancelWanted = false;
    let cancelSent = false;
    const sendCancel = (): void => {
      if (runId === undefined || cancelSent) return;
      cancelSent = true;
      client.beta.threads.runs.cancel(runId, { thread_id: threadId }, { maxRetries: SETUP_RETRIES }).catch(() => undefined);
    };
    const context = this.errorContext("the agent's reply");
    const failed = (error: BrainError): TurnEvent => ({ type: 'failed', error });

    async function* events(): AsyncGenerator<TurnEvent> {
      for await (const event of stream) {
        switch (event.event) {
          case 'thread.run.created':
            runId = event.data.id;
            if (cancelWanted) sendCancel();
            break;
          case 'thread.message.delta':
            for (const part of event.data.delta.content ?? []) {
              if (part.type === 'text' && part.text?.value) yield { type: 'text', delta: part.text.value };
            }
            break;
          case 'thread.run.completed':
          case 'thread.run.incomplete':
            yield { type: 'done' };
            break;
          case 'thread.run.failed':
            yield failed(turnFailedError(event.data.last_error, context));
            break;
          case 'thread.run.expired':
            yield failed(new BrainError('timeout', "the agent's reply expired at OpenAI before it was complete", 'OpenAI gave up on the run; usually temporary.'));
            break;
          case 'thread.run.cancelled':
            if (!cancelWanted) yield failed(new BrainError('server', "the agent's reply was cancelled at OpenAI before it was complete", 'Something else cancelled the run; the next utterance starts a new one.'));
            break;
          case 'thread.run.requires_action':
            // The run waits for outputs nobody submits yet: it is cancelled and the turn fails, after saying what it asked.
            cancelWanted = true;
            sendCancel();
            for (const call of event.data.required_action?.submit_tool_outputs.tool_calls ?? []) {
              yield { type: 'tool_call', callId: call.id, name: call.function.name, arguments: call.function.arguments };
            }
            yield failed(
              new BrainError(
                'bad-request',
                'the assistant asked for a function call result, which a phone call cannot give',
                'Fix: remove function tools from the assistant, or move to an agent whose tools run by themselves: voicebridge create-assistant --api agents.',
              ),
            );
            break;
          default:
            break;
        }
      }
    }

    return {
      events: events(),
      stop: () => stream.abort(),
      cancel: async () => {
        cancelWanted = true;
        sendCancel();
      },
    };
  }

  /** The thread stays at OpenAI, as the original bridge left it: it is the call's transcript. */
  protected async release(): Promise<void> {}
}
