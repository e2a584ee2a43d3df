import { afterEach, describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/** A handler that fails the given way, counting its calls. */
function failing(kind: 'sync' | 'async', error: unknown, calls: { n: number }): Handler {
  if (kind === 'sync') {
    return function syncFailure() {
      calls.n += 1;
      throw error;
    };
  }
  return async function asyncFailure() {
    calls.n += 1;
    await tick();
    throw error;
  };
}

/** Catches what next() rejects with and answers a 500 problem. */
function recovering(caught: unknown[]): Middleware {
  return async function recover(ctx, next) {
    try {
      await next();
    } catch (error) {
      caught.push(error);
      ctx.problem(error);
    }
  };
}

describe('route handler errors reject next()', () => {
  it.each(['sync', 'async'] as const)('a %s failure rejects next() with the exact error; a middleware answers 500', async (kind) => {
    const boom = new Error('database on fire');
    const caught: unknown[] = [];
    const calls = { n: 0 };
    let errorHandlerCalls = 0;
    const url = await serve(async (app) => {
      app.setErrorHandler((_error, _request, reply) => {
        errorHandlerCalls += 1;
        return reply.code(599).send('not expected');
      });
      await app.register(
        ward([
          async (ctx, next) => {
            ctx.res.setHeader('x-outer', '1');
            await next();
          },
          recovering(caught),
        ]),
      );
      app.get('/', failing(kind, boom, calls));
    });
    const res = await request(`${url}/`);
    expect(caught).toHaveLength(1);
    expect(caught[0]).toBe(boom);
    expect(calls.n).toBe(1);
    expect(errorHandlerCalls).toBe(0);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-outer']).toBe('1');
    // No internals leave the process.
    expect(res.json()).toEqual({ type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' });
  });

  it('keeps an HttpError from the handler as its own problem', async () => {
    const url = await serve(async (app) => {
      await app.register(ward([recovering([])]));
      app.get('/', async () => {
        throw new HttpError(409, { code: 'VERSION_CONFLICT', detail: 'stale etag' });
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(409);
    expect(res.json()).toEqual({ type: 'urn:ward:problem:version-conflict', title: 'Conflict', status: 409, code: 'VERSION_CONFLICT', detail: 'stale etag' });
  });

  it.each(['sync', 'async'] as const)('a %s failure nobody handles reaches setErrorHandler as the exact error', async (kind) => {
    const boom = new Error('unhandled');
    const seenByHandler: unknown[] = [];
    const seenByWard: unknown[] = [];
    const calls = { n: 0 };
    const url = await serve(async (app) => {
      app.setErrorHandler((error, _request, reply) => {
        seenByHandler.push(error);
        return reply.code(418).header('x-error-handler', 'yes').send({ handled: true });
      });
      await app.register(
        ward([
          async (ctx, next) => {
            ctx.res.setHeader('x-ward', 'kept');
            try {
              await next();
            } catch (error) {
              seenByWard.push(error);
              throw error;
            }
          },
        ]),
      );
      app.get('/', failing(kind, boom, calls));
    });
    const res = await request(`${url}/`);
    expect(seenByWard).toEqual([boom]);
    expect(seenByWard[0]).toBe(boom);
    expect(seenByHandler).toHaveLength(1);
    expect(seenByHandler[0]).toBe(boom);
    expect(calls.n).toBe(1);
    expect(res.status).toBe(418);
    expect(res.headers['x-error-handler']).toBe('yes');
    expect(res.headers['x-ward']).toBe('kept');
    expect(res.json()).toEqual({ handled: true });
  });

  it("hands a non-Error throw to Fastify's default handler, which answers 500", async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      app.setErrorHandler((error, _request, reply) => {
        seen.push(error);
        return reply.code(500).send('custom');
      });
      await app.register(ward([async (_ctx, next) => next()]));
      app.get('/', async () => {
        throw 'a string';
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(seen).toEqual(['a string']);
  });

  it('falls back to the default Fastify error handler, which uses the HttpError status and headers', async () => {
    const url = await serve(async (app) => {
      await app.register(ward([async (_ctx, next) => next()]));
      app.get('/', async () => {
        throw new HttpError(429, { code: 'RATE_LIMITED', headers: { 'retry-after': '7' } });
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
  });

  it('answers 404 problem when a middleware swallows the error without answering', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (_ctx, next) => {
            await next().catch(() => undefined);
          },
        ]),
      );
      app.get('/', async () => {
        throw new Error('swallowed');
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it("keeps `this` (the Fastify instance) and the handler's reply.send", async () => {
    let self: unknown;
    let instance: FastifyInstance | undefined;
    const url = await serve(async (app) => {
      instance = app;
      await app.register(ward([async (_ctx, next) => next()]));
      app.get('/', function (this: FastifyInstance, _request, reply) {
        self = this;
        reply.send('via send');
      });
    });
    const res = await request(`${url}/`);
    expect(res.text).toBe('via send');
    expect(self).toBe(instance);
  });

  it('waits for an async handler that calls reply.send without returning it (no second, empty answer)', async () => {
    const bodies: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            bodies.push(ctx.res.body);
          },
        ]),
      );
      app.get('/', async (_request, reply) => {
        reply.code(201).send('sent, not returned');
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(201);
    expect(res.text).toBe('sent, not returned');
    expect(bodies).toEqual(['sent, not returned']);
  });
});

describe('failures while sending', () => {
  it("an invalid header a route set (Fastify checks at writeHead) ends as Fastify's own 500, and the server lives on", async () => {
    const url = await serve(async (app) => {
      await app.register(ward([async (_ctx, next) => next()]));
      app.get('/', async (_request, reply) => {
        reply.header('x-bad', 'a\nb');
        return 'x';
      });
      app.get('/ok', async () => 'ok');
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ code: 'ERR_INVALID_CHAR' });
    expect((await request(`${url}/ok`)).text).toBe('ok');
  });
});

describe('a route added before the plugin loaded', () => {
  it("is guarded, but its error reaches the chain only as Fastify's error answer", async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      // Not awaited: the route is added before ward's onRoute hook exists, so its handler is not wrapped.
      void app.register(
        ward([
          async (ctx, next) => {
            try {
              await next();
              seen.push('resolved', ctx.res.status);
            } catch {
              seen.push('rejected');
            }
          },
        ]),
      );
      app.get('/', async () => {
        throw new Error('not wrapped');
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(seen).toEqual(['resolved', 500]);
  });
});

describe('errors of ward middleware', () => {
  it('an error before next() reaches setErrorHandler exactly; the handler never runs', async () => {
    const failure = new Error('middleware failed');
    const seen: unknown[] = [];
    let handlerCalls = 0;
    const url = await serve(async (app) => {
      app.setErrorHandler((error, _request, reply) => {
        seen.push(error);
        return reply.code(503).send('from error handler');
      });
      await app.register(
        ward([
          () => {
            throw failure;
          },
        ]),
      );
      app.get('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(503);
    expect(res.text).toBe('from error handler');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(failure);
    expect(handlerCalls).toBe(0);
  });

  it("an error after next() replaces the route's held answer with the error handler's", async () => {
    const failure = new Error('after next');
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      app.setErrorHandler((error, _request, reply) => {
        seen.push(error);
        return reply.code(500).send({ failed: true });
      });
      await app.register(
        ward([
          async (_ctx, next) => {
            await next();
            throw failure;
          },
        ]),
      );
      app.get('/', async (_request, reply) => reply.type('text/html').send('<p>route</p>'));
    });
    const res = await request(`${url}/`);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(failure);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ failed: true });
  });

  it('an HttpError from a middleware gets its status and headers from the default error handler', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          () => {
            throw new HttpError(401, { code: 'TOKEN_EXPIRED', headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
          },
        ]),
      );
      app.get('/', async () => 'never');
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.json()).toMatchObject({ statusCode: 401, code: 'TOKEN_EXPIRED' });
  });
});

describe('nested ward plugins', () => {
  it('a route error rejects the inner chain first, then the outer one', async () => {
    const events: string[] = [];
    const boom = new Error('deep');
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            try {
              await next();
            } catch (error) {
              events.push(`outer caught ${(error as Error).message}`);
              ctx.problem(new HttpError(502, { code: 'UPSTREAM_FAILED' }));
            }
          },
        ]),
      );
      await app.register(
        async (api) => {
          await api.register(
            ward([
              async (_ctx, next) => {
                try {
                  await next();
                } catch (error) {
                  events.push(`inner caught ${(error as Error).message}`);
                  throw error;
                }
              },
            ]),
          );
          api.get('/x', async () => {
            throw boom;
          });
        },
        { prefix: '/api' },
      );
    });
    const res = await request(`${url}/api/x`);
    expect(events).toEqual(['inner caught deep', 'outer caught deep']);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ code: 'UPSTREAM_FAILED' });
  });
});

describe('a stream payload that fails mid-way', () => {
  it("rejects next() with the stream's error once the connection is cut (rule 5), and the server lives on", async () => {
    const { Readable } = await import('node:stream');
    const { ResponseAbortedError, deferred } = await import('@ward/core/testing');
    const failure = new Error('disk on fire');
    const seen: unknown[] = [];
    const caught = deferred<void>();
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async function catcher(ctx, next) {
            try {
              await next();
              seen.push('resolved');
            } catch (error) {
              seen.push(error, ctx.res.committed);
            }
            caught.resolve();
          },
        ]),
      );
      app.get('/s', async (_request, reply) => {
        let sent = false;
        const body = new Readable({
          read() {
            if (!sent) {
              sent = true;
              this.push('first;');
              setImmediate(() => this.destroy(failure));
            }
          },
        });
        return reply.type('text/plain').send(body);
      });
      app.get('/ok', async () => 'ok');
    });
    const error = await request(`${url}/s`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResponseAbortedError);
    await caught.promise;
    expect(seen).toEqual([failure, true]);
    expect((await request(`${url}/ok`)).text).toBe('ok');
  });
});
