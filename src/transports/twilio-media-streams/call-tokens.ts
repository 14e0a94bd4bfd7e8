// Per-call stream tokens: issued by the webhook (whose signature was checked), presented in the stream's start
// frame. Single use, short-lived and bound to one CallSid, so a socket that only knows the Stream URL gets nothing.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenProblem = 'missing' | 'unknown' | 'already-used' | 'expired' | 'wrong-call';

export type TokenCheck = { ok: true } | { ok: false; problem: TokenProblem };

interface IssuedToken {
  callSid: string;
  expiresAt: number;
  used: boolean;
  /** The call was given up before its stream came (its pre-warmed connections released): the token no longer opens it. */
  withdrawn: boolean;
}

export interface CallTokensOptions {
  /** How long Twilio has to open the stream after the webhook answered. */
  ttlMs?: number;
  /**
   * How long a token is remembered after it expired, so that a late or replayed stream reads as what it is and a
   * repeated webhook for the same call gets the same answer. Default: 10 minutes.
   */
  retainMs?: number;
  now?: () => number;
}

export class CallTokens {
  private readonly tokens = new Map<string, IssuedToken>();
  /** The token issued for each CallSid: one call, one token, however often its webhook arrives. */
  private readonly byCall = new Map<string, string>();
  private readonly ttlMs: number;
  private readonly retainMs: number;
  private readonly now: () => number;

  constructor(options: CallTokensOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.retainMs = Math.max(options.retainMs ?? 10 * 60_000, this.ttlMs);
    this.now = options.now ?? Date.now;
  }

  /** A new token for the call. A call that already has one (a repeated webhook) keeps it: see `issuedFor`. */
  issue(callSid: string): string {
    this.sweep();
    const existing = this.byCall.get(callSid);
    if (existing !== undefined) return existing;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { callSid, expiresAt: this.now() + this.ttlMs, used: false, withdrawn: false });
    this.byCall.set(callSid, token);
    return token;
  }

  /** The token already issued for this CallSid, while it is remembered. */
  issuedFor(callSid: string): string | undefined {
    this.sweep();
    return this.byCall.get(callSid);
  }

  /** The call was given up before its stream came: it stops counting as pending and its token opens nothing. */
  withdraw(callSid: string): void {
    const token = this.byCall.get(callSid);
    const issued = token === undefined ? undefined : this.tokens.get(token);
    if (issued && !issued.used) issued.withdrawn = true;
  }

  /** Checks and burns the token: whatever the outcome, it cannot be presented again. */
  redeem(token: string | undefined, callSid: string): TokenCheck {
    this.sweep();
    if (!token) return { ok: false, problem: 'missing' };
    const issued = this.tokens.get(token);
    if (!issued) return { ok: false, problem: 'unknown' };
    if (issued.used) return { ok: false, problem: 'already-used' };
    issued.used = true;
    if (issued.withdrawn || issued.expiresAt <= this.now()) return { ok: false, problem: 'expired' };
    const expected = Buffer.from(issued.callSid);
    const given = Buffer.from(callSid);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, problem: 'wrong-call' };
    return { ok: true };
  }

  get size(): number {
    return this.tokens.size;
  }

  /** Tokens issued and not yet presented nor expired: calls answered by the webhook whose stream is still to come. */
  get outstanding(): number {
    const now = this.now();
    let count = 0;
    for (const issued of this.tokens.values()) if (!issued.used && !issued.withdrawn && issued.expiresAt > now) count += 1;
    return count;
  }

  /**
   * Forgets tokens `retainMs` after they expired (kept until then so a late or replayed one reads as what it is).
   * Runs on use: no timers to leak.
   */
  private sweep(): void {
    const now = this.now();
    for (const [token, issued] of this.tokens) {
      if (issued.expiresAt + this.retainMs > now) break; // insertion order = expiry order
      this.tokens.delete(token);
      if (this.byCall.get(issued.callSid) === token) this.byCall.delete(issued.callSid);
    }
  }
}

export function describeTokenProblem(problem: TokenProblem): string {
  switch (problem) {
    case 'missing':
      return 'the stream carried no token (it did not come from our webhook)';
    case 'unknown':
      return 'the stream carried a token we never issued';
    case 'already-used':
      return 'the stream carried a token that was already used (a replay)';
    case 'expired':
      return 'the stream carried an expired token';
    case 'wrong-call':
      return 'the stream carried a token issued for another call';
  }
}
