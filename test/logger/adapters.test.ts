/**
 * accessLog() and auditLog() through real HTTP on the ward engine, Express
 * 5, Express 4, Fastify 5 and node:http: the same records on every stack.
 */
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { HttpError, type Middleware } from '@ward/core';
import { listen, request } from '@ward/core/testing';
import { Engine, type EngineContext } from '@ward/engine';
import { ward } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import { accessLog, auditLog } from '@ward/logger';
import { wardListener } from '@ward/node';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger, ids, steppingClock } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** One app per stack: the same routes, the chain mounted the stack's way. */
interface Stack {
  name: string;
  /** Whether the stack has a router (node:http has none: route is null there). */
  routes: boolean;
  start(chain: Middleware[]): Promise<string>;
}

const engineStack: Stack = {
  name: 'engine',
  routes: true,
  async start(chain) {
    const engine = new Engine({ onError: () => {} });
    engine.use(...(chain as Middleware<EngineContext>[]));
    engine.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') }));
    engine.delete('/orgs/:org/users/:id', (ctx) => ctx.respond(204));
    engine.get('/boom', () => {
      throw new Error('kaput');
    });
    engine.get('/stream', (ctx) => ctx.stream(Readable.from(['a', 'b'])));
    const server = await engine.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => server.shutdown({ timeoutMs: 1_000 }));
    return server.url;
  },
};

function expressStack(name: string, express: typeof express5): Stack {
  return {
    name,
    routes: true,
    async start(chain) {
      const app = express();
      app.use(ward(chain));
      app.get('/users/:id', (req, res) => {
        res.json({ id: req.params['id'] });
      });
      app.delete('/orgs/:org/users/:id', (_req, res) => {
        res.status(204).end();
      });
      app.get('/boom', () => {
        throw new Error('kaput');
      });
      app.get('/stream', async (_req, res) => {
        res.write('a');
        await tick();
        res.end('b');
      });
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
  routes: true,
  async start(chain) {
    const app = Fastify();
    await app.register(wardFastify(chain));
    app.get('/users/:id', async (req) => ({ id: (req.params as { id: string }).id }));
    app.delete('/orgs/:org/users/:id', async (_req, reply) => reply.code(204).send());
    app.get('/boom', async () => {
      throw new Error('kaput');
    });
    app.get('/stream', async (_req, reply) => reply.type('text/plain').send(Readable.from(['a', 'b'])));
    app.setErrorHandler((_error, _req, reply) => {
      void reply.status(500).send('error');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const { port } = app.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  },
};

const nodeStack: Stack = {
  name: 'node',
  routes: false,
  async start(chain) {
    const users = wardListener(chain, (req, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ id: req.url!.split('?')[0]!.split('/')[2] }));
    }, { onError: () => {} });
    const remove = wardListener(chain, (_req, res) => {
      res.statusCode = 204;
      res.end();
    }, { onError: () => {} });
    const boom = wardListener(chain, () => {
      throw new Error('kaput');
    }, { onError: () => {} });
    const stream = wardListener(chain, async (_req, res) => {
      // A write not ended in the same turn is a stream (the capture passes it through).
      res.write('a');
      await tick();
      res.end('b');
    }, { onError: () => {} });
    const none = wardListener(chain, undefined, { onError: () => {} });
    const server = await listen((req, res) => {
      const path = req.url!.split('?')[0]!;
      if (req.method === 'GET' && path.startsWith('/users/')) return users(req, res);
      if (req.method === 'DELETE' && path.startsWith('/orgs/')) return remove(req, res);
      if (path === '/boom') return boom(req, res);
      if (path === '/stream') return stream(req, res);
      return none(req, res);
    });
    closers.push(server.close);
    return server.url;
  },
};

const stacks: Stack[] = [engineStack, expressStack('express 5', express5), expressStack('express 4', express4), fastifyStack, nodeStack];

describe.each(stacks)('on $name', (stack) => {
  it('logs the route template, the path without query, the exact bytes and status', async () => {
    const logger = new MemoryLogger();
    const url = await stack.start([ids, accessLog({ logger, now: steppingClock(3), metrics: { registry: new Registry() } })]);
    const res = await request(`${url}/users/42?token=abc`, { headers: { 'user-agent': 'test/1' } });
    expect(res.text).toBe('{"id":"42"}');
    await logger.waitFor(1);
    expect(logger.entries).toEqual([
      {
        level: 'info',
        message: 'request completed',
        record: {
          log: 'access',
          request_id: 'req-1',
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          method: 'GET',
          route: stack.routes ? '/users/:id' : null,
          path: '/users/42',
          status: 200,
          duration_ms: 3,
          bytes: 11,
          ip: '127.0.0.1',
          user_id: null,
          user_agent: 'test/1',
          slow: false,
          aborted: false,
        },
      },
    ]);
  });

  it('an unmatched path is a 404 at warn with route null', async () => {
    const logger = new MemoryLogger();
    const url = await stack.start([accessLog({ logger, metrics: { registry: new Registry() } })]);
    expect((await request(`${url}/nope`)).status).toBe(404);
    await logger.waitFor(1);
    expect(logger.entries.map((e) => [e.level, e.record.status, e.record.route, e.record.path])).toEqual([['warn', 404, null, '/nope']]);
  });

  it('a handler that throws is logged once at error as 500, and the stack still answers 500', async () => {
    const logger = new MemoryLogger();
    const url = await stack.start([accessLog({ logger, metrics: { registry: new Registry() } })]);
    expect((await request(`${url}/boom`)).status).toBe(500);
    await logger.waitFor(1);
    expect(logger.entries.map((e) => [e.level, e.message, e.record.status, e.record.error])).toEqual([
      ['error', 'request failed', 500, { name: 'Error', code: null }],
    ]);
  });

  it('a stream is logged once, with bytes null', async () => {
    const logger = new MemoryLogger();
    const url = await stack.start([accessLog({ logger, metrics: { registry: new Registry() } })]);
    expect((await request(`${url}/stream`)).text).toBe('ab');
    await logger.waitFor(1);
    expect(logger.records.map((r) => [r.status, r.bytes, r.aborted])).toEqual([[200, null, false]]);
  });

  it('the audit record carries the route parameters', async () => {
    const logger = new MemoryLogger();
    const url = await stack.start([auditLog({ logger, metrics: { registry: new Registry() } })]);
    expect((await request(`${url}/orgs/acme/users/7`, { method: 'DELETE' })).status).toBe(204);
    await request(`${url}/users/7`);
    await logger.waitFor(1);
    expect(logger.records.map((r) => [r.method, r.route, r.path, r.params, r.status, r.outcome])).toEqual([
      stack.routes
        ? ['DELETE', '/orgs/:org/users/:id', '/orgs/acme/users/7', { org: 'acme', id: '7' }, 204, 'success']
        : ['DELETE', null, '/orgs/acme/users/7', {}, 204, 'success'],
    ]);
  });
});
