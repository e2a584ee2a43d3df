/**
 * Refresh-token families in process memory: a bounded lru-cache of
 * families (each entry's TTL its remaining absolute lifetime) and a bounded
 * index subject → families. Every operation is synchronous, so a rotation
 * is atomic within the process by construction.
 */
import { describeValue } from '@ward/core';
import { LRUCache } from 'lru-cache';
import type { RefreshFamily, RefreshStore, RotateResult } from './refresh-store.js';

/** Options of {@link MemoryRefreshStore}. */
export interface MemoryRefreshStoreOptions {
  /** Most families (logins) kept; past it the least recently used is forgotten (its tokens stop working). Default: `100_000`. */
  maxFamilies?: number;
  /** Most subjects indexed for `revokeSubject`. Default: `100_000`. */
  maxSubjects?: number;
  /** Most families indexed per subject (the oldest are dropped from the index, not revoked). Default: `100`. */
  maxFamiliesPerSubject?: number;
}

/** Spent hashes remembered per family: at a 15-minute access token, more than 10 days of continuous refreshing. */
const MAX_SPENT = 1_000;
const INVALID: RotateResult = Object.freeze({ outcome: 'invalid' });

export class MemoryRefreshStore implements RefreshStore {
  readonly kind = 'memory';
  readonly #families: LRUCache<string, RefreshFamily>;
  /** Hashes of each family's spent tokens (the last MAX_SPENT), to tell reuse from forgery. */
  readonly #spent = new WeakMap<RefreshFamily, Set<string>>();
  readonly #bySubject: LRUCache<string, Set<string>>;
  readonly #perSubject: number;

  constructor(options: MemoryRefreshStoreOptions = {}) {
    this.#families = new LRUCache({ max: bound(options.maxFamilies, 100_000, 'maxFamilies') });
    this.#bySubject = new LRUCache({ max: bound(options.maxSubjects, 100_000, 'maxSubjects') });
    this.#perSubject = bound(options.maxFamiliesPerSubject, 100, 'maxFamiliesPerSubject');
  }

  create(family: string, record: RefreshFamily): void {
    this.#families.set(family, record, { ttl: Math.max(1, record.absoluteExpiresAt - record.createdAt) });
    let families = this.#bySubject.get(record.subject);
    if (families === undefined) this.#bySubject.set(record.subject, (families = new Set()));
    families.add(family);
    if (families.size > this.#perSubject) families.delete(families.values().next().value!);
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
    if (nextSpent.size > MAX_SPENT) nextSpent.delete(nextSpent.values().next().value!);
    this.#spent.set(next, nextSpent);
    return { outcome: 'rotated', family: next };
  }

  revokeFamily(family: string): void {
    const record = this.#families.get(family);
    if (record !== undefined && !record.revoked) this.#replace(family, { ...record, revoked: true });
  }

  revokeSubject(subject: string): void {
    for (const family of this.#bySubject.get(subject) ?? []) this.revokeFamily(family);
  }

  /** Number of families held (tests, metrics). */
  get size(): number {
    return this.#families.size;
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
