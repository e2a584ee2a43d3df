/**
 * The deny list shared by a fleet, in Redis (or Redis Cluster) through an
 * injected ioredis client. A revoked token is one key expiring at the
 * token's own `exp` (`SET … EXAT`), and so is a revoked session (`sid`); a
 * subject's watermark is one key expiring when no token it revokes can
 * still be valid. All keys of a subject share a hash tag, so one `MGET`
 * answers a check on a cluster too.
 * Keys are built from SHA-256 digests, so no claim value can shape a key.
 *
 * Calls fail at once when the client is not `ready` (ioredis's offline
 * queue would hold them); the verifier's deadline and failure mode decide
 * what a failure means for the request.
 */
import { hash } from 'node:crypto';
import { type ConnectableClient, ensureReady, storeClient } from '@ward/core';
import { type RevocationQuery, type RevocationStore, type RevokedSession, type RevokedToken, belowWatermark } from './revocation-store.js';

/** The part of an ioredis `Redis` or `Cluster` client the store calls. */
export interface RedisRevocationClient extends ConnectableClient {
  mget(...keys: string[]): Promise<(string | null)[]>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EXAT', at: number): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Options of {@link RedisRevocationStore}. */
export interface RedisRevocationStoreOptions {
  /** An ioredis `Redis` or `Cluster` instance (yours: the store never connects or quits it). Required. */
  client: RedisRevocationClient;
  /** Prefix of every key. Default: `'ward:auth:rev:'`. */
  prefix?: string;
}

/** Raises a subject's watermark, never lowers it; the key lives at least `ttl` seconds. */
const RAISE_WATERMARK = `
local current = tonumber(redis.call('GET', KEYS[1]))
local before = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
if current and current >= before then
  if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
return before`;

export class RedisRevocationStore implements RevocationStore {
  readonly kind = 'redis';
  readonly #client: RedisRevocationClient;
  readonly #prefix: string;

  constructor(options: RedisRevocationStoreOptions) {
    const { client, prefix } = storeClient<RedisRevocationClient>(options, 'RedisRevocationStore', ['mget', 'get', 'set', 'eval'], 'ward:auth:rev:');
    this.#client = client;
    this.#prefix = prefix;
  }

  async isRevoked(query: RevocationQuery): Promise<boolean> {
    this.#ready();
    const base = this.#subjectKey(query.issuer, query.subject);
    const keys = [`${base}:before`];
    if (query.tokenId !== undefined) keys.push(`${base}:jti:${digest(query.tokenId)}`);
    if (query.sessionId !== undefined) keys.push(`${base}:sid:${digest(query.sessionId)}`);
    if (keys.length === 1) return watermarked(query, await this.#client.get(keys[0]!));
    const [before, ...denied] = await this.#client.mget(...keys);
    if (denied.some((entry) => entry !== null && entry !== undefined)) return true;
    return watermarked(query, before);
  }

  async revokeToken(token: RevokedToken): Promise<void> {
    this.#ready();
    if (token.expiresAt * 1000 <= Date.now()) return;
    await this.#client.set(`${this.#subjectKey(token.issuer, token.subject)}:jti:${digest(token.tokenId)}`, '1', 'EXAT', Math.ceil(token.expiresAt));
  }

  async revokeSession(session: RevokedSession): Promise<void> {
    this.#ready();
    if (session.expiresAt * 1000 <= Date.now()) return;
    await this.#client.set(`${this.#subjectKey(session.issuer, session.subject)}:sid:${digest(session.sessionId)}`, '1', 'EXAT', Math.ceil(session.expiresAt));
  }

  async revokeSubject(issuer: string, subject: string, before: number, ttlSeconds: number): Promise<void> {
    this.#ready();
    await this.#client.eval(RAISE_WATERMARK, 1, `${this.#subjectKey(issuer, subject)}:before`, Math.floor(before), Math.max(1, Math.ceil(ttlSeconds)));
  }

  /** `<prefix>{<digest of iss and sub>}`: one hash slot per subject. */
  #subjectKey(issuer: string, subject: string): string {
    return `${this.#prefix}{${digest(`${issuer}\u0000${subject}`)}}`;
  }

  #ready(): void {
    ensureReady(this.#client);
  }
}

/** The token revoked by the subject's stored watermark, if the subject has one. */
function watermarked(query: RevocationQuery, before: string | null | undefined): boolean {
  return before !== null && before !== undefined && belowWatermark(query.issuedAt, Number(before));
}

/** 22 base64url characters of SHA-256 (132 bits): short keys, no claim text in them. */
function digest(value: string): string {
  return hash('sha256', value, 'base64url').slice(0, 22);
}
