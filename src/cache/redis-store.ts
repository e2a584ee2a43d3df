/**
 * The response store on Redis, through an injected ioredis client (`Redis`
 * or `Cluster`), shared by every process of a fleet: an entry written by
 * one is served and invalidated by all.
 *
 * - An entry is one binary-safe string (`GETBUFFER`/`SET … PX`): a 4-byte
 *   length, the JSON of status, headers, policy (http-cache-semantics'
 *   `toObject()`) and tags, then the body bytes as they are (text bodies
 *   come back as text). Redis expires
 *   it by itself at the end of its freshness plus any stale window.
 * - A tag is a set of entry keys (`<prefix>#tag <tag>`), grown and given the
 *   longest TTL of its entries by one single-key script, so tag sets never
 *   outlive what they index; invalidating a tag deletes its members, then
 *   removes just those from the set (an entry tagged meanwhile stays indexed).
 * - No command touches two keys, so every key can live on its own Cluster
 *   slot; prefix invalidation SCANs (every master on a Cluster).
 * - The fleet lock is `SET NX PX` with a random token, released by a
 *   compare-and-delete script.
 * - A client that is not ready fails the call at once (ioredis's offline
 *   queue would hold it); the cache then bypasses itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ConnectableClient, ensureReady, runScript, type ScriptingClient, storeClient } from '@ward/core';
import CachePolicy from 'http-cache-semantics';
import type { CacheEntry, CacheStore, CachedResponse } from './store.js';
import { isVaryMarker } from './store.js';

/** What the store needs of an ioredis `Redis` or `Cluster` client. */
export interface CacheRedisClient extends ConnectableClient, ScriptingClient {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer | string, px: 'PX', ttl: number, nx?: 'NX'): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  smembers(key: string): Promise<string[]>;
  srem(key: string, ...members: string[]): Promise<number>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  /** A Cluster's nodes (prefix invalidation scans each master). */
  nodes?(role: 'master'): CacheRedisClient[];
}

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions {
  /** An ioredis `Redis` or `Cluster` instance (a peer dependency: yours, configured your way). */
  client: unknown;
  /** Prefix of every key. Default: `'ward:cache:'`. */
  prefix?: string;
}

const TAG_ADD = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;
const TAG_ADD_SHA = createHash('sha1').update(TAG_ADD).digest('hex');
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const UNLOCK_SHA = createHash('sha1').update(UNLOCK).digest('hex');

const METHODS = ['getBuffer', 'set', 'del', 'smembers', 'srem', 'scan', 'evalsha', 'eval'];

/** `*`, `?`, `[`, `]` and `\` stand for themselves in a SCAN pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** One entry as bytes: length of the JSON (4 bytes), the JSON, the body. */
export function encodeEntry(entry: CacheEntry): Buffer {
  const meta = isVaryMarker(entry)
    ? { v: 1, vary: entry.vary, t: entry.tags }
    : { v: 1, s: entry.status, h: entry.headers, p: entry.policy.toObject(), swr: entry.staleWhileRevalidate, sie: entry.staleIfError, sh: entry.shareable, t: entry.tags, txt: typeof entry.body === 'string' };
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(json.byteLength);
  return isVaryMarker(entry) ? Buffer.concat([head, json]) : Buffer.concat([head, json, typeof entry.body === 'string' ? Buffer.from(entry.body) : entry.body]);
}

/** Reads back {@link encodeEntry}'s bytes; `undefined` for anything else (a foreign or damaged value is a miss). */
export function decodeEntry(bytes: Buffer): CacheEntry | undefined {
  try {
    if (bytes.byteLength < 4) return undefined;
    const length = bytes.readUInt32BE(0);
    if (4 + length > bytes.byteLength) return undefined;
    const meta = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8')) as Record<string, unknown>;
    if (meta.v !== 1 || !Array.isArray(meta.t)) return undefined;
    const tags = meta.t.filter((t): t is string => typeof t === 'string');
    if (Array.isArray(meta.vary)) return { vary: meta.vary.filter((n): n is string => typeof n === 'string'), tags };
    if (typeof meta.s !== 'number' || typeof meta.h !== 'object' || meta.h === null || typeof meta.p !== 'object' || meta.p === null) return undefined;
    const entry: CachedResponse = {
      status: meta.s,
      headers: meta.h as CachedResponse['headers'],
      body: meta.txt === true ? bytes.toString('utf8', 4 + length) : bytes.subarray(4 + length),
      policy: CachePolicy.fromObject(meta.p as CachePolicy.CachePolicyObject),
      staleWhileRevalidate: typeof meta.swr === 'number' ? meta.swr : 0,
      staleIfError: typeof meta.sie === 'number' ? meta.sie : 0,
      shareable: meta.sh === true,
      tags,
    };
    return entry;
  } catch {
    return undefined;
  }
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  readonly #client: CacheRedisClient;
  readonly #prefix: string;

  constructor(options: RedisCacheStoreOptions) {
    const { client, prefix } = storeClient<CacheRedisClient>(options, 'RedisCacheStore', METHODS, 'ward:cache:');
    this.#client = client;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    ensureReady(this.#client);
    const bytes = await this.#client.getBuffer(this.#prefix + key);
    return bytes === null ? undefined : decodeEntry(bytes);
  }

  async set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) return;
    ensureReady(this.#client);
    const ttl = Math.ceil(ttlMs);
    const full = this.#prefix + key;
    await Promise.all([
      this.#client.set(full, encodeEntry(entry), 'PX', ttl),
      ...entry.tags.map((tag) => runScript(this.#client, TAG_ADD_SHA, TAG_ADD, 1, this.#tagKey(tag), full, ttl)),
    ]);
  }

  async delete(key: string): Promise<void> {
    ensureReady(this.#client);
    await this.#client.del(this.#prefix + key);
  }

  async deleteTag(tag: string): Promise<void> {
    ensureReady(this.#client);
    const tagKey = this.#tagKey(tag);
    const members = await this.#client.smembers(tagKey);
    if (members.length === 0) return;
    // One key per DEL: entries may live on different Cluster slots.
    await Promise.all(members.map((member) => this.#client.del(member)));
    await this.#client.srem(tagKey, ...members);
  }

  async deletePrefix(prefix: string): Promise<void> {
    ensureReady(this.#client);
    const pattern = `${globEscape(this.#prefix + prefix)}*`;
    const nodes = typeof this.#client.nodes === 'function' ? this.#client.nodes('master') : [this.#client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        await Promise.all(keys.map((key) => this.#client.del(key)));
      } while (cursor !== '0');
    }
  }

  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    ensureReady(this.#client);
    const lockKey = `${this.#prefix}#lock ${key}`;
    const token = randomBytes(16).toString('base64url');
    const taken = await this.#client.set(lockKey, token, 'PX', Math.ceil(ttlMs), 'NX');
    if (taken !== 'OK') return undefined;
    return async () => {
      await runScript(this.#client, UNLOCK_SHA, UNLOCK, 1, lockKey, token);
    };
  }

  #tagKey(tag: string): string {
    return `${this.#prefix}#tag ${tag}`;
  }
}
