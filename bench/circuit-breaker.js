/**
 * `node bench/circuit-breaker.js` (also `BENCH_ONLY=circuit-breaker npm run bench`):
 * the success path of a breaker and of retry + breaker, in one process, no
 * HTTP (issue "circuit-breaker"), with `fn = async () => 1`:
 *
 * - direct `await fn()` — the ceiling;
 * - ward `breaker.execute(fn)` (count window, metrics on) — targets:
 *   ≥ 0.5× direct, ≥ 2× cockatiel, ≥ 10× opossum;
 * - cockatiel `circuitBreaker(handleAll, { breaker: new CountBreaker(…) })`;
 * - opossum `new CircuitBreaker(fn).fire()` with its default 10 s timeout
 *   (a timer per call), and with `timeout: false`;
 * - ward `retryPolicy().execute(() => breaker.execute(fn))` against
 *   cockatiel's `wrap(retry(…), breaker)` — target ≥ 2×.
 *
 * Each round times every contender once, in alternating order (ABC, CBA…);
 * the ratios are medians of the per-round ratios, so a slow moment of a
 * shared machine hits both sides of a ratio.
 * Env: BENCH_ROUNDS (default 5), BENCH_BREAKER_MS (time per timed batch, default 400).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CircuitBreaker as WardBreaker, retryPolicy } from '@ward/circuit-breaker';
import { CountBreaker, ExponentialBackoff, circuitBreaker, handleAll, retry, wrap } from 'cockatiel';
import Opossum from 'opossum';
import { Registry } from 'prom-client';
import { peer } from './lib/peers.js';
import { envNumber, median } from './lib/stats.js';

/**
 * @typedef {{ name: string, run: () => unknown }} Contender
 * @typedef {{ contender: string, medianOps: number, rounds: number[] }} BreakerRow
 * @typedef {{ label: string, ratio: number, target: number | null, met: boolean | null }} BreakerRatio
 * @typedef {{ rounds: number, batchMs: number, rows: BreakerRow[], ratios: BreakerRatio[], peers: import('./lib/peers.js').Peer[] }} CircuitBreakerResult
 */

/** Calls `run` for about `ms`, awaiting each call, and returns calls per second. */
async function timed(/** @type {() => unknown} */ run, /** @type {number} */ ms) {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 500; i++) await run();
    calls += 500;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

function contenders() {
  const fn = async () => 1;
  // Comparable settings: a count window of 100 calls, 50 % to open.
  const ward = new WardBreaker({ name: 'bench', windowSize: 100, minimumCalls: 100, failureRateThreshold: 50, registry: new Registry() });
  const wardRetry = retryPolicy({ maxAttempts: 3 });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new CountBreaker({ threshold: 0.5, size: 100, minimumNumberOfCalls: 100 }) });
  const cockatielRetry = wrap(retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }), circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new CountBreaker({ threshold: 0.5, size: 100, minimumNumberOfCalls: 100 }) }));
  const opossum = new Opossum(fn, { errorThresholdPercentage: 50, volumeThreshold: 100 });
  const opossumNoTimer = new Opossum(fn, { errorThresholdPercentage: 50, volumeThreshold: 100, timeout: false });
  /** @type {Contender[]} */
  const list = [
    { name: 'direct await fn()', run: () => fn() },
    { name: 'ward breaker.execute(fn)', run: () => ward.execute(fn) },
    { name: 'cockatiel circuitBreaker (CountBreaker)', run: () => cockatiel.execute(fn) },
    { name: 'opossum fire() (default 10 s timeout)', run: () => opossum.fire() },
    { name: 'opossum fire() (timeout: false)', run: () => opossumNoTimer.fire() },
    { name: 'ward retryPolicy + breaker', run: () => wardRetry.execute(() => ward.execute(fn)) },
    { name: 'cockatiel wrap(retry, breaker)', run: () => cockatielRetry.execute(fn) },
  ];
  const close = () => {
    opossum.shutdown();
    opossumNoTimer.shutdown();
  };
  return { list, close };
}

/** The head-to-head ratios of the issue: [label, numerator, denominator, target]. */
const RATIOS = /** @type {const} */ ([
  ['ward ÷ direct await', 1, 0, 0.5],
  ['ward ÷ cockatiel', 1, 2, 2],
  ['ward ÷ opossum (default)', 1, 3, 10],
  ['ward ÷ opossum (no timer)', 1, 4, null],
  ['ward retry+breaker ÷ cockatiel retry+breaker', 5, 6, 2],
]);

/** @returns {Promise<CircuitBreakerResult>} */
export async function runCircuitBreakerBench() {
  const rounds = envNumber('BENCH_ROUNDS', 5, { integer: true, min: 1, max: 50 });
  const batchMs = envNumber('BENCH_BREAKER_MS', 400, { integer: true, min: 20, max: 10_000 });
  const { list, close } = contenders();
  /** @type {number[][]} */
  const ops = list.map(() => []);
  for (const c of list) await timed(c.run, 200); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? list.map((_, i) => i) : list.map((_, i) => list.length - 1 - i);
    for (const i of order) ops[i]?.push(await timed(list[i]?.run ?? (() => undefined), batchMs));
  }
  close();
  const rows = list.map((c, i) => ({ contender: c.name, medianOps: median(ops[i] ?? []), rounds: ops[i] ?? [] }));
  const ratios = RATIOS.map(([label, a, b, target]) => {
    const perRound = (ops[a] ?? []).map((x, r) => x / (ops[b]?.[r] ?? Number.NaN));
    const ratio = median(perRound);
    return { label, ratio, target, met: target === null ? null : ratio >= target };
  });
  return { rounds, batchMs, rows, ratios, peers: [peer('cockatiel'), peer('opossum'), peer('@ward/circuit-breaker')] };
}

/** @param {CircuitBreakerResult} result */
export function circuitBreakerText(result) {
  const lines = [`${'contender'.padEnd(44)} ${'calls/s (median)'.padStart(17)}`];
  for (const row of result.rows) lines.push(`${row.contender.padEnd(44)} ${Math.round(row.medianOps).toString().padStart(17)}`);
  lines.push('', `${'ratio (median of per-round ratios)'.padEnd(48)} ${'value'.padStart(7)}  target`);
  for (const r of result.ratios) lines.push(`${r.label.padEnd(48)} ${r.ratio.toFixed(2).padStart(7)}  ${r.target === null ? '(information)' : `≥ ${r.target} ${r.met ? 'met' : 'NOT met'}`}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runCircuitBreakerBench();
  if (process.send) process.send({ type: 'circuit-breaker-result', result });
  else console.log(circuitBreakerText(result));
}
