/**
 * Hostile inputs of the Express adapter: forged proxy headers, header
 * injection by a handler, leaking error internals, and configuration
 * mistakes that must fail at start.
 */
import { markFactory, type Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { ward, wardErrorHandler } from '@ward/express';
import type { ErrorRequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { INTERNAL_PROBLEM, recovery, serve, VERSIONS } from './helpers.js';

describe.each(VERSIONS)('%s', (_name, express) => {
  describe('security: client identity', () => {
    it('a forged X-Forwarded-For / -Proto is ignored by default', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.use(ward([(ctx, next) => (seen.push(ctx.req.ip, ctx.req.secure), next())]));
      app.get('/', (_req, res) => res.send('ok'));
      const { url } = await serve(app);
      await request(`${url}/`, { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' } });
      expect(seen).toEqual(['127.0.0.1', false]);
    });

    it('is honoured from a proxy named in trustProxy', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.use(ward([(ctx, next) => (seen.push(ctx.req.ip, ctx.req.secure), next())], { trustProxy: 'loopback' }));
      app.get('/', (_req, res) => res.send('ok'));
      const { url } = await serve(app);
      await request(`${url}/`, { headers: { 'x-forwarded-for': '203.0.113.9, 6.6.6.6', 'x-forwarded-proto': 'https' } });
      expect(seen).toEqual(['6.6.6.6', true]);
    });

    it("Express's own trust proxy setting does not make ward trust the header", async () => {
      const seen: unknown[] = [];
      const app = express();
      app.set('trust proxy', true);
      app.use(ward([(ctx, next) => (seen.push(ctx.req.ip), next())]));
      app.get('/', (req, res) => res.send(req.ip));
      const { url } = await serve(app);
      const res = await request(`${url}/`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
      expect(res.text).toBe('6.6.6.6');
      expect(seen).toEqual(['127.0.0.1']);
    });
  });

  describe('security: hostile handlers', () => {
    it('a header value with CRLF set by a handler becomes a 500 problem, nothing injected, process alive', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.use(ward([recovery(seen)]));
      app.get('/inject', (req, res) => {
        res.set('x-echo', String(req.query['v']));
        res.send('never');
      });
      app.get('/ok', (_req, res) => res.send('still here'));
      const { url } = await serve(app);
      const res = await request(`${url}/inject?v=${encodeURIComponent('a\r\nSet-Cookie: session=evil')}`);
      expect(res.status).toBe(500);
      expect(res.json()).toEqual(INTERNAL_PROBLEM);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['x-echo']).toBeUndefined();
      expect(seen).toHaveLength(1);
      expect((seen[0] as { code?: string }).code).toBe('ERR_INVALID_CHAR');
      expect((await request(`${url}/ok`)).text).toBe('still here');
    });

    it("without recovery, the CRLF error goes to the user's error handler", async () => {
      const userCalls: unknown[] = [];
      const app = express();
      app.use(ward([]));
      app.get('/inject', (_req, res) => {
        res.setHeader('x-bad', 'a\nb');
        res.send('never');
      });
      app.use(((error: { code?: string }, _req, res, _next) => {
        userCalls.push(error.code);
        res.status(500).send('handled');
      }) as ErrorRequestHandler);
      const { url } = await serve(app);
      const res = await request(`${url}/inject`);
      expect(res.status).toBe(500);
      expect(res.text).toBe('handled');
      expect(userCalls).toEqual(['ERR_INVALID_CHAR']);
    });

    it('a 500 problem never carries the message or stack of the error', async () => {
      const app = express();
      app.use(ward([recovery([])]));
      app.get('/', () => {
        throw new Error('db password is hunter2');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/`);
      expect(res.status).toBe(500);
      expect(res.json()).toEqual(INTERNAL_PROBLEM);
      expect(res.text).not.toContain('hunter2');
    });
  });
});

describe('security: configuration mistakes fail at ward()', () => {
  const rateLimit = markFactory(function rateLimit(): Middleware {
    return async function rateLimit(_ctx, next) {
      await next();
    };
  });

  it('a middleware factory passed without its call is a TypeError naming the fix', () => {
    expect(() => ward([rateLimit as unknown as Middleware])).toThrow(TypeError);
    expect(() => ward([rateLimit as unknown as Middleware])).toThrow('middleware[0] is the factory "rateLimit", not a middleware. Call it: rateLimit({ … })');
  });

  it('a non-function in the list is a TypeError', () => {
    expect(() => ward([null as unknown as Middleware])).toThrow('middleware[0] must be a middleware function (ctx, next), got null');
  });

  it('middleware that is not an array is a TypeError; so is ward registered without its call', () => {
    expect(() => ward(undefined as unknown as Middleware[])).toThrow(TypeError);
    const fakeRequest = { socket: {}, headers: {} };
    const misuse = ward as unknown as (req: unknown, res: unknown, next: unknown) => unknown;
    expect(() => misuse(fakeRequest, {}, () => {})).toThrow(
      'ward(middleware, options) expects an array of ward middleware, got a request object (was ward registered without its call?). Call it: app.use(ward([requestId(), …]))',
    );
  });

  it('wardErrorHandler registered without its call is a TypeError', () => {
    const misuse = wardErrorHandler as unknown as (...args: unknown[]) => unknown;
    expect(() => misuse({}, {}, () => {})).toThrow('wardErrorHandler is a factory: register it as app.use(wardErrorHandler()), with the call');
    expect(typeof wardErrorHandler()).toBe('function');
    expect(wardErrorHandler().length).toBe(4);
  });

  it('options: wrong types are TypeErrors, bad values RangeErrors, each naming the option', () => {
    expect(() => ward([], null as never)).toThrow(TypeError);
    expect(() => ward([], { autoCatch: 'yes' as never })).toThrow('ward options.autoCatch must be a boolean, got the string "yes"');
    expect(() => ward([], { bufferLimitBytes: '1024' as never })).toThrow(TypeError);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ward([], { bufferLimitBytes: bad })).toThrow(RangeError);
    }
    expect(() => ward([], { bufferLimitBytes: -1 })).toThrow('ward options.bufferLimitBytes must be a positive integer of bytes, got -1 (e.g. 1048576 for 1 MiB)');
    expect(() => ward([], { onLateError: 'log' as never })).toThrow('ward options.onLateError must be a function (error, req) => void, got the string "log"');
    expect(() => ward([], { trustProxy: true as never })).toThrow(TypeError);
    expect(() => ward([], { development: 'yes' as never })).toThrow('development must be a boolean, got string');
  });

  it('a valid configuration makes an Express request handler (arity 3)', () => {
    const handler = ward([], { autoCatch: false, bufferLimitBytes: 4096, onLateError: () => {}, trustProxy: 1 });
    expect(typeof handler).toBe('function');
    expect(handler.length).toBe(3);
    expect(handler.name).toBe('ward');
  });
});
