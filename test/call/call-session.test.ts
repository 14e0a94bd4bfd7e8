// The call core's turn policy, against an in-memory channel, a scripted agent and a fake clock: every threshold is
// pinned to the millisecond, and no test waits on the wall clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrainError } from '../../src/agents/brain.js';
import { CallSession, FILLER_AFTER_MS, FLUSH_THRESHOLD_MS, GOODBYE_TIMEOUT_MS, KEYPAD_GROUP_MS, MAX_CONSECUTIVE_AGENT_FAILURES, type FunctionResult } from '../../src/call/call-session.js';
import { AGENT_GOODBYE, AGENT_TRANSFER, AGENT_TRANSFERRING, DEFAULT_APOLOGY, ONE_MOMENT, VOICE_FAILED_GOODBYE } from '../../src/call/caller-messages.js';
import { createMemoryLog } from '../../src/log/call-log.js';
import { InMemoryChannel, OPENED, recordingActions, ScriptedConversation } from './in-memory-channel.js';

const GREETING = 'Hello, this is the bakery.';
const AGENT_TIMEOUT_MS = 4_000;

let channel: InMemoryChannel;
let conversation: ScriptedConversation;
let actions: ReturnType<typeof recordingActions>;
let log: ReturnType<typeof createMemoryLog>;
let session: CallSession;
let ended: Array<[string, string]>;

interface CallOptions {
  transferNumber?: string;
  transferTargets?: Record<string, string>;
  turnTaking?: 'bridge' | 'engine';
  runFunction?: (request: { name: string; arguments: string }, signal: AbortSignal) => Promise<FunctionResult>;
  /** A call the agent placed: the agent speaks once this resolves. */
  answered?: Promise<void>;
}

function startCall(options: CallOptions = {}): void {
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
    transferDestinations: { defaultNumber: options.transferNumber, named: options.transferTargets ?? {} },
    ...(options.runFunction ? { runFunction: options.runFunction } : {}),
    ...(options.answered ? { outbound: { answered: options.answered } } : {}),
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

describe('a call the agent placed', () => {
  it('says nothing until a person answered, takes no turn on their first words, then the agent opens instead of the greeting', async () => {
    let answer = (): void => undefined;
    startCall({ answered: new Promise<void>((resolve) => (answer = resolve)) });
    channel.callerSays('Hello?', 'item-1');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(channel.said).toEqual([]);
    expect(conversation.asked).toEqual([]);
    expect(log.lines.join('\n')).toContain('Callee said before the agent\'s opening: Hello?');

    answer();
    await settle();
    expect(conversation.asked).toEqual([OPENED]);
    conversation.latest.push('Hi Jane, this is the dental office. ');
    conversation.latest.finish();
    await settle();
    expect(channel.said).toEqual([{ speechId: 'speech-1', text: 'Hi Jane, this is the dental office.', label: 'reply' }]);
    expect(log.lines.join('\n')).toContain('→ Assistant: (the callee answered: the agent opens the call it placed)');

    channel.callerSays('Oh hi', 'item-2');
    await settle();
    expect(conversation.asked).toEqual([OPENED, 'Oh hi']);
  });

  it('opens nothing when the call ends before a person answered', async () => {
    let answer = (): void => undefined;
    startCall({ answered: new Promise<void>((resolve) => (answer = resolve)) });
    channel.emit('hungUp');
    await settle();
    answer();
    await settle();
    expect(conversation.asked).toEqual([]);
    expect(channel.said).toEqual([]);
    expect(ended).toEqual([['caller hung up', 'completed']]);
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

describe('the agent ends the call', () => {
  it('hangs up once its goodbye has been heard, not before', async () => {
    startCall();
    channel.hear(GREETING);
    channel.callerSays("That's all, thanks");
    await settle();
    conversation.latest.callTool('end_call', '{"reason":"the caller is done"}');
    await settle();
    expect(JSON.parse(conversation.latest.answers.get('call_end_call')!)).toHaveProperty('result');
    conversation.latest.push('Goodbye, and thanks for calling!');
    conversation.latest.finish();
    await settle();
    expect(channel.texts.at(-1)).toBe('Goodbye, and thanks for calling!');
    // The caller speaking over the goodbye does not stop it.
    channel.emit('callerStartedSpeaking');
    expect(channel.requests).not.toContain('stopTalking');
    await vi.advanceTimersByTimeAsync(GOODBYE_TIMEOUT_MS - 1);
    channel.startPlaying('Goodbye, and thanks for calling!');
    expect(actions.done).toEqual([]);
    channel.hear('Goodbye, and thanks for calling!');
    await settle();
    expect(actions.done).toEqual(['hangUp']);
    expect(log.lines.join('\n')).toContain('Agent ended the call: the caller is done');
    expect(ended).toEqual([['the agent ended the call: the caller is done', 'completed']]);
  });

  it('hangs up at once when the reply has nothing left to play', async () => {
    startCall();
    channel.callerSays('Bye');
    await settle();
    conversation.latest.callTool('end_call', '{}');
    conversation.latest.finish();
    await settle();
    expect(actions.done).toEqual(['hangUp']);
  });

  it(`hangs up ${GOODBYE_TIMEOUT_MS / 1000} s after the reply when its goodbye is never reported heard`, async () => {
    startCall();
    channel.callerSays('Bye');
    await settle();
    conversation.latest.push('Goodbye!');
    conversation.latest.callTool('end_call', '{}');
    conversation.latest.finish();
    await settle();
    await vi.advanceTimersByTimeAsync(GOODBYE_TIMEOUT_MS - 1);
    expect(actions.done).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(actions.done).toEqual(['hangUp']);
  });
});

describe('the agent transfers the call', () => {
  it('to a named destination once its sentence was heard, and counts it as transferred', async () => {
    startCall({ transferNumber: '+14155550100', transferTargets: { sales: '+14155550111', support: '+14155550122' } });
    channel.callerSays('Can I talk to sales');
    await settle();
    conversation.latest.push('Putting you through to sales.');
    conversation.latest.callTool('transfer_call', '{"destination":"Sales","reason":"wants a quote"}');
    conversation.latest.finish();
    await settle();
    expect(actions.done).toEqual([]);
    channel.hear('Putting you through to sales.');
    await settle();
    expect(actions.done).toEqual([`sayAndTransfer +14155550111: ${AGENT_TRANSFERRING}`]);
    expect(ended).toEqual([['transferred to +14155550111', 'transferred']]);
  });

  it('refuses a destination the configuration does not name, back to the agent, and dials nothing', async () => {
    startCall({ transferNumber: '+14155550100', transferTargets: { sales: '+14155550111' } });
    channel.callerSays('Call my lawyer at +19995550000');
    await settle();
    conversation.latest.callTool('transfer_call', '{"destination":"+19995550000"}');
    await settle();
    const answer = JSON.parse(conversation.latest.answers.get('call_transfer_call')!) as { error: string };
    expect(answer.error).toBe('There is no transfer destination "+19995550000"; nothing was dialled. Available destinations: sales.');
    conversation.latest.push('I can only transfer you to our sales team.');
    conversation.latest.finish();
    await settle();
    channel.hear('I can only transfer you to our sales team.');
    await settle();
    expect(actions.done).toEqual([]);
    expect(ended).toEqual([]);
  });

  it('goes to TRANSFER_NUMBER when no destination is named', async () => {
    startCall({ transferNumber: '+14155550100' });
    channel.callerSays('A person please');
    await settle();
    conversation.latest.callTool('transfer_call', '{}');
    conversation.latest.finish();
    await settle();
    expect(actions.done).toEqual([`sayAndTransfer +14155550100: ${AGENT_TRANSFERRING}`]);
  });
});

describe("the agent's own functions", () => {
  it('get "not available on phone calls" without TOOLS_URL, and the turn goes on', async () => {
    startCall();
    channel.callerSays('Where is my order');
    await settle();
    conversation.latest.callTool('lookup_order', '{"id":"42"}');
    await settle();
    expect(conversation.latest.answers.get('call_lookup_order')).toBe('{"error":"This function is not available on phone calls."}');
    conversation.latest.push('I cannot look that up on the phone.');
    conversation.latest.finish();
    await settle();
    expect(channel.texts.at(-1)).toBe('I cannot look that up on the phone.');
    expect(channel.texts).not.toContain(DEFAULT_APOLOGY);
  });

  it(`go to the function runner, with "${ONE_MOMENT}" said once after ${FILLER_AFTER_MS} ms of waiting`, async () => {
    let finish: (result: FunctionResult) => void = () => undefined;
    const asked: string[] = [];
    startCall({
      runFunction: (request) => {
        asked.push(`${request.name} ${request.arguments}`);
        return new Promise((resolve) => (finish = resolve));
      },
    });
    channel.callerSays('Where is my order');
    await settle();
    conversation.latest.callTool('lookup_order', '{"id":"42"}');
    await settle();
    expect(asked).toEqual(['lookup_order {"id":"42"}']);
    await vi.advanceTimersByTimeAsync(FILLER_AFTER_MS - 1);
    expect(channel.texts).not.toContain(ONE_MOMENT);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.said.at(-1)).toMatchObject({ text: ONE_MOMENT, label: 'filler' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(channel.texts.filter((text) => text === ONE_MOMENT)).toHaveLength(1);
    finish({ ok: true, output: '{"status":"shipped"}' });
    await settle();
    expect(conversation.latest.answers.get('call_lookup_order')).toBe('{"status":"shipped"}');
  });

  it('handles several calls in one turn, text between them, in order', async () => {
    startCall();
    channel.callerSays('Do two things');
    await settle();
    conversation.latest.push('First. ');
    conversation.latest.callTool('one', '{}', 'call_1');
    conversation.latest.callTool('two', '{}', 'call_2');
    conversation.latest.push('Done.');
    conversation.latest.finish();
    await settle();
    expect([...conversation.latest.answers.keys()]).toEqual(['call_1', 'call_2']);
    expect(channel.texts.slice(1)).toEqual(['First.', 'Done.']);
  });
});

describe('the keypad', () => {
  it(`sends keys pressed within ${KEYPAD_GROUP_MS} ms of each other to the agent as one message`, async () => {
    startCall();
    channel.hear(GREETING);
    for (const digit of ['1', '2', '3']) {
      channel.emit('keypad', digit);
      await vi.advanceTimersByTimeAsync(KEYPAD_GROUP_MS - 1);
    }
    expect(conversation.asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(conversation.asked).toEqual(['The caller pressed 1 2 3 on the keypad.']);
  });

  it("ends a message at '#' at once", async () => {
    startCall();
    for (const digit of ['4', '2', '#']) channel.emit('keypad', digit);
    await settle();
    expect(conversation.asked).toEqual(['The caller pressed 4 2 # on the keypad.']);
    expect(log.lines.join('\n')).toContain('Customer pressed: 4 2 #');
  });

  it('is a barge-in when the agent is speaking', async () => {
    startCall();
    channel.emit('keypad', '1');
    expect(channel.requests).toEqual(['start', 'stopTalking']);
    expect(log.lines.join('\n')).toContain('Caller interrupted (caller pressed a key)');
  });
});

