// A voice service that accepts the socket and then says nothing, through the real bridge: the caller is never left in
// silence. Every wait is bounded, one reconnect is tried, and then Twilio's voice tells the caller (the call update's
// TwiML) within the budget: 2 × (start timeout + response timeout) from the stream's start. The bounds are shortened
// here; with the defaults (4 s each) the same arithmetic gives 16 s of the 20 s a caller may wait.
import { afterEach, describe, expect, it } from 'vitest';
import { VOICE_FAILED_GOODBYE } from '../../src/call/caller-messages.js';
import { LiveVoiceEngine } from '../../src/voice/live-voice-engine.js';
import { RealtimeVoiceEngine } from '../../src/voice/realtime-voice-engine.js';
import type { VoiceEngineFactory } from '../../src/voice/voice-engine.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import type { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

const START_TIMEOUT_MS = 250;
const RESPONSE_TIMEOUT_MS = 250;
const BUDGET_MS = 2 * (START_TIMEOUT_MS + RESPONSE_TIMEOUT_MS);
/** Twilio's REST call and a busy test machine: far less than the 4 s the defaults leave. */
const SLACK_MS = 1_000;
const TECHNICAL_DIFFICULTIES = `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${VOICE_FAILED_GOODBYE}</Say><Hangup/></Response>`;

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const timeouts = { startTimeoutMs: START_TIMEOUT_MS, responseTimeoutMs: RESPONSE_TIMEOUT_MS };

/** The bridge with the configured engine's bounds shortened; `engine` picks Realtime or GPT-Live. */
async function startBridge(engine: 'realtime' | 'live'): Promise<CallBridge> {
  const createVoiceEngine: VoiceEngineFactory = ({ log }) => {
    const baseURL = bridge!.fake.baseURL;
    return engine === 'live'
      ? new LiveVoiceEngine({ apiKey: FAKE_OPENAI_KEY, baseURL, voice: 'marin', log, ...timeouts })
      : new RealtimeVoiceEngine({ apiKey: FAKE_OPENAI_KEY, baseURL, model: 'gpt-realtime-2.1', transcribeModel: 'gpt-transcribe', voice: 'cedar', log, ...timeouts });
  };
  bridge = await startCallBridge('responses', { server: { createVoiceEngine } });
  return bridge;
}

/** Dials, and resolves once Twilio's REST API has been told how to end the call: with how long after the stream started. */
async function dialUntilTwilioIsTold(bridge: CallBridge): Promise<{ caller: FakeTwilioCaller; elapsedMs: number }> {
  const caller = await bridge.dial();
  const streamStarted = performance.now();
  await eventually(() => bridge.call(caller).updates.length > 0, 'the bridge told Twilio how to end the call', 5_000);
  return { caller, elapsedMs: performance.now() - streamStarted };
}

describe('a voice service that accepts the socket and then says nothing', () => {
  it('ends the call through Twilio when Realtime never confirms the session', async () => {
    await startBridge('realtime');
    bridge!.fake.realtime.hangSessions = 10;
    const { caller, elapsedMs } = await dialUntilTwilioIsTold(bridge!);

    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(bridge!.call(caller).updates).toEqual([{ Twiml: TECHNICAL_DIFFICULTIES }]);
    await caller.waitForClose();
    const log = bridge!.callLog(caller).join('\n');
    expect(log).toContain(`OpenAI Realtime did not confirm the session within ${START_TIMEOUT_MS} ms, and reconnecting failed`);
    expect(log).toContain('Ended the call through Twilio with an apology');
    expect(log).not.toContain('Reconnected');
    expect(log).not.toContain('speaking anyway');
  });

  it('ends the call through Twilio when Realtime confirms the session but never says the greeting, after one reconnect', async () => {
    await startBridge('realtime');
    bridge!.fake.realtime.hangResponses = 10;
    const { caller, elapsedMs } = await dialUntilTwilioIsTold(bridge!);

    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(bridge!.call(caller).updates).toEqual([{ Twiml: TECHNICAL_DIFFICULTIES }]);
    const log = bridge!.callLog(caller).join('\n');
    expect(log).toContain(`The voice connection dropped (OpenAI Realtime sent no audio within ${RESPONSE_TIMEOUT_MS} ms of being asked to speak); reconnecting`);
    expect(log).toContain(`The voice connection failed: OpenAI Realtime sent no audio within ${RESPONSE_TIMEOUT_MS} ms of being asked to speak`);
    // The greeting was asked for once per connection: two connections, then Twilio's voice.
    expect(bridge!.fake.realtime.clientEvents('response.create')).toHaveLength(2);
    expect(caller.heard()).toEqual([]);
  });

  it('ends the call through Twilio when GPT-Live never starts the session', async () => {
    await startBridge('live');
    bridge!.fake.live.hangSessions = 10;
    const { caller, elapsedMs } = await dialUntilTwilioIsTold(bridge!);

    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(bridge!.call(caller).updates).toEqual([{ Twiml: TECHNICAL_DIFFICULTIES }]);
    expect(bridge!.callLog(caller).join('\n')).toContain(`GPT-Live did not confirm the session within ${START_TIMEOUT_MS} ms, and reconnecting failed`);
  });

  it('ends the call through Twilio when GPT-Live starts the session and then never speaks', async () => {
    await startBridge('live');
    bridge!.fake.live.hangSpeech = 10;
    const { caller, elapsedMs } = await dialUntilTwilioIsTold(bridge!);

    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(bridge!.call(caller).updates).toEqual([{ Twiml: TECHNICAL_DIFFICULTIES }]);
    expect(bridge!.callLog(caller).join('\n')).toContain(`The voice connection failed: GPT-Live sent no audio within ${RESPONSE_TIMEOUT_MS} ms of being asked to speak`);
  });
});
