/**
 * httpMetrics() through real HTTP on @ward/node.
 */
import { HttpError, type Middleware, compose, describeMiddleware } from '@ward/core';
import { OVERFLOW_ROUTE, httpMetrics, metricsHandler } from '@ward/metrics';
import { wardListener } from '@ward/node';
import { Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, linesOf, listen, pipelined, route, send, sendMany, setRoute } from './http.js';

const DURATION = 'ward_http_request_duration_seconds';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A clock that advances 21 ms on every read: each request lasts exactly 0.021 s. */
function steppingClock(stepMs = 21): () => number {
  let t = 1_000;
  return () => (t += stepMs);
}

async function serve(middleware: Middleware[], options: Parameters<typeof wardListener>[2] = {}): Promise<string> {
  const server = await listen(wardListener(middleware, undefined, { onError: () => {}, ...options }));
  closers.push(server.close);
  return server.url;
}

const users = route('GET', '/users/:id', (ctx) => ctx.json(200, { id: ctx.req.path.slice(7) }));

describe('httpMetrics on @ward/node', () => {
  it('records duration by method, route template and status class: exact exposition', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry, now: steppingClock(), buckets: [0.01, 0.025, 0.1] }), users]);
    const reply = await send(url, '/users/42');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"id":"42"}');
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_bucket`)).toEqual([
      `${DURATION}_bucket{le="0.01",method="GET",route="/users/:id",status_class="2xx"} 0`,
      `${DURATION}_bucket{le="0.025",method="GET",route="/users/:id",status_class="2xx"} 1`,
      `${DURATION}_bucket{le="0.1",method="GET",route="/users/:id",status_class="2xx"} 1`,
      `${DURATION}_bucket{le="+Inf",method="GET",route="/users/:id",status_class="2xx"} 1`,
    ]);
    expect(linesOf(text, `${DURATION}_sum`)).toEqual([`${DURATION}_sum{method="GET",route="/users/:id",status_class="2xx"} 0.021`]);
    expect(linesOf(text, `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 1`]);
    expect(text).toContain(`# HELP ${DURATION} Duration of HTTP requests through the ward chain, in seconds, by method, route template and status class.\n# TYPE ${DURATION} histogram\n`);
    expect(text).toContain('# TYPE ward_http_requests_in_flight gauge\nward_http_requests_in_flight 0\n');
  });

  it('labels the route template, never the raw path: two ids → one series', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry }), users]);
    expect((await send(url, '/users/1')).status).toBe(200);
    expect((await send(url, '/users/2?x=1')).status).toBe(200);
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 2`]);
    expect(text).not.toContain('/users/1');
    expect(text).not.toContain('/users/2');
  });

  it('an unmatched request is the 404 the adapter sends, labelled #unmatched', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry }), users]);
    const reply = await send(url, '/nowhere/at/all');
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="#unmatched",status_class="4xx"} 1`]);
    expect(text).not.toContain('/nowhere');
  });

  it('the unmatched label is configurable', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry, unmatchedRoute: 'none' })]);
    await send(url, '/x');
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="none",status_class="4xx"} 1`]);
  });

  it('the in-flight gauge counts requests inside the chain and returns to 0', async () => {
    const registry = new Registry();
    const entered = [deferred(), deferred()];
    const release = deferred();
    let arrivals = 0;
    const slow = route('GET', '/slow', async (ctx) => {
      entered[arrivals++]!.resolve();
      await release.promise;
      ctx.text(200, 'done');
    });
    const url = await serve([httpMetrics({ registry }), slow]);
    const replies = Promise.all([send(url, '/slow'), send(url, '/slow')]);
    await Promise.all(entered.map((d) => d.promise));
    expect(linesOf(await registry.metrics(), 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 2']);
    release.resolve();
    expect((await replies).map((r) => r.status)).toEqual([200, 200]);
    expect(linesOf(await registry.metrics(), 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 0']);
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="/slow",status_class="2xx"} 2`]);
  });

  it('an error rejecting next() counts as 5xx, is rethrown, and the gauge returns to 0', async () => {
    const registry = new Registry();
    const reported: unknown[] = [];
    const boom = route('POST', '/boom', () => {
      throw new Error('kaput');
    });
    const url = await serve([httpMetrics({ registry }), boom], { onError: (error) => reported.push(error) });
    const reply = await send(url, '/boom', { method: 'POST' });
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    // Rethrown: the adapter saw it and reported it once.
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('kaput');
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_count`)).toEqual([`${DURATION}_count{method="POST",route="/boom",status_class="5xx"} 1`]);
    expect(linesOf(text, 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 0']);
  });

  it('an Error with an http-errors status (body-parser’s 413) counts as that 4xx, the status the client gets', async () => {
    const registry = new Registry();
    const upload = route('POST', '/upload', () => {
      throw Object.assign(new Error('request entity too large'), { status: 413 });
    });
    const url = await serve([httpMetrics({ registry }), upload]);
    const reply = await send(url, '/upload', { method: 'POST' });
    expect(reply.status).toBe(413);
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([`${DURATION}_count{method="POST",route="/upload",status_class="4xx"} 1`]);
  });

  it('a thrown HttpError counts with its own status', async () => {
    const registry = new Registry();
    const limited = route('GET', '/limited', () => {
      throw new HttpError(429, { code: 'RATE_LIMITED', headers: { 'retry-after': '3' } });
    });
    const url = await serve([httpMetrics({ registry }), limited]);
    const reply = await send(url, '/limited');
    expect(reply.status).toBe(429);
    expect(reply.headers['retry-after']).toBe('3');
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="/limited",status_class="4xx"} 1`]);
  });

  it('reads the status after next(), including changes made by later middleware', async () => {
    const registry = new Registry();
    const redirect = route('GET', '/old', (ctx) => ctx.respond(308, '', { location: '/new' }));
    const created = route('PUT', '/things/:id', (ctx) => ctx.respond(201, 'ok'));
    const noContent = route('DELETE', '/things/:id', (ctx) => ctx.respond(204));
    const url = await serve([httpMetrics({ registry }), redirect, created, noContent]);
    expect((await send(url, '/old')).status).toBe(308);
    expect((await send(url, '/things/1', { method: 'PUT' })).status).toBe(201);
    expect((await send(url, '/things/1', { method: 'DELETE' })).status).toBe(204);
    expect((await send(url, '/old', { method: 'HEAD' })).status).toBe(404);
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([
      `${DURATION}_count{method="GET",route="/old",status_class="3xx"} 1`,
      `${DURATION}_count{method="PUT",route="/things/:id",status_class="2xx"} 1`,
      `${DURATION}_count{method="DELETE",route="/things/:id",status_class="2xx"} 1`,
      `${DURATION}_count{method="HEAD",route="#unmatched",status_class="4xx"} 1`,
    ]);
  });

  it('registers on prom-client’s global register by default', async () => {
    register.removeSingleMetric(DURATION);
    register.removeSingleMetric('ward_http_requests_in_flight');
    try {
      const url = await serve([httpMetrics(), users]);
      await send(url, '/users/7');
      expect(linesOf(await register.metrics(), `${DURATION}_count`)).toEqual([
        `${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 1`,
      ]);
    } finally {
      register.removeSingleMetric(DURATION);
      register.removeSingleMetric('ward_http_requests_in_flight');
    }
  });

  it('an injected registry gets the metrics and another one does not', async () => {
    const mine = new Registry();
    const other = new Registry();
    const url = await serve([httpMetrics({ registry: mine }), users]);
    await send(url, '/users/1');
    expect(linesOf(await mine.metrics(), `${DURATION}_count`)).toHaveLength(1);
    expect((await other.metrics()).trim()).toBe('');
    expect(register.getSingleMetric(DURATION)).toBeUndefined();
  });

  it('two middleware instances on one registry share the metrics', async () => {
    const registry = new Registry();
    const a = await serve([httpMetrics({ registry }), users]);
    const b = await serve([httpMetrics({ registry }), users]);
    await send(a, '/users/1');
    await send(b, '/users/2');
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([
      `${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 2`,
    ]);
  });

  it('a custom prefix names both metrics', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry, prefix: 'api_' }), users]);
    await send(url, '/users/1');
    const text = await registry.metrics();
    expect(linesOf(text, 'api_http_request_duration_seconds_count')).toHaveLength(1);
    expect(linesOf(text, 'api_http_requests_in_flight')).toEqual(['api_http_requests_in_flight 0']);
  });

  it('a conflicting metric already on the registry fails at configuration', () => {
    const registry = new Registry();
    httpMetrics({ registry, buckets: [1, 2] });
    expect(() => httpMetrics({ registry, buckets: [1, 3] })).toThrow('Metric "ward_http_request_duration_seconds" is already registered');
  });

  it('describes itself for chain audits', () => {
    const registry = new Registry();
    const mw = httpMetrics({ registry, maxRoutes: 10 });
    expect(mw.name).toBe('httpMetrics');
    expect(describeMiddleware(mw)).toEqual({
      name: 'httpMetrics',
      options: { registry: '[Registry]', prefix: 'ward_', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], unmatchedRoute: '#unmatched', maxRoutes: 10 },
    });
  });

  it('serves its own numbers through metricsHandler', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry }), metricsHandler({ registry, path: '/metrics' }), users]);
    await send(url, '/users/1');
    const reply = await send(url, '/metrics');
    expect(reply.status).toBe(200);
    expect(linesOf(reply.body, `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 1`]);
    // The scrape itself is in flight while it renders.
    expect(linesOf(reply.body, 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 1']);
  });
});

describe('httpMetrics options', () => {
  it('refuses bad options with TypeError/RangeError naming the option', () => {
    expect(() => httpMetrics(null as never)).toThrow(new TypeError('httpMetrics(options): options must be an object, got null'));
    expect(() => httpMetrics({ registry: new Registry(), buckets: [0.5, 0.1] })).toThrow(
      new RangeError('httpMetrics({ buckets }) must be strictly increasing, got 0.1 after 0.5'),
    );
    expect(() => httpMetrics({ registry: new Registry(), maxRoutes: 0 })).toThrow(
      new RangeError('httpMetrics({ maxRoutes }) must be a positive integer, got 0'),
    );
    expect(() => httpMetrics({ registry: new Registry(), maxRoutes: 1.5 })).toThrow(RangeError);
    expect(() => httpMetrics({ registry: new Registry(), maxRoutes: '10' as never })).toThrow(TypeError);
    expect(() => httpMetrics({ registry: new Registry(), now: 5 as never })).toThrow(
      new TypeError('httpMetrics({ now }) must be a function returning milliseconds, got 5'),
    );
    expect(() => httpMetrics({ registry: new Registry(), unmatchedRoute: '' })).toThrow(TypeError);
    expect(() => httpMetrics({ registry: new Registry(), prefix: 'bad prefix' })).toThrow(RangeError);
    expect(() => httpMetrics({ registry: {} as Registry })).toThrow(
      'httpMetrics(options).registry must be a prom-client Registry',
    );
  });

  it('registered without its call, the chain refuses it at start', () => {
    expect(() => compose([httpMetrics as never])).toThrow(
      new TypeError('middleware[0] is the factory "httpMetrics", not a middleware. Call it: httpMetrics({ … })'),
    );
  });
});

describe('security: hostile paths and methods keep cardinality bounded', () => {
  it('10 000 distinct paths → one series per template', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry }), users]);
    const paths = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? `/users/${i}` : `/random/${i}/${'x'.repeat(i % 50)}?q=${i}`));
    const statuses = await pipelined(url, paths);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5_000);
    expect(statuses.filter((s) => s === 404)).toHaveLength(5_000);
    const text = await registry.metrics();
    // Series order follows arrival order, which pipelining across sockets does not fix.
    expect(linesOf(text, `${DURATION}_count`).sort()).toEqual(
      [
        `${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 5000`,
        `${DURATION}_count{method="GET",route="#unmatched",status_class="4xx"} 5000`,
      ].sort(),
    );
    expect((await registry.getSingleMetric(DURATION)!.get()).values).toHaveLength(2 * (12 + 1 + 2));
    expect(linesOf(text, 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 0']);
  });

  it('a stack that reported raw paths as routes is capped at maxRoutes, the rest is #other', async () => {
    const registry = new Registry();
    const rawPathRouter: Middleware = (ctx) => {
      setRoute(ctx, ctx.req.path); // the mistake httpMetrics must survive
      ctx.text(200, 'ok');
    };
    const url = await serve([httpMetrics({ registry, maxRoutes: 5 }), rawPathRouter]);
    await sendMany(200, 16, (i) => send(url, `/p/${i}`));
    const counts = linesOf(await registry.metrics(), `${DURATION}_count`);
    expect(counts).toHaveLength(6);
    expect(counts.at(-1)).toBe(`${DURATION}_count{method="GET",route="${OVERFLOW_ROUTE}",status_class="2xx"} 195`);
  });

  it('methods outside the standard set collapse to OTHER', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry }), users]);
    for (const method of ['PROPFIND', 'MKCOL', 'PURGE', 'LOCK', 'M-SEARCH', 'SUBSCRIBE', 'QUERY']) {
      expect((await send(url, '/users/1', { method })).status).toBe(404);
    }
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) await send(url, '/users/1', { method });
    const counts = linesOf(await registry.metrics(), `${DURATION}_count`);
    expect(counts).toContain(`${DURATION}_count{method="OTHER",route="#unmatched",status_class="4xx"} 7`);
    expect(counts).toHaveLength(8);
    expect(counts.join('\n')).not.toMatch(/PROPFIND|MKCOL|PURGE|LOCK|M-SEARCH|SUBSCRIBE|QUERY/);
  });

  it('a clock that goes backwards or breaks records 0 s instead of failing the request', async () => {
    const registry = new Registry();
    const reads = [100, 50, 0, Number.NaN];
    const url = await serve([httpMetrics({ registry, now: () => reads.shift() ?? 0 }), users]);
    expect((await send(url, '/users/1')).status).toBe(200);
    expect((await send(url, '/users/2')).status).toBe(200);
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_sum`)).toEqual([`${DURATION}_sum{method="GET",route="/users/:id",status_class="2xx"} 0`]);
    expect(linesOf(text, `${DURATION}_count`)).toEqual([`${DURATION}_count{method="GET",route="/users/:id",status_class="2xx"} 2`]);
  });

  it('label values from hostile headers never reach the exposition', async () => {
    const registry = new Registry();
    const url = await serve([httpMetrics({ registry }), users]);
    await send(url, '/users/1', { headers: { 'x-forwarded-for': '"} evil 1', host: 'evil"host', 'user-agent': 'a"b' } });
    const text = await registry.metrics();
    expect(text).not.toContain('evil');
    expect(text).not.toContain('a"b');
  });
});
