/**
 * Refresh-token families in process memory: a bounded lru-cache of
 * families (each entry's TTL its remaining absolute lifetime) and an index
 * subject → families that holds exactly the families the cache holds (a
 * family leaves the index when it leaves the cache), so it is bounded by
 * the same `maxFamilies` and `revokeSubject` can never miss a live login.
 * Every operation is synchronous, so a rotation is atomic within the
 * process by construction.
 */
import { describeValue } from '@ward/core';
import { LRUCache } from 'lru-cache';
import type { RefreshFamily, RefreshStore, RotateResult } from './refresh-store.js';

/** Options of {@link MemoryRefreshStore}. */
export interface MemoryRefreshStoreOptions {
  /** Most families (logins) kept; past it the least recently used is forgotten (its tokens stop working). Default: `100_000`. */
  maxFamilies?: number;
  /**
   * Most live logins per subject. Past it the oldest login is revoked (never
   * just forgotten by the index, so `revokeSubject` cannot miss one). Default: `100`.
   */
  maxFamiliesPerSubject?: number;
}

/**
 * Rotations a family may make. Every spent hash is kept for the family's
 * whole life (a reuse must be recognised however many rotations later);
 * past this many the family ends, so its memory stays bounded: at one
 * refresh per 15-minute access token, more than 100 days.
 */
export const MAX_ROTATIONS = 10_000;
const INVALID: RotateResult = Object.freeze({ outcome: 'invalid' });

export class MemoryRefreshStore implements RefreshStore {
  readonly kind = 'memory';
  readonly #families: LRUCache<string, RefreshFamily>;
  /** Hashes of each family's spent tokens (the last MAX_SPENT), to tell reuse from forgery. */
  readonly #spent = new WeakMap<RefreshFamily, Set<string>>();
  /** Never evicts on its own: an index that forgot a subject would let `revokeSubject` miss its logins. */
  readonly #bySubject = new Map<string, Set<string>>();
  readonly #perSubject: number;

  constructor(options: MemoryRefreshStoreOptions = {}) {
    if ((options as { maxSubjects?: unknown }).maxSubjects !== undefined) {
      throw new TypeError('MemoryRefreshStore({ maxSubjects }) is gone: the subject index holds exactly the families kept, so maxFamilies bounds both');
    }
    this.#families = new LRUCache({
      max: bound(options.maxFamilies, 100_000, 'maxFamilies'),
      // Evicted or expired (not replaced by a rotation): out of the index too.
      dispose: (record, family, reason) => {
        if (reason !== 'set') this.#unindex(record.subject, family);
      },
    });
    this.#perSubject = bound(options.maxFamiliesPerSubject, 100, 'maxFamiliesPerSubject');
  }

  create(family: string, given: RefreshFamily): void {
    // A frozen copy: the caller's arrays cannot change what later refreshes carry.
    const record: RefreshFamily = Object.freeze({ ...given, grant: frozenGrant(given.grant) });
    this.#families.set(family, record, { ttl: Math.max(1, record.absoluteExpiresAt - record.createdAt) });
    let families = this.#bySubject.get(record.subject);
    if (families === undefined) this.#bySubject.set(record.subject, (families = new Set()));
    families.add(family);
    if (families.size > this.#perSubject) {
      const oldest = families.values().next().value!;
      this.revokeFamily(oldest);
      families.delete(oldest);
    }
  }

  #unindex(subject: string, family: string): void {
    const families = this.#bySubject.get(subject);
    if (families === undefined) return;
    families.delete(family);
    if (families.size === 0) this.#bySubject.delete(subject);
  }

  rotate(family: string, presentedHash: string, nextHash: string, now: number, idleTtlMs: number): RotateResult {
    const record = this.#families.get(family);
    if (record === undefined || record.revoked) return INVALID;
    if (now >= record.absoluteExpiresAt || now >= record.idleExpiresAt) {
      this.#replace(family, { ...record, revoked: true });
      return INVALID;
    }
    const spent = this.#spent.get(record);
    if (record.currentHash !== presentedHash) {
      // Never issued (forged, tampered): refused, nothing revoked.
      if (spent === undefined || !spent.has(presentedHash)) return INVALID;
      this.#replace(family, { ...record, revoked: true });
      return { outcome: 'reused', subject: record.subject };
    }
    const next: RefreshFamily = { ...record, currentHash: nextHash, idleExpiresAt: Math.min(now + idleTtlMs, record.absoluteExpiresAt) };
    this.#replace(family, next);
    const nextSpent = spent ?? new Set<string>();
    nextSpent.add(presentedHash);
    this.#spent.set(next, nextSpent);
    if (nextSpent.size >= MAX_ROTATIONS) {
      // Rotated to the end: this token is the last; the next refresh needs a new login.
      const last = { ...next, absoluteExpiresAt: Math.min(next.absoluteExpiresAt, now + idleTtlMs) };
      this.#replace(family, last);
      this.#spent.set(last, nextSpent);
      return { outcome: 'rotated', family: last };
    }
    return { outcome: 'rotated', family: next };
  }

  revokeFamily(family: string, presentedHash?: string): string | undefined {
    const record = this.#families.get(family);
    if (record === undefined || record.revoked) return undefined;
    if (presentedHash !== undefined && presentedHash !== record.currentHash && this.#spent.get(record)?.has(presentedHash) !== true) return undefined;
    const spent = this.#spent.get(record);
    const revoked = { ...record, revoked: true };
    this.#replace(family, revoked);
    if (spent !== undefined) this.#spent.set(revoked, spent);
    return record.subject;
  }

  revokeSubject(subject: string): void {
    for (const family of this.#bySubject.get(subject) ?? []) this.revokeFamily(family);
  }

  /** Number of families held (tests, metrics). */
  get size(): number {
    return this.#families.size;
  }

  /** Number of subjects indexed: never more than {@link size}. */
  get subjects(): number {
    return this.#bySubject.size;
  }

  /** Replaces a record, keeping its remaining TTL. */
  #replace(family: string, record: RefreshFamily): void {
    this.#families.set(family, record, { noUpdateTTL: true });
  }
}

function bound(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new RangeError(`MemoryRefreshStore({ ${name} }) must be an integer ≥ 1, got ${describeValue(value)}`);
  return value;
}

function frozenGrant(grant: RefreshFamily['grant']): RefreshFamily['grant'] {
  return Object.freeze({
    ...(grant.roles === undefined ? {} : { roles: Object.freeze([...grant.roles]) }),
    ...(grant.permissions === undefined ? {} : { permissions: Object.freeze([...grant.permissions]) }),
    ...(grant.claims === undefined ? {} : { claims: Object.freeze(structuredClone(grant.claims)) }),
  });
}
