// A sideband that drops: it is attached again once and the call goes on; a call that cannot be steered any more is
// not left talking to nobody: the caller hears an apology (over a new sideband) and the call is hung up.
import { afterEach, describe, expect, it } from 'vitest';
import { VOICE_FAILED_GOODBYE } from '../../src/call/caller-messages.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import type { FakeSipCall } from '../fakes/openai/sip.js';
import { eventually, startSipBridge, type SipBridge } from './sip-harness.js';

let bridge: SipBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

function dropSideband(call: FakeSipCall): void {
  for (const connection of bridge!.fake.realtime.openConnections) if (connection.sip === call) connection.socket.terminate();
}

describe('the sideband of a Realtime SIP call', () => {
  it('is attached again once when it drops, and the call goes on', async () => {
    bridge = await startSipBridge('agents');
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    dropSideband(call);
    await eventually(() => call.sidebands === 2 && bridge!.callLog(call).some((line) => line.includes('Reconnected to OpenAI Realtime')), 'the sideband was attached again');
    bridge.fake.agentBehaviour = { reply: () => 'Still with you.' };
    call.say('Hello?');
    await eventually(() => call.heard.includes('Still with you.'), 'the caller was answered over the new sideband');
    const log = bridge.callLog(call).join('\n');
    expect(log).toMatch(/The voice connection dropped \(the OpenAI Realtime connection closed \(1006\)\); reconnecting/);
    expect(bridge.fake.realtime.connections.filter((connection) => connection.sip === call).map((connection) => connection.model)).toEqual([
      bridge.backend.config.openai.realtimeModel,
      bridge.backend.config.openai.realtimeModel,
    ]);
    expect(call.hangups).toBe(0);
  });

  it('that cannot be attached again: the caller hears an apology, then the call is hung up', async () => {
    bridge = await startSipBridge('agents');
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    call.refuseAttach = 1;
    dropSideband(call);
    await eventually(() => call.hangups === 1, 'the call was hung up');
    expect(call.heard).toEqual([DEFAULT_GREETING, VOICE_FAILED_GOODBYE]);
    await eventually(() => bridge!.server.activeCalls === 0, 'the session ended');
    const log = bridge.callLog(call).join('\n');
    expect(log).toContain('The voice connection failed');
    expect(log).toContain('Ended the call through OpenAI with an apology');
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.server.port}/metrics`)).text();
    expect(metrics).toMatch(/voicebridge_calls_total\{outcome="voice_failed"\} 1/);
  });

  it('that cannot be attached at all: the call is still hung up', async () => {
    bridge = await startSipBridge('agents');
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    call.refuseAttach = 5;
    dropSideband(call);
    await eventually(() => call.hangups === 1, 'the call was hung up');
    expect(call.heard).toEqual([DEFAULT_GREETING]);
    expect(call.sidebands).toBe(1);
  });
});

describe('the sideband of a GPT-Live SIP call', () => {
  it('is attached again once when it drops, and the call goes on', async () => {
    bridge = await startSipBridge('responses', { env: { VOICE_ENGINE: 'live' } });
    const { call } = await bridge.ring();
    await eventually(() => call.heard.length === 1, 'the caller heard the greeting');
    for (const connection of bridge.fake.live.openConnections) if (connection.sip === call) connection.socket.terminate();
    await eventually(() => call.sidebands === 2 && bridge!.callLog(call).some((line) => line.includes('Reconnected to OpenAI GPT-Live')), 'the sideband was attached again');
    bridge.fake.agentBehaviour = { reply: () => 'Still with you.' };
    call.say('Hello?');
    await eventually(() => call.heard.includes('Still with you.'), 'the caller was answered over the new sideband');
    expect(bridge.fake.live.connections.filter((connection) => connection.sip === call).map((connection) => connection.url)).toEqual([
      `/v1/live/sessions/${call.sessionId}/attach`,
      `/v1/live/sessions/${call.sessionId}/attach`,
    ]);
    expect(call.hangups).toBe(0);
  });
});
