/**
 * Loopback load with autocannon. Each measurement is a short warm-up
 * (discarded: JIT, connection set-up) followed by the measured run.
 */
import { createRequire } from 'node:module';

/**
 * @typedef {object} LoadSettings
 * @property {number} durationSec measured seconds per run
 * @property {number} warmupSec discarded seconds before each run
 * @property {number} connections concurrent connections
 * @property {number} pipelining requests in flight per connection
 * @property {Readonly<Record<string, string>>} [headers] request headers sent with every request (default none)
 * @property {number} [expectStatus] the status every answer must have (default: any 2xx)
 */

/**
 * @typedef {object} LoadResult
 * @property {number} rps mean requests per second of the measured run
 * @property {number} p50Ms median latency, milliseconds
 * @property {number} p99Ms 99th percentile latency, milliseconds
 * @property {number} requests total requests answered
 * @property {number} errors connection errors and timeouts
 * @property {number} non2xx answers outside 200–299, or other than `expectStatus` when set
 * @property {number | null} cpuUsPerRequest server CPU microseconds per answered request (null when not measured)
 * @property {number | null} gcUsPerRequest of which V8's garbage collector, microseconds per request (null when not measured)
 * @property {number | null} allocBytesPerRequest JS heap bytes the server allocated per request (null when not measured)
 */

/**
 * Hooks around the measured run (not the warm-up), and one in the warm-up.
 *
 * @typedef {object} MeasureHooks
 * @property {() => Promise<void>} [settle] runs while the warm-up load is on (the server's full collections, see child.js)
 * @property {() => void} before
 * @property {() => Promise<{ micros: number, gcMicros: number, allocBytes: number }>} after resolves to the server's CPU microseconds, GC microseconds and allocated bytes over the run
 */

/**
 * The part of autocannon's result this harness reads (autocannon ships no
 * type declarations).
 *
 * @typedef {object} AutocannonResult
 * @property {{ average: number, total: number }} requests
 * @property {{ p50: number, p99: number }} latency
 * @property {number} errors
 * @property {number} non2xx
 * @property {Record<string, { count: number }>} [statusCodeStats]
 */

/** autocannon, typed by the one call this harness makes. */
const autocannon = /** @type {(options: Record<string, unknown>) => Promise<AutocannonResult>} */ (
  createRequire(import.meta.url)('autocannon')
);

/**
 * @param {string} url
 * @param {number} durationSec
 * @param {LoadSettings} settings
 * @returns {Promise<AutocannonResult>}
 */
function fire(url, durationSec, settings) {
  return autocannon({
    url,
    duration: durationSec,
    connections: settings.connections,
    pipelining: settings.pipelining,
    headers: { ...settings.headers },
    // Loopback: a 10 s timeout only trips when a server is wedged.
    timeout: 10,
  });
}

/**
 * Warm-up, then one measured run against `url`.
 *
 * @param {string} url
 * @param {LoadSettings} settings
 * @param {MeasureHooks} [cpu] to measure the server's CPU time over the measured run
 * @returns {Promise<LoadResult>}
 */
export async function measure(url, settings, cpu) {
  if (settings.warmupSec > 0) {
    const warmup = fire(url, settings.warmupSec, settings);
    // Under load: the collections must meet requests in flight (child.js says why).
    await cpu?.settle?.();
    await warmup;
  }
  cpu?.before();
  const result = await fire(url, settings.durationSec, settings);
  const server = cpu === undefined ? null : await cpu.after();
  const total = result.requests.total;
  return {
    cpuUsPerRequest: server === null || total === 0 ? null : server.micros / total,
    gcUsPerRequest: server === null || total === 0 ? null : server.gcMicros / total,
    allocBytesPerRequest: server === null || total === 0 ? null : server.allocBytes / total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: settings.expectStatus === undefined ? result.non2xx : total - (result.statusCodeStats?.[String(settings.expectStatus)]?.count ?? 0),
  };
}

/**
 * Checks one answer before loading a server, so a broken variant (a 404, a
 * problem+json instead of the payload) is caught instead of measured.
 *
 * @param {string} url
 * @param {(status: number, body: string, headers: Headers) => string | undefined} check returns a complaint, or undefined when fine
 * @param {Readonly<Record<string, string>>} [headers] request headers, the same the load sends
 * @returns {Promise<void>}
 */
export async function verify(url, check, headers = {}) {
  const response = await fetch(url, { headers: { ...headers } });
  const body = await response.text();
  const complaint = check(response.status, body, response.headers);
  if (complaint !== undefined) throw new Error(`${url}: ${complaint} (status ${response.status}, body ${body.slice(0, 200)})`);
}
