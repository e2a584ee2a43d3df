/**
 * The in-process deny list: three bounded lru-caches (DESIGN rule 9), of
 * revoked (`iss`, `jti`) pairs, of revoked sessions (`iss`, `sub`, `sid`)
 * and of per-subject watermarks, each
 * entry forgotten when no token it revokes can still be valid. Answers
 * synchronously, so a cached token is accepted with no promise at all.
 */
import { describeValue } from '@ward/core';
import { LRUCache } from 'lru-cache';
import { type Revocation, type RevocationQuery, type RevocationStore, type RevokedSession, type RevokedToken, belowWatermark } from './revocation-store.js';

/** Options of {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Most revoked tokens remembered; past it the least recently used is forgotten. Default: `100_000`. */
  maxTokens?: number;
  /** Most subjects with a watermark remembered. Default: `100_000`. */
  maxSubjects?: number;
  /** Most revoked sessions (logouts, reused refresh tokens) remembered. Default: `100_000`. */
  maxSessions?: number;
  /** The clock, in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** Entries keep the second (epoch) until which they matter. */
interface Watermark {
  readonly before: number;
  readonly untilMs: number;
}

export class MemoryRevocationStore implements RevocationStore {
  readonly kind = 'memory';
  readonly #tokens: LRUCache<string, number>;
  readonly #subjects: LRUCache<string, Watermark>;
  readonly #sessions: LRUCache<string, number>;
  readonly #now: () => number;
  readonly #listeners = new Set<(revocation: Revocation) => void>();

  constructor(options: MemoryRevocationStoreOptions = {}) {
    this.#tokens = new LRUCache({ max: bound(options.maxTokens, 'maxTokens') });
    this.#subjects = new LRUCache({ max: bound(options.maxSubjects, 'maxSubjects') });
    this.#sessions = new LRUCache({ max: bound(options.maxSessions, 'maxSessions') });
    this.#now = options.now ?? Date.now;
  }

  isRevoked(query: RevocationQuery): boolean {
    const now = this.#now();
    if (query.tokenId !== undefined && this.#tokens.size > 0 && denied(this.#tokens, `${query.issuer}\u0000${query.tokenId}`, now)) return true;
    if (query.sessionId !== undefined && this.#sessions.size > 0 && denied(this.#sessions, `${query.issuer}\u0000${query.subject}\u0000${query.sessionId}`, now)) return true;
    if (this.#subjects.size === 0) return false;
    const key = `${query.issuer}\u0000${query.subject}`;
    const mark = this.#subjects.get(key);
    if (mark === undefined) return false;
    if (now >= mark.untilMs) {
      this.#subjects.delete(key);
      return false;
    }
    return belowWatermark(query.issuedAt, mark.before);
  }

  revokeToken(token: RevokedToken): void {
    const untilMs = token.expiresAt * 1000;
    if (untilMs > this.#now()) this.#tokens.set(`${token.issuer}\u0000${token.tokenId}`, untilMs);
    this.#announce({ kind: 'token', issuer: token.issuer, tokenId: token.tokenId });
  }

  revokeSession(session: RevokedSession): void {
    const untilMs = session.expiresAt * 1000;
    if (untilMs > this.#now()) this.#sessions.set(`${session.issuer}\u0000${session.subject}\u0000${session.sessionId}`, untilMs);
    this.#announce({ kind: 'session', issuer: session.issuer, subject: session.subject, sessionId: session.sessionId });
  }

  revokeSubject(issuer: string, subject: string, before: number, ttlSeconds: number): void {
    const key = `${issuer}\u0000${subject}`;
    const current = this.#subjects.get(key);
    const untilMs = this.#now() + ttlSeconds * 1000;
    if (current === undefined || current.before <= before) this.#subjects.set(key, { before, untilMs: Math.max(untilMs, current?.untilMs ?? 0) });
    this.#announce({ kind: 'subject', issuer, subject, before: Math.max(before, current?.before ?? before) });
  }

  onRevoke(listener: (revocation: Revocation) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #announce(revocation: Revocation): void {
    for (const listener of this.#listeners) listener(revocation);
  }
}

/** True when `key` is listed until a time still to come; a passed entry is forgotten. */
function denied(list: LRUCache<string, number>, key: string, now: number): boolean {
  const untilMs = list.get(key);
  if (untilMs === undefined) return false;
  if (now < untilMs) return true;
  list.delete(key);
  return false;
}

function bound(value: unknown, name: string): number {
  if (value === undefined) return 100_000;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new RangeError(`MemoryRevocationStore({ ${name} }) must be an integer ≥ 1, got ${describeValue(value)}`);
  return value;
}
