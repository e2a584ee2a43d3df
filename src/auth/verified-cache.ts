/**
 * The verified-token cache: a token seen before skips the signature work.
 * Bounded (lru-cache `max`), keyed by the token's SHA-256 (the cache never
 * holds a usable token), each entry valid only until the token's `exp` —
 * checked on every read against the verifier's clock, so an entry can never
 * outlive the token. Revocation is still checked on every hit; revoking
 * through a store that announces it also drops the entries at once.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthUser } from './user.js';

/** What a successful verification produced. */
export interface VerifiedToken {
  readonly user: AuthUser;
  readonly issuer: string;
  readonly subject: string;
  readonly tokenId: string | undefined;
  /** `iat`, seconds since the epoch. */
  readonly issuedAt: number | undefined;
  /** `sid`: the session (login) the token belongs to. */
  readonly sessionId: string | undefined;
  /** `exp`, in ms since the epoch. */
  readonly expiresAtMs: number;
}

interface Entry {
  readonly verified: VerifiedToken;
  /** Usable while the clock is before this, in ms. */
  readonly untilMs: number;
}

export class VerifiedCache {
  readonly #entries: LRUCache<string, Entry>;

  constructor(max: number) {
    this.#entries = new LRUCache({ max });
  }

  /** The key of a token: its SHA-256, base64url (0.5 µs for a 300-byte token). */
  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  /** The entry of `key` while `now` (ms) is before its `exp`. */
  get(key: string, now: number): VerifiedToken | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now < entry.untilMs) return entry.verified;
    this.#entries.delete(key);
    return undefined;
  }

  /** Keeps `verified` under `key` until `untilMs` (at most its `exp`). */
  set(key: string, verified: VerifiedToken, untilMs: number): void {
    this.#entries.set(key, { verified, untilMs: Math.min(untilMs, verified.expiresAtMs) });
  }

  /** Drops every entry the predicate picks (revocations: rare, so a scan). */
  drop(predicate: (entry: VerifiedToken) => boolean): void {
    for (const [key, entry] of this.#entries.entries()) if (predicate(entry.verified)) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
