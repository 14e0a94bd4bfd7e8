// Whole calls in SIP mode, as OpenAI would place them: the trunk's call rings at OpenAI, OpenAI's signed webhook
// reaches serve, serve accepts it with the session a Media Streams call would have and steers it over the sideband with
// the call core (greeting, turns, sentence by sentence, barge-in, the agent's end_call and transfer_call, the keypad),
// on every backend.
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { AGENT_TRANSFERRING } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { eventually, PROJECT_ID, startSipBridge, type SipBridge } from './sip-harness.js';

let bridge: SipBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const BACKENDS: BrainBackend[] = ['agents', 'responses', 'assistants'];
const GOODBYE = 'Goodbye, and thanks for calling!';

describe.each(BACKENDS)('a Realtime SIP call on the %s backend', (backend) => {
  it('is accepted with the Media Streams session settings, greets the caller and answers them sentence by sentence', async () => {
    bridge = await startSipBridge(backend);
    const { call, deliveries } = await bridge.ring({ from: '+14155550123', to: '+14155550100', twilioCallSid: 'CA0123456789abcdef0123456789abcdef' });
    // Realtime's event is acted on; GPT-Live's for the same call is left alone.
    expect(deliveries.map((delivery) => [delivery.status, delivery.body])).toEqual([
      [200, 'Accepted'],
      [200, 'Ignored'],
    ]);
    expect(call.acceptAttempts).toEqual([{ runtime: 'realtime', status: 200 }]);
    expect(bridge.lines.filter((line) => line.includes('alone'))).toEqual([
      expect.stringContaining(`Left an OpenAI live.transport.incoming webhook for ${call.sessionId} alone: VOICE_ENGINE=realtime takes realtime.call.incoming`),
    ]);
    expect(call.acceptBody).toEqual({
      type: 'realtime',
      model: bridge.backend.config.openai.realtimeModel,
      instructions: expect.stringContaining('You never answer the caller on your own') as unknown,
      output_modalities: ['audio'],
      audio: {
        input: {
          transcription: { model: bridge.backend.config.openai.transcribeModel },
          noise_reduction: { type: 'near_field' },
          turn_detection: { type: 'server_vad', create_response: false, interrupt_response: false },
        },
        output: { voice: bridge.backend.config.openai.voice },
      },
    });
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    expect(call.heard).toEqual([DEFAULT_GREETING]);
    bridge.fake.agentBehaviour = { reply: () => 'We open at nine. We close at five.' };
    call.say('When do you open?');
    await eventually(() => call.heard.length === 3, 'the caller heard both sentences of the answer');
    expect(call.heard.slice(1)).toEqual(['We open at nine.', 'We close at five.']);
    expect(bridge.fake.agentTurns.at(-1)?.input).toBe('When do you open?');
    const log = bridge.callLog(call).join('\n');
    expect(log).toContain(`[${call.callId}] Incoming call from +14155550123 to +14155550100 (Twilio CallSid CA0123456789abcdef0123456789abcdef)`);
    expect(log).toContain('Connected to OpenAI Realtime');
    expect(log).toContain('Customer said: When do you open?');
    expect(log).toContain('← Assistant: We open at nine. We close at five.');
    // No audio crossed the sideband either way.
    const sideband = bridge.fake.realtime.connections.find((connection) => connection.sip === call)!;
    // The call is the project's its SIP address names: the accept and the sideband say which, whatever the key's default.
    expect(call.acceptProject).toBe(PROJECT_ID);
    expect(sideband.headers['openai-project']).toBe(PROJECT_ID);
    expect(sideband.appendedAudioBytes).toBe(0);
    expect(sideband.serverEvents.filter((event) => event.type === 'response.output_audio.delta')).toEqual([]);
    call.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call ended');
    expect(bridge.callLog(call).join('\n')).toContain('Call ended (caller hung up)');
  });

  it('hangs up through OpenAI once the agent’s goodbye has been heard, not before', async () => {
    bridge = await startSipBridge(backend);
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    bridge.fake.agentBehaviour = { reply: () => GOODBYE, functionCall: { name: 'end_call', arguments: '{"reason":"the caller is done"}' }, afterTool: () => '' };
    call.say('That is all, thank you');
    await eventually(() => call.hangups === 1, 'the call was hung up');
    expect(call.heard).toEqual([DEFAULT_GREETING, GOODBYE]);
    await eventually(() => bridge!.server.activeCalls === 0, 'the session ended');
    const log = bridge.callLog(call).join('\n');
    expect(log).toContain('Agent ended the call: the caller is done');
    expect(log.indexOf("Hung up the call through OpenAI after the agent's goodbye")).toBeGreaterThan(log.indexOf('← Assistant: Goodbye'));
  });

  it('says the transfer line, then hands the caller on with a SIP REFER to tel:+E164', async () => {
    bridge = await startSipBridge(backend, { env: { TRANSFER_TARGETS: 'sales=+14155550111,support=+14155550122' } });
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    bridge.fake.agentBehaviour = {
      reply: () => 'Let me put you through to sales.',
      functionCall: { name: 'transfer_call', arguments: '{"destination":"sales","reason":"wants a quote"}' },
      afterTool: () => '',
    };
    call.say('I would like a quote');
    await eventually(() => call.refers.length === 1, 'the call was referred');
    expect(call.refers).toEqual(['tel:+14155550111']);
    expect(call.heard).toEqual([DEFAULT_GREETING, 'Let me put you through to sales.', AGENT_TRANSFERRING]);
    await eventually(() => bridge!.server.activeCalls === 0, 'the session ended');
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.server.port}/metrics`)).text();
    expect(metrics).toMatch(/voicebridge_calls_total\{outcome="transferred"\} 1/);
  });
});

describe('a Realtime SIP call', () => {
  it('is hung up through OpenAI when the server stops under it: closing the sideband alone would leave the caller with nobody', async () => {
    bridge = await startSipBridge('agents');
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    const { call: gone } = await bridge.ring();
    await eventually(() => gone.heard.length === 1, 'the second caller heard the greeting');
    gone.hangUp();
    await eventually(() => bridge!.server.activeCalls === 1, 'the second call ended');
    await bridge.server.close();
    expect([call.hangups, call.state]).toEqual([1, 'ended']);
    // A call that had already ended is not hung up again.
    expect(gone.hangups).toBe(0);
    const log = bridge.callLog(call).join('\n');
    expect(log).toContain('Call ended (the server is shutting down)');
    expect(log).toContain('Hung up the call through OpenAI: the server is stopping, and nothing would steer the call any more');
  });

  it('stops talking when the caller speaks over it: response.cancel, and the service drops what it still has to play', async () => {
    bridge = await startSipBridge('agents');
    bridge.fake.realtime.options.msPerCharacter = 40;
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting', 10_000);
    bridge.fake.agentBehaviour = { reply: (input) => (input.includes('hours') ? 'We are open every single day of the week from early morning until late at night, holidays included.' : 'Sure, the address is one Main Street.') };
    call.say('What are your hours?');
    const sideband = bridge.fake.realtime.connections.find((connection) => connection.sip === call)!;
    await eventually(() => sideband.serverEvents.filter((event) => event.type === 'output_audio_buffer.started').length === 2, 'the answer started playing');
    call.say('Actually, where are you?');
    await eventually(() => call.cutOff.length === 1, 'the answer was cut off');
    expect(call.cutOff).toEqual(['We are open every single day of the week from early morning until late at night, holidays included.']);
    // The answer was still being generated: its generation is cancelled, and what the service still had to play dropped.
    const sent = sideband.clientEvents.map((event) => event.type);
    expect(sent.filter((type) => type === 'response.cancel')).toHaveLength(1);
    expect(sent.filter((type) => type === 'output_audio_buffer.clear')).toHaveLength(1);
    expect(sent.indexOf('output_audio_buffer.clear')).toBeGreaterThan(sent.indexOf('response.cancel'));
    await eventually(() => call.heard.includes('Sure, the address is one Main Street.'), 'the caller heard the new answer', 10_000);
    expect(sideband.serverEvents.filter((event) => event.type === 'response.done').map((event) => (event.response as { status: string }).status)).toEqual(['completed', 'cancelled', 'completed']);
    expect(bridge.callLog(call).join('\n')).toContain('Customer said: Actually, where are you?');
  });

  it('hears the keypad over the sideband and gives the keys to the agent', async () => {
    bridge = await startSipBridge('responses');
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    bridge.fake.agentBehaviour = { reply: () => 'Thanks, I have your choice.' };
    call.press('2');
    call.press('#');
    await eventually(() => call.heard.includes('Thanks, I have your choice.'), 'the agent answered the keys');
    expect(bridge.fake.agentTurns.at(-1)?.input).toBe('The caller pressed 2 # on the keypad.');
    expect(bridge.callLog(call).join('\n')).toContain('Customer pressed: 2 #');
  });
});
