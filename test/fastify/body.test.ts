import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { request } from '@ward/core/testing';
import { ward, type WardHook } from '@ward/fastify';
import { type Running, start } from './helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(setup: (app: FastifyInstance) => Promise<void> | void, options?: FastifyServerOptions): Promise<string> {
  running = await start(setup, options);
  return running.url;
}

const json = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('ctx.req.body()', () => {
  it.each<WardHook>(['onRequest', 'preParsing'])(
    'in %s, reads the body before next() and Fastify still parses the same bytes',
    async (hook) => {
      const seen: unknown[] = [];
      const url = await serve(async (app) => {
        await app.register(
          ward(
            [
              async (ctx, next) => {
                seen.push(await ctx.req.body());
                await next();
              },
            ],
            { hook },
          ),
        );
        app.post('/', async (req) => ({ fastify: req.body }));
      });
      const res = await request(`${url}/`, json('{"name":"ward","n":[1,2]}'));
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ fastify: { name: 'ward', n: [1, 2] } });
      expect(seen).toEqual([{ name: 'ward', n: [1, 2] }]);
    },
  );

  it('reads a chunked body too', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            seen.push(await ctx.req.body());
            await next();
          },
        ]),
      );
      app.post('/', async (req) => req.body);
    });
    const res = await request(`${url}/`, { ...json('{"chunked":true}'), chunked: true });
    expect(res.json()).toEqual({ chunked: true });
    expect(seen).toEqual([{ chunked: true }]);
  });

  it.each<WardHook>(['preValidation', 'preHandler'])('in %s, is the very object Fastify parsed', async (hook) => {
    let fromWard: unknown;
    let fromRoute: unknown;
    const url = await serve(async (app) => {
      await app.register(
        ward(
          [
            async (ctx, next) => {
              fromWard = await ctx.req.body();
              await next();
            },
          ],
          { hook },
        ),
      );
      app.post('/', async (req) => {
        fromRoute = req.body;
        return 'ok';
      });
    });
    await request(`${url}/`, json('{"a":1}'));
    expect(fromWard).toEqual({ a: 1 });
    expect(fromWard).toBe(fromRoute);
  });

  it("after next() in onRequest, is Fastify's request.body", async () => {
    let fromWard: unknown;
    let fromRoute: unknown;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            fromWard = await ctx.req.body();
          },
        ]),
      );
      app.post('/', async (req) => {
        fromRoute = req.body;
        return 'ok';
      });
    });
    await request(`${url}/`, json('{"late":true}'));
    expect(fromWard).toBe(fromRoute);
  });

  it('leaves Fastify alone when no middleware reads the body', async () => {
    const url = await serve(async (app) => {
      await app.register(ward([async (_ctx, next) => next()]));
      app.post('/', async (req) => req.body);
    });
    const res = await request(`${url}/`, json('{"untouched":1}'));
    expect(res.json()).toEqual({ untouched: 1 });
  });

  it('answers a refused media type with a 415 problem when the middleware lets the error through ctx.problem', async () => {
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
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/x-thing' }, body: 'zzz' });
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    expect(handlerCalls).toBe(0);
  });

  it("a body over the route's bodyLimit read by ward still gets Fastify's own 413", async () => {
    let readByWard: unknown;
    let handlerCalls = 0;
    const url = await serve(
      async (app) => {
        await app.register(
          ward([
            async (ctx, next) => {
              readByWard = await ctx.req.body();
              await next();
            },
          ]),
        );
        app.post('/', async () => {
          handlerCalls += 1;
          return 'never';
        });
      },
      { bodyLimit: 16 },
    );
    const res = await request(`${url}/`, json('{"this body is":"longer than sixteen bytes"}'));
    expect(readByWard).toEqual({ 'this body is': 'longer than sixteen bytes' });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(handlerCalls).toBe(0);
  });

  it('leaves every byte to preParsing hooks and Fastify: a stream transform still sees the whole body', async () => {
    const transformed: number[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await ctx.req.body();
            await next();
          },
        ]),
      );
      app.addHook('preParsing', async (_request, _reply, payload) => {
        let bytes = 0;
        const counting = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            callback(null, chunk);
          },
          flush(callback) {
            transformed.push(bytes);
            callback();
          },
        });
        return payload.pipe(counting);
      });
      app.post('/', async (req) => req.body);
    });
    const body = '{"counted":"yes"}';
    const res = await request(`${url}/`, json(body));
    expect(res.json()).toEqual({ counted: 'yes' });
    expect(transformed).toEqual([body.length]);
  });

  it('keeps a large chunked body intact for Fastify, byte for byte', async () => {
    const big = JSON.stringify({ items: Array.from({ length: 20_000 }, (_, i) => `item-${i}-é`) });
    let wardHash = '';
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            wardHash = createHash('sha256').update(JSON.stringify(await ctx.req.body())).digest('hex');
            await next();
          },
        ]),
      );
      app.post('/', async (req) => createHash('sha256').update(JSON.stringify(req.body)).digest('hex'));
    });
    const res = await request(`${url}/`, { ...json(big), chunked: true });
    expect(res.status).toBe(200);
    expect(res.text).toBe(createHash('sha256').update(big).digest('hex'));
    expect(wardHash).toBe(res.text);
  });

  it.each([
    ['an empty chunked body', { chunked: true, body: '' }],
    ['Content-Length: 0', { headers: { 'content-type': 'application/json', 'content-length': '0' } }],
  ])('%s read before next() leaves Fastify answering, never hanging', async (_name, extra) => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            seen.push(await ctx.req.body());
            await next();
          },
        ]),
      );
      app.post('/', async (req) => ({ body: req.body ?? null }));
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...extra });
    expect(seen).toEqual([undefined]);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
  });

  it('a type ward refuses (415) is left untouched for a Fastify parser when the middleware lets it through', async () => {
    const refusals: unknown[] = [];
    const url = await serve(async (app) => {
      app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      await app.register(
        ward([
          async (ctx, next) => {
            await ctx.req.body().catch((error: { status?: number }) => refusals.push(error.status));
            await next();
          },
        ]),
      );
      app.post('/', async (req) => ({ length: (req.body as Buffer).length }));
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(5000, 7) });
    expect(refusals).toEqual([415]);
    expect(res.json()).toEqual({ length: 5000 });
  });

  it('a body over ward\'s limit is a 413 for ward, and still whole for Fastify', async () => {
    const refusals: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward(
          [
            async (ctx, next) => {
              await ctx.req.body().catch((error: { status?: number }) => refusals.push(error.status));
              await next();
            },
          ],
          { body: { limitBytes: 10 } },
        ),
      );
      app.post('/', async (req) => req.body);
    });
    const res = await request(`${url}/`, { ...json('{"longer":"than ten bytes"}'), chunked: true });
    expect(refusals).toEqual([413]);
    expect(res.json()).toEqual({ longer: 'than ten bytes' });
  });

  it("in hook 'preParsing', refuses to read a body another preParsing hook already took over", async () => {
    const errors: string[] = [];
    const url = await serve(async (app) => {
      app.addHook('preParsing', async (_request, _reply, payload) => payload.pipe(new Transform({ transform: (c, _e, cb) => cb(null, c) })));
      await app.register(
        ward(
          [
            async (ctx, next) => {
              await ctx.req.body().catch((error: Error) => errors.push(error.message));
              await next();
            },
          ],
          { hook: 'preParsing' },
        ),
      );
      app.post('/', async (req) => req.body);
    });
    const res = await request(`${url}/`, json('{"a":1}'));
    expect(res.json()).toEqual({ a: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/another preParsing hook/);
  });
});
