// The bounds on every wait for a voice service, on a fake clock: start-up, liveness, speech that never starts or
// stalls, and one reconnect per call that counts only once the new connection has proved itself.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import {
  DEFAULT_RESPONSE_TIMEOUT_MS,
  DEFAULT_START_TIMEOUT_MS,
  MAX_RECONNECTS_PER_CALL,
  ServiceWatchdog,
  type ServiceWatchdogTimeouts,
} from '../../src/voice/service-watchdog.js';

/** Just enough of a ws socket for the watchdog: always open, answering pings while `answersPings`. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  answersPings = true;
  pings = 0;
  ping(): void {
    this.pings += 1;
    if (this.answersPings) this.emit('pong');
  }
}

function watchdogWith(timeouts: ServiceWatchdogTimeouts = {}) {
  const verdicts: string[] = [];
  const watchdog = new ServiceWatchdog('OpenAI Realtime', timeouts, (_socket, reason) => verdicts.push(reason));
  const connect = (): FakeSocket => {
    const socket = new FakeSocket();
    watchdog.watch(socket as unknown as WebSocket);
    return socket;
  };
  return { watchdog, verdicts, connect };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the voice service watchdog', () => {
  it('reports a connection that does not confirm its session within the start timeout', () => {
    const { verdicts, connect } = watchdogWith({ startTimeoutMs: 4_000 });
    connect();
    vi.advanceTimersByTime(3_999);
    expect(verdicts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(verdicts).toEqual(['OpenAI Realtime did not confirm the session within 4 s']);
  });

  it('leaves a confirmed connection alone while it answers pings, and reports one that stops answering', () => {
    const { watchdog, verdicts, connect } = watchdogWith({ livenessCheckMs: 1_000 });
    const socket = connect();
    expect(watchdog.alive()).toBe('started');
    vi.advanceTimersByTime(10_000);
    // Quiet all along, but answering its pings (and the start timer is gone): alive.
    expect(verdicts).toEqual([]);
    expect(socket.pings).toBeGreaterThan(0);
    socket.answersPings = false;
    vi.advanceTimersByTime(3_000);
    expect(verdicts).toEqual(['OpenAI Realtime stopped answering (nothing for 2 s, not even a reply to a ping)']);
  });

  it('reports speech whose first audio never comes, and audio that stops mid-speech', () => {
    const { watchdog, verdicts, connect } = watchdogWith({ responseTimeoutMs: 3_000 });
    connect();
    watchdog.alive();
    watchdog.expectAudio();
    vi.advanceTimersByTime(3_000);
    expect(verdicts).toEqual(['OpenAI Realtime sent no audio within 3 s of being asked to speak']);

    watchdog.expectAudio();
    vi.advanceTimersByTime(2_000);
    watchdog.audioArrived(true);
    vi.advanceTimersByTime(2_999);
    expect(verdicts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(verdicts[1]).toBe('OpenAI Realtime stopped sending audio mid-speech (nothing for 3 s)');
  });

  it('stops waiting for audio when none is owed any more', () => {
    const { watchdog, verdicts, connect } = watchdogWith({ responseTimeoutMs: 3_000 });
    connect();
    watchdog.alive();
    watchdog.expectAudio();
    watchdog.audioArrived(true);
    watchdog.audioNotExpected();
    vi.advanceTimersByTime(60_000);
    expect(verdicts).toEqual([]);
  });

  it('allows one reconnect per call, counted only once the new connection confirms its session', () => {
    const { watchdog, connect } = watchdogWith();
    connect();
    watchdog.alive();
    expect(MAX_RECONNECTS_PER_CALL).toBe(1);
    expect(watchdog.lost('the connection closed (1006)')).toEqual({ reconnect: true });
    connect();
    expect(watchdog.reconnecting).toBe(true);
    expect(watchdog.alive()).toBe('reconnected');
    expect(watchdog.reconnecting).toBe(false);
    expect(watchdog.lost('the connection closed (1006)')).toEqual({ reconnect: false, failure: 'the connection closed (1006)' });
  });

  it('gives up when the reconnect does not prove itself, saying both reasons', () => {
    const { watchdog, verdicts, connect } = watchdogWith({ startTimeoutMs: 500 });
    connect();
    watchdog.alive();
    expect(watchdog.lost('the connection closed (1006)')).toEqual({ reconnect: true });
    connect();
    vi.advanceTimersByTime(500);
    expect(watchdog.lost(verdicts[0]!)).toEqual({
      reconnect: false,
      failure: 'the connection closed (1006), and reconnecting failed: OpenAI Realtime did not confirm the session within 500 ms',
    });
  });

  it('does not reconnect after a refusal', () => {
    const { watchdog, connect } = watchdogWith();
    connect();
    expect(watchdog.lost('OpenAI Realtime refused the connection: 401', true)).toEqual({ reconnect: false, failure: 'OpenAI Realtime refused the connection: 401' });
  });

  it('gives the service at most 16 s with the default bounds, however late each step succeeds', () => {
    // The worst case: each session is confirmed a moment before its start timeout and then never speaks.
    const { watchdog, verdicts, connect } = watchdogWith();
    const startedAt = Date.now();
    let failure: string | undefined;
    let connections = 0;
    while (failure === undefined) {
      connect();
      connections += 1;
      vi.advanceTimersByTime(DEFAULT_START_TIMEOUT_MS - 1);
      watchdog.alive();
      watchdog.expectAudio();
      vi.advanceTimersByTime(DEFAULT_RESPONSE_TIMEOUT_MS);
      const after = watchdog.lost(verdicts.at(-1)!);
      if (!after.reconnect) failure = after.failure;
    }
    expect(connections).toBe(2);
    expect(failure).toBe('OpenAI Realtime sent no audio within 4 s of being asked to speak');
    // 20 s is what the caller may wait at most; the rest is for Twilio's REST API to say why.
    expect(Date.now() - startedAt).toBeLessThanOrEqual(16_000);
  });
});
