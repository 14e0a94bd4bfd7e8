// The call core's turn policy, against an in-memory channel, a scripted agent and a fake clock: every threshold is
// pinned to the millisecond, and no test waits on the wall clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrainError } from '../../src/agents/brain.js';
import { CallSession, FLUSH_THRESHOLD_MS, GOODBYE_TIMEOUT_MS, MAX_CONSECUTIVE_AGENT_FAILURES } from '../../src/call/call-session.js';
import { AGENT_GOODBYE, AGENT_TRANSFER, DEFAULT_APOLOGY, VOICE_FAILED_GOODBYE } from '../../src/call/caller-messages.js';
import { createMemoryLog } from '../../src/log/call-log.js';
import { InMemoryChannel, recordingActions, ScriptedConversation } from './in-memory-channel.js';

const GREETING = 'Hello, this is the bakery.';
const AGENT_TIMEOUT_MS = 4_000;

let channel: InMemoryChannel;
let conversation: ScriptedConversation;
let actions: ReturnType<typeof recordingActions>;
let log: ReturnType<typeof createMemoryLog>;
let session: CallSession;
let ended: Array<[string, string]>;

function startCall(options: { transferNumber?: string; turnTaking?: 'bridge' | 'engine' } = {}): void {
  channel = new InMemoryChannel();
  channel.turnTaking = options.turnTaking ?? 'bridge';
  conversation = new ScriptedConversation();
  actions = recordingActions();
  log = createMemoryLog();
  ended = [];
  session = new CallSession({
    callSid: 'CA00000000000000000000000000000001',
    channel,
    conversation: Promise.resolve(conversation),
    greeting: GREETING,
    log: log.forCall('CA00000000000000000000000000000001'),
    agentTimeoutMs: AGENT_TIMEOUT_MS,
    actions,
    ...(options.transferNumber !== undefined ? { transferNumber: options.transferNumber } : {}),
  });
  session.on('ended', (reason, outcome) => ended.push([reason, outcome]));
  session.start();
}

/** Lets promises settle without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => vi.useFakeTimers());
afterEach(async () => {
  await session?.close('test over');
  vi.useRealTimers();
});

describe('the greeting', () => {
  it('is said as soon as the call starts, before the caller says anything', () => {
    startCall();
    expect(channel.requests).toEqual(['start']);
    expect(channel.said).toEqual([{ speechId: 'speech-1', text: GREETING, label: 'greeting' }]);
  });
});

describe('a turn', () => {
  it('speaks the reply sentence by sentence as the agent streams it, each tied to the caller’s utterance', async () => {
    startCall();
    channel.callerSays('When do you open', 'item-7');
    await settle();
    expect(conversation.asked).toEqual(['When do you open']);
    conversation.latest.push('We open at ');
    await settle();
    expect(channel.texts).toEqual([GREETING]);
    conversation.latest.push('nine. On Sundays');
    await settle();
    expect(channel.said.at(-1)).toEqual({ speechId: 'speech-2', text: 'We open at nine.', label: 'reply', inReplyTo: 'item-7' });
    conversation.latest.push(' at ten.');
    conversation.latest.finish();
    await settle();
    expect(channel.texts).toEqual([GREETING, 'We open at nine.', 'On Sundays at ten.']);
    expect(log.lines.join('\n')).toContain('← Assistant: We open at nine. On Sundays at ten.');
  });

  it('apologises when the agent produces nothing for exactly the agent timeout, and not a millisecond before', async () => {
    startCall();
    channel.callerSays('Hello?');
    await settle();
    await vi.advanceTimersByTimeAsync(AGENT_TIMEOUT_MS - 1);
    expect(channel.texts).toEqual([GREETING]);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.said.at(-1)).toMatchObject({ text: DEFAULT_APOLOGY, label: 'apology' });
    expect(conversation.latest.signal?.aborted).toBe(true);
    expect(log.lines.join('\n')).toContain(`The agent did not answer: the agent produced nothing for ${(AGENT_TIMEOUT_MS / 1000).toFixed(1)} s`);
  });

  it('restarts the agent timeout with every piece the agent sends', async () => {
    startCall();
    channel.callerSays('Tell me everything');
    await settle();
    for (let index = 0; index < 3; index += 1) {
      await vi.advanceTimersByTimeAsync(AGENT_TIMEOUT_MS - 1);
      conversation.latest.push('More. ');
      await settle();
    }
    expect(channel.texts).not.toContain(DEFAULT_APOLOGY);
  });
});

describe('barge-in', () => {
  it('stops talking, stops the agent and tells it what the caller heard, when the caller speaks over a reply', async () => {
    startCall();
    channel.hear(GREETING);
    channel.callerSays('What do you sell');
    await settle();
    conversation.latest.push('Bread. Cakes. And pies.');
    await settle();
    channel.hear('Bread.');
    channel.startPlaying('Cakes.');
    channel.emit('callerStartedSpeaking');
    expect(channel.requests).toEqual(['start', 'stopTalking']);
    expect(conversation.latest.signal?.aborted).toBe(true);
    expect(conversation.interruptions).toEqual(['Bread.']);
    expect(log.lines.join('\n')).toContain('Caller interrupted the assistant after hearing: Bread. (caller started speaking)');
  });

  it('does nothing when the caller speaks with nothing left to play', async () => {
    startCall();
    channel.hear(GREETING);
    channel.emit('callerStartedSpeaking');
    expect(channel.requests).toEqual(['start']);
  });

  it(`with a voice that takes turns, flushes the phone only when more than ${FLUSH_THRESHOLD_MS} ms is still to play`, () => {
    startCall({ turnTaking: 'engine' });
    channel.unplayedMs = FLUSH_THRESHOLD_MS;
    channel.emit('callerStartedSpeaking');
    expect(channel.requests).toEqual(['start']);
    channel.unplayedMs = FLUSH_THRESHOLD_MS + 1;
    channel.emit('callerStartedSpeaking');
    expect(channel.requests).toEqual(['start', 'flushPlayback']);
    expect(log.lines.join('\n')).toContain(`Caller interrupted (caller started speaking with ${FLUSH_THRESHOLD_MS + 1} ms of speech still to play)`);
  });
});

describe('an agent that keeps failing', () => {
  async function failTurns(count: number): Promise<void> {
    for (let turn = 0; turn < count; turn += 1) {
      channel.callerSays(`Question ${turn}`);
      await settle();
      conversation.latest.fail(new BrainError('server', 'the agent answered 500'));
      await settle();
    }
  }

  it(`apologises ${MAX_CONSECUTIVE_AGENT_FAILURES - 1} times, then says goodbye and hangs up once the goodbye was heard`, async () => {
    startCall();
    await failTurns(MAX_CONSECUTIVE_AGENT_FAILURES - 1);
    expect(channel.texts.filter((text) => text === DEFAULT_APOLOGY)).toHaveLength(MAX_CONSECUTIVE_AGENT_FAILURES - 1);
    await failTurns(1);
    expect(channel.said.at(-1)).toMatchObject({ text: AGENT_GOODBYE, label: 'goodbye' });
    expect(actions.done).toEqual([]);
    channel.hear(AGENT_GOODBYE);
    await settle();
    expect(actions.done).toEqual(['hangUp']);
    expect(ended).toEqual([['the agent kept failing', 'agent_failed']]);
  });

  it(`hangs up ${GOODBYE_TIMEOUT_MS / 1000} s after the goodbye when it is never reported heard, not before`, async () => {
    startCall();
    await failTurns(MAX_CONSECUTIVE_AGENT_FAILURES);
    await vi.advanceTimersByTimeAsync(GOODBYE_TIMEOUT_MS - 1);
    expect(actions.done).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(actions.done).toEqual(['hangUp']);
  });

  it('is handed to TRANSFER_NUMBER instead, with a sentence first, when one is set', async () => {
    startCall({ transferNumber: '+14155550199' });
    await failTurns(MAX_CONSECUTIVE_AGENT_FAILURES);
    expect(actions.done).toEqual([`sayAndTransfer +14155550199: ${AGENT_TRANSFER}`]);
    expect(ended).toEqual([['transferred to +14155550199', 'transferred']]);
  });

  it('counts only failures in a row: an answered turn resets the count', async () => {
    startCall();
    await failTurns(MAX_CONSECUTIVE_AGENT_FAILURES - 1);
    channel.callerSays('Are you there');
    await settle();
    conversation.latest.push('Yes.');
    conversation.latest.finish();
    await settle();
    await failTurns(MAX_CONSECUTIVE_AGENT_FAILURES - 1);
    expect(channel.texts).not.toContain(AGENT_GOODBYE);
  });
});

describe('the voice lost for good', () => {
  it('ends the call through the transport’s own voice, with the technical-difficulties message', async () => {
    startCall();
    channel.emit('voiceFailed', 'the service stopped answering');
    await settle();
    expect(actions.done).toEqual([`sayAndHangUp: ${VOICE_FAILED_GOODBYE}`]);
    expect(ended).toEqual([['voice connection failed', 'voice_failed']]);
    expect(channel.requests).toContain('close');
  });

  it('says a start-up retry is a retry, and only "Connected" once it works', () => {
    startCall();
    channel.voiceReady = false;
    session.close('restart').catch(() => undefined);
    channel = new InMemoryChannel();
    channel.voiceReady = false;
    log = createMemoryLog();
    session = new CallSession({ callSid: 'CA00000000000000000000000000000002', channel, conversation: Promise.resolve(new ScriptedConversation()), greeting: GREETING, log });
    session.start();
    channel.emit('voiceReconnecting', 'the service did not confirm the session within 4 s');
    channel.emit('voiceReconnected');
    channel.emit('voiceReady');
    expect(log.lines.map((line) => line.slice(13))).toEqual([
      'The voice connection did not start (the service did not confirm the session within 4 s); trying once more',
      'Connected to Test Voice',
    ]);
  });
});
