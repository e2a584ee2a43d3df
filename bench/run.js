/**
 * `npm run bench`: every benchmark of ward, with the servers in child
 * processes and autocannon in this one.
 *
 * 1. Adapter overhead: a ward chain with one pass-through middleware, and
 *    with `httpMetrics()`, on node:http, Express and Fastify, each as a
 *    ratio to the bare framework.
 * 2. The engine serving `GET /api/v1/users/:id` of the example against
 *    node:http with a hand-written router (target ≥ 90 %).
 * 3. The six edge middleware together (request id, access log, recovery,
 *    timeout, security headers, CORS) on the engine, Express and Fastify,
 *    as a ratio to the bare framework and to the peer chain on it
 *    (target ≥ 85 % of bare, and ahead of the peers).
 * 4. Router lookups: the engine's `Router` against find-my-way.
 * 5. Rate limiting (issue "rate-limit"): `rateLimit()` with a limit nobody
 *    reaches on Express and Fastify against the bare framework and the
 *    peer limiter (target ≥ 95 % of bare), and the stores alone
 *    (rate-limit-store.js: memory at 1 / 10 000 / 1 000 000 keys, RSS,
 *    Redis with 256 calls outstanding).
 *
 * Rounds are interleaved (bare, ward, metrics, then metrics, ward, bare, …)
 * and medians reported, so slow moments of a shared machine hit every
 * variant, and none always runs first.
 * Results: a table on stdout, bench/results/latest.json and latest.md.
 *
 * Environment (all optional):
 * - BENCH_ROUNDS       rounds per comparison (default 5)
 * - BENCH_DURATION     measured seconds per run (default 5)
 * - BENCH_WARMUP       warm-up seconds per run, discarded (default 1)
 * - BENCH_CONNECTIONS  autocannon connections (default 50)
 * - BENCH_PIPELINING   autocannon pipelining (default 1)
 * - BENCH_ONLY         comma-separated suites: node, express, fastify, engine,
 *                      edge-engine, edge-express, edge-fastify, router,
 *                      rate-limit-express, rate-limit-fastify, rate-limit-refused-express,
 *                      rate-limit-refused-fastify, rate-limit-store, auth-verify,
 *                      circuit-breaker, circuit-breaker-fastify (default all)
 */
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { authVerifyText } from './auth-verify.js';
import { circuitBreakerText } from './circuit-breaker.js';
import { measure, verify } from './lib/load.js';
import { httpSuiteText, markdown, rateLimitStoreText, routerText } from './lib/report.js';
import { startServer } from './lib/server-process.js';
import { envNumber, median, pairedRatios, spread } from './lib/stats.js';
import { checkPayload } from './servers/payload.js';
import { EDGE_REQUEST_HEADERS, checkBare, checkEdge } from './servers/edge.js';
import { checkExpressRateLimit, checkFastifyRateLimit, checkNoLimiter, checkPeerRefused, checkWardLimiter, checkWardRefused } from './servers/rate-limit.js';
import { AUTH_HEADERS, HONO_AUTH_HEADERS, checkAllowed, checkRefused } from './servers/auth.js';
import { checkApicacheHit, checkCachedPayload, checkWardHit } from './servers/cache.js';

/**
 * @typedef {import('./lib/report.js').HttpSuiteResult} HttpSuiteResult
 * @typedef {import('./lib/report.js').RouterResult} RouterResult
 * @typedef {import('./lib/report.js').RateLimitStoreResult} RateLimitStoreResult
 * @typedef {import('./lib/peers.js').Peer} Peer
 *
 * @typedef {(status: number, body: string, headers: Headers) => string | undefined} AnswerCheck
 *   a complaint about the answer checked before loading, or undefined when fine
 *
 * @typedef {object} HttpSuite
 * @property {string} id
 * @property {string} title
 * @property {string} script file under bench/servers/
 * @property {string} baseline
 * @property {{ name: string, label: string, check?: AnswerCheck, anonymous?: AnswerCheck, prime?: boolean }[]} variants baseline first; `check` replaces the suite's
 *   for that variant; `anonymous`, when given, checks the answer to a request without the suite's headers too
 *   (an auth variant must refuse it: a server that lets everyone in is never measured); `prime`: one unchecked
 *   request first (a cache variant stores its answer, so the check and the load see hits)
 * @property {number | null} target
 * @property {string[]} [targetVariants] the variants the target applies to (default: every one but the baseline)
 * @property {{ variant: string, against: string, target?: number | null }[]} [compare] further head-to-head ratios (e.g. ward ÷ peers), reported beside the ratios to the baseline; `target`: the ratio to exceed (default 1: ward should beat them), `null` for information only
 * @property {Readonly<Record<string, string>>} [headers] request headers sent with every request (verification and load)
 * @property {number} [expectStatus] the status every loaded answer must have (default any 2xx; others count as problems)
 * @property {AnswerCheck} check
 */

/** @type {HttpSuite[]} */
const HTTP_SUITES = [
  {
    id: 'node',
    title: 'node:http: wardListener overhead',
    script: 'node.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'createServer(handler)' },
      { name: 'ward', label: 'wardListener([passThrough], handler)' },
      { name: 'metrics', label: 'wardListener([httpMetrics()], handler)' },
    ],
    target: null,
    check: checkPayload,
  },
  {
    id: 'express',
    title: 'Express: ward() overhead',
    script: 'express.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare res.json route' },
      { name: 'ward', label: 'app.use(ward([passThrough]))' },
      { name: 'metrics', label: 'app.use(ward([httpMetrics()]))' },
    ],
    target: 0.97,
    check: checkPayload,
  },
  {
    id: 'fastify',
    title: 'Fastify: ward() plugin overhead',
    script: 'fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route' },
      { name: 'ward', label: 'register(ward([passThrough]))' },
      { name: 'metrics', label: 'register(ward([httpMetrics()]))' },
    ],
    target: 0.97,
    check: checkPayload,
  },
  {
    id: 'engine',
    title: 'Engine vs hand-routed node:http: GET /api/v1/users/:id',
    script: 'users.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'node:http + hand-written router' },
      { name: 'engine', label: '@ward/engine (example routes)' },
    ],
    target: 0.9,
    check(status, body) {
      if (status !== 200) return 'expected status 200';
      const user = /** @type {{ email?: unknown }} */ (JSON.parse(body));
      return user.email === 'user49@example.com' ? undefined : 'expected the 50th seeded user';
    },
  },
  // The six edge middleware of issue 3 together (servers/edge.js), with an
  // allowed Origin on every request so CORS does its real work.
  {
    id: 'edge-engine',
    title: 'Edge middleware on the engine: the six together',
    script: 'edge-engine.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'Engine, route only', check: checkBare },
      { name: 'ward', label: 'engine.use(...six)' },
    ],
    target: 0.85,
    headers: EDGE_REQUEST_HEADERS,
    check: checkEdge,
  },
  {
    id: 'edge-express',
    title: 'Edge middleware on Express: the six vs the peer chain',
    script: 'edge-express.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare res.json route', check: checkBare },
      { name: 'ward', label: 'app.use(ward([...six]))' },
      { name: 'peers', label: 'express-request-id + connect-timeout + helmet + cors' },
    ],
    target: 0.85,
    targetVariants: ['ward'],
    compare: [{ variant: 'ward', against: 'peers' }],
    headers: EDGE_REQUEST_HEADERS,
    check: checkEdge,
  },
  {
    id: 'edge-fastify',
    title: 'Edge middleware on Fastify: the six vs the peer chain',
    script: 'edge-fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route', check: checkBare },
      { name: 'ward', label: 'register(ward([...six]))' },
      { name: 'peers', label: 'genReqId + @fastify/helmet + @fastify/cors' },
    ],
    target: 0.85,
    targetVariants: ['ward'],
    compare: [{ variant: 'ward', against: 'peers' }],
    headers: EDGE_REQUEST_HEADERS,
    check: checkEdge,
  },
  // Issue "rate-limit": a limiter that allows every request (1e9 per
  // minute), so what is measured is the per-request cost of deciding and
  // sending the fields (servers/rate-limit.js).
  {
    id: 'rate-limit-express',
    title: 'Rate limiting on Express: rateLimit() vs express-rate-limit',
    script: 'rate-limit-express.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare res.json route', check: checkNoLimiter },
      { name: 'ward', label: 'app.use(ward([rateLimit(1e9/min)]))', check: checkWardLimiter },
      { name: 'peers', label: 'express-rate-limit (1e9/min, draft-8)', check: checkExpressRateLimit },
    ],
    target: 0.95,
    targetVariants: ['ward'],
    compare: [{ variant: 'ward', against: 'peers', target: null }],
    check: checkNoLimiter,
  },
  {
    id: 'circuit-breaker-fastify',
    title: 'A route behind a closed circuit breaker on Fastify: circuitBreaker() vs @fastify/circuit-breaker',
    script: 'circuit-breaker-fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route' },
      { name: 'pass', label: 'register(ward([passThrough])) (the adapter alone)' },
      { name: 'ward', label: 'register(ward([circuitBreaker()]))' },
      { name: 'peers', label: '@fastify/circuit-breaker preHandler' },
    ],
    target: null,
    compare: [
      { variant: 'ward', against: 'pass', target: null },
      { variant: 'ward', against: 'peers', target: null },
    ],
    check: checkPayload,
  },
  {
    id: 'rate-limit-fastify',
    title: 'Rate limiting on Fastify: rateLimit() vs @fastify/rate-limit',
    script: 'rate-limit-fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route', check: checkNoLimiter },
      { name: 'ward', label: 'register(ward([rateLimit(1e9/min)]))', check: checkWardLimiter },
      { name: 'peers', label: '@fastify/rate-limit (1e9/min, draft spec)', check: checkFastifyRateLimit },
    ],
    target: 0.95,
    targetVariants: ['ward'],
    compare: [{ variant: 'ward', against: 'peers', target: null }],
    check: checkNoLimiter,
  },
  // Issue "rate-limit": the refusal path, what a flood costs (every request answered 429).
  {
    id: 'rate-limit-refused-express',
    title: 'Refusals on Express: rateLimit() vs express-rate-limit, every request answered 429',
    script: 'rate-limit-express.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare res.json route (200, for scale)', check: checkNoLimiter },
      { name: 'ward-refuse', label: 'app.use(ward([rateLimit(1/hour)])): 429', check: checkWardRefused, prime: true },
      { name: 'peers-refuse', label: 'express-rate-limit (1/hour, draft-8): 429', check: checkPeerRefused, prime: true },
    ],
    target: null,
    compare: [{ variant: 'ward-refuse', against: 'peers-refuse', target: null }],
    expectStatus: 429,
    check: checkNoLimiter,
  },
  {
    id: 'rate-limit-refused-fastify',
    title: 'Refusals on Fastify: rateLimit() vs @fastify/rate-limit, every request answered 429',
    script: 'rate-limit-fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route (200, for scale)', check: checkNoLimiter },
      { name: 'ward-refuse', label: 'register(ward([rateLimit(1/hour)])): 429', check: checkWardRefused, prime: true },
      { name: 'peers-refuse', label: '@fastify/rate-limit (1/hour, draft spec): 429', check: checkPeerRefused, prime: true },
    ],
    target: null,
    compare: [{ variant: 'ward-refuse', against: 'peers-refuse', target: null }],
    expectStatus: 429,
    check: checkNoLimiter,
  },
  // Issue "auth": jwtAuth + rbac().requireRole('admin') on repeated tokens
  // (the verified-token cache), against the bare framework and the peer
  // JWT chain on it (servers/auth.js: one HS256 token, roles ['admin']).
  {
    id: 'auth-engine',
    title: 'JWT + RBAC on the engine: jwtAuth + requireRole vs bare',
    script: 'auth-engine.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'Engine, route only' },
      { name: 'ward', label: 'engine.use(jwtAuth, requireRole(admin))', anonymous: checkRefused },
    ],
    target: 0.85,
    headers: AUTH_HEADERS,
    check: checkAllowed,
  },
  {
    id: 'auth-express',
    title: 'JWT + RBAC on Express: jwtAuth + requireRole vs express-jwt',
    script: 'auth-express.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare res.json route' },
      { name: 'pass', label: 'app.use(ward([passThrough])) (the adapter alone)' },
      { name: 'ward', label: 'app.use(ward([jwtAuth, requireRole(admin)]))', anonymous: checkRefused },
      { name: 'peers', label: 'express-jwt (KeyObject secret) + role check', anonymous: checkRefused },
    ],
    target: 0.85,
    targetVariants: ['ward'],
    compare: [{ variant: 'ward', against: 'peers' }],
    headers: AUTH_HEADERS,
    check: checkAllowed,
  },
  {
    id: 'auth-fastify',
    title: 'JWT + RBAC on Fastify: jwtAuth + requireRole vs @fastify/jwt',
    script: 'auth-fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route' },
      { name: 'pass', label: 'register(ward([passThrough])) (the adapter alone)' },
      { name: 'ward', label: 'register(ward([jwtAuth, requireRole(admin)]))', anonymous: checkRefused },
      { name: 'peers', label: '@fastify/jwt (onRequest jwtVerify) + role check', anonymous: checkRefused },
    ],
    target: 0.85,
    targetVariants: ['ward'],
    compare: [{ variant: 'ward', against: 'peers' }],
    headers: AUTH_HEADERS,
    check: checkAllowed,
  },
  {
    id: 'cache-engine',
    title: 'Response cache on the engine: memory hits vs the bare route, and vs a 1 ms handler uncached',
    script: 'cache-engine.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'route answering a constant' },
      { name: 'hit', label: 'responseCache() hit', check: checkWardHit, prime: true },
      { name: 'slow', label: '1 ms (CPU) handler, uncached' },
      { name: 'slow-hit', label: '1 ms handler behind responseCache(), hit', check: checkWardHit, prime: true },
    ],
    target: 0.9,
    targetVariants: ['hit'],
    compare: [{ variant: 'slow-hit', against: 'slow', target: 3 }],
    check: checkCachedPayload,
  },
  {
    id: 'cache-express',
    title: 'Response cache on Express: memory hits vs the bare route, apicache, and a 1 ms handler uncached',
    script: 'cache-express.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare res.json route' },
      { name: 'hit', label: 'ward([responseCache()]) hit', check: checkWardHit, prime: true },
      { name: 'peers', label: "apicache.middleware('1 hour') hit", check: checkApicacheHit, prime: true },
      { name: 'slow', label: '1 ms (CPU) handler, uncached' },
      { name: 'slow-hit', label: '1 ms handler behind ward([responseCache()]), hit', check: checkWardHit, prime: true },
    ],
    target: 0.9,
    targetVariants: ['hit'],
    compare: [
      { variant: 'hit', against: 'peers', target: 1.5 },
      { variant: 'slow-hit', against: 'slow', target: 3 },
    ],
    check: checkCachedPayload,
  },
  {
    id: 'cache-fastify',
    title: 'Response cache on Fastify: memory hits vs the bare route, and vs a 1 ms handler uncached',
    script: 'cache-fastify.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'bare route' },
      { name: 'hit', label: 'register(ward([responseCache()])) hit', check: checkWardHit, prime: true },
      { name: 'slow', label: '1 ms (CPU) handler, uncached' },
      { name: 'slow-hit', label: '1 ms handler behind the cache, hit', check: checkWardHit, prime: true },
    ],
    target: 0.9,
    targetVariants: ['hit'],
    compare: [{ variant: 'slow-hit', against: 'slow', target: 3 }],
    check: checkCachedPayload,
  },
  {
    id: 'auth-hono',
    title: 'JWT on Hono (reference: no ward adapter): hono/jwt vs bare Hono',
    script: 'auth-hono.js',
    baseline: 'bare',
    variants: [
      { name: 'bare', label: 'Hono on @hono/node-server' },
      { name: 'peers', label: 'hono/jwt + role check', anonymous: checkRefused },
    ],
    target: null,
    headers: HONO_AUTH_HEADERS,
    check: checkAllowed,
  },
];

const SUITE_IDS = [...HTTP_SUITES.map((s) => s.id), 'router', 'rate-limit-store', 'auth-verify', 'circuit-breaker'];

function readSettings() {
  const only = (process.env['BENCH_ONLY'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of only) {
    if (!SUITE_IDS.includes(id)) throw new RangeError(`BENCH_ONLY: unknown suite ${JSON.stringify(id)}; known: ${SUITE_IDS.join(', ')}`);
  }
  return {
    rounds: envNumber('BENCH_ROUNDS', 5, { integer: true, min: 1, max: 50 }),
    durationSec: envNumber('BENCH_DURATION', 5, { integer: true, min: 1, max: 600 }),
    warmupSec: envNumber('BENCH_WARMUP', 1, { integer: true, min: 0, max: 60 }),
    connections: envNumber('BENCH_CONNECTIONS', 50, { integer: true, min: 1, max: 1000 }),
    pipelining: envNumber('BENCH_PIPELINING', 1, { integer: true, min: 1, max: 100 }),
    only: only.length === 0 ? SUITE_IDS : only,
  };
}

/**
 * Runs one HTTP comparison: per round, each variant in a fresh server
 * process, the order reversed every other round.
 *
 * @param {HttpSuite} suite
 * @param {ReturnType<typeof readSettings>} settings
 * @returns {Promise<HttpSuiteResult>}
 */
async function runHttpSuite(suite, settings) {
  /** @type {Map<string, import('./lib/load.js').LoadResult[]>} */
  const runs = new Map(suite.variants.map((v) => [v.name, []]));
  /** @type {Map<string, Peer>} */
  const peers = new Map();
  let path = '/';
  for (let round = 1; round <= settings.rounds; round++) {
    // ABC, CBA, ABC…: interleaved, and no variant always runs first or last.
    const order = round % 2 === 1 ? suite.variants : [...suite.variants].reverse();
    for (const variant of order) {
      const server = await startServer(suite.script, variant.name);
      try {
        for (const p of server.peers) peers.set(p.name, p);
        path = new URL(server.url).pathname;
        // A cache variant: one request stores the answer, so the check (and the load) see hits.
        if (variant.prime === true) await fetch(server.url, { headers: { ...suite.headers } }).then((res) => res.text());
        await verify(server.url, variant.check ?? suite.check, suite.headers);
        if (variant.anonymous !== undefined) await verify(server.url, variant.anonymous);
        const load = {
          ...settings,
          ...(suite.headers === undefined ? {} : { headers: suite.headers }),
          // The baseline of a refusal suite answers 200: only the refusing variants must answer expectStatus.
          ...(suite.expectStatus === undefined || variant.name === suite.baseline ? {} : { expectStatus: suite.expectStatus }),
        };
        const result = await measure(server.url, load, { settle: server.settle, before: server.markCpu, after: server.readCpu });
        runs.get(variant.name)?.push(result);
        const cpu = result.cpuUsPerRequest === null ? '' : `, ${result.cpuUsPerRequest.toFixed(1)} µs CPU/req`;
        const gc = result.gcUsPerRequest === null || result.allocBytesPerRequest === null ? '' : ` (GC ${result.gcUsPerRequest.toFixed(1)} µs, ${(result.allocBytesPerRequest / 1024).toFixed(1)} KiB allocated)`;
        process.stdout.write(`  ${suite.id} round ${round}/${settings.rounds} ${variant.name.padEnd(8)} ${Math.round(result.rps)} req/s${cpu}${gc}\n`);
      } finally {
        await server.stop();
      }
    }
  }
  const baselineRps = (runs.get(suite.baseline) ?? []).map((r) => r.rps);
  const baselineCpu = (runs.get(suite.baseline) ?? []).map(cpuOf);
  return {
    id: suite.id,
    title: suite.title,
    path,
    baseline: suite.baseline,
    target: suite.target,
    ...(suite.targetVariants === undefined ? {} : { targetVariants: suite.targetVariants }),
    ...(suite.compare === undefined ? {} : { comparisons: suite.compare.map((c) => ({ ...compareVariants(runs, c.variant, c.against), ...(c.target === undefined ? {} : { target: c.target }) })) }),
    ...(suite.headers === undefined ? {} : { requestHeaders: { ...suite.headers } }),
    peers: [...peers.values()],
    variants: suite.variants.map((v) => {
      const rounds = runs.get(v.name) ?? [];
      const rps = rounds.map((r) => r.rps);
      const isBaseline = v.name === suite.baseline;
      return {
        variant: v.name,
        label: v.label,
        rounds,
        medianRps: median(rps),
        medianP50Ms: median(rounds.map((r) => r.p50Ms)),
        medianP99Ms: median(rounds.map((r) => r.p99Ms)),
        ratio: isBaseline ? null : median(rps) / median(baselineRps),
        pairedRatio: isBaseline ? null : median(pairedRatios(rps, baselineRps)),
        ratioSpread: isBaseline ? null : spread(pairedRatios(rps, baselineRps)),
        medianCpuUs: median(rounds.map(cpuOf)),
        medianGcUs: median(rounds.map((r) => r.gcUsPerRequest ?? Number.NaN)),
        medianAllocBytes: median(rounds.map((r) => r.allocBytesPerRequest ?? Number.NaN)),
        // Baseline CPU ÷ variant CPU: the share of the baseline's throughput
        // the variant would keep on a CPU-bound server.
        cpuRatio: isBaseline ? null : median(pairedRatios(baselineCpu, rounds.map(cpuOf))),
        cpuRatioSpread: isBaseline ? null : spread(pairedRatios(baselineCpu, rounds.map(cpuOf))),
        errors: rounds.reduce((sum, r) => sum + r.errors, 0),
        non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
      };
    }),
  };
}

/**
 * One variant against another that ran beside it in every round (ward ÷
 * peers): the same ratios as against the baseline.
 *
 * @param {Map<string, import('./lib/load.js').LoadResult[]>} runs
 * @param {string} variant
 * @param {string} against
 * @returns {import('./lib/report.js').Comparison}
 */
function compareVariants(runs, variant, against) {
  const a = runs.get(variant) ?? [];
  const b = runs.get(against) ?? [];
  const rps = pairedRatios(a.map((r) => r.rps), b.map((r) => r.rps));
  // Their CPU ÷ ours: above 1 when the variant spends less CPU per request.
  const cpu = pairedRatios(b.map(cpuOf), a.map(cpuOf));
  return {
    variant,
    against,
    ratio: median(a.map((r) => r.rps)) / median(b.map((r) => r.rps)),
    pairedRatio: median(rps),
    ratioSpread: spread(rps),
    cpuRatio: median(cpu),
    cpuRatioSpread: spread(cpu),
  };
}

/**
 * @param {import('./lib/load.js').LoadResult} r
 * @returns {number}
 */
function cpuOf(r) {
  return r.cpuUsPerRequest ?? Number.NaN;
}

/**
 * Runs one in-process benchmark script in a child of its own (so no other
 * suite's JIT state carries over) and returns the result it sends back as
 * `{ type, result }`.
 *
 * @template T
 * @param {string} script file under bench/
 * @param {string} type the message type carrying the result
 * @param {Record<string, string>} env added to the child's environment (NODE_ENV is production)
 * @returns {Promise<T>}
 */
async function runInChild(script, type, env) {
  const child = fork(fileURLToPath(new URL(`./${script}`, import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env, NODE_ENV: 'production' },
  });
  /** @type {T | undefined} */
  let result;
  child.on('message', (message) => {
    const m = /** @type {{ type?: string, result?: T }} */ (message);
    if (m.type === type) result = m.result;
  });
  const [code] = await once(child, 'exit');
  if (result === undefined) throw new Error(`${script} exited with code ${code} and no result`);
  return result;
}

/**
 * The router micro-benchmark, in its own process (its JIT state stays
 * apart from autocannon's).
 *
 * @param {ReturnType<typeof readSettings>} settings
 * @returns {Promise<RouterResult>}
 */
async function runRouterSuite(settings) {
  return /** @type {Promise<RouterResult>} */ (runInChild('router.js', 'router-result', { BENCH_ROUNDS: String(settings.rounds) }));
}

/**
 * The rate-limit store benchmark, in its own process (which forks one
 * child per measurement, and starts and stops its own redis-server).
 *
 * @param {ReturnType<typeof readSettings>} settings
 * @returns {Promise<RateLimitStoreResult>}
 */
async function runRateLimitStoreSuite(settings) {
  return /** @type {Promise<RateLimitStoreResult>} */ (runInChild('rate-limit-store.js', 'rate-limit-store-result', { BENCH_ROUNDS: String(settings.rounds), BENCH_DURATION: String(settings.durationSec), BENCH_WARMUP: String(settings.warmupSec) }));
}

/**
 * Circuit breaker and retry on the success path, in one process
 * (bench/circuit-breaker.js), in its own child.
 *
 * @param {ReturnType<typeof readSettings>} settings
 * @returns {Promise<import('./circuit-breaker.js').CircuitBreakerResult>}
 */
async function runCircuitBreakerSuite(settings) {
  return /** @type {Promise<import('./circuit-breaker.js').CircuitBreakerResult>} */ (runInChild('circuit-breaker.js', 'circuit-breaker-result', { BENCH_ROUNDS: String(settings.rounds) }));
}

/**
 * Access-token verification in one process (bench/auth-verify.js), in its
 * own child so no server's JIT state carries over.
 *
 * @param {ReturnType<typeof readSettings>} settings
 * @returns {Promise<import('./auth-verify.js').AuthVerifyResult>}
 */
async function runAuthVerifySuite(settings) {
  return /** @type {Promise<import('./auth-verify.js').AuthVerifyResult>} */ (runInChild('auth-verify.js', 'auth-verify-result', { BENCH_ROUNDS: String(settings.rounds) }));
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function loadAverage() {
  return os.loadavg().map((n) => n.toFixed(2)).join(' ');
}

async function main() {
  const settings = readSettings();
  const startedAt = new Date().toISOString();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    commit: gitCommit(),
    loadBefore: loadAverage(),
    loadAfter: '',
  };
  console.log(
    `ward bench: ${settings.rounds} rounds × (${settings.warmupSec} s warm-up + ${settings.durationSec} s), ` +
      `${settings.connections} connections, pipelining ${settings.pipelining}; ` +
      `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadBefore}`,
  );
  if (machine.cpus <= 2) console.log('note: 2 or fewer cores: load generator and server share them; compare ratios, not absolute req/s.');
  const busy = (os.loadavg()[0] ?? 0) > machine.cpus * 0.5;
  if (busy) console.log(`warning: the machine is busy (load ${machine.loadBefore} on ${machine.cpus} cores): expect noisy figures.`);

  /** @type {HttpSuiteResult[]} */
  const http = [];
  for (const suite of HTTP_SUITES) {
    if (!settings.only.includes(suite.id)) continue;
    console.log(`\n${suite.title}`);
    const result = await runHttpSuite(suite, settings);
    http.push(result);
    console.log(httpSuiteText(result));
  }
  /** @type {RouterResult | null} */
  let router = null;
  if (settings.only.includes('router')) {
    console.log('\nRouter lookups');
    router = await runRouterSuite(settings);
    console.log(routerText(router));
  }
  /** @type {RateLimitStoreResult | null} */
  let rateLimitStore = null;
  if (settings.only.includes('rate-limit-store')) {
    console.log('\nRate-limit stores');
    rateLimitStore = await runRateLimitStoreSuite(settings);
    console.log(rateLimitStoreText(rateLimitStore));
  }

  /** @type {import('./auth-verify.js').AuthVerifyResult | null} */
  let authVerify = null;
  if (settings.only.includes('auth-verify')) {
    console.log('\nAccess-token verification (no HTTP)');
    authVerify = await runAuthVerifySuite(settings);
    console.log(authVerifyText(authVerify));
  }

  /** @type {import('./circuit-breaker.js').CircuitBreakerResult | null} */
  let circuitBreaker = null;
  if (settings.only.includes('circuit-breaker')) {
    console.log('\nCircuit breaker and retry, success path (no HTTP)');
    circuitBreaker = await runCircuitBreakerSuite(settings);
    console.log(circuitBreakerText(circuitBreaker));
  }

  machine.loadAfter = loadAverage();
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    settings: {
      rounds: settings.rounds,
      durationSec: settings.durationSec,
      warmupSec: settings.warmupSec,
      connections: settings.connections,
      pipelining: settings.pipelining,
    },
    http,
    router,
    rateLimitStore,
    authVerify,
    circuitBreaker,
  };
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('latest.json', dir), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(new URL('latest.md', dir), markdown(report));
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.md`);
}

await main();
