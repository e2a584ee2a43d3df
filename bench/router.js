/**
 * Router micro-benchmark: the engine's radix router (`Router` from
 * @ward/engine) against find-my-way (Fastify's router) on the same ~100-route
 * table, in-process, for static hits, parameter hits, wildcard hits and
 * misses.
 *
 * Equivalent work: both are asked `find(method, path)` and both return the
 * stored value with a params object (find-my-way's `find`, not `lookup`,
 * which would also call the handler). Before timing, every lookup is checked
 * to give the same route and params on both routers.
 *
 * Run alone with `node bench/router.js`; `bench/run.js` forks it.
 * Env: BENCH_ROUNDS (default 5), BENCH_ROUTER_BATCH_MS (default 200).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import FindMyWay from 'find-my-way';
import { Router } from '@ward/engine';
import { peer } from './lib/peers.js';
import { LOOKUPS, ROUTES } from './lib/route-table.js';
import { envNumber, median, pairedRatios, spread } from './lib/stats.js';

/**
 * @typedef {import('./lib/route-table.js').Lookup} Lookup
 * @typedef {{ route: string, params: Record<string, string> } | null} Found
 * @typedef {object} Contender
 * @property {string} name
 * @property {string} version
 * @property {(method: string, path: string) => unknown} find the raw lookup that is timed
 * @property {(result: unknown) => Found} read turns a raw result into a comparable one (not timed)
 */

/** Keeps results reachable so the JIT cannot drop the lookups. */
/** @type {unknown} */
export let sink;

/** @returns {Contender} */
function engineContender() {
  const router = new Router();
  for (const { method, path } of ROUTES) {
    // Gin syntax: a wildcard is named (`*rest`); find-my-way's is `*`.
    router.add(method, path.endsWith('*') ? `${path}rest` : path, path);
  }
  const version = peer('@ward/engine').version;
  return {
    name: '@ward/engine Router',
    version,
    find: (method, path) => router.find(method, path),
    read(result) {
      const match = /** @type {{ value: string, params: Record<string, string> } | null | undefined} */ (result);
      if (match === null || match === undefined) return null;
      /** @type {Record<string, string>} */
      const params = {};
      for (const [key, value] of Object.entries(match.params)) params[key === 'rest' ? '*' : key] = value;
      return { route: match.value, params };
    },
  };
}

/** @returns {Contender} */
function findMyWayContender() {
  const router = FindMyWay();
  for (const { method, path } of ROUTES) {
    router.on(/** @type {import('find-my-way').HTTPMethod} */ (method), path, () => {}, { route: path });
  }
  return {
    name: 'find-my-way',
    version: peer('find-my-way').version,
    find: (method, path) => router.find(/** @type {import('find-my-way').HTTPMethod} */ (method), path),
    read(result) {
      const match = /** @type {{ store: { route: string }, params: Record<string, string | undefined> } | null} */ (result);
      if (match === null) return null;
      /** @type {Record<string, string>} */
      const params = {};
      for (const [key, value] of Object.entries(match.params)) if (value !== undefined) params[key] = value;
      return { route: match.store.route, params };
    },
  };
}

/**
 * Throws unless the contender finds exactly the expected route and params.
 *
 * @param {Contender} contender
 * @param {readonly Lookup[]} lookups
 */
function checkAgreement(contender, lookups) {
  for (const lookup of lookups) {
    const found = contender.read(contender.find(lookup.method, lookup.path));
    const expected = lookup.route === null ? null : { route: lookup.route, params: lookup.params };
    if (JSON.stringify(found) !== JSON.stringify(expected)) {
      throw new Error(
        `${contender.name}: ${lookup.method} ${lookup.path} found ${JSON.stringify(found)}, expected ${JSON.stringify(expected)}`,
      );
    }
  }
}

/**
 * Times `iterations` lookups cycling through `lookups`.
 *
 * @param {Contender} contender
 * @param {readonly Lookup[]} lookups
 * @param {number} iterations
 * @returns {number} lookups per second
 */
function timeBatch(contender, lookups, iterations) {
  const methods = lookups.map((l) => l.method);
  const paths = lookups.map((l) => l.path);
  const loop = loopOf(contender);
  const start = performance.now();
  sink = loop(contender.find, methods, paths, iterations);
  const elapsedMs = performance.now() - start;
  return (iterations / elapsedMs) * 1000;
}

/** @type {Map<Contender, (find: Contender['find'], methods: string[], paths: string[], iterations: number) => unknown>} */
const loops = new Map();

/**
 * One timing loop per contender, compiled separately (`new Function`), so
 * each call site stays monomorphic and neither router pays for sharing the
 * loop's type feedback with the other.
 *
 * @param {Contender} contender
 */
function loopOf(contender) {
  let loop = loops.get(contender);
  if (loop === undefined) {
    loop = /** @type {(find: Contender['find'], methods: string[], paths: string[], iterations: number) => unknown} */ (
      new Function(
        'find',
        'methods',
        'paths',
        'iterations',
        `'use strict';
        const n = paths.length;
        let last;
        for (let i = 0; i < iterations; i++) {
          const k = i % n;
          last = find(methods[k], paths[k]);
        }
        return last;`,
      )
    );
    loops.set(contender, loop);
  }
  return loop;
}

/**
 * @typedef {object} RouterCaseResult
 * @property {string} case
 * @property {number} lookups distinct paths cycled through
 * @property {number} iterations lookups per timed batch
 * @property {{ name: string, version: string, opsPerSec: number[], medianOpsPerSec: number }[]} contenders
 * @property {number} ratio median engine ops/s ÷ median find-my-way ops/s
 * @property {{ min: number, max: number }} ratioSpread per-round paired ratios
 */

/**
 * Runs the micro-benchmark and returns its figures.
 *
 * @param {{ rounds?: number, batchMs?: number, log?: (line: string) => void }} [options]
 * @returns {{ peers: import('./lib/peers.js').Peer[], routes: number, rounds: number, cases: RouterCaseResult[] }}
 */
export function runRouterBench(options = {}) {
  const rounds = options.rounds ?? envNumber('BENCH_ROUNDS', 5, { integer: true, min: 1, max: 100 });
  const batchMs = options.batchMs ?? envNumber('BENCH_ROUTER_BATCH_MS', 200, { min: 10, max: 10_000 });
  const log = options.log ?? (() => {});
  const engine = engineContender();
  const fmw = findMyWayContender();
  const contenders = [engine, fmw];
  /** @type {RouterCaseResult[]} */
  const cases = [];
  for (const [name, lookups] of Object.entries(LOOKUPS)) {
    for (const contender of contenders) checkAgreement(contender, lookups);
    // Warm-up and calibration: size the batch so one takes about batchMs.
    let iterations = 20_000;
    for (const contender of contenders) timeBatch(contender, lookups, iterations);
    const probe = Math.min(...contenders.map((c) => timeBatch(c, lookups, iterations)));
    iterations = Math.max(10_000, Math.round((probe * batchMs) / 1000));
    /** @type {number[][]} */
    const samples = contenders.map(() => []);
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so neither always runs on a warmer CPU.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const index of order) {
        /** @type {number[]} */ (samples[index]).push(timeBatch(/** @type {Contender} */ (contenders[index]), lookups, iterations));
      }
    }
    const [engineOps, fmwOps] = /** @type {[number[], number[]]} */ (samples);
    const result = {
      case: name,
      lookups: lookups.length,
      iterations,
      contenders: contenders.map((c, i) => ({
        name: c.name,
        version: c.version,
        opsPerSec: /** @type {number[]} */ (samples[i]),
        medianOpsPerSec: median(/** @type {number[]} */ (samples[i])),
      })),
      ratio: median(engineOps) / median(fmwOps),
      ratioSpread: spread(pairedRatios(engineOps, fmwOps)),
    };
    cases.push(result);
    log(
      `router ${name.padEnd(8)} engine ${fmtOps(median(engineOps))}  find-my-way ${fmtOps(median(fmwOps))}  ratio ${result.ratio.toFixed(2)}`,
    );
  }
  return {
    peers: contenders.map((c) => ({ name: c.name, version: c.version })),
    routes: ROUTES.length,
    rounds,
    cases,
  };
}

/**
 * @param {number} ops
 * @returns {string}
 */
function fmtOps(ops) {
  return `${(ops / 1e6).toFixed(2)} M ops/s`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const result = runRouterBench({ log: (line) => console.log(line) });
  if (process.send) process.send({ type: 'router-result', result });
}
