import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CallTokens, deriveTokenKey, describeTokenProblem, type CallTokensOptions } from '../../src/transports/twilio-media-streams/call-tokens.js';

const SECRET = '0123456789abcdef0123456789abcdef';
const OTHER_SECRET = 'fedcba9876543210fedcba9876543210';
const CALL = 'CA0123456789abcdef0123456789abcdef';
const OTHER_CALL = 'CAfedcba9876543210fedcba9876543210';
/** The n-th of many distinct calls. */
const callNumber = (n: number): string => `CA${n.toString(16).padStart(32, '0')}`;
const tokensWith = (options: Partial<CallTokensOptions> = {}): CallTokens => new CallTokens({ secret: SECRET, ...options });

/** The token with one character of the given part changed to another valid one. */
function altered(token: string, part: 'expiry' | 'mac' | 'last'): string {
  const [expiry = '', mac = ''] = token.split('.');
  const swap = (text: string, index: number, alphabet: string): string => {
    const next = alphabet[(alphabet.indexOf(text[index] ?? '') + 1) % alphabet.length] ?? '';
    return text.slice(0, index) + next + text.slice(index + 1);
  };
  const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (part === 'expiry') return `${swap(expiry, expiry.length - 1, '0123456789')}.${mac}`;
  if (part === 'mac') return `${expiry}.${swap(mac, 5, base64url)}`;
  // Only the lowest of the last character's six bits changes: a spare bit, the decoded MAC stays the same.
  const spare = base64url[base64url.indexOf(mac.at(-1) ?? '') ^ 1] ?? '';
  return `${expiry}.${mac.slice(0, -1)}${spare}`;
}

describe('per-call stream tokens', () => {
  it('lets the call it was issued for in once', () => {
    const tokens = tokensWith();
    const token = tokens.issue(CALL);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: true });
  });

  it('refuses a replay of a token already used', () => {
    const tokens = tokensWith();
    const token = tokens.issue(CALL);
    tokens.redeem(token, CALL);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'already-used' });
  });

  it('refuses a token presented for another call, and burns it', () => {
    const tokens = tokensWith();
    const token = tokens.issue(CALL);
    expect(tokens.redeem(token, OTHER_CALL)).toEqual({ ok: false, problem: 'wrong-call' });
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'already-used' });
  });

  it('refuses a token presented after its lifetime', () => {
    let now = 1_000;
    const tokens = tokensWith({ ttlMs: 30_000, now: () => now });
    const token = tokens.issue(CALL);
    now += 29_999;
    const fresh = tokensWith({ ttlMs: 30_000, now: () => now });
    expect(fresh.redeem(token, CALL)).toEqual({ ok: true });
    now += 2;
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'expired' });
  });

  it('refuses a missing or made-up token', () => {
    const tokens = tokensWith();
    expect(tokens.redeem(undefined, CALL)).toEqual({ ok: false, problem: 'missing' });
    expect(tokens.redeem('made-up', CALL)).toEqual({ ok: false, problem: 'unknown' });
    expect(tokens.redeem(`${Date.now() + 30_000}.${'A'.repeat(43)}`, CALL)).toEqual({ ok: false, problem: 'forged' });
  });

  it('issues a different unguessable token for every call, in the form <expiry>.<mac>', () => {
    const tokens = tokensWith();
    const issued = new Set(Array.from({ length: 100 }, (_, n) => tokens.issue(callNumber(n))));
    expect(issued.size).toBe(100);
    for (const token of issued) expect(token).toMatch(/^\d{13}\.[A-Za-z0-9_-]{43}$/);
  });

  it('forgets old tokens as new ones are issued, so memory stays flat', () => {
    let now = 0;
    const tokens = tokensWith({ ttlMs: 1_000, retainMs: 1_000, now: () => now });
    for (let index = 0; index < 50; index += 1) tokens.issue(callNumber(index));
    now += 2_001;
    tokens.issue(CALL);
    expect(tokens.size).toBe(1);
    expect(tokens.issuedFor(callNumber(0))).toBeUndefined();
  });

  it('gives a repeated webhook for the same call the same token, and counts the call once', () => {
    const tokens = tokensWith();
    const first = tokens.issue(CALL);
    for (let index = 0; index < 50; index += 1) expect(tokens.issue(CALL)).toBe(first);
    expect(tokens.outstanding).toBe(1);
    expect(tokens.size).toBe(1);
    tokens.issue(OTHER_CALL);
    expect(tokens.outstanding).toBe(2);
  });

  it('remembers a used token for the call after its lifetime, so a replay gets the same answer', () => {
    let now = 0;
    const tokens = tokensWith({ ttlMs: 30_000, now: () => now });
    const token = tokens.issue(CALL);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: true });
    now += 9 * 60_000;
    expect(tokens.issue(CALL)).toBe(token);
    expect(tokens.outstanding).toBe(0);
  });

  it('stops counting a withdrawn call as pending, and its token no longer opens a stream here', () => {
    const tokens = tokensWith();
    const token = tokens.issue(CALL);
    tokens.withdraw(CALL);
    expect(tokens.outstanding).toBe(0);
    expect(tokens.redeem(token, CALL)).toEqual({ ok: false, problem: 'expired' });
    // Another instance never heard of the withdrawal: the call's stream may still start there.
    expect(tokensWith().redeem(token, CALL)).toEqual({ ok: true });
  });
});

describe('a token issued by another instance', () => {
  it('is accepted by any instance with the same auth token, once per instance', () => {
    const issuer = tokensWith();
    const other = tokensWith();
    const token = issuer.issue(CALL);
    expect(other.redeem(token, CALL)).toEqual({ ok: true });
    expect(other.redeem(token, CALL)).toEqual({ ok: false, problem: 'already-used' });
    // Accepting it elsewhere does not change what the issuer counts: it is released with its pre-warm.
    expect(issuer.outstanding).toBe(1);
  });

  it('is refused for another CallSid, with its expiry or its MAC altered, or under another auth token', () => {
    const token = tokensWith().issue(CALL);
    const other = tokensWith();
    expect(other.redeem(token, OTHER_CALL)).toEqual({ ok: false, problem: 'forged' });
    expect(other.redeem(altered(token, 'expiry'), CALL)).toEqual({ ok: false, problem: 'forged' });
    expect(other.redeem(altered(token, 'mac'), CALL)).toEqual({ ok: false, problem: 'forged' });
    // Its last character holds two spare bits: another spelling of the same MAC is still not the token.
    expect(other.redeem(altered(token, 'last'), CALL)).toEqual({ ok: false, problem: 'forged' });
    expect(other.redeem(`${token}x`, CALL)).toEqual({ ok: false, problem: 'unknown' });
    expect(tokensWith({ secret: OTHER_SECRET }).redeem(token, CALL)).toEqual({ ok: false, problem: 'forged' });
    // None of those burned it: the genuine stream still gets in.
    expect(other.redeem(token, CALL)).toEqual({ ok: true });
  });

  it('is refused once expired, by its own clock rather than the issuer’s word', () => {
    let now = 5_000;
    const token = tokensWith({ ttlMs: 1_000, now: () => now }).issue(CALL);
    const other = tokensWith({ ttlMs: 60_000, now: () => now });
    now += 1_000;
    expect(other.redeem(token, CALL)).toEqual({ ok: false, problem: 'expired' });
  });

  it('is remembered after use only until it expired and was retained, so memory stays flat', () => {
    let now = 0;
    const issuer = tokensWith({ ttlMs: 1_000, retainMs: 1_000, now: () => now });
    const other = tokensWith({ ttlMs: 1_000, retainMs: 1_000, now: () => now });
    const issued = Array.from({ length: 200 }, (_, n) => issuer.issue(callNumber(n)));
    issued.forEach((token, n) => expect(other.redeem(token, callNumber(n))).toEqual({ ok: true }));
    expect(other.size).toBe(200);
    now += 1_999;
    expect(other.redeem(issued[0], callNumber(0))).toEqual({ ok: false, problem: 'already-used' });
    now += 2;
    other.issue(CALL);
    expect(other.size).toBe(1);
  });
});

describe('what a token reveals', () => {
  it('holds only its expiry and a MAC: not the auth token, nor a MAC made with it', () => {
    const now = 1_700_000_000_000;
    const token = tokensWith({ ttlMs: 30_000, now: () => now }).issue(CALL);
    const [expiry, mac, ...rest] = token.split('.');
    expect(rest).toEqual([]);
    expect(expiry).toBe(String(now + 30_000));
    for (const encoding of ['utf8', 'hex', 'base64', 'base64url'] as const) {
      const text = Buffer.from(SECRET, 'utf8').toString(encoding);
      expect(token).not.toContain(text.slice(0, 8));
    }
    // The key is derived, not the auth token itself: a MAC under the raw auth token would differ.
    expect(mac).not.toBe(createHmac('sha256', SECRET).update(`${CALL}\n${expiry}`).digest('base64url'));
    expect(mac).toBe(createHmac('sha256', deriveTokenKey(SECRET)).update(`${CALL}\n${expiry}`).digest('base64url'));
    expect(deriveTokenKey(SECRET).toString('utf8')).not.toContain(SECRET);
  });

  it('is explained in the log without the token or the auth token', () => {
    for (const problem of ['missing', 'unknown', 'forged', 'already-used', 'expired', 'wrong-call'] as const) {
      expect(describeTokenProblem(problem)).not.toContain(SECRET);
    }
    expect(describeTokenProblem('forged')).toContain('the stream carried a token we never issued');
  });
});
