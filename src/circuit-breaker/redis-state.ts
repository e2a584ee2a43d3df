/**
 * `RedisCircuitState`: breakers of a fleet sharing one verdict per name.
 *
 * Per breaker, one hash `<prefix>{<name>}` (state, open-until on the Redis
 * server's clock, so hosts' clocks never matter) and one lease key
 * `<prefix>{<name>}:trials` — both in one hash slot, so it works on Redis
 * Cluster. An instance that opens its circuit writes the open period (the
 * later of its own and any already there); every instance reads the
 * verdicts every `syncMs` and follows them; when the period ends, the
 * instances race for the lease and only its holder runs trial calls, then
 * writes "closed" (the others close at their next read) or a longer open
 * period. A missing hash (Redis restarted empty, the key evicted or
 * deleted) is no verdict, not "closed": it closes nothing, and an instance
 * still inside an open period writes that period again. Nothing of this is
 * on a call's path.
 *
 * Trade-offs, documented in the README: others follow within `syncMs`
 * (bounded staleness, not instant); each instance still judges only its
 * own calls, so one instance seeing a bad upstream opens the circuit for
 * all (what "trip together" means) — keep `minimumCalls` honest; with Redis
 * unreachable each breaker acts alone, as it would without sharing, and the
 * episode is reported once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type ConnectableClient, type ScriptingClient, describeValue, ensureReady, runScript, storeClient, withDeadline } from '@ward/core';
import type { SharedBreakerHandle, SharedBreakerLink, SharedCircuitState } from './shared-state.js';

/** The Redis server's clock in ms. */
const NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

/**
 * KEYS[1] the verdict, KEYS[2] the lease; ARGV[1] the open duration. Keeps
 * the later period, and frees the lease (a new period is a new race for the
 * trials); returns the ms left.
 */
const OPEN = `${NOW}
local untilAt = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local wanted = now + tonumber(ARGV[1])
if wanted > untilAt then untilAt = wanted end
redis.call('HSET', KEYS[1], 'state', 'open', 'until', untilAt)
redis.call('PEXPIRE', KEYS[1], untilAt - now + 86400000)
redis.call('DEL', KEYS[2])
return untilAt - now`;

/**
 * KEYS[1] the verdict; returns { state, ms left of the open period }, state
 * 'open', 'closed' or 'none': no verdict at all (never written, expired,
 * evicted, deleted, or lost in a restart), which closes nothing.
 */
const READ = `${NOW}
local v = redis.call('HMGET', KEYS[1], 'state', 'until')
if not v[1] then return { 'none', 0 } end
local left = tonumber(v[2] or '0') - now
if left < 0 then left = 0 end
return { v[1], left }`;

/**
 * KEYS[1] the verdict, KEYS[2] the lease: the trials passed, the circuit is
 * closed for all. Written as a verdict of its own, not by deleting the
 * hash: a missing hash means "no verdict" (lost, evicted), never "closed".
 * Kept a day, like an ended open period, so every instance reads it.
 */
const CLOSE = `redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'state', 'closed')
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1`;

/**
 * KEYS[1] the verdict, KEYS[2] the lease; ARGV[1] the owner, ARGV[2] the
 * lease's ms. The trials go to whoever comes first once the fleet's period
 * has ended: 'mine', 'taken', 'closed' (another instance's trials passed:
 * nothing to try), or the ms left of a period that ends later than the
 * caller knew. With no verdict at all (lost, evicted) the caller's own
 * period is all there is: the race for the lease is run on it.
 */
const CLAIM = `${NOW}
local v = redis.call('HMGET', KEYS[1], 'state', 'until')
if v[1] == 'closed' then return 'closed' end
if v[1] then
  local left = tonumber(v[2] or '0') - now
  if left > 0 then return left end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'mine' end
return 'taken'`;

/** KEYS[1] the lease, ARGV[1] its owner: deleted only by its owner. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const sha1 = (source: string): string => createHash('sha1').update(source).digest('hex');
const SCRIPTS = { open: [sha1(OPEN), OPEN], read: [sha1(READ), READ], close: [sha1(CLOSE), CLOSE], release: [sha1(RELEASE), RELEASE], claim: [sha1(CLAIM), CLAIM] } as const;

type Client = ScriptingClient & ConnectableClient;

/** How sharing went, as told to `onEvent`: one `degraded` at the start of an outage, one `recovered` at its end. */
export type SharedStateEvent = { readonly type: 'degraded'; readonly error: unknown } | { readonly type: 'recovered'; readonly downMs: number };

export interface RedisCircuitStateOptions {
  /** An ioredis `Redis` or `Cluster` client. Required. */
  client: unknown;
  /** Prefix of the keys. Default: `'ward:cb:'`. */
  prefix?: string;
  /** How often each instance reads the fleet's verdicts, in ms. Default: `1_000`. */
  syncMs?: number;
  /** Longest a Redis call may take before it counts as failed, in ms. Default: `250`. */
  timeoutMs?: number;
  /** Told when sharing stops working and when it works again (once per episode). Default: a process warning at the start. */
  onEvent?: (event: SharedStateEvent) => void;
}

export class RedisCircuitState implements SharedCircuitState {
  readonly #client: Client;
  readonly #prefix: string;
  readonly #syncMs: number;
  readonly #timeoutMs: number;
  readonly #onEvent: (event: SharedStateEvent) => void;
  /** Who holds a lease: this process, told apart from its siblings. */
  readonly #owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #handles = new Set<SharedBreakerHandle>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<void> | undefined;
  /** Open periods this instance could not write (Redis away), by breaker: their end, in epoch ms. */
  readonly #unpublished = new Map<SharedBreakerHandle, number>();
  #downSince = -1;

  constructor(options: RedisCircuitStateOptions) {
    const { client, prefix } = storeClient<Client>(options, 'RedisCircuitState', ['evalsha', 'eval'], 'ward:cb:');
    this.#client = client;
    this.#prefix = prefix;
    const syncMs = options.syncMs ?? 1_000;
    if (!Number.isInteger(syncMs) || syncMs < 10) throw new RangeError(`RedisCircuitState syncMs must be an integer of ms from 10, got ${describeValue(syncMs)}`);
    const timeoutMs = options.timeoutMs ?? 250;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`RedisCircuitState timeoutMs must be an integer of ms from 1, got ${describeValue(timeoutMs)}`);
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new TypeError(`RedisCircuitState onEvent must be a function, got ${describeValue(options.onEvent)}`);
    this.#syncMs = syncMs;
    this.#timeoutMs = timeoutMs;
    this.#onEvent = options.onEvent ?? warnOnce;
  }

  attach(handle: SharedBreakerHandle): SharedBreakerLink {
    this.#handles.add(handle);
    this.#startSync();
    const key = this.#key(handle.name);
    const lease = `${key}:trials`;
    return {
      opened: (durationMs) => {
        this.#unpublished.delete(handle);
        void this.#publish(handle, key, lease, durationMs, Date.now() + durationMs);
      },
      closed: () => {
        void this.#call(() => runScript(this.#client, SCRIPTS.close[0], SCRIPTS.close[1], 2, key, lease));
      },
      claimTrials: async (leaseMs) => {
        const answer = await this.#call(() => runScript(this.#client, SCRIPTS.claim[0], SCRIPTS.claim[1], 2, key, lease, this.#owner, Math.ceil(leaseMs)));
        // Unreachable Redis: act alone rather than stay open for ever.
        if (answer === FAILED) return 'mine';
        return answer === 'mine' || answer === 'taken' || answer === 'closed' || (typeof answer === 'number' && answer > 0) ? answer : 'taken';
      },
      releaseTrials: () => {
        void this.#call(() => runScript(this.#client, SCRIPTS.release[0], SCRIPTS.release[1], 1, lease, this.#owner));
      },
      detach: () => {
        this.#handles.delete(handle);
        this.#unpublished.delete(handle);
        if (this.#handles.size === 0) this.close();
      },
    };
  }

  /** Writes an open period; one that could not be written is written at the next sync, while it lasts. */
  async #publish(handle: SharedBreakerHandle, key: string, lease: string, durationMs: number, untilAt: number): Promise<void> {
    const left = await this.#call(() => runScript(this.#client, SCRIPTS.open[0], SCRIPTS.open[1], 2, key, lease, Math.ceil(durationMs)));
    if (left === FAILED) {
      this.#unpublished.set(handle, untilAt);
      return;
    }
    if (typeof left === 'number' && left > durationMs) handle.applyShared('open', left);
  }

  /**
   * Reads every attached breaker's verdict now (the timer does this every
   * `syncMs`), after writing any open period that could not be written
   * before. A sync already running is waited for, not started twice.
   */
  sync(): Promise<void> {
    this.#syncing ??= this.#syncAll().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #syncAll(): Promise<void> {
    await Promise.all(
      [...this.#handles].map(async (handle) => {
        const key = this.#key(handle.name);
        const untilAt = this.#unpublished.get(handle);
        if (untilAt !== undefined) {
          this.#unpublished.delete(handle);
          const leftMs = untilAt - Date.now();
          if (leftMs > 0) await this.#publish(handle, key, `${key}:trials`, leftMs, untilAt);
        }
        const version = handle.version?.();
        const answer = await this.#call(() => runScript(this.#client, SCRIPTS.read[0], SCRIPTS.read[1], 1, key));
        // A period still unwritten is this instance's own truth until it is written.
        if (!Array.isArray(answer) || this.#unpublished.has(handle)) return;
        // The breaker moved while the read was in flight (it tripped; its trials passed): the answer predates it.
        if (version !== handle.version?.()) return;
        const [state, left] = answer as [unknown, unknown];
        // 'none' (no verdict: lost in a restart, evicted, deleted) closes nothing: the breaker re-publishes an open period it holds.
        if ((state === 'open' || state === 'closed' || state === 'none') && typeof left === 'number') handle.applyShared(state, left);
      }),
    );
  }

  /** Stops reading verdicts (breakers attached later start it again). */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #key(name: string): string {
    return `${this.#prefix}{${name}}`;
  }

  #startSync(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.sync(), this.#syncMs);
    this.#timer.unref?.();
  }

  /** One Redis call under the deadline; a failure is reported once per episode and answered FAILED. */
  async #call<T>(run: () => Promise<T>): Promise<T | typeof FAILED> {
    try {
      ensureReady(this.#client);
      const value = await withDeadline(run(), this.#timeoutMs, 'RedisCircuitState');
      if (this.#downSince !== -1) {
        const downMs = Date.now() - this.#downSince;
        this.#downSince = -1;
        this.#report({ type: 'recovered', downMs });
      }
      return value;
    } catch (error) {
      if (this.#downSince === -1) {
        this.#downSince = Date.now();
        this.#report({ type: 'degraded', error });
      }
      return FAILED;
    }
  }

  #report(event: SharedStateEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // A reporter that throws must not break sharing.
    }
  }
}

const FAILED = Symbol('failed');

function warnOnce(event: SharedStateEvent): void {
  if (event.type !== 'degraded') return;
  const reason = event.error instanceof Error ? event.error.message : String(event.error);
  process.emitWarning(`RedisCircuitState: breakers act alone until Redis answers again (${reason})`, { code: 'WARD_CIRCUIT_SHARED_UNAVAILABLE' });
}
