/**
 * httpMetrics() and metricsHandler() through real HTTP on the ward engine,
 * Express 5, Express 4 and Fastify 5: the same series on every stack.
 */
import { createServer } from 'node:http';
import { HttpError } from '@ward/core';
import { Engine } from '@ward/engine';
import { ward } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import Fastify from 'fastify';
import { httpMetrics, metricsHandler } from '@ward/metrics';
import express5 from 'express';
import express4 from 'express4';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, linesOf, listen, pipelined, send, sendMany } from './http.js';

const DURATION = 'ward_http_request_duration_seconds';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const count = (method: string, route: string, statusClass: string, n: number): string =>
  `${DURATION}_count{method="${method}",route="${route}",status_class="${statusClass}"} ${n}`;

interface Slow {
  entered: () => void;
  gate: Promise<void>;
}

/** One app per stack, the same routes on each. */
interface Stack {
  name: string;
  /** `slow`: `/api/v1/slow` calls `entered()` and then waits for `gate`. */
  start(registry: Registry, slow?: Slow): Promise<string>;
}

const engineStack: Stack = {
  name: 'engine',
  async start(registry, slow) {
    const engine = new Engine({ onError: () => {} });
    engine.use(httpMetrics({ registry }));
    engine.get('/metrics', metricsHandler({ registry }));
    const api = engine.group('/api/v1');
    api.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') }));
    api.get('/slow', async (ctx) => {
      slow?.entered();
      await slow?.gate;
      ctx.text(200, 'slow');
    });
    api.post('/boom', () => {
      throw new Error('kaput');
    });
    api.get('/limited', () => {
      throw new HttpError(429, { code: 'RATE_LIMITED' });
    });
    const server = await engine.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => server.shutdown({ timeoutMs: 1_000 }));
    return server.url;
  },
};

function expressStack(name: string, express: typeof express5): Stack {
  return {
    name,
    async start(registry, slow) {
      const app = express();
      app.use(ward([httpMetrics({ registry })]));
      app.get('/metrics', ward([metricsHandler({ registry })]));
      app.get('/api/v1/users/:id', (req, res) => {
        res.json({ id: req.params['id'] });
      });
      app.get('/api/v1/slow', async (_req, res) => {
        slow?.entered();
        await slow?.gate;
        res.send('slow');
      });
      app.post('/api/v1/boom', () => {
        throw new Error('kaput');
      });
      app.get('/api/v1/limited', () => {
        throw new HttpError(429, { code: 'RATE_LIMITED' });
      });
      // Quiet error handler: the status is what the test checks.
      app.use((error: unknown, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => {
        res.status(error instanceof HttpError ? error.status : 500).send('error');
      });
      const server = await listen(createServer(app));
      closers.push(server.close);
      return server.url;
    },
  };
}

const fastifyStack: Stack = {
  name: 'fastify',
  async start(registry, slow) {
    const app = Fastify();
    await app.register(wardFastify([httpMetrics({ registry }), metricsHandler({ registry, path: '/metrics' })]));
    app.get('/api/v1/users/:id', async (req) => ({ id: (req.params as { id: string }).id }));
    app.get('/api/v1/slow', async () => {
      slow?.entered();
      await slow?.gate;
      return 'slow';
    });
    app.post('/api/v1/boom', async () => {
      throw new Error('kaput');
    });
    app.get('/api/v1/limited', async () => {
      throw new HttpError(429, { code: 'RATE_LIMITED' });
    });
    app.setErrorHandler((error, _req, reply) => {
      void reply.status(error instanceof HttpError ? error.status : 500).send('error');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const { port } = app.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  },
};

const stacks: Stack[] = [fastifyStack, engineStack, expressStack('express 5', express5), expressStack('express 4', express4)];

describe.each(stacks)('httpMetrics on $name', (stack) => {
  it('labels the route template: two ids → one series, exact line', async () => {
    const registry = new Registry();
    const url = await stack.start(registry);
    expect((await send(url, '/api/v1/users/1')).body).toBe('{"id":"1"}');
    expect((await send(url, '/api/v1/users/2')).body).toBe('{"id":"2"}');
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_count`)).toEqual([count('GET', '/api/v1/users/:id', '2xx', 2)]);
    expect(text).not.toContain('/api/v1/users/1');
  });

  it('unmatched requests share #unmatched', async () => {
    const registry = new Registry();
    const url = await stack.start(registry);
    await sendMany(50, 5, (i) => send(url, `/nope/${i}`));
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([count('GET', '#unmatched', '4xx', 50)]);
  });

  it('a handler error counts as 5xx; an HttpError with its status; the gauge returns to 0', async () => {
    const registry = new Registry();
    const url = await stack.start(registry);
    expect((await send(url, '/api/v1/boom', { method: 'POST' })).status).toBe(500);
    expect((await send(url, '/api/v1/limited')).status).toBe(429);
    const text = await registry.metrics();
    expect(linesOf(text, `${DURATION}_count`)).toEqual([count('POST', '/api/v1/boom', '5xx', 1), count('GET', '/api/v1/limited', '4xx', 1)]);
    expect(linesOf(text, 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 0']);
  });

  it('the in-flight gauge sees a request in progress', async () => {
    const registry = new Registry();
    const gate = deferred();
    const entered = deferred();
    const url = await stack.start(registry, { entered: entered.resolve, gate: gate.promise });
    const reply = send(url, '/api/v1/slow');
    await entered.promise;
    expect(linesOf(await registry.metrics(), 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 1']);
    gate.resolve();
    expect((await reply).body).toBe('slow');
    expect(linesOf(await registry.metrics(), 'ward_http_requests_in_flight')).toEqual(['ward_http_requests_in_flight 0']);
    expect(linesOf(await registry.metrics(), `${DURATION}_count`)).toEqual([count('GET', '/api/v1/slow', '2xx', 1)]);
  });

  it('metricsHandler serves the exposition on its route', async () => {
    const registry = new Registry();
    const url = await stack.start(registry);
    await send(url, '/api/v1/users/9');
    const reply = await send(url, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(linesOf(reply.body, `${DURATION}_count`)).toEqual([count('GET', '/api/v1/users/:id', '2xx', 1)]);
    const post = await send(url, '/metrics', { method: 'POST' });
    // The engine routes POST /metrics to the 405 of its GET route (and Fastify's chain
    // runs before routing, with a path); Express has no POST route there: 404.
    expect(post.status).toBe(stack.name.startsWith('express') ? 404 : 405);
  });
});

describe('security: cardinality on the adapters', () => {
  it('engine: 1 000 distinct ids and 1 000 junk paths → two series', async () => {
    const registry = new Registry();
    const url = await engineStack.start(registry);
    const statuses = await pipelined(url, Array.from({ length: 2_000 }, (_, i) => (i % 2 === 0 ? `/api/v1/users/${i}` : `/api/v1/${i}/../x%2F${i}`)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1_000);
    // Series order follows arrival order, which pipelining across sockets does not fix.
    expect(linesOf(await registry.metrics(), `${DURATION}_count`).sort()).toEqual(
      [count('GET', '/api/v1/users/:id', '2xx', 1_000), count('GET', '#unmatched', '4xx', 1_000)].sort(),
    );
  });

  it('fastify: 500 distinct ids and 500 junk paths → two series', async () => {
    const registry = new Registry();
    const url = await fastifyStack.start(registry);
    const statuses = await pipelined(url, Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? `/api/v1/users/${i}` : `/junk/${i}?x=${i}`)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
    expect(linesOf(await registry.metrics(), `${DURATION}_count`).sort()).toEqual(
      [count('GET', '/api/v1/users/:id', '2xx', 500), count('GET', '#unmatched', '4xx', 500)].sort(),
    );
  });

  it('Express: a router mounted at a parameterised path is capped by maxRoutes', async () => {
    // Express reports the concrete baseUrl (/tenants/42) for such routers,
    // so without the cap every tenant would be a new series.
    const registry = new Registry();
    const app = express5();
    app.use(ward([httpMetrics({ registry, maxRoutes: 3 })]));
    const tenant = express5.Router({ mergeParams: true });
    tenant.get('/items/:id', (_req, res) => {
      res.send('ok');
    });
    app.use('/tenants/:tid', tenant);
    const server = await listen(createServer(app));
    closers.push(server.close);
    await sendMany(100, 8, (i) => send(server.url, `/tenants/${i}/items/1`));
    const lines = linesOf(await registry.metrics(), `${DURATION}_count`);
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toBe(count('GET', '#other', '2xx', 97));
  });
});
