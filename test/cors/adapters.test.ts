/**
 * cors() as the README mounts it, through real HTTP on the ward engine,
 * Express 5, Express 4 and Fastify 5: preflights to routes that have no
 * OPTIONS handler are answered 204 by cors before the framework routes them,
 * actual requests carry the headers, refused origins none, and the same
 * counter counts on every stack.
 */
import { HttpError } from '@ward/core';
import { type TestResponse, listen, request } from '@ward/core/testing';
import { cors } from '@ward/cors';
import { Engine } from '@ward/engine';
import { ward } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { corsHeadersOf, counted, rejectedLines } from './helpers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const options = (registry: Registry) => ({ origin: [APP], credentials: true, exposedHeaders: ['x-request-id'], registry });

/** One app per stack: GET /api/items (200 JSON) and GET /api/fail (a 409 HttpError thrown by the route). */
interface Stack {
  name: string;
  start(registry: Registry): Promise<string>;
}

const stacks: Stack[] = [
  {
    name: 'engine',
    async start(registry) {
      const engine = new Engine({ onError: () => {} });
      engine.use(cors(options(registry)));
      engine.get('/api/items', (ctx) => ctx.json(200, { items: [] }));
      engine.get('/api/fail', () => {
        throw new HttpError(409, { code: 'CONFLICT' });
      });
      const server = await engine.listen({ port: 0, host: '127.0.0.1' });
      closers.push(() => server.shutdown({ timeoutMs: 1_000 }));
      return server.url;
    },
  },
  ...([
    ['express 5', express5],
    ['express 4', express4],
  ] as const).map(
    ([name, express]): Stack => ({
      name,
      async start(registry) {
        const app = express();
        app.use(ward([cors(options(registry))]));
        app.get('/api/items', (_req, res) => {
          res.json({ items: [] });
        });
        app.get('/api/fail', (_req, res) => {
          res.status(409).json({ code: 'CONFLICT' });
        });
        const server = await listen(app);
        closers.push(() => server.close());
        return server.url;
      },
    }),
  ),
  {
    name: 'fastify',
    async start(registry) {
      const app = Fastify();
      await app.register(wardFastify([cors(options(registry))]));
      app.get('/api/items', async () => ({ items: [] }));
      app.get('/api/fail', async (_request, reply) => reply.code(409).send({ code: 'CONFLICT' }));
      await app.ready();
      const server = await listen(app.server);
      closers.push(async () => {
        await server.close();
        await app.close();
      });
      return server.url;
    },
  },
];

const preflight = (url: string, origin: string): Promise<TestResponse> =>
  request(`${url}/api/items`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization,content-type' },
  });

describe.each(stacks)('$name', (stack) => {
  it('answers a preflight 204 before routing, even though no OPTIONS route exists', async () => {
    const registry = new Registry();
    const url = await stack.start(registry);
    const res = await preflight(url, APP);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['content-length']).toBeUndefined();
    expect(corsHeadersOf(res.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-max-age': '600',
    });
    expect(res.headers.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const refused = await preflight(url, EVIL);
    expect(refused.status).toBe(204);
    expect(corsHeadersOf(refused.headers)).toEqual({});
    expect(await rejectedLines(registry)).toEqual(counted(1));
  });

  it('puts the headers on route answers, error answers included, and none on a refused origin', async () => {
    const registry = new Registry();
    const url = await stack.start(registry);
    const ok = await request(`${url}/api/items`, { headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ items: [] });
    expect(corsHeadersOf(ok.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
    });
    expect(ok.headers.vary).toBe('Origin');
    // The browser can read an error answer too: the headers were set before next().
    const failed = await request(`${url}/api/fail`, { headers: { origin: APP } });
    expect(failed.status).toBe(409);
    expect(failed.headers['access-control-allow-origin']).toBe(APP);
    const missing = await request(`${url}/nope`, { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe(APP);
    const refused = await request(`${url}/api/items`, { headers: { origin: EVIL } });
    expect(refused.status).toBe(200);
    expect(corsHeadersOf(refused.headers)).toEqual({});
    expect(refused.headers.vary).toBe('Origin');
  });
});

describe('engine groups', () => {
  it('group-level cors needs an OPTIONS route for preflights; global cors does not', async () => {
    const registry = new Registry();
    const engine = new Engine({ onError: () => {} });
    const bare = engine.group('/bare', cors({ origin: [APP], registry }));
    bare.get('/items', (ctx) => ctx.json(200, { items: [] }));
    // The documented fix: a catch-all OPTIONS route in the group, which cors answers.
    const api = engine.group('/api', cors({ origin: [APP], registry }));
    api.get('/items', (ctx) => ctx.json(200, { items: [] }));
    api.options('/*path', () => {});
    const server = await engine.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => server.shutdown({ timeoutMs: 1_000 }));
    const headers = { origin: APP, 'access-control-request-method': 'PUT' };
    const unrouted = await request(`${server.url}/bare/items`, { method: 'OPTIONS', headers });
    expect(unrouted.status).toBe(405);
    expect(unrouted.headers['access-control-allow-origin']).toBeUndefined();
    const routed = await request(`${server.url}/api/items`, { method: 'OPTIONS', headers });
    expect(routed.status).toBe(204);
    expect(routed.headers['access-control-allow-origin']).toBe(APP);
  });
});
