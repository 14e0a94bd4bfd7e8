// Faults during a call through the real bridge: the caller hears an apology, never silence; hanging up closes all.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_APOLOGY } from '../../src/bridge/call-session.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

describe('when the agent fails', () => {
  it('tells the caller sorry instead of leaving them in silence, and logs the cause', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.agentBehaviour = { fail: 'server-error', failTimes: 1 };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Are you there');
    await caller.waitToHear(DEFAULT_APOLOGY);
    const failure = bridge.callLog(caller).find((line) => line.includes('The agent did not answer'));
    // The BrainError's own words and the doctor's fix, not a stack trace.
    expect(failure).toMatch(/answered 500 \(a server error\).* — Fix: /);
    expect(failure).not.toMatch(/\n\s+at /);

    // The next turn works again: the call goes on.
    await caller.say('Hello again');
    await caller.waitToHear('You said: Hello again.');
  });

  it('apologises when the agent says nothing before the deadline', async () => {
    bridge = await startCallBridge('responses', { server: { agentTimeoutMs: 400 } });
    bridge.fake.agentBehaviour = { fail: 'hang' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello');
    await caller.waitToHear(DEFAULT_APOLOGY);
    expect(bridge.callLog(caller).join('\n')).toMatch(/The agent did not answer: the agent produced nothing for 0\.4 s/);
  });
});

describe('hanging up', () => {
  it('closes the Realtime socket and the agent stream, leaving nothing open', async () => {
    bridge = await startCallBridge('agents');
    bridge.fake.agentBehaviour = { fail: 'hang' };
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Hello');
    await eventually(() => bridge!.fake.agentTurns.length === 1, 'the agent is thinking');
    await caller.hangUp();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call has ended');
    await eventually(() => bridge!.fake.realtime.openConnections.length === 0, 'the Realtime socket is closed');
    await eventually(() => bridge!.fake.agentTurns[0]!.status !== 'in_progress', 'the agent turn is stopped');
    expect(bridge.callLog(caller).join('\n')).toContain('Call ended (caller hung up)');
  });
});

describe('when the Realtime connection drops and cannot be regained', () => {
  it('ends the call cleanly and says why in the log', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.realtime.refuseConnections = 1;
    bridge.fake.realtime.dropAll();
    await caller.waitForClose();
    await eventually(() => bridge!.server.activeCalls === 0, 'the call has ended');
    const log = bridge.callLog(caller).join('\n');
    expect(log).toMatch(/The voice connection failed: the OpenAI Realtime connection closed \(\d+\), and reconnecting failed: OpenAI Realtime refused the connection: 503/);
    expect(log).toContain('Call ended (voice connection failed)');
  });
});
