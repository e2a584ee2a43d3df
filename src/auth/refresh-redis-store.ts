/**
 * Refresh-token families shared by a fleet, in Redis (or Redis Cluster)
 * through an injected ioredis client. Each operation on a family is one
 * script on one key (refresh-redis-script.ts), run with EVALSHA and, on a
 * server that lost its scripts (`NOSCRIPT`), EVAL: so a rotation is one
 * atomic compare-and-set whichever app server runs it. Keys: the family
 * `<prefix>{<family>}` (hash-tagged: one slot), and the subject index
 * `<prefix>sub:{<sha256 of subject>}` (a set of family ids), both expiring
 * by themselves.
 *
 * Time is the service's clock, passed in (`now`), so the absolute and idle
 * ends are the same numbers the service computes; keep app servers' clocks
 * in sync (NTP) as for the tokens' own `exp`.
 *
 * A client that is not `ready` fails at once, and every call has a
 * deadline: a login never hangs on ioredis's offline queue.
 */
import { hash } from 'node:crypto';
import { describeValue, withDeadline, type ConnectableClient, ensureReady, runScript, storeClient } from '@ward/core';
import { MAX_ROTATIONS } from './refresh-memory-store.js';
import { CREATE_LUA, CREATE_SHA, INDEX_LUA, INDEX_SHA, REVOKE_LUA, REVOKE_SHA, ROTATE_LUA, ROTATE_SHA } from './refresh-redis-script.js';
import type { RefreshFamily, RefreshGrant, RefreshStore, RotateResult } from './refresh-store.js';

/** The part of an ioredis `Redis` or `Cluster` client the store calls. */
export interface RedisRefreshClient extends ConnectableClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  smembers(key: string): Promise<string[]>;
}

/** Options of {@link RedisRefreshStore}. */
export interface RedisRefreshStoreOptions {
  /** An ioredis `Redis` or `Cluster` instance (yours: never connected or quit by the store). Required. */
  client: RedisRefreshClient;
  /** Prefix of every key. Default: `'ward:auth:rt:'`. */
  prefix?: string;
  /** Longest wait for one call, in ms; then the call fails (the service answers `REFRESH_STORE_UNAVAILABLE`). Default: `1000`. */
  timeoutMs?: number;
}

const INVALID: RotateResult = Object.freeze({ outcome: 'invalid' });

export class RedisRefreshStore implements RefreshStore {
  readonly kind = 'redis';
  readonly #client: RedisRefreshClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: RedisRefreshStoreOptions) {
    const { client, prefix } = storeClient<RedisRefreshClient>(options, 'RedisRefreshStore', ['evalsha', 'eval', 'smembers'], 'ward:auth:rt:');
    const timeoutMs = options.timeoutMs ?? 1_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`RedisRefreshStore timeoutMs must be an integer ≥ 1, got ${describeValue(timeoutMs)}`);
    this.#client = client;
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
  }

  async create(family: string, record: RefreshFamily): Promise<void> {
    await this.#script(CREATE_SHA, CREATE_LUA, this.#familyKey(family), record.subject, JSON.stringify(record.grant), record.createdAt, record.absoluteExpiresAt, record.idleExpiresAt, record.currentHash);
    await this.#script(INDEX_SHA, INDEX_LUA, this.#subjectKey(record.subject), family, Math.max(1, record.absoluteExpiresAt - record.createdAt));
  }

  async rotate(family: string, presentedHash: string, nextHash: string, now: number, idleTtlMs: number): Promise<RotateResult> {
    const reply = (await this.#script(ROTATE_SHA, ROTATE_LUA, this.#familyKey(family), presentedHash, nextHash, Math.floor(now), Math.floor(idleTtlMs), MAX_ROTATIONS)) as unknown[];
    if (!Array.isArray(reply)) throw new Error('RedisRefreshStore: unexpected reply to ROTATE');
    const outcome = Number(reply[0]);
    // A hash missing `sub` answers {2} (Lua stops an array at nil): still a reuse, of nobody known.
    if (outcome === 2) return { outcome: 'reused', subject: typeof reply[1] === 'string' ? reply[1] : '' };
    if (outcome !== 1) return INVALID;
    const [, subject, grantText, createdAt, absoluteExpiresAt, idleExpiresAt] = reply as [unknown, unknown, unknown, string, string, string];
    let grant: unknown;
    try {
      grant = typeof grantText === 'string' ? JSON.parse(grantText) : undefined;
    } catch {
      grant = undefined;
    }
    // A damaged family (fields missing, the grant not JSON): no login can be trusted from it.
    if (typeof subject !== 'string' || typeof grant !== 'object' || grant === null) return INVALID;
    return {
      outcome: 'rotated',
      family: {
        subject,
        grant: grant as RefreshGrant,
        createdAt: Number(createdAt),
        absoluteExpiresAt: Number(absoluteExpiresAt),
        idleExpiresAt: Number(idleExpiresAt),
        currentHash: nextHash,
        revoked: false,
      },
    };
  }

  async revokeFamily(family: string, presentedHash?: string): Promise<string | undefined> {
    const subject = await this.#script(REVOKE_SHA, REVOKE_LUA, this.#familyKey(family), presentedHash ?? '');
    return typeof subject === 'string' ? subject : undefined;
  }

  async revokeSubject(subject: string): Promise<void> {
    this.#ready();
    const families = await this.#deadline(this.#client.smembers(this.#subjectKey(subject)));
    await Promise.all(families.map((family) => this.revokeFamily(family)));
  }

  #familyKey(family: string): string {
    return `${this.#prefix}{${family}}`;
  }

  /** Subjects are hashed: no user id text in keys, and no `{`/`}` to bend the hash tag. */
  #subjectKey(subject: string): string {
    return `${this.#prefix}sub:{${hash('sha256', subject, 'base64url').slice(0, 22)}}`;
  }

  async #script(sha: string, lua: string, key: string, ...args: (string | number)[]): Promise<unknown> {
    this.#ready();
    const client = this.#client;
    return this.#deadline(runScript(client, sha, lua, 1, key, ...args));
  }

  #ready(): void {
    ensureReady(this.#client);
  }

  #deadline<T>(promise: Promise<T>): Promise<T> {
    return withDeadline(promise, this.#timeoutMs, 'Redis');
  }
}
