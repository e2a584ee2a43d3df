/**
 * Rate-limit store micro-benchmark (issue "rate-limit"): decisions per
 * second of @ward/rate-limit's stores against rate-limiter-flexible,
 * express-rate-limit and the simplest hand-written limiters, each
 * contender in its own child process (a fresh heap and JIT per
 * measurement), in interleaved rounds, medians reported.
 *
 * 1. Memory, at 1, 10 000 and 1 000 000 distinct keys:
 *    - `MemoryStore.consume(key, policies, 1)` (the store alone, synchronous),
 *    - `limiter.consume(key)` (the whole `createRateLimiter()` path: key
 *      namespacing, guard, per-policy results, metrics; a promise),
 *    - rate-limiter-flexible `RateLimiterMemory.consume(key)` (a promise),
 *    - express-rate-limit `MemoryStore.increment(key)` (a promise; the
 *      decision is `totalHits <= limit`, as its middleware does it),
 *    - a bare `Map<string, { tokens, at }>` token bucket written here.
 *    Promise-returning contenders are awaited one after another, the way a
 *    middleware awaits them; synchronous ones are called in a plain loop.
 * 2. RSS after inserting 1 000 000 keys, each contender in its own process.
 * 3. Redis, with 256 calls outstanding, against a private redis-server this
 *    benchmark starts on a free port (and stops): `RedisStore.consume`,
 *    `limiter.consume` over it, rate-limiter-flexible `RateLimiterRedis`
 *    (ioredis) and a raw EVALSHA of a minimal token-bucket script written
 *    here; decisions per second and, from `INFO commandstats` and the
 *    commands the client wrote, round trips per decision.
 *
 * Every limiter runs one policy so large (1e9 per minute) that every
 * decision is "allowed": what is measured is the cost of a decision. Before
 * timing, each contender is checked to be a real limiter (a policy of 3 per
 * minute refuses the 4th call).
 *
 * Run alone with `node bench/rate-limit-store.js`; `bench/run.js` forks it
 * (suite `rate-limit-store`). Env: BENCH_ROUNDS (default 5),
 * BENCH_STORE_BATCH_MS (timed memory batch, default 1000),
 * BENCH_STORE_KEYS (key counts, default `1,10000,1000000`),
 * BENCH_STORE_RSS_KEYS (default 1000000), BENCH_STORE_PARTS (`memory,rss,redis`),
 * BENCH_DURATION / BENCH_WARMUP (Redis: measured / discarded seconds, default 5 / 1),
 * BENCH_REDIS_CONCURRENCY (default 256), BENCH_REDIS_KEYS (default 10000).
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodePeer, peer } from './lib/peers.js';
import { envNumber, median, pairedRatios, spread } from './lib/stats.js';

/**
 * @typedef {import('./lib/peers.js').Peer} Peer
 *
 * @typedef {'ward-store' | 'ward-limiter' | 'rlf' | 'erl' | 'map'} MemoryName
 * @typedef {'ward-store' | 'ward-limiter' | 'rlf' | 'raw'} RedisName
 *
 * @typedef {{ part: 'memory', name: MemoryName, keys: number, batchMs: number }
 *   | { part: 'rss', name: MemoryName, keys: number }
 *   | { part: 'redis', name: RedisName, port: number, keys: number, concurrency: number, warmupSec: number, durationSec: number }} Job
 *
 * A contender as the timing loops see it: `call` is the timed call (its raw
 * answer, or a promise of it), `ok` reads "allowed" off that answer.
 * @typedef {object} Decider
 * @property {(key: string) => unknown} call
 * @property {(answer: any) => boolean} ok
 * @property {boolean} async `call` returns a promise, awaited before the next call
 * @property {() => number} [held] keys the contender holds now
 * @property {(key: string) => string} [storeKey] the key as this contender is called with it, built before timing (RedisStore alone gets the limiter's full Redis key)
 *
 * @typedef {object} MemoryJobResult
 * @property {number} opsPerSec
 * @property {number} iterations decisions in the timed batch
 * @property {number} held keys held after the batch
 *
 * @typedef {object} RssJobResult
 * @property {number} rssMiB resident set after inserting the keys and a full GC
 * @property {number} rssBeforeMiB resident set before (contender built, no key)
 * @property {number} heapUsedMiB
 * @property {number} bytesPerKey (rss after − rss before) ÷ keys
 * @property {number} held keys the contender holds
 * @property {number} insertMs time to insert them
 *
 * @typedef {object} RedisJobResult
 * @property {number} decisionsPerSec
 * @property {number} decisions in the measured run
 * @property {number} refused decisions that were not "allowed" (should be 0)
 * @property {number} cpuUsPerDecision this client process's CPU per decision
 * @property {number} sentPerDecision commands the ioredis client wrote, per decision (= round trips)
 * @property {number} scriptCallsPerDecision EVAL/EVALSHA/FCALL calls Redis counted, per decision
 * @property {number} otherTopLevelPerDecision commands Redis counted that no script ran and that are not script calls, per decision
 * @property {Record<string, number>} commands every command Redis counted (scripts' own calls included), per decision
 * @property {number} serverUsPerDecision Redis CPU inside the script calls (commandstats `usec`, the script's own commands included), per decision
 */

/** The policy every contender runs: every decision is allowed. */
const LIMIT = 1_000_000_000;
const WINDOW_MS = 60_000;
const POLICY = Object.freeze({ name: 'default', limit: LIMIT, windowMs: WINDOW_MS });

/** The sanity check's policy: 3 per minute, so the 4th call on a key must be refused. */
const SMALL = 3;

/** @type {Record<MemoryName, string>} */
const MEMORY_LABELS = {
  'ward-store': 'ward MemoryStore.consume',
  'ward-limiter': 'ward limiter.consume (MemoryStore)',
  rlf: 'rate-limiter-flexible RateLimiterMemory.consume',
  erl: 'express-rate-limit MemoryStore.increment',
  map: 'bare Map token bucket',
};
const MEMORY_NAMES = /** @type {MemoryName[]} */ (Object.keys(MEMORY_LABELS));

/** @type {Record<RedisName, string>} */
const REDIS_LABELS = {
  'ward-store': 'ward RedisStore.consume',
  'ward-limiter': 'ward limiter.consume (RedisStore)',
  rlf: 'rate-limiter-flexible RateLimiterRedis.consume',
  raw: 'raw EVALSHA (minimal token bucket)',
};
const REDIS_NAMES = /** @type {RedisName[]} */ (Object.keys(REDIS_LABELS));

/**
 * The ratios reported, with the targets. `a ÷ b` is median
 * decisions/s of `a` ÷ that of `b`, paired per round as well.
 *
 * @type {{ a: MemoryName, b: MemoryName, target: number | null }[]}
 */
const MEMORY_RATIOS = [
  { a: 'ward-store', b: 'rlf', target: 3 },
  { a: 'ward-store', b: 'map', target: 0.5 },
  { a: 'ward-store', b: 'erl', target: null },
  { a: 'ward-limiter', b: 'rlf', target: null },
  { a: 'ward-limiter', b: 'erl', target: null },
];

/** @type {{ a: RedisName, b: RedisName, target: number | null }[]} */
const REDIS_RATIOS = [
  { a: 'ward-store', b: 'raw', target: 0.9 },
  { a: 'ward-store', b: 'rlf', target: 1.2 },
  { a: 'ward-limiter', b: 'raw', target: null },
  { a: 'ward-limiter', b: 'rlf', target: null },
];

/** The RSS target for ward's MemoryStore at 1 000 000 keys. */
const RSS_TARGET_MIB = 300;

/**
 * The minimal token bucket the raw-EVALSHA contender runs: the state is
 * "tokens at" in one string, the server's clock, one refill, one charge.
 * Fractional tokens; no multi-policy, no exact-integer care.
 */
const RAW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local tokens, at = capacity, now
local raw = redis.call('GET', KEYS[1])
if raw then
  local sp = string.find(raw, ' ', 1, true)
  tokens = tonumber(string.sub(raw, 1, sp - 1))
  at = tonumber(string.sub(raw, sp + 1))
end
if now > at then tokens = math.min(capacity, tokens + (now - at) * perMs) end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('SET', KEYS[1], string.format('%.17g', tokens) .. ' ' .. math.max(now, at), 'PX', ARGV[3])
return allowed
`;

/** Commands that start a script: one round trip each. */
const SCRIPT_CALLS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);
/** Commands Redis counts that a script may have run (the contenders' scripts call only these). */
const SCRIPT_INNER = new Set(['get', 'set', 'time', 'incrby', 'pttl', 'expire']);

// ---------------------------------------------------------------------------
// Keys

/**
 * The i-th client key, shaped like the HTTP default key (`ip:<address>`).
 *
 * @param {number} i
 * @returns {string}
 */
function keyOf(i) {
  return `ip:10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/**
 * The Redis key the limiter builds for `keyOf(i)` (keys.ts:
 * `ward:rl:{default:<key>}`), so RedisStore alone gets keys as long as the
 * limiter passes it. (In memory the limiter decides in a namespace of its
 * own and passes the caller's key as it is: so does the memory contender.)
 *
 * @param {string} key
 * @returns {string}
 */
function wardStoreKey(key) {
  return `ward:rl:{default:${key}}`;
}

/**
 * The `n` keys a timed loop cycles through, built (and their hashes
 * computed by a first pass) before timing, as each contender is called
 * with them.
 *
 * @param {Decider} decider
 * @param {number} n
 * @returns {string[]}
 */
function keysFor(decider, n) {
  const make = decider.storeKey ?? ((/** @type {string} */ key) => key);
  return Array.from({ length: n }, (_, i) => make(keyOf(i)));
}

/**
 * A step through `n` keys that visits each once per cycle, far apart: no
 * contender gets insertion-order locality for free.
 *
 * @param {number} n
 * @returns {number}
 */
function strideOf(n) {
  if (n <= 1) return 0;
  /** @type {(a: number, b: number) => number} */
  const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.floor(n * 0.6180339887) || 1;
  while (gcd(stride, n) !== 1) stride++;
  return stride;
}

// ---------------------------------------------------------------------------
// Contenders (in the child)

/**
 * @param {MemoryName} name
 * @param {number} limit
 * @param {number} maxKeys
 * @returns {Promise<Decider>}
 */
async function memoryDecider(name, limit, maxKeys) {
  if (name === 'ward-store' || name === 'ward-limiter') {
    const { MemoryStore, createRateLimiter } = await import('@ward/rate-limit');
    const { Registry } = await import('prom-client');
    const store = new MemoryStore({ max: Math.max(1_100_000, Math.ceil(maxKeys * 1.1)) });
    // Its own registry: the limiter's counters are really incremented, and a
    // second limiter in this process (the sanity check) does not collide.
    const limiter = createRateLimiter({ policies: [{ ...POLICY, limit }], store, registry: new Registry() });
    if (name === 'ward-limiter') {
      return { call: (key) => limiter.consume(key), ok: (d) => d.allowed, async: true, held: () => store.size };
    }
    const policies = limiter.policies;
    return { call: (key) => store.consume(key, policies, 1), ok: (d) => d.allowed, async: false, held: () => store.size };
  }
  if (name === 'rlf') {
    const { RateLimiterMemory } = (await import('rate-limiter-flexible')).default;
    const rl = new RateLimiterMemory({ points: limit, duration: WINDOW_MS / 1000 });
    const storage = /** @type {{ _memoryStorage: { _storage: Map<string, unknown> } }} */ (/** @type {unknown} */ (rl))._memoryStorage._storage;
    // Resolves when allowed, rejects (with its RateLimiterRes) when not.
    return { call: (key) => rl.consume(key), ok: () => true, async: true, held: () => storage.size };
  }
  if (name === 'erl') {
    const { MemoryStore } = await import('express-rate-limit');
    const store = new MemoryStore();
    store.init(/** @type {import('express-rate-limit').Options} */ ({ windowMs: WINDOW_MS }));
    const internal = /** @type {{ current: Map<string, unknown>, previous: Map<string, unknown> }} */ (/** @type {unknown} */ (store));
    return {
      call: (key) => store.increment(key),
      ok: (info) => info.totalHits <= limit,
      async: true,
      held: () => internal.current.size + internal.previous.size,
    };
  }
  const map = mapBucket(limit, WINDOW_MS);
  return { call: map.consume, ok: (allowed) => allowed, async: false, held: () => map.size() };
}

/**
 * The simplest correct token bucket: a `Map` of `{ tokens, at }`, refilled
 * on each decision by the time elapsed. Unbounded (no eviction, no expiry).
 *
 * @param {number} limit tokens per window, and the capacity
 * @param {number} windowMs
 */
export function mapBucket(limit, windowMs) {
  /** @type {Map<string, { tokens: number, at: number }>} */
  const buckets = new Map();
  const perMs = limit / windowMs;
  return {
    /** @param {string} key */
    consume(key) {
      const now = Date.now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: limit, at: now };
        buckets.set(key, bucket);
      } else if (now > bucket.at) {
        bucket.tokens = Math.min(limit, bucket.tokens + (now - bucket.at) * perMs);
        bucket.at = now;
      }
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
    size: () => buckets.size,
  };
}

/**
 * @param {RedisName} name
 * @param {import('ioredis').Redis} client
 * @param {number} limit
 * @param {string} prefix keeps the sanity check's keys apart from the measured ones
 * @returns {Promise<Decider>}
 */
async function redisDecider(name, client, limit, prefix) {
  if (name === 'ward-store' || name === 'ward-limiter') {
    const { RedisStore, createRateLimiter } = await import('@ward/rate-limit');
    const { Registry } = await import('prom-client');
    const store = new RedisStore({ client });
    // storeTimeoutMs 1 000: the guard's timer is paid on every call as with
    // the default (20 ms), but a GC pause on this shared machine does not
    // turn into failed-open decisions that never reach Redis.
    const limiter = createRateLimiter({
      policies: [{ ...POLICY, limit }],
      store,
      failureMode: 'open',
      storeTimeoutMs: 1_000,
      keyPrefix: `${prefix}ward:rl:`,
      registry: new Registry(),
    });
    if (name === 'ward-limiter') {
      return { call: (key) => limiter.consume(key), ok: (d) => d.allowed && d.source === 'store', async: true };
    }
    const policies = limiter.policies;
    return { call: (key) => store.consume(key, policies, 1), ok: (d) => d.allowed, async: true, storeKey: (key) => `${prefix}${wardStoreKey(key)}` };
  }
  if (name === 'rlf') {
    const { RateLimiterRedis } = (await import('rate-limiter-flexible')).default;
    const rl = new RateLimiterRedis({ storeClient: client, points: limit, duration: WINDOW_MS / 1000, keyPrefix: `${prefix}rlflx` });
    return { call: (key) => rl.consume(key), ok: () => true, async: true };
  }
  const sha = /** @type {string} */ (await client.script('LOAD', RAW_LUA));
  const perMs = limit / WINDOW_MS;
  return { call: (key) => client.evalsha(sha, 1, key, limit, perMs, WINDOW_MS), ok: (allowed) => allowed === 1, async: true, storeKey: (key) => `${prefix}raw:{${key}}` };
}

/**
 * One decision, `true` when allowed, `false` when refused (rejections of
 * rate-limiter-flexible included).
 *
 * @param {Decider} decider
 * @param {string} key
 * @returns {Promise<boolean>}
 */
async function decideOnce(decider, key) {
  try {
    return decider.ok(await decider.call(decider.storeKey?.(key) ?? key));
  } catch (error) {
    // rate-limiter-flexible rejects a refusal with its RateLimiterRes, not an Error.
    if (error instanceof Error) throw error;
    return false;
  }
}

/**
 * Throws unless the contender allows 3 calls on a key and refuses the 4th
 * under a 3-per-minute policy, and allows a second key: a broken limiter
 * is an error, not a figure.
 *
 * @param {string} label
 * @param {Decider} decider
 */
async function checkLimits(label, decider) {
  const answers = [];
  for (let i = 0; i <= SMALL; i++) answers.push(await decideOnce(decider, 'check:a'));
  answers.push(await decideOnce(decider, 'check:b'));
  const expected = [true, true, true, false, true];
  if (JSON.stringify(answers) !== JSON.stringify(expected)) {
    throw new Error(`${label}: with ${SMALL} per minute, 4 calls on one key then 1 on another answered ${JSON.stringify(answers)}, expected ${JSON.stringify(expected)}`);
  }
}

// ---------------------------------------------------------------------------
// Jobs (in the child)

/**
 * Decisions per second at `keys` distinct keys: one pass inserting every
 * key, a warm-up, a calibration, then one timed batch of about `batchMs`.
 *
 * @param {Extract<Job, { part: 'memory' }>} job
 * @returns {Promise<MemoryJobResult>}
 */
async function memoryJob(job) {
  await checkLimits(MEMORY_LABELS[job.name], await memoryDecider(job.name, SMALL, 16));
  const decider = await memoryDecider(job.name, LIMIT, job.keys);
  const keys = keysFor(decider, job.keys);
  const loop = decider.async ? asyncLoop : syncLoop;
  const cursor = { k: 0, stride: strideOf(job.keys) };
  /** @param {number} iterations */
  const timed = async (iterations) => {
    const start = performance.now();
    const allowed = await loop(decider, keys, cursor, iterations);
    const ms = performance.now() - start;
    if (allowed !== iterations) throw new Error(`${MEMORY_LABELS[job.name]}: ${iterations - allowed} of ${iterations} decisions refused under a policy of 1e9 per minute`);
    return (iterations / ms) * 1000;
  };
  await timed(job.keys); // every key inserted
  let iterations = 50_000;
  const warmUntil = performance.now() + Math.min(300, job.batchMs / 2);
  let rate = await timed(iterations);
  while (performance.now() < warmUntil) rate = await timed(iterations);
  iterations = Math.max(50_000, Math.round((rate * job.batchMs) / 1000));
  const opsPerSec = await timed(iterations);
  const held = decider.held?.() ?? Number.NaN;
  if (held !== job.keys) throw new Error(`${MEMORY_LABELS[job.name]}: holds ${held} keys after the batch, expected ${job.keys}`);
  return { opsPerSec, iterations, held };
}

/**
 * @param {Decider} decider
 * @param {readonly string[]} keys
 * @param {{ k: number, stride: number }} cursor
 * @param {number} iterations
 * @returns {number} allowed decisions
 */
function syncLoop(decider, keys, cursor, iterations) {
  const { call, ok } = decider;
  const n = keys.length;
  const stride = cursor.stride;
  let k = cursor.k;
  let allowed = 0;
  for (let i = 0; i < iterations; i++) {
    if (ok(call(/** @type {string} */ (keys[k])))) allowed++;
    k += stride;
    if (k >= n) k -= n;
  }
  cursor.k = k;
  return allowed;
}

/**
 * @param {Decider} decider
 * @param {readonly string[]} keys
 * @param {{ k: number, stride: number }} cursor
 * @param {number} iterations
 * @returns {Promise<number>} allowed decisions
 */
async function asyncLoop(decider, keys, cursor, iterations) {
  const { call, ok } = decider;
  const n = keys.length;
  const stride = cursor.stride;
  let k = cursor.k;
  let allowed = 0;
  for (let i = 0; i < iterations; i++) {
    if (ok(await call(/** @type {string} */ (keys[k])))) allowed++;
    k += stride;
    if (k >= n) k -= n;
  }
  cursor.k = k;
  return allowed;
}

/**
 * RSS after inserting `keys` distinct keys (generated on the fly, so only
 * the contender holds them), after a full GC.
 *
 * @param {Extract<Job, { part: 'rss' }>} job
 * @returns {Promise<RssJobResult>}
 */
async function rssJob(job) {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  if (gc === undefined) throw new Error('the RSS job needs node --expose-gc');
  const decider = await memoryDecider(job.name, LIMIT, job.keys);
  await decideOnce(decider, 'warm');
  gc();
  const before = process.memoryUsage();
  const start = performance.now();
  const make = decider.storeKey ?? ((/** @type {string} */ key) => key);
  if (decider.async) {
    for (let i = 0; i < job.keys; i++) await decider.call(make(keyOf(i)));
  } else {
    for (let i = 0; i < job.keys; i++) decider.call(make(keyOf(i)));
  }
  const insertMs = performance.now() - start;
  gc();
  gc();
  const after = process.memoryUsage();
  const held = (decider.held?.() ?? Number.NaN) - 1;
  if (held !== job.keys) throw new Error(`${MEMORY_LABELS[job.name]}: holds ${held} keys after inserting ${job.keys}`);
  return {
    rssMiB: after.rss / 2 ** 20,
    rssBeforeMiB: before.rss / 2 ** 20,
    heapUsedMiB: after.heapUsed / 2 ** 20,
    bytesPerKey: (after.rss - before.rss) / job.keys,
    held,
    insertMs,
  };
}

/**
 * Decisions per second against Redis with `concurrency` calls outstanding,
 * cycling through `keys` keys; round trips counted on both ends.
 *
 * @param {Extract<Job, { part: 'redis' }>} job
 * @returns {Promise<RedisJobResult>}
 */
async function redisJob(job) {
  const { Redis } = await import('ioredis');
  const options = { host: '127.0.0.1', port: job.port, lazyConnect: true, maxRetriesPerRequest: 1 };
  const admin = new Redis(options);
  const client = new Redis(options);
  await admin.connect();
  await client.connect();
  try {
    // A fresh server state per run: no keys, no cached scripts.
    await admin.flushall();
    await admin.script('FLUSH');
    const label = REDIS_LABELS[job.name];
    await checkLimits(label, await redisDecider(job.name, client, SMALL, 'check:'));
    const decider = await redisDecider(job.name, client, LIMIT, '');
    // Every command this client writes goes through sendCommand (ioredis).
    let sent = 0;
    const send = client.sendCommand;
    client.sendCommand = /** @type {typeof client.sendCommand} */ (
      function sendCommand(/** @type {any} */ command, /** @type {any} */ stream) {
        sent++;
        return send.call(client, command, stream);
      }
    );
    const keys = keysFor(decider, job.keys);
    if (job.warmupSec > 0) await redisLoad(decider, keys, job.concurrency, job.warmupSec * 1000, label);
    const stats0 = await commandStats(admin);
    sent = 0;
    const cpu0 = process.cpuUsage();
    const run = await redisLoad(decider, keys, job.concurrency, job.durationSec * 1000, label);
    const cpu = process.cpuUsage(cpu0);
    const sentDuring = sent;
    const stats1 = await commandStats(admin);
    /** @type {Record<string, number>} */
    const commands = {};
    let scriptCalls = 0;
    let scriptUsec = 0;
    let otherTopLevel = 0;
    for (const [name, now] of stats1) {
      if (name === 'info') continue; // the admin connection's own INFO
      const before = stats0.get(name) ?? { calls: 0, usec: 0 };
      const delta = now.calls - before.calls;
      if (delta === 0) continue;
      commands[name] = delta / run.decisions;
      if (SCRIPT_CALLS.has(name)) {
        scriptCalls += delta;
        scriptUsec += now.usec - before.usec;
      } else if (!SCRIPT_INNER.has(name)) otherTopLevel += delta;
    }
    return {
      decisionsPerSec: (run.decisions / run.ms) * 1000,
      decisions: run.decisions,
      refused: run.refused,
      cpuUsPerDecision: (cpu.user + cpu.system) / run.decisions,
      sentPerDecision: sentDuring / run.decisions,
      scriptCallsPerDecision: scriptCalls / run.decisions,
      otherTopLevelPerDecision: otherTopLevel / run.decisions,
      commands,
      serverUsPerDecision: scriptUsec / run.decisions,
    };
  } finally {
    client.disconnect();
    admin.disconnect();
  }
}

/**
 * `concurrency` loops, each awaiting one decision after another, until
 * `ms` have passed; then the calls in flight are awaited and counted.
 *
 * @param {Decider} decider
 * @param {readonly string[]} keys
 * @param {number} concurrency
 * @param {number} ms
 * @param {string} label
 * @returns {Promise<{ decisions: number, refused: number, ms: number }>}
 */
async function redisLoad(decider, keys, concurrency, ms, label) {
  const { call, ok } = decider;
  const n = keys.length;
  const stride = strideOf(n);
  let k = 0;
  let decisions = 0;
  let refused = 0;
  let stop = false;
  const start = performance.now();
  const timer = setTimeout(() => {
    stop = true;
  }, ms);
  async function worker() {
    while (!stop) {
      const key = /** @type {string} */ (keys[k]);
      k += stride;
      if (k >= n) k -= n;
      if (ok(await call(key))) decisions++;
      else refused++;
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } catch (error) {
    throw new Error(`${label}: a decision failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return { decisions: decisions + refused, refused, ms: performance.now() - start };
}

/**
 * Calls and microseconds per command from `INFO commandstats`
 * (`cmdstat_evalsha:calls=12,usec=345,…`).
 *
 * @param {import('ioredis').Redis} admin
 * @returns {Promise<Map<string, { calls: number, usec: number }>>}
 */
async function commandStats(admin) {
  const text = await admin.info('commandstats');
  /** @type {Map<string, { calls: number, usec: number }>} */
  const stats = new Map();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(/** @type {string} */ (match[1]), { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

/**
 * @param {Job} job
 * @returns {Promise<MemoryJobResult | RssJobResult | RedisJobResult>}
 */
function runJob(job) {
  if (job.part === 'memory') return memoryJob(job);
  if (job.part === 'rss') return rssJob(job);
  return redisJob(job);
}

// ---------------------------------------------------------------------------
// The parent: forks one child per measurement

const SELF = fileURLToPath(import.meta.url);

/**
 * Runs one job in a fresh child process.
 *
 * @template {Job} J
 * @param {J} job
 * @returns {Promise<J extends { part: 'memory' } ? MemoryJobResult : J extends { part: 'rss' } ? RssJobResult : RedisJobResult>}
 */
async function inChild(job) {
  const child = fork(SELF, ['--job', JSON.stringify(job)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
    // RLF's and express-rate-limit's 1 000 000 keys need more old space than the default on a small machine.
    execArgv: ['--expose-gc', '--max-old-space-size=4096'],
  });
  /** @type {unknown} */
  let result;
  /** @type {string | undefined} */
  let failure;
  child.on('message', (message) => {
    const m = /** @type {{ type?: string, result?: unknown, error?: string }} */ (message);
    if (m.type === 'job-result') result = m.result;
    if (m.type === 'job-error') failure = m.error;
  });
  const [code] = await once(child, 'exit');
  if (failure !== undefined) throw new Error(failure);
  if (result === undefined) throw new Error(`${job.part} job ${job.name} exited with code ${code} and no result`);
  return /** @type {any} */ (result);
}

/**
 * @typedef {object} Series
 * @property {string} name
 * @property {string} label
 * @property {number[]} values one per round, in round order
 * @property {number} median
 *
 * @typedef {object} RatioResult
 * @property {string} a
 * @property {string} b
 * @property {string} label `a ÷ b`, by labels
 * @property {number} ratio median of a ÷ median of b
 * @property {number} pairedRatio median of the per-round ratios
 * @property {{ min: number, max: number }} spread of the per-round ratios
 * @property {number | null} target
 * @property {boolean | null} met ratio ≥ target (null without a target)
 */

/**
 * @param {Map<string, number[]>} values per contender, one per round
 * @param {Record<string, string>} labels
 * @param {{ a: string, b: string, target: number | null }[]} wanted
 * @returns {RatioResult[]}
 */
function ratiosOf(values, labels, wanted) {
  return wanted
    .filter((w) => values.has(w.a) && values.has(w.b))
    .map((w) => {
      const a = values.get(w.a) ?? [];
      const b = values.get(w.b) ?? [];
      const paired = pairedRatios(a, b);
      const ratio = median(a) / median(b);
      return {
        a: w.a,
        b: w.b,
        label: `${labels[w.a]} ÷ ${labels[w.b]}`,
        ratio,
        pairedRatio: median(paired),
        spread: spread(paired),
        target: w.target,
        met: w.target === null ? null : ratio >= w.target,
      };
    });
}

/**
 * @param {Map<string, number[]>} values
 * @param {Record<string, string>} labels
 * @returns {Series[]}
 */
function seriesOf(values, labels) {
  return [...values].map(([name, v]) => ({ name, label: labels[name] ?? name, values: v, median: median(v) }));
}

/**
 * Interleaved rounds (ABC…, …CBA) of `names`, one child each.
 *
 * @template {string} N
 * @template R
 * @param {readonly N[]} names
 * @param {number} rounds
 * @param {(name: N) => Promise<R>} run
 * @param {(name: N, round: number, result: R) => void} log
 * @returns {Promise<Map<N, R[]>>}
 */
async function interleaved(names, rounds, run, log) {
  /** @type {Map<N, R[]>} */
  const results = new Map(names.map((n) => [n, []]));
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? names : [...names].reverse();
    for (const name of order) {
      const result = await run(name);
      results.get(name)?.push(result);
      log(name, round, result);
    }
  }
  return results;
}

/**
 * A free loopback port, never 6379 (somebody's Redis).
 *
 * @returns {Promise<number>}
 */
async function freePort() {
  for (;;) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    server.close();
    await once(server, 'close');
    if (address !== null && typeof address !== 'string' && address.port !== 6379) return address.port;
  }
}

/**
 * Waits until something answers `PING` on the port.
 *
 * @param {number} port
 * @param {number} timeoutMs
 */
async function waitForRedis(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pong = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (pong) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

/**
 * Starts a private, throw-away redis-server (no persistence) on a free
 * port, or says why it cannot.
 *
 * @returns {Promise<{ port: number, version: string, stop: () => Promise<void> } | { skipped: string }>}
 */
async function startRedis() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    return {
      skipped:
        `redis-server not found (${/** @type {NodeJS.ErrnoException} */ (probe.error).code ?? probe.error.message}); the Redis part is skipped. ` +
        'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) and rerun; ' +
        'the benchmark starts and stops its own server on a free port.',
    };
  }
  const version = /v=(\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'ward-bench-redis-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const killNow = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  };
  process.once('exit', killNow);
  try {
    await Promise.race([
      waitForRedis(port, 10_000),
      once(server, 'exit').then(([code]) => {
        throw new Error(`redis-server exited at start (code ${code})`);
      }),
    ]);
  } catch (error) {
    killNow();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    version,
    async stop() {
      process.off('exit', killNow);
      if (server.exitCode === null && server.signalCode === null) {
        const exited = once(server, 'exit');
        server.kill('SIGTERM');
        const timer = setTimeout(killNow, 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * @typedef {object} RateLimitStoreResult
 * @property {Peer[]} peers
 * @property {number} rounds
 * @property {{ batchMs: number, keyCounts: { keys: number, contenders: Series[], ratios: RatioResult[] }[] } | null} memory
 * @property {{ keys: number, targetMiB: number, contenders: ({ name: string, label: string } & RssJobResult)[], met: boolean | null } | null} rss
 * @property {{ skipped: string } | {
 *   serverVersion: string, port: number, concurrency: number, keys: number, durationSec: number, warmupSec: number,
 *   contenders: (Series & { roundTripsPerDecision: number, scriptCallsPerDecision: number, otherTopLevelPerDecision: number,
 *     cpuUsPerDecision: number, serverUsPerDecision: number, refused: number, commands: Record<string, number>, oneRoundTrip: boolean })[],
 *   ratios: RatioResult[] } | null} redis
 */

/**
 * Runs the benchmark and returns its figures.
 *
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<RateLimitStoreResult>}
 */
export async function runRateLimitStoreBench(options = {}) {
  const log = options.log ?? (() => {});
  const rounds = envNumber('BENCH_ROUNDS', 5, { integer: true, min: 1, max: 50 });
  const batchMs = envNumber('BENCH_STORE_BATCH_MS', 1000, { integer: true, min: 20, max: 60_000 });
  const rssKeys = envNumber('BENCH_STORE_RSS_KEYS', 1_000_000, { integer: true, min: 1, max: 10_000_000 });
  const durationSec = envNumber('BENCH_DURATION', 5, { integer: true, min: 1, max: 600 });
  const warmupSec = envNumber('BENCH_WARMUP', 1, { integer: true, min: 0, max: 60 });
  const concurrency = envNumber('BENCH_REDIS_CONCURRENCY', 256, { integer: true, min: 1, max: 10_000 });
  const redisKeys = envNumber('BENCH_REDIS_KEYS', 10_000, { integer: true, min: 1, max: 10_000_000 });
  const keyCounts = listEnv('BENCH_STORE_KEYS', '1,10000,1000000').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new RangeError(`BENCH_STORE_KEYS: ${JSON.stringify(s)} is not a key count from 1 to 10 000 000`);
    return n;
  });
  const parts = listEnv('BENCH_STORE_PARTS', 'memory,rss,redis');
  for (const p of parts) if (!['memory', 'rss', 'redis'].includes(p)) throw new RangeError(`BENCH_STORE_PARTS: unknown part ${JSON.stringify(p)}; known: memory, rss, redis`);

  const peers = [
    nodePeer(),
    peer('@ward/rate-limit'),
    peer('lru-cache'),
    peer('rate-limiter-flexible'),
    peer('express-rate-limit'),
  ];

  /** @type {RateLimitStoreResult['memory']} */
  let memory = null;
  if (parts.includes('memory')) {
    memory = { batchMs, keyCounts: [] };
    for (const keys of keyCounts) {
      const results = await interleaved(MEMORY_NAMES, rounds, (name) => inChild({ part: 'memory', name, keys, batchMs }), (name, round, r) =>
        log(`  rate-limit-store memory ${fmtKeys(keys)} keys round ${round}/${rounds} ${name.padEnd(12)} ${fmtOps(r.opsPerSec)}`),
      );
      const values = new Map([...results].map(([name, rs]) => [name, rs.map((r) => r.opsPerSec)]));
      memory.keyCounts.push({ keys, contenders: seriesOf(values, MEMORY_LABELS), ratios: ratiosOf(values, MEMORY_LABELS, MEMORY_RATIOS) });
    }
  }

  /** @type {RateLimitStoreResult['rss']} */
  let rss = null;
  if (parts.includes('rss')) {
    /** @type {({ name: string, label: string } & RssJobResult)[]} */
    const contenders = [];
    for (const name of MEMORY_NAMES) {
      const r = await inChild({ part: 'rss', name, keys: rssKeys });
      contenders.push({ name, label: MEMORY_LABELS[name], ...r });
      log(`  rate-limit-store rss ${fmtKeys(rssKeys)} keys ${name.padEnd(12)} ${r.rssMiB.toFixed(0)} MiB RSS (${r.bytesPerKey.toFixed(0)} B/key, inserted in ${(r.insertMs / 1000).toFixed(1)} s)`);
    }
    const ours = contenders.find((c) => c.name === 'ward-store');
    rss = { keys: rssKeys, targetMiB: RSS_TARGET_MIB, contenders, met: ours === undefined || rssKeys !== 1_000_000 ? null : ours.rssMiB <= RSS_TARGET_MIB };
  }

  /** @type {RateLimitStoreResult['redis']} */
  let redis = null;
  if (parts.includes('redis')) {
    const server = await startRedis();
    if ('skipped' in server) {
      log(`  rate-limit-store redis: SKIPPED — ${server.skipped}`);
      redis = { skipped: server.skipped };
    } else {
      try {
        peers.push({ name: 'redis-server', version: server.version }, peer('ioredis'));
        log(`  rate-limit-store redis: private redis-server ${server.version} on 127.0.0.1:${server.port}`);
        const results = await interleaved(
          REDIS_NAMES,
          rounds,
          (name) => inChild({ part: 'redis', name, port: server.port, keys: redisKeys, concurrency, warmupSec, durationSec }),
          (name, round, r) =>
            log(
              `  rate-limit-store redis round ${round}/${rounds} ${name.padEnd(12)} ${fmtOps(r.decisionsPerSec)}, ` +
                `${r.sentPerDecision.toFixed(3)} round trips/decision, ${r.cpuUsPerDecision.toFixed(1)} µs client CPU/decision, ${r.serverUsPerDecision.toFixed(1)} µs in Redis/decision`,
            ),
        );
        const values = new Map([...results].map(([name, rs]) => [name, rs.map((r) => r.decisionsPerSec)]));
        redis = {
          serverVersion: server.version,
          port: server.port,
          concurrency,
          keys: redisKeys,
          durationSec,
          warmupSec,
          contenders: seriesOf(values, REDIS_LABELS).map((s) => {
            const rs = results.get(/** @type {RedisName} */ (s.name)) ?? [];
            const roundTrips = Math.max(...rs.map((r) => r.sentPerDecision));
            const scriptCalls = Math.max(...rs.map((r) => r.scriptCallsPerDecision));
            const other = Math.max(...rs.map((r) => r.otherTopLevelPerDecision));
            return {
              ...s,
              roundTripsPerDecision: roundTrips,
              scriptCallsPerDecision: scriptCalls,
              otherTopLevelPerDecision: other,
              cpuUsPerDecision: median(rs.map((r) => r.cpuUsPerDecision)),
              serverUsPerDecision: median(rs.map((r) => r.serverUsPerDecision)),
              refused: rs.reduce((sum, r) => sum + r.refused, 0),
              commands: rs[rs.length - 1]?.commands ?? {},
              // Every round: exactly one command written per decision, and Redis saw exactly one script call per decision.
              oneRoundTrip: rs.every((r) => Math.abs(r.sentPerDecision - 1) < 1e-9 && Math.abs(r.scriptCallsPerDecision - 1) < 1e-9 && r.otherTopLevelPerDecision === 0),
            };
          }),
          ratios: ratiosOf(values, REDIS_LABELS, REDIS_RATIOS),
        };
      } finally {
        await server.stop();
      }
    }
  }
  return { peers, rounds, memory, rss, redis };
}

/**
 * @param {string} name
 * @param {string} fallback
 * @returns {string[]}
 */
function listEnv(name, fallback) {
  const raw = process.env[name];
  const text = raw === undefined || raw.trim() === '' ? fallback : raw;
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * @param {number} n
 * @returns {string}
 */
function fmtKeys(n) {
  return n.toLocaleString('en-US');
}

/**
 * @param {number} ops
 * @returns {string}
 */
function fmtOps(ops) {
  return ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M/s` : `${(ops / 1e3).toFixed(1)} k/s`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv[2] === '--job') {
  const job = /** @type {Job} */ (JSON.parse(process.argv[3] ?? '{}'));
  try {
    const result = await runJob(job);
    process.send?.({ type: 'job-result', result });
    if (!process.send) console.log(JSON.stringify(result));
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (process.send) process.send({ type: 'job-error', error: text });
    else console.error(text);
    process.exitCode = 1;
  }
} else if (isMain) {
  const result = await runRateLimitStoreBench({ log: (line) => console.log(line) });
  if (process.send) {
    process.send({ type: 'rate-limit-store-result', result }); // bench/run.js prints and saves it
  } else {
    const { rateLimitStoreText } = await import('./lib/report.js');
    console.log(rateLimitStoreText(result));
  }
}
