/**
 * `RedisStore`: buckets shared by a fleet, in Redis (or Redis Cluster)
 * through an injected ioredis client. One decision is one EVALSHA of the
 * token-bucket script (redis-script.ts): atomic, every policy of the
 * request at once, on the Redis server's clock, the key expiring by itself.
 * A server that does not know the script yet (a restart, a failover:
 * `NOSCRIPT`) gets it with EVAL on that same call.
 *
 * The script is generated for the limiter's policies (redis-script.ts),
 * their numbers written in as constants: one script per distinct set of
 * policies, up to `maxInlineScripts`; past that, one script per shape with
 * the numbers as arguments, so a process that makes limiters on the fly
 * never fills Redis's script cache.
 *
 * The store itself never waits for a client that is not connected: when the
 * client is not `ready` the call fails at once (ioredis's offline queue would
 * otherwise hold it until reconnection). Timeouts, fallbacks and the
 * breaker around the store are the limiter's (guard.ts).
 */
import { type CompiledPolicies, stateLength } from './policy.js';
import { type TokenBucketScript, tokenBucketScript } from './redis-script.js';
import type { RateLimitStore, StoreDecision } from './store.js';
import type { BucketState } from './token-bucket.js';
import { StoreUnavailableError } from './errors.js';
import { runScript } from '@ward/core';

/**
 * The part of an ioredis `Redis` or `Cluster` client the store calls
 * (structural, so any compatible client fits).
 */
export interface RedisScriptClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  /** ioredis's connection status; calls fail at once unless it is `ready`. Absent: always tried. */
  readonly status?: string;
  /** Connects a `lazyConnect` client (status `wait`); the store calls it once, on first use. */
  connect?(): Promise<void>;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` instance (yours: the store never connects or quits it). Required. */
  client: RedisScriptClient;
  /**
   * Clock in milliseconds for the decision. Default: none — the Redis
   * server's `TIME`, one clock for every app server whatever their skew.
   * Inject only for tests that script time.
   */
  now?: () => number;
  /**
   * Distinct sets of policies whose script has their numbers written in
   * (fastest, one script each in Redis's script cache); the others share a
   * script per shape and pass their numbers as arguments. An integer from 0
   * (numbers always as arguments) to 10 000. Default: 64.
   */
  maxInlineScripts?: number;
}

const DEFAULT_MAX_INLINE_SCRIPTS = 64;

export class RedisStore implements RateLimitStore {
  readonly kind = 'redis';
  readonly #client: RedisScriptClient;
  readonly #now: (() => number) | undefined;
  readonly #maxInline: number;
  /** The script of each policy list this store has decided for. */
  readonly #scripts = new WeakMap<CompiledPolicies, TokenBucketScript>();
  /** Inlined scripts made so far, by source (equal policy lists share one). */
  readonly #inlined = new Map<string, TokenBucketScript>();

  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('RedisStore needs { client: an ioredis Redis or Cluster instance }');
    const client = options.client;
    if (typeof client !== 'object' || client === null || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
      throw new TypeError('RedisStore client must be an ioredis Redis or Cluster instance (with evalsha and eval)');
    }
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('RedisStore now must be a function returning milliseconds');
    const maxInline = options.maxInlineScripts ?? DEFAULT_MAX_INLINE_SCRIPTS;
    if (!Number.isInteger(maxInline) || maxInline < 0 || maxInline > 10_000) {
      throw new RangeError(`RedisStore maxInlineScripts must be an integer from 0 to 10000, got ${String(maxInline)}`);
    }
    this.#client = client;
    this.#now = options.now;
    this.#maxInline = maxInline;
  }

  consume(key: string, policies: CompiledPolicies, cost: number): Promise<StoreDecision> {
    const client = this.#client;
    const status = client.status;
    if (status !== undefined && status !== 'ready') {
      // A lazyConnect client waits for a first command that a not-ready store never sends: start it.
      if (status === 'wait' && typeof client.connect === 'function') client.connect().catch(() => undefined);
      return Promise.reject(new StoreUnavailableError(`the Redis client is ${status}, not ready`));
    }
    const now = this.#now === undefined ? '' : Math.floor(this.#now());
    const script = this.#script(policies);
    const length = stateLength(policies);
    const reply = runScript(client, script.sha, script.source, 1, key, cost, now, ...script.tail);
    return reply.then((value) => decision(value, length));
  }

  async reset(key: string): Promise<void> {
    await this.#client.del(key);
  }

  #script(policies: CompiledPolicies): TokenBucketScript {
    let script = this.#scripts.get(policies);
    if (script === undefined) {
      const inline = tokenBucketScript(policies, true);
      script = this.#inlined.get(inline.source);
      if (script === undefined) {
        if (this.#inlined.size < this.#maxInline) {
          script = inline;
          this.#inlined.set(inline.source, inline);
        } else {
          script = tokenBucketScript(policies, false);
        }
      }
      this.#scripts.set(policies, script);
    }
    return script;
  }
}


/** The script's reply `"allowed at level…"`, checked: anything else is a store failure, never a decision. */
function decision(reply: unknown, length: number): StoreDecision {
  if (typeof reply !== 'string' && !Buffer.isBuffer(reply)) throw nonsense();
  const fields = String(reply).split(' ');
  if (fields.length !== length + 1) throw nonsense();
  const state: BucketState = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const field = fields[i + 1]!;
    // Number('') is 0: an empty field is as wrong as any other.
    const value = field === '' ? Number.NaN : Number(field);
    if (!Number.isSafeInteger(value)) throw nonsense();
    state[i] = value;
  }
  const verdict = fields[0];
  if (verdict !== '1' && verdict !== '0') throw nonsense();
  return { allowed: verdict === '1', state };
}

function nonsense(): StoreUnavailableError {
  return new StoreUnavailableError('the Redis script answered something other than "allowed at level…"');
}
