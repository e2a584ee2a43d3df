import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { HttpError, type Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { ward } from '@ward/fastify';
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

function tagging(name: string, events: string[]): Middleware {
  return async function tag(ctx, next) {
    events.push(`${name} before ${ctx.req.path}`);
    ctx.res.appendHeader('x-ward', name);
    await next();
    events.push(`${name} after ${ctx.res.status}`);
  };
}

describe('encapsulation', () => {
  it('a plugin registered under /api guards /api/x and not /other', async () => {
    const events: string[] = [];
    const url = await serve(async (app) => {
      await app.register(
        async (api) => {
          await api.register(ward([tagging('api', events)]));
          api.get('/x', async () => 'x');
        },
        { prefix: '/api' },
      );
      app.get('/other', async () => 'other');
    });
    const guarded = await request(`${url}/api/x`);
    const open = await request(`${url}/other`);
    expect(guarded.text).toBe('x');
    expect(guarded.headers['x-ward']).toBe('api');
    expect(open.text).toBe('other');
    expect(open.headers['x-ward']).toBeUndefined();
    expect(events).toEqual(['api before /api/x', 'api after 200']);
  });

  it('does not guard a 404 under the prefix (the root not-found handler has the root hooks)', async () => {
    const events: string[] = [];
    const url = await serve(async (app) => {
      await app.register(
        async (api) => {
          await api.register(ward([tagging('api', events)]));
          api.get('/x', async () => 'x');
        },
        { prefix: '/api' },
      );
    });
    const res = await request(`${url}/api/missing`);
    expect(res.status).toBe(404);
    expect(events).toEqual([]);
  });

  it('a sibling plugin is not guarded', async () => {
    const events: string[] = [];
    const url = await serve(async (app) => {
      await app.register(async (a) => {
        await a.register(ward([tagging('a', events)]));
        a.get('/a', async () => 'a');
      });
      await app.register(async (b) => {
        b.get('/b', async () => {
          throw new Error('b fails on its own');
        });
      });
    });
    expect((await request(`${url}/a`)).headers['x-ward']).toBe('a');
    const b = await request(`${url}/b`);
    expect(b.status).toBe(500);
    expect(b.headers['x-ward']).toBeUndefined();
    expect(events).toEqual(['a before /a', 'a after 200']);
  });

  it('nested plugins keep the onion order across them', async () => {
    const events: string[] = [];
    const url = await serve(async (app) => {
      await app.register(ward([tagging('root', events)]));
      await app.register(
        async (api) => {
          await api.register(ward([tagging('api', events)]));
          api.get('/x', async () => {
            events.push('handler');
            return 'x';
          });
        },
        { prefix: '/api' },
      );
      app.get('/top', async () => 'top');
    });
    const nested = await request(`${url}/api/x`);
    expect(nested.headers['x-ward']).toBe('root, api');
    expect(events).toEqual(['root before /api/x', 'api before /api/x', 'handler', 'api after 200', 'root after 200']);
    events.length = 0;
    const top = await request(`${url}/top`);
    expect(top.headers['x-ward']).toBe('root');
    expect(events).toEqual(['root before /top', 'root after 200']);
  });

  it('a nested chain shares the enclosing chain\'s state and signal: its problem answers carry the outer request id', async () => {
    const seen: unknown[] = [];
    const signals: AbortSignal[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async function stampId(ctx, next) {
            ctx.state.requestId = 'outer-id';
            signals.push(ctx.signal);
            await next();
            seen.push(ctx.state.traceId);
          },
        ]),
      );
      await app.register(
        async (api) => {
          await api.register(
            ward([
              function denyWithTrace(ctx) {
                seen.push(ctx.state.requestId);
                ctx.state.traceId = 'set-by-inner';
                signals.push(ctx.signal);
                ctx.problem(new HttpError(403, { code: 'NOPE' }));
              },
            ]),
          );
          api.get('/x', async () => 'x');
        },
        { prefix: '/api' },
      );
    });
    const res = await request(`${url}/api/x`);
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, code: 'NOPE', request_id: 'outer-id' });
    expect(seen).toEqual(['outer-id', 'set-by-inner']);
    expect(signals).toHaveLength(2);
    expect(signals[1]).toBe(signals[0]);
  });

  it('an inner short-circuit is seen after next() by the outer chain', async () => {
    const seen: unknown[] = [];
    let handlerCalls = 0;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.status, ctx.res.body);
            ctx.res.setHeader('x-outer', 'saw it');
          },
        ]),
      );
      await app.register(
        async (api) => {
          await api.register(ward([(ctx) => ctx.text(403, 'inner says no')]));
          api.get('/x', async () => {
            handlerCalls += 1;
            return 'never';
          });
        },
        { prefix: '/api' },
      );
    });
    const res = await request(`${url}/api/x`);
    expect(res.status).toBe(403);
    expect(res.text).toBe('inner says no');
    expect(res.headers['x-outer']).toBe('saw it');
    expect(seen).toEqual([403, 'inner says no']);
    expect(handlerCalls).toBe(0);
  });

  it('an outer chain can replace what the inner chain changed', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            ctx.res.body = `[${String(ctx.res.body)}]`;
          },
        ]),
      );
      await app.register(
        async (api) => {
          await api.register(
            ward([
              async (ctx, next) => {
                await next();
                ctx.res.body = `(${String(ctx.res.body)})`;
              },
            ]),
          );
          api.get('/x', async () => 'x');
        },
        { prefix: '/api' },
      );
    });
    const res = await request(`${url}/api/x`);
    expect(res.text).toBe('[(x)]');
    expect(res.headers['content-length']).toBe('5');
  });
});
