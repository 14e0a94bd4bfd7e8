// Per-call stream tokens: issued by the webhook (whose signature was checked), presented in the stream's start
// frame. Short-lived, bound to one CallSid and single use, so a socket that only knows the Stream URL gets nothing.
//
// A token is `<expiry>.<mac>`: the expiry in milliseconds since the epoch, and an HMAC-SHA256 (base64url) of the
// CallSid and that expiry. The MAC key is derived from TWILIO_AUTH_TOKEN, so every instance that shares the auth token
// can verify a token another instance issued: a stream may land on any instance, not only the one that answered its
// webhook. The token carries nothing the key could be computed from, and the auth token itself never signs a token
// (a token is public enough: it travels in TwiML), so a token never helps forge a Twilio signature.
//
// What stays local to an instance: the tokens it issued (one per CallSid, so a repeated webhook gets the same answer
// and counts once), the calls it withdrew, and the tokens it accepted (so a replay to the same instance is refused).
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type TokenProblem = 'missing' | 'unknown' | 'forged' | 'already-used' | 'expired' | 'wrong-call';

export type TokenCheck = { ok: true } | { ok: false; problem: TokenProblem };

/** Expiry (decimal milliseconds) and a SHA-256 MAC in base64url (43 characters): anything else was never issued. */
const TOKEN_SHAPE = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/;
/** Fixed labels for the key derivation: the same auth token used for anything else yields an unrelated key. */
const KEY_SALT = 'voicebridge';
const KEY_INFO = 'media stream token v1';

interface IssuedToken {
  token: string;
  expiresAt: number;
  used: boolean;
  /** The call was given up before its stream came (its pre-warmed connections released): the token no longer opens it here. */
  withdrawn: boolean;
}

export interface CallTokensOptions {
  /** TWILIO_AUTH_TOKEN: the token key is derived from it, so instances that share it accept each other's tokens. */
  secret: string;
  /** How long Twilio has to open the stream after the webhook answered. */
  ttlMs?: number;
  /**
   * How long a token is remembered after it expired, so that a late or replayed stream reads as what it is and a
   * repeated webhook for the same call gets the same answer. Default: 10 minutes.
   */
  retainMs?: number;
  now?: () => number;
}

/** The key tokens are signed with: derived, so that neither a token nor its key reveals the auth token. */
export function deriveTokenKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, KEY_SALT, KEY_INFO, 32));
}

export class CallTokens {
  private readonly key: Buffer;
  /** The token issued here for each CallSid: one call, one token, however often its webhook arrives. */
  private readonly issued = new Map<string, IssuedToken>();
  /** The CallSid each token issued here belongs to, to tell a token presented for another call from a forged one. */
  private readonly issuedTo = new Map<string, string>();
  /** Tokens accepted here (whoever issued them), until they expired and were retained: a replay reads as one. */
  private readonly redeemed = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly retainMs: number;
  private readonly now: () => number;

  constructor(options: CallTokensOptions) {
    if (!options.secret) throw new Error('CallTokens needs a secret to derive its key from');
    this.key = deriveTokenKey(options.secret);
    this.ttlMs = options.ttlMs ?? 30_000;
    this.retainMs = Math.max(options.retainMs ?? 10 * 60_000, this.ttlMs);
    this.now = options.now ?? Date.now;
  }

  /** A new token for the call. A call that already has one (a repeated webhook) keeps it: see `issuedFor`. */
  issue(callSid: string): string {
    this.sweep();
    const existing = this.issued.get(callSid);
    if (existing !== undefined) return existing.token;
    const expiresAt = this.now() + this.ttlMs;
    const token = `${expiresAt}.${this.mac(callSid, expiresAt).toString('base64url')}`;
    this.issued.set(callSid, { token, expiresAt, used: false, withdrawn: false });
    this.issuedTo.set(token, callSid);
    return token;
  }

  /** The token already issued here for this CallSid, while it is remembered. */
  issuedFor(callSid: string): string | undefined {
    this.sweep();
    return this.issued.get(callSid)?.token;
  }

  /**
   * The call was given up before its stream came: it stops counting as pending and its token opens nothing here.
   * Another instance never heard of the withdrawal, and has nothing warmed for the call either: it opens the call afresh.
   */
  withdraw(callSid: string): void {
    const issued = this.issued.get(callSid);
    if (issued && !issued.used) issued.withdrawn = true;
  }

  /** Checks and burns the token: once accepted, or refused for the call it was issued for, it opens nothing here again. */
  redeem(token: string | undefined, callSid: string): TokenCheck {
    this.sweep();
    if (!token) return { ok: false, problem: 'missing' };
    const parts = TOKEN_SHAPE.exec(token);
    if (!parts) return { ok: false, problem: 'unknown' };
    if (this.redeemed.has(token)) return { ok: false, problem: 'already-used' };
    const expiresAt = Number(parts[1]);
    // Compared as text, not decoded bytes: the last base64url character carries two spare bits, and a token spelled
    // differently but decoding the same would otherwise pass as a new one, replayable past `redeemed`.
    const given = Buffer.from(parts[2] ?? '', 'ascii');
    const expected = Buffer.from(this.mac(callSid, expiresAt).toString('base64url'), 'ascii');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      // Issued here for another call: say so, and burn it for the call it belongs to.
      const owner = this.issuedHereAs(token);
      if (owner === undefined) return { ok: false, problem: 'forged' };
      owner.used = true;
      this.remember(token, owner.expiresAt);
      return { ok: false, problem: 'wrong-call' };
    }
    const issuedHere = this.issued.get(callSid);
    const ours = issuedHere?.token === token ? issuedHere : undefined;
    if (ours?.used) return { ok: false, problem: 'already-used' };
    if (ours) ours.used = true;
    this.remember(token, expiresAt);
    if (ours?.withdrawn || expiresAt <= this.now()) return { ok: false, problem: 'expired' };
    return { ok: true };
  }

  /** Tokens remembered here: issued, or accepted from another instance. */
  get size(): number {
    let foreign = 0;
    for (const token of this.redeemed.keys()) if (this.issuedHereAs(token) === undefined) foreign += 1;
    return this.issued.size + foreign;
  }

  /** Tokens issued here and not yet presented nor expired: calls answered by the webhook whose stream is still to come. */
  get outstanding(): number {
    const now = this.now();
    let count = 0;
    for (const issued of this.issued.values()) if (!issued.used && !issued.withdrawn && issued.expiresAt > now) count += 1;
    return count;
  }

  private mac(callSid: string, expiresAt: number): Buffer {
    return createHmac('sha256', this.key).update(`${callSid}\n${expiresAt}`, 'utf8').digest();
  }

  private issuedHereAs(token: string): IssuedToken | undefined {
    const callSid = this.issuedTo.get(token);
    return callSid === undefined ? undefined : this.issued.get(callSid);
  }

  private remember(token: string, expiresAt: number): void {
    if (!this.redeemed.has(token)) this.redeemed.set(token, expiresAt + this.retainMs);
  }

  /**
   * Forgets tokens `retainMs` after they expired (kept until then so a late or replayed one reads as what it is).
   * Runs on use: no timers to leak. A token is never forgotten before it expired, so forgetting never reopens a replay.
   */
  private sweep(): void {
    const now = this.now();
    for (const [callSid, issued] of this.issued) {
      if (issued.expiresAt + this.retainMs > now) break; // insertion order = expiry order
      this.issued.delete(callSid);
      this.issuedTo.delete(issued.token);
    }
    // Accepted tokens arrive roughly in expiry order (other instances may run another TTL): stopping at the first one
    // still due only keeps a few a little longer, never drops one early.
    for (const [token, forgetAt] of this.redeemed) {
      if (forgetAt > now) break;
      this.redeemed.delete(token);
    }
  }
}

export function describeTokenProblem(problem: TokenProblem): string {
  switch (problem) {
    case 'missing':
      return 'the stream carried no token (it did not come from our webhook)';
    case 'unknown':
      return 'the stream carried a token we never issued';
    case 'forged':
      return 'the stream carried a token we never issued (its signature does not match this call; instances that share calls need the same TWILIO_AUTH_TOKEN)';
    case 'already-used':
      return 'the stream carried a token that was already used (a replay)';
    case 'expired':
      return 'the stream carried an expired token';
    case 'wrong-call':
      return 'the stream carried a token issued for another call';
  }
}
