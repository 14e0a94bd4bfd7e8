import { describe, expect, it } from 'vitest';
import { CallTokens } from '../../src/transports/twilio-media-streams/call-tokens.js';

const CALL = 'CA0123456789abcdef0123456789abcdef';
const OTHER_CALL = 'CAfedcba9876543210fedcba9876543210';
/** The n-th of many distinct calls. */
const callNumber = (n: number): string => `CA${n.toString(16).padStart(32, '0')}`;

describe('per-call stream tokens', () => {
  it('lets the call it was issued for in once', () => {
    const tokens = new CallTokens();
    const token = tokens.issue(CALL);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: true });
  });

  it('refuses a replay of a token already used', () => {
    const tokens = new CallTokens();
    const token = tokens.issue(CALL);
    tokens.redeem(token, CALL);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'already-used' });
  });

  it('refuses a token presented for another call, and burns it', () => {
    const tokens = new CallTokens();
    const token = tokens.issue(CALL);
    expect(tokens.redeem(token, OTHER_CALL)).toEqual({ ok: false, problem: 'wrong-call' });
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'already-used' });
  });

  it('refuses a token presented after its lifetime', () => {
    let now = 1_000;
    const tokens = new CallTokens({ ttlMs: 30_000, now: () => now });
    const token = tokens.issue(CALL);
    now += 30_001;
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'expired' });
  });

  it('refuses a missing or made-up token', () => {
    const tokens = new CallTokens();
    expect(tokens.redeem(undefined, CALL)).toEqual({ ok: false, problem: 'missing' });
    expect(tokens.redeem('made-up', CALL)).toEqual({ ok: false, problem: 'unknown' });
  });

  it('issues a different unguessable token for every call', () => {
    const tokens = new CallTokens();
    const issued = new Set(Array.from({ length: 100 }, (_, n) => tokens.issue(callNumber(n))));
    expect(issued.size).toBe(100);
    for (const token of issued) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('forgets old tokens as new ones are issued, so memory stays flat', () => {
    let now = 0;
    const tokens = new CallTokens({ ttlMs: 1_000, retainMs: 1_000, now: () => now });
    for (let index = 0; index < 50; index += 1) tokens.issue(callNumber(index));
    now += 2_001;
    tokens.issue(CALL);
    expect(tokens.size).toBe(1);
    expect(tokens.issuedFor(callNumber(0))).toBeUndefined();
  });

  it('gives a repeated webhook for the same call the same token, and counts the call once', () => {
    const tokens = new CallTokens();
    const first = tokens.issue(CALL);
    for (let index = 0; index < 50; index += 1) expect(tokens.issue(CALL)).toBe(first);
    expect(tokens.outstanding).toBe(1);
    expect(tokens.size).toBe(1);
    tokens.issue(OTHER_CALL);
    expect(tokens.outstanding).toBe(2);
  });

  it('remembers a used token for the call after its lifetime, so a replay gets the same answer', () => {
    let now = 0;
    const tokens = new CallTokens({ ttlMs: 30_000, now: () => now });
    const token = tokens.issue(CALL);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: true });
    now += 9 * 60_000;
    expect(tokens.issue(CALL)).toBe(token);
    expect(tokens.outstanding).toBe(0);
  });

  it('stops counting a withdrawn call as pending, and its token no longer opens a stream', () => {
    const tokens = new CallTokens();
    const token = tokens.issue(CALL);
    tokens.withdraw(CALL);
    expect(tokens.outstanding).toBe(0);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'expired' });
  });
});
