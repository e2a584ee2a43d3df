import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type FastifyPluginCallback } from 'fastify';
import { HttpError, markFactory, type Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { type FastifyAdapterOptions, ward } from '@ward/fastify';
import { type Running, start } from './helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(setup: (app: FastifyInstance) => Promise<void> | void): Promise<string> {
  running = await start(setup);
  return running.url;
}

function recordingIp(seen: unknown[]): Middleware {
  return async function recordIp(ctx, next) {
    seen.push(ctx.req.ip, ctx.req.secure);
    await next();
  };
}

describe('security: client identity', () => {
  it('ignores a forged X-Forwarded-For and X-Forwarded-Proto by default', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(ward([recordingIp(seen)]));
      app.get('/', async () => 'ok');
    });
    await request(`${url}/`, { headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1', 'x-forwarded-proto': 'https' } });
    expect(seen).toEqual(['127.0.0.1', false]);
  });

  it('honours them from a proxy named in trustProxy', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(ward([recordingIp(seen)], { trustProxy: 'loopback' }));
      app.get('/', async () => 'ok');
    });
    await request(`${url}/`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
    expect(seen).toEqual(['203.0.113.9', true]);
  });

  it('stops at the first untrusted hop of a forged chain', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(ward([recordingIp(seen)], { trustProxy: 'loopback' }));
      app.get('/', async () => 'ok');
    });
    // The client forged the left part; the trusted proxy (loopback) appended the real peer.
    await request(`${url}/`, { headers: { 'x-forwarded-for': '10.0.0.1, 203.0.113.9' } });
    expect(seen[0]).toBe('203.0.113.9');
  });
});

describe('security: hostile bodies', () => {
  it('refuses prototype-poisoning JSON read through ctx.req.body() with a 400', async () => {
    let handlerCalls = 0;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            try {
              await ctx.req.body();
            } catch (error) {
              ctx.problem(error);
              return;
            }
            await next();
          },
        ]),
      );
      app.post('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"admin":true}}' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_JSON' });
    expect(handlerCalls).toBe(0);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('an encoded or malformed body read through ctx.req.body() is a 4xx problem, never a crash', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            try {
              await ctx.req.body();
            } catch (error) {
              ctx.problem(error);
              return;
            }
            await next();
          },
        ]),
      );
      app.post('/', async (req) => req.body);
      app.get('/', async () => 'alive');
    });
    const encoded = await request(`${url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip at all',
    });
    expect(encoded.status).toBe(415);
    expect(encoded.json()).toMatchObject({ code: 'UNSUPPORTED_CONTENT_ENCODING' });
    const broken = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"broken"' });
    expect(broken.status).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'INVALID_JSON' });
    expect((await request(`${url}/`)).text).toBe('alive');
  });

  it("a malformed body a middleware read but let through gets Fastify's own 400", async () => {
    let handlerCalls = 0;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await ctx.req.body().catch(() => undefined);
            await next();
          },
        ]),
      );
      app.post('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"broken"' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(handlerCalls).toBe(0);
  });
});

describe('security: header injection', () => {
  it('a CR/LF in a header value set by a middleware fails at the call site; nothing is injected', async () => {
    const failures: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            try {
              ctx.res.setHeader('x-echo', `${ctx.req.query.get('v') ?? ''}`);
            } catch (error) {
              failures.push((error as { code?: string }).code);
              ctx.problem(new HttpError(400, { code: 'BAD_HEADER_VALUE' }));
            }
          },
        ]),
      );
      app.get('/', async () => 'ok');
    });
    const res = await request(`${url}/?v=${encodeURIComponent('a\r\nset-cookie: pwned=1')}`);
    expect(failures).toEqual(['ERR_INVALID_CHAR']);
    expect(res.status).toBe(400);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-echo']).toBeUndefined();
  });

  it('an invalid header name is refused the same way', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          (ctx) => {
            ctx.res.setHeader('bad name', 'x');
          },
        ]),
      );
      app.get('/', async () => 'never');
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(res.headers['bad name']).toBeUndefined();
  });
});

describe('security: configuration mistakes fail at start', () => {
  it('a factory passed without its call is a TypeError naming the fix', () => {
    const rateLimit = markFactory(function rateLimit(_options: { limit: number }): Middleware {
      return async (_ctx, next) => next();
    });
    expect(() => ward([rateLimit as unknown as Middleware])).toThrow(TypeError);
    expect(() => ward([rateLimit as unknown as Middleware])).toThrow(/rateLimit\(\{/);
  });

  it('a single middleware instead of a list is a TypeError', () => {
    const one: Middleware = async (_ctx, next) => next();
    expect(() => ward(one as unknown as Middleware[])).toThrow(TypeError);
    expect(() => ward(one as unknown as Middleware[])).toThrow(/array of middleware/);
  });

  it('registering ward itself without calling it is a TypeError naming the fix', async () => {
    const app = Fastify({ logger: false });
    const register = app.register(ward as unknown as FastifyPluginCallback);
    await expect(register).rejects.toThrow(TypeError);
    await expect(app.ready()).rejects.toThrow(/without its call/);
  });

  it.each(['onSend', 'onResponse', 'preSerialization', 'OnRequest', ''])('hook %j is a RangeError naming the option', (hook) => {
    const make = () => ward([], { hook } as unknown as FastifyAdapterOptions);
    expect(make).toThrow(RangeError);
    expect(make).toThrow(/hook must be one of 'onRequest', 'preParsing', 'preValidation', 'preHandler'/);
    expect(make).toThrow(JSON.stringify(hook));
  });

  it.each([42, null, true, {}])('hook %j of the wrong type is a TypeError', (hook) => {
    expect(() => ward([], { hook } as unknown as FastifyAdapterOptions)).toThrow(TypeError);
  });

  it.each([null, 'x', 3, []])('options %j is a TypeError', (options) => {
    expect(() => ward([], options as unknown as FastifyAdapterOptions)).toThrow(TypeError);
  });

  it('trustProxy: true is refused (name the proxies)', () => {
    expect(() => ward([], { trustProxy: true } as unknown as FastifyAdapterOptions)).toThrow(/There is no `true`/);
  });

  it('a bad body limit is a RangeError', () => {
    expect(() => ward([], { body: { limitBytes: -1 } })).toThrow(RangeError);
  });
});
