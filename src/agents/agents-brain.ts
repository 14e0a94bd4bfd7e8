// The Agents API backend: an agent session per call, a turn per utterance, streamed. The session is created together
// with the caller's first utterance (`sessions.create` with `input` and `stream: true`): the service requires input
// when a session with `environment: none` is created, and it saves a round trip on the first turn. Later turns post
// `agent.session.input.message` while following the session's event stream. A cut-short turn is cancelled at the server
// with `agent.session.input.cancel` — closing the event stream alone leaves it running — and the session is deleted at
// hang-up.
import { randomUUID } from 'node:crypto';
import type OpenAI from 'openai';
import type { Brain, BrainConversation, BrainToolCallEvent, StartConversationContext } from './brain.js';
import { BrainError } from './brain.js';
import { turnFailedError, type BrainErrorContext } from './brain-errors.js';
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

/** The function calls among a session's required actions (the others are approvals and reconnections). */
function toolCalls(actions: RequiredAction[] | undefined): BrainToolCallEvent[] {
  const calls: BrainToolCallEvent[] = [];
  for (const action of actions ?? []) {
    if (action.type !== 'function_call') continue;
    // The Agents API types the arguments loosely; the event carries them as JSON text, as the other APIs give them.
    const args = typeof action.arguments === 'string' ? action.arguments : JSON.stringify(action.arguments ?? {});
    calls.push({ type: 'tool_call', callId: action.call_id, name: action.name, arguments: args });
  }
  return calls;
}

export class AgentsBrain implements Brain {
  readonly backend = 'agents' as const;

  constructor(private readonly options: AgentsBrainOptions) {}

  describe(): string {
    return `Agents API agent ${this.options.agentId} (an agent session per call)`;
  }

  async startConversation(context: StartConversationContext): Promise<BrainConversation> {
    const { client, agentId, errors, settleTimeoutMs } = this.options;
    return new AgentSessionConversation(client, agentId, context.callSid, { errors, settleTimeoutMs });
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
    const { agentId, callSid } = this;
    const currentSessionId = (): string | undefined => this.sessionId;
    const sessionCreated = (id: string): void => this.sessionCreated(id);

    const openStream = async (): Promise<AsyncIterable<SessionEvent>> => {
      if (firstTurn) {
        phase = 'sending';
        const stream = await client.beta.agents.sessions.create(
          {
            agent_id: agentId,
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

    async function* events(): AsyncGenerator<TurnEvent> {
      try {
        const stream = await openStream();
        if (cancelWanted) sendCancel();

        const seen = new Set<string>();
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
            case 'agent.session.requires_action':
              // The session waits for answers nobody gives yet: the turn is cancelled and fails, after saying what it asked.
              sendCancel();
              yield* toolCalls(event.session?.required_actions);
              yield failed(
                new BrainError(
                  'bad-request',
                  'the agent asked for an action a phone call cannot give (a function tool result or an approval)',
                  'Fix: give the agent only tools it runs by itself (hosted tools, MCP without approval), or set up its functions where the agent is defined.',
                ),
              );
              break;
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
