// GPT-Live SIP calls: with VOICE_ENGINE=live, live.transport.incoming is accepted through the Live sessions API with
// the session a Media Streams call would start (minus the audio format, which SIP negotiates), the sideband attaches at
// /live/sessions/{id}/attach, and the same call core answers GPT-Live's delegations, ends and transfers the call.
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { AGENT_TRANSFERRING } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING, DEFAULT_LIVE_MODEL } from '../../src/config/defaults.js';
import { LIVE_PHONE_INSTRUCTIONS } from '../../src/voice/live-voice-engine.js';
import { eventually, PROJECT_ID, startSipBridge, type SipBridge } from './sip-harness.js';

let bridge: SipBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const BACKENDS: BrainBackend[] = ['agents', 'responses', 'assistants'];
const LIVE = { VOICE_ENGINE: 'live' };

describe.each(BACKENDS)('a GPT-Live SIP call on the %s backend', (backend) => {
  it('is accepted through the Live sessions API, greets the caller and answers each delegation', async () => {
    bridge = await startSipBridge(backend, { env: LIVE });
    const { call, deliveries } = await bridge.ring({ from: '+14155550199', twilioCallSid: null });
    // GPT-Live's event is acted on; Realtime's for the same call is left alone.
    expect(deliveries.map((delivery) => [delivery.status, delivery.body])).toEqual([
      [200, 'Ignored'],
      [200, 'Accepted'],
    ]);
    expect(call.acceptAttempts).toEqual([{ runtime: 'live', status: 200 }]);
    expect(call.acceptBody).toEqual({
      session: {
        type: 'live',
        model: DEFAULT_LIVE_MODEL,
        instructions: LIVE_PHONE_INSTRUCTIONS,
        audio: { output: { voice: bridge.backend.config.openai.voice } },
        delegation: { type: 'client', acknowledgement_delay_ms: 1200 },
      },
    });
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    expect(call.heard).toEqual([DEFAULT_GREETING]);
    bridge.fake.agentBehaviour = { reply: () => 'We open at nine.' };
    call.say('When do you open?');
    await eventually(() => call.heard.includes('We open at nine.'), 'the caller heard the answer');
    expect(bridge.fake.agentTurns.at(-1)?.input).toBe('When do you open?');
    const sideband = bridge.fake.live.connections.find((connection) => connection.sip === call)!;
    expect(sideband.url).toBe(`/v1/live/sessions/${call.sessionId}/attach`);
    expect([call.acceptProject, sideband.headers['openai-project']]).toEqual([PROJECT_ID, PROJECT_ID]);
    expect(sideband.appendedAudioBytes).toBe(0);
    expect(sideband.clientEvents.filter((event) => event.type === 'session.start')).toEqual([]);
    const log = bridge.callLog(call).join('\n');
    expect(log).toContain(`[${call.sessionId}] Incoming call from +14155550199 to +14155550100`);
    expect(log).not.toContain('Twilio CallSid');
    expect(log).toContain('Connected to OpenAI GPT-Live');
    call.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call ended');
    expect(bridge.callLog(call).join('\n')).toContain('Call ended (caller hung up)');
  });
});

describe('a GPT-Live SIP call', () => {
  it('hangs up through the Live sessions API after the goodbye', async () => {
    bridge = await startSipBridge('agents', { env: LIVE });
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    bridge.fake.agentBehaviour = { reply: () => 'Goodbye!', functionCall: { name: 'end_call', arguments: '{"reason":"done"}' }, afterTool: () => '' };
    call.say('That is all');
    await eventually(() => call.hangups === 1, 'the call was hung up');
    expect(call.heard).toEqual([DEFAULT_GREETING, 'Goodbye!']);
  });

  it('transfers with a SIP REFER after saying so', async () => {
    bridge = await startSipBridge('responses', { env: { ...LIVE, TRANSFER_NUMBER: '+14155550111' } });
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    bridge.fake.agentBehaviour = { reply: () => 'Let me get someone.', functionCall: { name: 'transfer_call', arguments: '{}' }, afterTool: () => '' };
    call.say('A person please');
    await eventually(() => call.refers.length === 1, 'the call was referred');
    expect(call.refers).toEqual(['tel:+14155550111']);
    expect(call.heard).toEqual([DEFAULT_GREETING, 'Let me get someone.', AGENT_TRANSFERRING]);
  });

  it('hears the keypad (transport.dtmf.received)', async () => {
    bridge = await startSipBridge('agents', { env: LIVE });
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    bridge.fake.agentBehaviour = { reply: () => 'Option three it is.' };
    call.press('3');
    call.press('#');
    await eventually(() => call.heard.includes('Option three it is.'), 'the agent answered the keys');
    expect(bridge.fake.agentTurns.at(-1)?.input).toBe('The caller pressed 3 # on the keypad.');
  });
});
