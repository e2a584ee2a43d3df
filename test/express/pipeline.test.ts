/**
 * The ward contract on Express: onion order around Express handlers, deferred
 * commit of what res.json/send/end/sendStatus/redirect produced,
 * short-circuit, HEAD, Express's own 404, per-route and Router use, nesting,
 * and what ctx.req knows about the Express route.
 */
import { type Context, HttpError } from '@ward/core';
import { request } from '@ward/core/testing';
import { ward } from '@ward/express';
import { describe, expect, it } from 'vitest';
import { serve, VERSIONS } from './helpers.js';

describe.each(VERSIONS)('%s', (_name, express) => {
  describe('onion order', () => {
    it('runs before → Express handler → after, each once', async () => {
      const log: string[] = [];
      const app = express();
      app.use(
        ward([
          async function outer(_ctx, next) {
            log.push('outer before');
            await next();
            log.push('outer after');
          },
          async function inner(_ctx, next) {
            log.push('inner before');
            await next();
            log.push('inner after');
          },
        ]),
      );
      app.get('/', (_req, res) => {
        log.push('handler');
        res.send('ok');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/`);
      expect(res.status).toBe(200);
      expect(res.text).toBe('ok');
      expect(log).toEqual(['outer before', 'inner before', 'handler', 'inner after', 'outer after']);
    });

    it('reports the adapter as express', async () => {
      const seen: string[] = [];
      const app = express();
      app.use(ward([(ctx, next) => (seen.push(ctx.adapter), next())]));
      app.get('/', (_req, res) => res.end());
      const { url } = await serve(app);
      await request(`${url}/`);
      expect(seen).toEqual(['express']);
    });
  });

  describe('deferred commit', () => {
    it('a body-transforming wrapper before ward (compression-style) stays outside: ward sees the raw body, the wrapper transforms the final one', async () => {
      const seen: string[] = [];
      const app = express();
      // Wraps res.write/res.end as own properties, like compression does.
      app.use((_req, res, next) => {
        const end = res.end.bind(res) as (chunk?: unknown) => unknown;
        const chunks: Buffer[] = [];
        res.write = ((chunk: string | Buffer) => (chunks.push(Buffer.from(chunk)), true)) as typeof res.write;
        res.end = ((chunk?: string | Buffer) => {
          if (chunk !== undefined) chunks.push(Buffer.from(chunk));
          const upper = Buffer.concat(chunks).toString('utf8').toUpperCase();
          res.setHeader('x-transformed', 'upper');
          res.setHeader('content-length', Buffer.byteLength(upper));
          end(upper);
          return res;
        }) as typeof res.end;
        next();
      });
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(String(ctx.res.body));
            ctx.res.body = `${String(ctx.res.body)} and ward`;
          },
        ]),
      );
      app.get('/', (_req, res) => res.send('from the handler'));
      const { url } = await serve(app);
      const res = await request(`${url}/`);
      expect(res.status).toBe(200);
      expect(seen).toEqual(['from the handler']);
      expect(res.headers['x-transformed']).toBe('upper');
      expect(res.text).toBe('FROM THE HANDLER AND WARD');
    });

    it('res.json: status, header and body can be read and changed after next()', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.status, ctx.res.header('content-type'), ctx.res.committed, String(ctx.res.body));
            ctx.res.status = 201;
            ctx.res.setHeader('x-after', 'yes');
            ctx.res.body = JSON.stringify({ wrapped: JSON.parse(String(ctx.res.body)) });
          },
        ]),
      );
      app.get('/json', (_req, res) => {
        res.status(200).set('x-handler', 'h').json({ a: 1 });
      });
      const { url } = await serve(app);
      const res = await request(`${url}/json`);
      expect(seen).toEqual([200, 'application/json; charset=utf-8', false, '{"a":1}']);
      expect(res.status).toBe(201);
      expect(res.headers['x-after']).toBe('yes');
      expect(res.headers['x-handler']).toBe('h');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.text).toBe('{"wrapped":{"a":1}}');
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength('{"wrapped":{"a":1}}')));
    });

    it('res.send(Buffer): the body is the bytes and can be replaced', async () => {
      const bodies: unknown[] = [];
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            bodies.push(ctx.res.body);
            ctx.res.body = new Uint8Array([1, 2, 3]);
          },
        ]),
      );
      app.get('/bin', (_req, res) => {
        res.send(Buffer.from([9, 8, 7, 6]));
      });
      const { url } = await serve(app);
      const res = await request(`${url}/bin`);
      expect(bodies).toHaveLength(1);
      expect(Buffer.isBuffer(bodies[0])).toBe(true);
      expect([...(bodies[0] as Buffer)]).toEqual([9, 8, 7, 6]);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['content-length']).toBe('3');
      expect([...res.body]).toEqual([1, 2, 3]);
    });

    it('res.end: a plain node-style answer is held too', async () => {
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            expect(ctx.res.body).toBe('plain');
            ctx.res.removeHeader('x-remove-me');
            ctx.res.status = 202;
          },
        ]),
      );
      app.get('/end', (_req, res) => {
        res.statusCode = 200;
        res.setHeader('x-remove-me', '1');
        res.end('plain');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/end`);
      expect(res.status).toBe(202);
      expect(res.headers['x-remove-me']).toBeUndefined();
      expect(res.text).toBe('plain');
    });

    it('res.sendStatus: status-only answers can be turned into another answer', async () => {
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            if (ctx.res.status === 204) ctx.json(200, { replaced: true });
          },
        ]),
      );
      app.get('/none', (_req, res) => {
        res.sendStatus(204);
      });
      const { url } = await serve(app);
      const res = await request(`${url}/none`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json()).toEqual({ replaced: true });
    });

    it('res.redirect: Location and status can be changed after next()', async () => {
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            expect(ctx.res.header('location')).toBe('/new');
            ctx.res.status = 301;
            ctx.res.setHeader('location', '/newer');
          },
        ]),
      );
      app.get('/old', (_req, res) => {
        res.redirect('/new');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/old`);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/newer');
    });
  });

  describe('short-circuit', () => {
    it('a middleware that answers without next() keeps Express handlers from running', async () => {
      let handlerRuns = 0;
      let afterRuns = 0;
      const app = express();
      app.use(ward([(ctx) => ctx.json(403, { denied: true }, { 'x-why': 'policy' })]));
      app.use((_req, _res, next) => {
        afterRuns += 1;
        next();
      });
      app.get('/', (_req, res) => {
        handlerRuns += 1;
        res.send('handler');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/`);
      expect(res.status).toBe(403);
      expect(res.headers['x-why']).toBe('policy');
      expect(res.json()).toEqual({ denied: true });
      expect(handlerRuns).toBe(0);
      expect(afterRuns).toBe(0);
    });

    it('a chain that neither answers nor calls next() answers a 404 problem', async () => {
      const app = express();
      app.use(ward([() => undefined]));
      app.get('/', (_req, res) => res.send('handler'));
      const { url } = await serve(app);
      const res = await request(`${url}/`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json()).toEqual({
        type: 'urn:ward:problem:not-found',
        title: 'Not Found',
        status: 404,
        code: 'NOT_FOUND',
        detail: 'No route for GET /',
      });
    });
  });

  describe('HEAD and Express 404', () => {
    it('HEAD keeps the GET route, its length and no body', async () => {
      const methods: string[] = [];
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            methods.push(ctx.req.method);
            ctx.res.setHeader('x-after', 'head');
          },
        ]),
      );
      app.get('/text', (_req, res) => {
        res.send('hello');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/text`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers['content-length']).toBe('5');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['x-after']).toBe('head');
      expect(res.body.length).toBe(0);
      expect(methods).toEqual(['HEAD']);
    });

    it("a path no route matches gets Express's own 404, unchanged", async () => {
      const bare = express();
      bare.get('/', (_req, res) => res.send('root'));
      const withWard = express();
      const statuses: number[] = [];
      withWard.use(
        ward([
          async (ctx, next) => {
            await next();
            statuses.push(ctx.res.status);
          },
        ]),
      );
      withWard.get('/', (_req, res) => res.send('root'));
      const expected = await request(`${(await serve(bare)).url}/nope`);
      const res = await request(`${(await serve(withWard)).url}/nope`);
      expect(expected.status).toBe(404);
      expect(res.status).toBe(404);
      expect(res.text).toBe(expected.text);
      expect(res.text).toContain('Cannot GET /nope');
      expect(res.headers['content-type']).toBe(expected.headers['content-type']);
      expect(res.headers['content-security-policy']).toBe(expected.headers['content-security-policy']);
      expect(res.headers['content-length']).toBe(expected.headers['content-length']);
      expect(statuses).toEqual([404]);
    });
  });

  describe('where ward goes', () => {
    it('per route: only that route runs the chain; the route template is known at once', async () => {
      const routes: (string | undefined)[] = [];
      const app = express();
      app.get(
        '/guarded/:id',
        ward([
          async (ctx, next) => {
            routes.push(ctx.req.route);
            await next();
            ctx.res.setHeader('x-guarded', ctx.req.params['id'] ?? '');
          },
        ]),
        (_req, res) => res.send('guarded'),
      );
      app.get('/open', (_req, res) => res.send('open'));
      const { url } = await serve(app);
      const guarded = await request(`${url}/guarded/42`);
      const open = await request(`${url}/open`);
      expect(guarded.text).toBe('guarded');
      expect(guarded.headers['x-guarded']).toBe('42');
      expect(open.text).toBe('open');
      expect(open.headers['x-guarded']).toBeUndefined();
      expect(routes).toEqual(['/guarded/:id']);
    });

    it('on a Router mounted at a prefix: runs for that prefix only, sees the full path and route', async () => {
      const seen: unknown[] = [];
      const app = express();
      const router = express.Router();
      router.use(
        ward([
          async (ctx, next) => {
            seen.push(ctx.req.path, ctx.req.url);
            await next();
            seen.push(ctx.req.route, { ...ctx.req.params });
            ctx.res.setHeader('x-api', '1');
          },
        ]),
      );
      router.get('/users/:id', (req, res) => res.json({ id: req.params['id'] }));
      app.use('/api', router);
      app.get('/other', (_req, res) => res.send('other'));
      const { url } = await serve(app);
      const api = await request(`${url}/api/users/7?full=1`);
      const other = await request(`${url}/other`);
      expect(api.status).toBe(200);
      expect(api.json()).toEqual({ id: '7' });
      expect(api.headers['x-api']).toBe('1');
      expect(other.text).toBe('other');
      expect(other.headers['x-api']).toBeUndefined();
      expect(seen).toEqual(['/api/users/7', '/api/users/7?full=1', '/api/users/:id', { id: '7' }]);
    });

    it('two ward() layers nest: the outer sees and changes what the inner committed', async () => {
      const log: string[] = [];
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            log.push('m1 before');
            await next();
            log.push(`m1 after: ${ctx.res.status} ${ctx.res.header('x-m2')} ${String(ctx.res.body)}`);
            ctx.res.status = 299;
          },
        ]),
      );
      app.use(
        ward([
          async (ctx, next) => {
            log.push('m2 before');
            await next();
            log.push('m2 after');
            ctx.res.setHeader('x-m2', 'set');
            ctx.res.body = 'from m2';
          },
        ]),
      );
      app.get('/', (_req, res) => {
        log.push('handler');
        res.send('handler');
      });
      const { url } = await serve(app);
      const res = await request(`${url}/`);
      expect(log).toEqual(['m1 before', 'm2 before', 'handler', 'm2 after', 'm1 after: 200 set from m2']);
      expect(res.status).toBe(299);
      expect(res.headers['x-m2']).toBe('set');
      expect(res.text).toBe('from m2');
      expect(res.headers['content-length']).toBe('7');
    });
  });

  describe('nested chains', () => {
    it("a route-level ward() shares the app-level chain's state and signal: its problem answers carry the outer request id", async () => {
      const seen: unknown[] = [];
      const signals: AbortSignal[] = [];
      const app = express();
      app.use(
        ward([
          async function stampId(ctx, next) {
            ctx.state.requestId = 'outer-id';
            signals.push(ctx.signal);
            try {
              await next();
            } finally {
              seen.push(ctx.state.traceId);
            }
          },
        ]),
      );
      app.get(
        '/x',
        ward([
          function denyWithTrace(ctx) {
            seen.push(ctx.state.requestId);
            ctx.state.traceId = 'set-by-inner';
            signals.push(ctx.signal);
            ctx.problem(new HttpError(403, { code: 'NOPE' }));
          },
        ]),
        (_req, res) => res.send('never'),
      );
      const { url } = await serve(app);
      const res = await request(`${url}/x`);
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ status: 403, code: 'NOPE', request_id: 'outer-id' });
      expect(seen).toEqual(['outer-id', 'set-by-inner']);
      expect(signals).toHaveLength(2);
      expect(signals[1]).toBe(signals[0]);
    });
  });

  describe('ctx.req from Express', () => {
    it('route is the Express template after next(), undefined before; params follow', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.use(
        ward([
          async (ctx: Context, next) => {
            seen.push(ctx.req.route, { ...ctx.req.params });
            await next();
            seen.push(ctx.req.route, { ...ctx.req.params });
          },
        ]),
      );
      app.get('/users/:id', (_req, res) => res.send('user'));
      const { url } = await serve(app);
      await request(`${url}/users/15`);
      expect(seen).toEqual([undefined, {}, '/users/:id', { id: '15' }]);
    });
  });
});
