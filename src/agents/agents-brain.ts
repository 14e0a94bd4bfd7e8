// The Agents API backend: an agent session per call, a turn per utterance, streamed. The session is created together
// with the caller's first utterance (`sessions.create` with `input` and `stream: true`): the service requires input
// when a session with `environment: none` is created, and it saves a round trip on the first turn. Later turns post
// `agent.session.input.message` while following the session's event stream. A cut-short turn is cancelled at the server
// with `agent.session.input.cancel` — closing the event stream alone leaves it running — and the session is deleted at
// hang-up. A function the agent calls is answered with `agent.session.input.tool_result` events, all of a batch in one
// request, while the same event stream goes on with the rest of the turn. The call's own functions are given to the
// session as its agent override, beside the saved agent's tools (the override replaces the tool list, so it holds both).
import { randomUUID } from 'node:crypto';
import type OpenAI from 'openai';
import type { Brain, BrainConversation, CallFunctionTool, StartConversationContext } from './brain.js';
import { BrainError } from './brain.js';
import { toBrainError, turnFailedError, type BrainErrorContext } from './brain-errors.js';
import { ToolCallBatch, type ToolOutput } from './tool-call-batch.js';
import type { TurnEvent, TurnSource } from './turn-stream.js';
import { TurnTakingConversation, type TurnTakingOptions } from './turn-taking-conversation.js';

export interface AgentsBrainOptions {
  client: OpenAI;
  agentId: string;
  errors: Omit<BrainErrorContext, 'action'>;
  settleTimeoutMs?: number;
}

/** Retries for the calls around a turn (cancel, delete): cheap, and worth one more try. */
const SETUP_RETRIES = 1;
/** Event IDs remembered to drop the duplicates a reconnecting stream may deliver. */
const SEEN_EVENTS_LIMIT = 1_024;

interface SessionEvent {
  event_id: string;
  type: string;
  session_id?: string;
  session?: { id?: string; required_actions?: RequiredAction[] };
  [field: string]: unknown;
}

type RequiredAction = OpenAI.Beta.Agents.AgentSession['required_actions'][number];

type AgentToolParam = OpenAI.Beta.Agents.AgentToolParam;
type FunctionCallAction = Extract<RequiredAction, { type: 'function_call' }>;

/** The Agents API's function tool for one of the call's functions. */
function agentFunctionTool(tool: CallFunctionTool): AgentToolParam {
  return { type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters };
}

/** The arguments as JSON text, as the other APIs give them: the Agents API types them loosely. */
function argumentsText(action: FunctionCallAction): string {
  return typeof action.arguments === 'string' ? action.arguments : JSON.stringify(action.arguments ?? {});
}

/** How long the saved agent's tools are reused before they are read again (a changed agent is picked up this late). */
const SAVED_TOOLS_TTL_MS = 60_000;

export class AgentsBrain implements Brain {
  readonly backend = 'agents' as const;
  private savedTools: { readAt: number; tools: Promise<AgentToolParam[]> } | undefined;

  constructor(private readonly options: AgentsBrainOptions) {}

  describe(): string {
    return `Agents API agent ${this.options.agentId} (an agent session per call)`;
  }

  async startConversation(context: StartConversationContext): Promise<BrainConversation> {
    const { agentId, errors, settleTimeoutMs, client } = this.options;
    let tools: AgentToolParam[] | undefined;
    if (context.callTools && context.callTools.length > 0) {
      try {
        // The session override replaces the agent's tools: the agent keeps its own beside the call's.
        tools = [...(await this.savedAgentTools()), ...context.callTools.map(agentFunctionTool)];
      } catch (error) {
        throw await toBrainError(error, { ...errors, action: "reading the agent's tools" });
      }
    }
    return new AgentSessionConversation(client, agentId, context.callSid, tools, { errors, settleTimeoutMs, ...(context.outbound ? { outbound: context.outbound } : {}) });
  }

  /**
   * The saved agent's tools, read at most once per SAVED_TOOLS_TTL_MS and shared by every call in that time: a
   * request per call at its webhook would cost each call a round trip and OpenAI a request, for a list that rarely
   * changes. A failed read is not kept, so the next call tries again.
   */
  private savedAgentTools(): Promise<AgentToolParam[]> {
    const now = Date.now();
    if (this.savedTools && now - this.savedTools.readAt < SAVED_TOOLS_TTL_MS) return this.savedTools.tools;
    const tools = this.options.client.beta.agents.retrieve(this.options.agentId, { maxRetries: SETUP_RETRIES }).then((agent) => agent.tools);
    const entry = { readAt: now, tools };
    this.savedTools = entry;
    tools.catch(() => {
      if (this.savedTools === entry) this.savedTools = undefined;
    });
    return tools;
  }
}

class AgentSessionConversation extends TurnTakingConversation {
  readonly kind = 'session' as const;
  readonly created: Promise<string>;
  private resolveCreated: (id: string) => void = () => undefined;
  private sessionId: string | undefined;

  constructor(
    private readonly client: OpenAI,
    private readonly agentId: string,
    private readonly callSid: string,
    /** The agent's tools with the call's functions, when the call gives any: the session's override. */
    private readonly tools: AgentToolParam[] | undefined,
    options: TurnTakingOptions,
  ) {
    super('', options);
    this.created = new Promise((resolve) => {
      this.resolveCreated = resolve;
    });
  }

  override get id(): string {
    return this.sessionId ?? '';
  }

  private sessionCreated(id: string): void {
    if (this.sessionId) return;
    this.sessionId = id;
    this.resolveCreated(id);
  }

  protected openTurn(input: string): TurnSource {
    const { client } = this;
    const controller = new AbortController();
    const firstTurn = this.sessionId === undefined;
    let phase: 'subscribing' | 'sending' | 'sent' = 'subscribing';
    let cancelWanted = false;
    let cancelSent = false;
    // Aborted when the turn is given up, so a wait for the consumer's answers ends too.
    const givingUp = new AbortController();
    const sendCancel = (): void => {
      const sessionId = this.sessionId;
      if (cancelSent || !sessionId) return;
      cancelSent = true;
      client.beta.agents.sessions.events
        .create(sessionId, { events: [{ type: 'agent.session.input.cancel' }] }, { maxRetries: SETUP_RETRIES })
        .catch(() => undefined);
    };
    const failed = (error: BrainError): TurnEvent => ({ type: 'failed', error });
    const context = this.errorContext("the agent's reply");
    const { agentId, callSid, tools } = this;
    const currentSessionId = (): string | undefined => this.sessionId;
    const sessionCreated = (id: string): void => this.sessionCreated(id);

    const openStream = async (): Promise<AsyncIterable<SessionEvent>> => {
      if (firstTurn) {
        phase = 'sending';
        const stream = await client.beta.agents.sessions.create(
          {
            agent_id: agentId,
            ...(tools ? { agent: { tools } } : {}),
            environment: { type: 'none' },
            input: [{ role: 'user', content: [{ type: 'input_text', text: input }] }],
            metadata: { call_sid: callSid },
            stream: true,
          },
          { signal: controller.signal, maxRetries: 0 },
        );
        phase = 'sent';
        return stream as unknown as AsyncIterable<SessionEvent>;
      }
      const sessionId = currentSessionId()!;
      // Subscribe before sending the input, so no event of the turn is missed.
      const stream = await client.beta.agents.sessions.events.stream(sessionId, {}, { signal: controller.signal, maxRetries: 0 });
      phase = 'sending';
      await client.beta.agents.sessions.events.create(
        sessionId,
        {
          events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: input }] }] }],
          'Idempotency-Key': randomUUID(),
        },
        { signal: controller.signal, maxRetries: 0 },
      );
      phase = 'sent';
      return stream as unknown as AsyncIterable<SessionEvent>;
    };

    const submit = async (turnId: string, outputs: ToolOutput[]): Promise<void> => {
      const sessionId = currentSessionId()!;
      try {
        await client.beta.agents.sessions.events.create(
          sessionId,
          {
            events: outputs.map(({ callId, output }) => ({ type: 'agent.session.input.tool_result' as const, call_id: callId, turn_id: turnId, success: true, output })),
            'Idempotency-Key': randomUUID(),
          },
          { signal: controller.signal, maxRetries: 0 },
        );
      } catch (error) {
        // The turn would wait for these results forever: cancel it, so the session takes the next one.
        sendCancel();
        throw error;
      }
    };

    async function* events(): AsyncGenerator<TurnEvent> {
      try {
        const stream = await openStream();
        if (cancelWanted) sendCancel();

        const seen = new Set<string>();
        const asked = new Set<string>();
        let turnId: string | undefined;
        let turnEnded = false;
        for await (const raw of stream) {
          const event = raw;
          if (seen.has(event.event_id)) continue;
          if (seen.size >= SEEN_EVENTS_LIMIT) seen.clear();
          seen.add(event.event_id);
          const announced = event.session?.id ?? event.session_id;
          if (firstTurn && typeof announced === 'string') {
            sessionCreated(announced);
            if (cancelWanted) sendCancel();
          }
          switch (event.type) {
            case 'agent.session.turn.created': {
              const turn = event.turn as { subagent_id?: string | null } | undefined;
              if (turnId !== undefined || (turn?.subagent_id ?? null) !== null) break;
              turnId = event.turn_id as string;
              // A cancel accepted before the turn existed may have found nothing to cancel: say it again.
              if (cancelWanted) {
                cancelSent = false;
                sendCancel();
              }
              break;
            }
            case 'agent.session.turn.output_text.delta':
              if (turnId !== undefined && event.turn_id === turnId) yield { type: 'text', delta: event.delta as string };
              break;
            case 'agent.session.turn.completed':
              if (event.turn_id !== turnId) break;
              turnEnded = true;
              yield { type: 'done' };
              break;
            case 'agent.session.turn.failed':
              if (event.turn_id !== turnId) break;
              turnEnded = true;
              yield failed(turnFailedError((event.turn as { error?: unknown } | undefined)?.error as never, context));
              break;
            case 'agent.session.turn.cancelled':
              if (event.turn_id !== turnId) break;
              turnEnded = true;
              if (!cancelWanted) yield failed(new BrainError('server', "the agent's reply was cancelled at OpenAI before it was complete", 'Something else cancelled the turn (another client of this session?); the next utterance starts a new one.'));
              break;
            case 'error':
              yield failed(turnFailedError(event.error as never, context));
              break;
            case 'agent.session.requires_action': {
              if (cancelWanted) break;
              const actions = event.session?.required_actions ?? [];
              // Approvals and environment connections are for a person at a screen: a phone call cannot give them.
              if (actions.some((action) => action.type !== 'function_call')) {
                sendCancel();
                yield failed(
                  new BrainError(
                    'bad-request',
                    'the agent asked for an action a phone call cannot give (an approval or an environment connection)',
                    'Fix: give the agent only tools it runs by itself (hosted tools, MCP without approval) or functions, not tools that need approval.',
                  ),
                );
                break;
              }
              // The session may say the same again (e.g. to a new subscriber): a call is asked once.
              const batch = new ToolCallBatch();
              const calls: FunctionCallAction[] = [];
              for (const action of actions) {
                if (action.type !== 'function_call' || action.turn_id !== turnId || asked.has(action.call_id)) continue;
                asked.add(action.call_id);
                calls.push(action);
              }
              for (const action of calls) yield batch.add({ callId: action.call_id, name: action.name, arguments: argumentsText(action) });
              if (batch.size === 0) break;
              const outputs = await batch.answered(AbortSignal.any([controller.signal, givingUp.signal]));
              // Given up: the cancel is on its way, and the stream goes on to the turn's cancellation.
              if (outputs) await submit(turnId!, outputs);
              break;
            }
            case 'agent.session.failed':
              yield failed(
                new BrainError(
                  'server',
                  `the agent session failed: ${(event.session as { error?: string | null } | undefined)?.error ?? 'no reason given'}`,
                  'The session cannot take more turns; the next call starts a new one.',
                ),
              );
              return;
            case 'agent.session.idle':
              if (turnEnded) return;
              break;
            default:
              break;
          }
        }
      } finally {
        controller.abort();
      }
    }

    return {
      events: events(),
      stop: () => controller.abort(),
      cancel: async () => {
        cancelWanted = true;
        givingUp.abort();
        // Before the input was sent there is no turn to cancel: not sending it is enough.
        if (phase === 'subscribing') controller.abort();
        else if (phase === 'sent') sendCancel();
      },
    };
  }

  protected async release(): Promise<void> {
    if (this.sessionId) await this.client.beta.agents.sessions.delete(this.sessionId, { maxRetries: SETUP_RETRIES });
  }
}
