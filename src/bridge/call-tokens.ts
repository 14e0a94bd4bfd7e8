// Per-call stream tokens: issued by the webhook (whose signature was checked), presented in the stream's start
// frame. Single use, short-lived and bound to one CallSid, so a socket that only knows the Stream URL gets nothing.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenProblem = 'missing' | 'unknown' | 'already-used' | 'expired' | 'wrong-call';

export type TokenCheck = { ok: true } | { ok: false; problem: TokenProblem };

interface IssuedToken {
  callSid: string;
  expiresAt: number;
  used: boolean;
}

export interface CallTokensOptions {
  /** How long Twilio has to open the stream after the webhook answered. */
  ttlMs?: number;
  now?: () => number;
}

export class CallTokens {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: CallTokensOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  issue(callSid: string): string {
    this.sweep();
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { callSid, expiresAt: this.now() + this.ttlMs, used: false });
    return token;
  }

  /** Checks and burns the token: whatever the outcome, it cannot be presented again. */
  redeem(token: string | undefined, callSid: string): TokenCheck {
    this.sweep();
    if (!token) return { ok: false, problem: 'missing' };
    const issued = this.tokens.get(token);
    if (!issued) return { ok: false, problem: 'unknown' };
    if (issued.used) return { ok: false, problem: 'already-used' };
    issued.used = true;
    if (issued.expiresAt <= this.now()) return { ok: false, problem: 'expired' };
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
    for (const issued of this.tokens.values()) if (!issued.used && issued.expiresAt > now) count += 1;
    return count;
  }

  /**
   * Forgets tokens one lifetime after they expired (kept until then so a late or replayed one reads as what it is).
   * Runs on use: no timers to leak.
   */
  private sweep(): void {
    const now = this.now();
    for (const [token, issued] of this.tokens) {
      if (issued.expiresAt + this.ttlMs > now) break; // insertion order = expiry order
      this.tokens.delete(token);
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
