// The Assistants API backend (asst_ IDs, on endpoints that still serve it): a thread per call, a streamed run per
// utterance with the caller's words sent along with the run (one request, not two). A cut-short run is cancelled at
// the server, because a thread with an active run refuses the next message. A run that requires action gets the
// outputs of all its calls in one `submit_tool_outputs`, streamed on as the same turn. The call's own functions are
// given on each run, whose `tools` replace the assistant's: so the run gets the assistant's tools too.
import type OpenAI from 'openai';
import type { Brain, BrainConversation, CallFunctionTool, StartConversationContext } from './brain.js';
import { BrainError } from './brain.js';
import { toBrainError, turnFailedError, type BrainErrorContext } from './brain-errors.js';
import { ToolCallBatch } from './tool-call-batch.js';
import type { TurnEvent, TurnSource } from './turn-stream.js';
import { TurnTakingConversation, type TurnTakingOptions } from './turn-taking-conversation.js';

export interface AssistantsBrainOptions {
  client: OpenAI;
  assistantId: string;
  errors: Omit<BrainErrorContext, 'action'>;
  settleTimeoutMs?: number;
}

const SETUP_RETRIES = 1;

type AssistantTool = OpenAI.Beta.AssistantTool;
type AssistantStream = ReturnType<OpenAI['beta']['threads']['runs']['stream']>;

function assistantFunctionTool(tool: CallFunctionTool): AssistantTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

export class AssistantsBrain implements Brain {
  readonly backend = 'assistants' as const;

  constructor(private readonly options: AssistantsBrainOptions) {}

  describe(): string {
    return `Assistants API assistant ${this.options.assistantId} (a thread per call)`;
  }

  async startConversation(context: StartConversationContext): Promise<BrainConversation> {
    const { client, assistantId } = this.options;
    let tools: AssistantTool[] | undefined;
    if (context.callTools && context.callTools.length > 0) {
      try {
        // A run's tools replace the assistant's: read them once, so the assistant keeps its own on every run.
        const assistant = await client.beta.assistants.retrieve(assistantId, { signal: context.signal, maxRetries: SETUP_RETRIES });
        tools = [...assistant.tools, ...context.callTools.map(assistantFunctionTool)];
      } catch (error) {
        throw await toBrainError(error, { ...this.options.errors, action: "reading the assistant's tools" });
      }
    }
    try {
      const thread = await client.beta.threads.create({ metadata: { call_sid: context.callSid } }, { signal: context.signal, maxRetries: SETUP_RETRIES });
      return new ThreadConversation(thread.id, client, assistantId, tools, { errors: this.options.errors, settleTimeoutMs: this.options.settleTimeoutMs, ...(context.outbound ? { outbound: context.outbound } : {}) });
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
    /** The assistant's tools with the call's functions, when the call gives any: each run's tools. */
    private readonly tools: AssistantTool[] | undefined,
    options: TurnTakingOptions,
  ) {
    super(id, options);
  }

  protected openTurn(input: string): TurnSource {
    const { client, tools, id: threadId } = this;
    // Failures are read through iteration; these listeners keep the helper from also reporting them as unhandled.
    const quiet = (stream: AssistantStream): AssistantStream => {
      stream.on('error', () => undefined);
      stream.on('abort', () => undefined);
      return stream;
    };
    let stream = quiet(
      client.beta.threads.runs.stream(
        threadId,
        { assistant_id: this.assistantId, additional_messages: [{ role: 'user', content: input }], ...(tools ? { tools } : {}) },
        { maxRetries: 0 },
      ),
    );
    let runId: string | undefined;
    let stopped = false;
    let cancelWanted = false;
    let cancelSent: Promise<unknown> | undefined;
    // Aborted when the turn is given up, so a wait for the consumer's answers ends too.
    const givingUp = new AbortController();
    const sendCancel = (): Promise<unknown> | undefined => {
      if (runId === undefined) return undefined;
      cancelSent ??= client.beta.threads.runs.cancel(runId, { thread_id: threadId }, { maxRetries: SETUP_RETRIES }).catch(() => undefined);
      return cancelSent;
    };
    const context = this.errorContext("the agent's reply");
    const failed = (error: BrainError): TurnEvent => ({ type: 'failed', error });

    async function* events(): AsyncGenerator<TurnEvent> {
      let submitting = false;
      for (;;) {
        const batch = new ToolCallBatch();
        try {
          yield* read(batch);
        } catch (error) {
          // Outputs the run did not take leave it waiting, which blocks the thread: cancel it, then report.
          if (submitting && !stopped) await sendCancel();
          throw error;
        }
        if (batch.size === 0 || runId === undefined) return;
        const outputs = await batch.answered(givingUp.signal);
        if (!outputs) {
          // Given up: the run would wait for ever and block the thread. The next turn waits for the cancel to land.
          await sendCancel();
          return;
        }
        submitting = true;
        stream = quiet(
          client.beta.threads.runs.submitToolOutputsStream(
            runId,
            { thread_id: threadId, tool_outputs: outputs.map(({ callId, output }) => ({ tool_call_id: callId, output })) },
            { maxRetries: 0 },
          ),
        );
        if (stopped) stream.abort();
      }
    }

    /** The events of the current stream; the calls of a run that requires action go into `batch`. */
    async function* read(batch: ToolCallBatch): AsyncGenerator<TurnEvent> {
      for await (const event of stream) {
        switch (event.event) {
          case 'thread.run.created':
            runId = event.data.id;
            if (cancelWanted) void sendCancel();
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
            // The run's stream ends here; the run waits for the outputs of these calls.
            runId = event.data.id;
            for (const call of event.data.required_action?.submit_tool_outputs.tool_calls ?? []) {
              yield batch.add({ callId: call.id, name: call.function.name, arguments: call.function.arguments });
            }
            break;
          default:
            break;
        }
      }
    }

    return {
      events: events(),
      stop: () => {
        stopped = true;
        givingUp.abort();
        stream.abort();
      },
      cancel: async () => {
        cancelWanted = true;
        givingUp.abort();
        void sendCancel();
      },
    };
  }

  /** The thread stays at OpenAI, as the original bridge left it: it is the call's transcript. */
  protected async release(): Promise<void> {}
}
