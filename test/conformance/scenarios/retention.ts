/**
 * Scenarios: once a request is answered, nothing of its chain — the
 * context, `ctx.state`, what each middleware made for it — is kept alive
 * by node's request and response, on every adapter and with every package.
 *
 * Node's objects outlive the answer: a keep-alive parser holds the last
 * request, a slow logger may hold both. If they held the chain's objects,
 * every young-generation collection would keep those too (V8 treats a
 * WeakMap value as alive while its key survives), the whole request graph
 * would be promoted, and only a full collection would free it: on Express
 * that doubled the time spent in the collector per request.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'vitest';
import { jwtAuth, rbac } from '@ward/auth';
import { circuitBreaker } from '@ward/circuit-breaker';
import { createResponseCache } from '@ward/cache';
import type { Middleware } from '@ward/core';
import { cors } from '@ward/cors';
import { accessLog, type StructuredLogger } from '@ward/logger';
import { httpMetrics } from '@ward/metrics';
import { MemoryStore, rateLimit } from '@ward/rate-limit';
import { recovery } from '@ward/recovery';
import { requestId } from '@ward/request-id';
import { securityHeaders } from '@ward/security-headers';
import { timeout } from '@ward/timeout';
import { Registry } from 'prom-client';
import { AUDIENCE, claims, handMade, ISSUER, NOW_MS, SECRET } from '../../auth/tokens.js';
import type { Exchange, Scenario } from '../harness.js';
import { JSON_BODY } from '../probe.js';

/** A full garbage collection, on demand (the flag is V8's; `gc` lives in a fresh context). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

const ANSWERED = { path: '/json', expect: { status: 200, json: JSON_BODY } } as const;
/** A thrown error: the framework's own error handling answers it, or recovery() where it is in the chain. */
const THROWN = { path: '/throw', expect: { status: 500 } } as const;

/**
 * `chain` runs behind a first middleware that keeps each request's raw
 * request and response (strongly) and its context and an object put in
 * `ctx.state` (weakly); after the exchanges and a full collection, only
 * the raw objects may be left.
 */
function retention(name: string, chain: () => Middleware[], exchanges: readonly Exchange[], counts: Scenario['counts']): Scenario {
  return {
    name: `memory: ${name}: once answered, the context and ctx.state are not kept alive by node’s request and response`,
    chain: (probe) => {
      const raw: unknown[] = [];
      const refs: [string, WeakRef<object>][] = [];
      probe.seen.raw = raw;
      probe.seen.refs = refs;
      return [
        function remember(ctx, next) {
          const state = { mark: 'state' };
          (ctx.state as Record<string, unknown>).retained = state;
          raw.push(ctx.raw.req, ctx.raw.res);
          refs.push([`the context of ${ctx.req.path}`, new WeakRef(ctx)], [`an object in ctx.state of ${ctx.req.path}`, new WeakRef(state)]);
          return next();
        },
        ...chain(),
      ];
    },
    exchanges,
    async run({ probe }) {
      // The client can read the whole answer before the server's response
      // has closed (its 'finish' and 'close' come later): wait for each.
      const responses = (probe.seen.raw as object[]).filter((_, i) => i % 2 === 1) as ServerResponse[];
      await Promise.all(responses.map((res) => (res.closed ? undefined : once(res, 'close'))));
      // An error holds the receivers of its stack's frames until its stack
      // is formatted, as any logger does: the probe keeps the errors.
      for (const error of [...probe.thrown, ...probe.unhandled]) void (error as Error).stack;
      const refs = probe.seen.refs as [string, WeakRef<object>][];
      // Each round ends the job first (a WeakRef read in a job stays set
      // until it ends). Under load, node still held the context of a failed
      // request for one more turn of the loop in 1 run of ~3 (a second
      // round always freed it); a real leak survives all three.
      let alive = refs;
      for (let round = 0; round < 3 && alive.length > 0; round++) {
        await tick();
        collectGarbage();
        alive = alive.filter(([, ref]) => ref.deref() !== undefined);
      }
      expect((probe.seen.raw as unknown[]).length, 'the raw requests and responses are still held').toBe(2 * exchanges.length);
      expect(alive.map(([what]) => what), 'still alive after three collections').toEqual([]);
    },
    counts,
  };
}

/** Drops every record: the access log's work is done, nothing is kept. */
const discard: StructuredLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

const TOKEN = handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims({ sub: 'alice', roles: ['admin'] }));
const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };

export const RETENTION: readonly Scenario[] = [
  retention('an empty chain', () => [], [ANSWERED, THROWN], { json: 1, throwSync: 1 }),
  retention(
    'the edge six',
    () => [
      requestId(),
      accessLog({ logger: discard, metrics: { registry: new Registry() } }),
      recovery({ registry: new Registry(), onError: () => undefined }),
      timeout({ timeoutMs: 5_000, registry: new Registry() }),
      securityHeaders(),
      cors({ origin: ['https://app.example'] }),
    ],
    [ANSWERED, THROWN],
    { json: 1, throwSync: 1 },
  ),
  retention(
    'rate limit, JWT and RBAC',
    () => [
      rateLimit({ policies: [{ name: 'burst', limit: 100, windowMs: 60_000 }], store: new MemoryStore(), registry: new Registry() }),
      jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, registry: new Registry() }),
      rbac({ roles: { admin: { permissions: ['*'] } }, logger: false, registry: new Registry() }).requireRole('admin'),
    ],
    [
      { ...ANSWERED, request: bearer },
      { path: '/json', expect: { status: 401 } },
    ],
    { json: 1 },
  ),
  retention(
    'the response cache (a miss, then a hit)',
    () => [createResponseCache({ defaultMaxAge: 60, registry: new Registry() }).middleware],
    [
      { ...ANSWERED, expect: { ...ANSWERED.expect, headers: { 'x-cache': 'MISS' } } },
      { ...ANSWERED, expect: { ...ANSWERED.expect, headers: { 'x-cache': 'HIT' } } },
    ],
    { json: 1 },
  ),
  retention(
    'HTTP metrics and a circuit breaker',
    () => [httpMetrics({ registry: new Registry() }), circuitBreaker({ name: 'route', registry: new Registry() })],
    [ANSWERED, THROWN],
    { json: 1, throwSync: 1 },
  ),
];
