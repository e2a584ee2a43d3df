/**
 * ctx.req.body() on Express: the value a body parser already produced, or
 * ward's own parse, left in req.body for Express code and for a later
 * express.json(), which then skips the consumed stream.
 */
import type { Context } from '@ward/core';
import { request } from '@ward/core/testing';
import { ward } from '@ward/express';
import { describe, expect, it } from 'vitest';
import { recovery, serve, VERSIONS } from './helpers.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe.each(VERSIONS)('%s', (_name, express) => {
  it('without a body parser: ward parses, and the route finds the value in req.body', async () => {
    const read: unknown[] = [];
    const app = express();
    app.use(
      ward([
        async (ctx: Context, next) => {
          read.push(await ctx.req.body());
          await next();
        },
      ]),
    );
    // A parser after ward finds the stream consumed and leaves req.body alone.
    app.use(express.json());
    app.post('/echo', (req, res) => {
      res.json({ body: req.body as unknown, sameObject: req.body === read[0] });
    });
    const { url } = await serve(app);
    const res = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: '{"a":1,"b":[true]}' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ body: { a: 1, b: [true] }, sameObject: true });
    expect(read).toEqual([{ a: 1, b: [true] }]);
  });

  it('after express.json(): the parsed req.body is returned as it is', async () => {
    const read: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.use(
      ward([
        async (ctx, next) => {
          read.push(await ctx.req.body());
          await next();
        },
      ]),
    );
    app.post('/echo', (req, res) => {
      res.json({ sameObject: req.body === read[0] });
    });
    const { url } = await serve(app);
    const res = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: '{"n":2}' });
    expect(res.json()).toEqual({ sameObject: true });
    expect(read).toEqual([{ n: 2 }]);
  });

  it('after express.json() that skipped a text body: ward reads it', async () => {
    const read: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.use(
      ward([
        async (ctx, next) => {
          read.push(await ctx.req.body());
          await next();
        },
      ]),
    );
    app.post('/text', (req, res) => {
      res.json({ body: req.body as unknown });
    });
    const { url } = await serve(app);
    const res = await request(`${url}/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(read).toEqual(['hello']);
    expect(res.json()).toEqual({ body: 'hello' });
  });

  it('a request without a body reads as undefined', async () => {
    const read: unknown[] = [];
    const app = express();
    app.use(
      ward([
        async (ctx, next) => {
          read.push(await ctx.req.body());
          await next();
        },
      ]),
    );
    app.get('/', (_req, res) => res.send('ok'));
    const { url } = await serve(app);
    await request(`${url}/`);
    expect(read).toEqual([undefined]);
  });

  describe('security: request bodies', () => {
    it('a prototype-poisoning JSON body is a 400, never reaches the route nor req.body', async () => {
      let routeRuns = 0;
      const bodies: unknown[] = [];
      const app = express();
      app.use(
        ward([
          recovery([]),
          async (ctx, next) => {
            await ctx.req.body();
            await next();
          },
        ]),
      );
      app.use((req, _res, next) => {
        bodies.push(req.body);
        next();
      });
      app.post('/', (_req, res) => {
        routeRuns += 1;
        res.send('route');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/`, { method: 'POST', headers: JSON_HEADERS, body: '{"__proto__":{"admin":true}}' });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, code: 'INVALID_JSON' });
      expect(routeRuns).toBe(0);
      expect(bodies).toEqual([]);
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    });

    it('a body over body.limitBytes is a 413 problem', async () => {
      const app = express();
      app.use(
        ward(
          [
            recovery([]),
            async (ctx, next) => {
              await ctx.req.body();
              await next();
            },
          ],
          { body: { limitBytes: 16 } },
        ),
      );
      app.post('/', (_req, res) => res.send('route'));
      const { url } = await serve(app);
      const res = await request(`${url}/`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ pad: 'x'.repeat(64) }) });
      expect(res.status).toBe(413);
      expect(res.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    });
  });
});
