/**
 * Scenarios: @ward/circuit-breaker's route middleware on every adapter, in
 * front of each framework's own handlers — thrown errors and 5xx answers
 * count, 4xx answers do not; an open circuit answers 503 CIRCUIT_OPEN
 * with Retry-After without running the handler; after the open period a
 * trial request runs and closes it; per-key breakers trip apart.
 *
 * Each breaker runs on a clock the scenario moves by hand, so Retry-After
 * is an exact number.
 */
import { CircuitBreaker, circuitBreaker, type CircuitBreakerMiddlewareOptions } from '@ward/circuit-breaker';
import { type Context, HttpError, type Middleware, type Next } from '@ward/core';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { JSON_BODY, TEXT_BODY } from '../probe.js';

const NOW = 1_700_000_000_000;

function clock(): { t: number; now: () => number } {
  const c = { t: NOW, now: () => c.t };
  return c;
}

function breaker(options: CircuitBreakerMiddlewareOptions = {}, c = clock()): Middleware {
  return circuitBreaker({ name: 'route', windowSize: 2, minimumCalls: 2, openDurationMs: 30_000, halfOpenCalls: 1, registry: new Registry(), now: c.now, ...options });
}

/** Inside the breaker: `GET /text?status=N` answers that status as a problem, as a handler would. */
const statusFromQuery: Middleware = (ctx: Context, next: Next) => {
  const status = Number(ctx.req.query.get('status'));
  if (ctx.req.path === '/text' && status >= 400) {
    ctx.problem(new HttpError(status, { code: 'FROM_HANDLER' }));
    return Promise.resolve();
  }
  return next();
};

const OPEN_PROBLEM = (retryAfter: string) => ({
  status: 503,
  headers: { 'retry-after': retryAfter },
  problem: {
    type: 'urn:ward:problem:circuit-open',
    title: 'Service Unavailable',
    status: 503,
    code: 'CIRCUIT_OPEN',
    detail: 'This service is failing and is not being called for a while',
  },
});

export const CIRCUIT_BREAKER: readonly Scenario[] = [
  {
    name: 'circuit-breaker: thrown errors open the circuit; then 503 CIRCUIT_OPEN with Retry-After, the handler not run',
    chain: () => [breaker()],
    exchanges: [
      { path: '/throw', expect: { status: 500, unhandled: true } },
      { path: '/reject', expect: { status: 500, unhandled: true } },
      { path: '/json', expect: OPEN_PROBLEM('30') },
      { path: '/text', expect: OPEN_PROBLEM('30') },
    ],
    counts: { throwSync: 1, rejectAsync: 1 },
  },
  {
    name: 'circuit-breaker: 5xx answers count as failures, 4xx answers do not',
    // Threshold 100 %: only a window of 2 failures opens it, so each answer's class shows.
    chain: () => [breaker({ failureRateThreshold: 100 }), statusFromQuery],
    exchanges: [
      { path: '/text?status=404', expect: { status: 404 } },
      { path: '/text?status=422', expect: { status: 422 } },
      { path: '/text?status=429', expect: { status: 429 } },
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
      { path: '/text?status=503', expect: { status: 503 } },
      { path: '/text?status=502', expect: { status: 502 } },
      { path: '/text', expect: OPEN_PROBLEM('30') },
    ],
    counts: { json: 1 },
  },
  {
    name: 'circuit-breaker: Retry-After counts down; after the open period one trial request runs and closes the circuit',
    chain: () => {
      const c = clock();
      return [
        // The test moves the breaker's clock through a header the scenario alone sends.
        (ctx: Context, next: Next) => {
          const advance = ctx.req.headers['x-advance-ms'];
          if (typeof advance === 'string') c.t += Number(advance);
          return next();
        },
        breaker({}, c),
      ];
    },
    exchanges: [
      { path: '/throw', expect: { status: 500, unhandled: true } },
      { path: '/throw', expect: { status: 500, unhandled: true } },
      { path: '/text', request: { headers: { 'x-advance-ms': '10500' } }, expect: OPEN_PROBLEM('20') },
      { path: '/text', request: { headers: { 'x-advance-ms': '19500' } }, expect: { status: 200, text: TEXT_BODY } },
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
    ],
    counts: { throwSync: 2, text: 1, json: 2 },
  },
  {
    name: 'circuit-breaker: an isolated breaker answers 503 CIRCUIT_OPEN without a Retry-After (nobody knows when it is reset); its snapshot stays JSON',
    chain: (probe) => {
      const isolated = new CircuitBreaker({ name: 'isolated', registry: new Registry() });
      isolated.isolate();
      probe.seen.breaker = isolated;
      return [circuitBreaker({ breaker: isolated })];
    },
    exchanges: [{ path: '/json', expect: { status: 503, headers: { 'retry-after': null }, problem: expect.objectContaining({ status: 503, code: 'CIRCUIT_OPEN' }) } }],
    counts: {},
    verify({ probe }) {
      expect(JSON.parse(JSON.stringify((probe.seen.breaker as CircuitBreaker).snapshot()))).toMatchObject({ state: 'open', isolated: true, retryAfterMs: null });
    },
  },
  {
    name: 'circuit-breaker: per-key breakers trip apart (one tenant’s failures do not refuse another’s requests)',
    chain: () => [breaker({ name: 'tenant', key: (ctx) => (typeof ctx.req.headers['x-tenant'] === 'string' ? ctx.req.headers['x-tenant'] : undefined) })],
    exchanges: [
      { path: '/throw', request: { headers: { 'x-tenant': 'a' } }, expect: { status: 500, unhandled: true } },
      { path: '/throw', request: { headers: { 'x-tenant': 'a' } }, expect: { status: 500, unhandled: true } },
      { path: '/json', request: { headers: { 'x-tenant': 'a' } }, expect: OPEN_PROBLEM('30') },
      { path: '/json', request: { headers: { 'x-tenant': 'b' } }, expect: { status: 200, json: JSON_BODY } },
      // No key: not judged.
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
      // Keys that are no valid breaker name (a space, non-ASCII, 300 characters) get a breaker of their own, never a 500.
      { path: '/throw', request: { headers: { 'x-tenant': 'acme corp' } }, expect: { status: 500, unhandled: true } },
      { path: '/throw', request: { headers: { 'x-tenant': 'acme corp' } }, expect: { status: 500, unhandled: true } },
      { path: '/json', request: { headers: { 'x-tenant': 'acme corp' } }, expect: OPEN_PROBLEM('30') },
      { path: '/json', request: { headers: { 'x-tenant': 'acme-corp' } }, expect: { status: 200, json: JSON_BODY } },
      { path: '/json', request: { headers: { 'x-tenant': 'x'.repeat(300) } }, expect: { status: 200, json: JSON_BODY } },
    ],
    counts: { throwSync: 4, json: 4 },
  },
  {
    name: 'circuit-breaker: ctx.state.circuit names the breaker and its state for the handler and the log',
    chain: (probe) => [
      breaker(),
      async (ctx: Context, next: Next) => {
        probe.log.push(`circuit ${ctx.state.circuit?.breaker} ${ctx.state.circuit?.state}`);
        await next();
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 200, json: JSON_BODY } }],
    verify(run) {
      expect(run.probe.log).toContain('circuit route closed');
    },
  },
];
