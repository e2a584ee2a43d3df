/**
 * The example's outbound calls: `GET /api/v1/external` fetches rates from
 * an upstream (upstream.js locally) through `resilientFetch` — a timeout
 * per try and overall, retries with jitter under a retry budget, and a
 * circuit breaker per upstream host — and `GET /api/v1/health/circuits`
 * shows every breaker's state. Both are ward handlers, shared by the
 * engine, Express and Fastify apps.
 */
import { circuitOpenProblem, createBreakerRegistry, createRetryBudget, isBrokenCircuitError, resilientFetch } from '@ward/circuit-breaker';
import { HttpError } from '@ward/core';

/**
 * @typedef {object} ExternalRoutes
 * @property {import('@ward/core').Middleware} rates GET /api/v1/external
 * @property {import('@ward/core').Middleware} circuits GET /api/v1/health/circuits
 * @property {import('@ward/circuit-breaker').BreakerRegistry} breakers
 */

export const EXTERNAL_PATH = '/api/v1/external';
export const CIRCUITS_PATH = '/api/v1/health/circuits';

/**
 * @param {{ upstreamUrl: string, registry?: import('@ward/metrics').MetricsRegistry, circuitState?: import('@ward/circuit-breaker').SharedCircuitState }} options
 *   `circuitState`: share the breakers' verdicts with other instances (Redis); default: this process's own.
 * @returns {ExternalRoutes}
 */
export function createExternalRoutes({ upstreamUrl, registry, circuitState }) {
  // Opens when 60 % of the last 20 tries failed (a half-failing upstream is absorbed by the retries); trials after 5 s.
  const breakers = createBreakerRegistry({ defaults: { window: 'count', windowSize: 20, minimumCalls: 10, failureRateThreshold: 60, openDurationMs: 5_000, openDurationMultiplier: 2, maxOpenDurationMs: 60_000, halfOpenCalls: 3, registry, shared: circuitState } });
  const fetchRates = resilientFetch({
    name: 'rates',
    breaker: breakers,
    timeoutMs: 1_000,
    totalTimeoutMs: 3_000,
    // Retries at most a fifth of the calls (plus 10 per window), so they never multiply an outage.
    retry: { maxAttempts: 3, backoff: { baseMs: 25, maxMs: 250, jitter: 'full' }, budget: createRetryBudget({ ratio: 0.2 }) },
    registry,
  });
  const url = new URL('/rates', upstreamUrl);

  /** @type {import('@ward/core').Middleware} */
  async function rates(ctx) {
    let res;
    try {
      res = await fetchRates(url, { ctx, headers: { accept: 'application/json' } });
    } catch (error) {
      if (isBrokenCircuitError(error)) return ctx.problem(circuitOpenProblem(error));
      if (error instanceof Error && error.name === 'TimeoutError') return ctx.problem(new HttpError(504, { code: 'UPSTREAM_TIMEOUT', detail: 'The rates service did not answer in time' }));
      return ctx.problem(new HttpError(502, { code: 'UPSTREAM_UNREACHABLE', detail: 'The rates service could not be reached', cause: error }));
    }
    if (!res.ok) {
      await res.body?.cancel();
      return ctx.problem(new HttpError(502, { code: 'UPSTREAM_FAILED', detail: `The rates service answered ${res.status}`, expose: true }));
    }
    ctx.json(200, { source: 'rates', data: await res.json() });
  }

  /** @type {import('@ward/core').Middleware} */
  function circuits(ctx) {
    ctx.res.setHeader('cache-control', 'no-store');
    // JSON has no Infinity: an isolated breaker's wait is shown as null.
    ctx.json(200, { circuits: breakers.snapshot().map((s) => ({ ...s, retryAfterMs: Number.isFinite(s.retryAfterMs) ? s.retryAfterMs : null })) });
  }

  return { rates, circuits, breakers };
}
