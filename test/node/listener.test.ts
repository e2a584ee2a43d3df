/**
 * wardListener: a ward chain as a node:http request listener, with and
 * without a final handler; option validation at construction.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Middleware } from '@ward/core';
import { listen, request, type TestServer } from '@ward/core/testing';
import { type NodeAdapterOptions, wardListener } from '@ward/node';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const tag: Middleware = async function tag(ctx, next) {
  ctx.res.setHeader('x-ward', ctx.adapter);
  await next();
};

describe('wardListener with a final handler', () => {
  it('runs the chain around the handler and sends what the handler wrote', async () => {
    const log: string[] = [];
    server = await listen(
      wardListener(
        [
          async (_ctx, next) => {
            log.push('before');
            await next();
            log.push('after');
          },
          tag,
        ],
        (_req, res) => {
          log.push('handler');
          res.setHeader('content-type', 'text/plain');
          res.end('from node');
        },
      ),
    );
    const res = await request(server.url);
    expect(res.status).toBe(200);
    expect(res.text).toBe('from node');
    expect(res.headers['x-ward']).toBe('node');
    expect(res.headers['content-length']).toBe('9');
    expect(log).toEqual(['before', 'handler', 'after']);
  });

  it('accepts a handler that returns a promise', async () => {
    server = await listen(
      wardListener([], async (_req, res) => {
        await Promise.resolve();
        res.end('later');
      }),
    );
    expect((await request(server.url)).text).toBe('later');
  });

  it('does not run the handler when the chain answers first', async () => {
    let ran = 0;
    server = await listen(
      wardListener([(ctx) => ctx.text(401, 'no')], (_req, res) => {
        ran++;
        res.end('yes');
      }),
    );
    const res = await request(server.url);
    expect(res.status).toBe(401);
    expect(res.text).toBe('no');
    expect(ran).toBe(0);
  });

  it('lets ctx.req see the raw request: method, path, query, headers', async () => {
    const seen: unknown[] = [];
    server = await listen(
      wardListener(
        [
          (ctx, next) => {
            seen.push(ctx.req.method, ctx.req.path, ctx.req.query.get('q'), ctx.req.header('X-Test'), ctx.req.url);
            return next();
          },
        ],
        (_req, res) => res.end(),
      ),
    );
    await request(`${server.url}/a%20b?q=1&q=2`, { method: 'PUT', headers: { 'x-test': 'yes' } });
    expect(seen).toEqual(['PUT', '/a%20b', '1', 'yes', '/a%20b?q=1&q=2']);
  });
});

describe('wardListener without a final handler', () => {
  it('sends what the chain answered', async () => {
    server = await listen(wardListener([tag, (ctx) => ctx.json(200, { ok: true })]));
    const res = await request(server.url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-ward']).toBe('node');
    expect(res.json()).toEqual({ ok: true });
  });

  it('answers a chain that produced nothing with a 404 problem+json', async () => {
    server = await listen(wardListener([tag]));
    const res = await request(`${server.url}/missing?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['x-ward']).toBe('node');
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:not-found',
      title: 'Not Found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No route for GET /missing',
    });
  });

  it('an empty chain is a 404 for everything', async () => {
    server = await listen(wardListener([]));
    expect((await request(server.url, { method: 'POST', body: 'x' })).status).toBe(404);
  });
});

describe('wardListener: options validated at construction', () => {
  it('refuses a handler that is not a function', () => {
    expect(() => wardListener([], 'handler' as unknown as undefined)).toThrow(
      new TypeError('wardListener(middleware, handler): handler must be a function (req, res), got string'),
    );
  });

  it('refuses options that are not an object', () => {
    expect(() => wardListener([], undefined, null as unknown as NodeAdapterOptions)).toThrow(
      new TypeError('node adapter options must be an object, got null'),
    );
  });

  it('refuses an onError that is not a function', () => {
    expect(() => wardListener([], undefined, { onError: 'log' as unknown as NodeAdapterOptions['onError'] })).toThrow(
      new TypeError('onError must be a function, got string'),
    );
  });

  it.each([-1, 1.5, Number.NaN, '1mb'])('refuses bufferLimitBytes %s with a RangeError', (value) => {
    expect(() => wardListener([], undefined, { bufferLimitBytes: value as number })).toThrow(
      new RangeError(`bufferLimitBytes must be a non-negative integer of bytes, got ${String(value)}`),
    );
  });

  it('refuses a middleware factory passed without its call', () => {
    expect(() => wardListener([42 as unknown as Middleware])).toThrow(
      new TypeError('middleware[0] must be a middleware function (ctx, next), got number'),
    );
  });

  it('refuses trustProxy: true', () => {
    expect(() => wardListener([], undefined, { trustProxy: true as unknown as false })).toThrow(TypeError);
  });
});
