import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Middleware } from '@ward/core';
import { HttpError } from '@ward/core';
import { deferred, request } from '@ward/core/testing';
import { ward, type WardHook } from '@ward/fastify';
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

describe('onion order', () => {
  it('runs m1 before → m2 before → handler → m2 after → m1 after', async () => {
    const events: string[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async function m1(_ctx, next) {
            events.push('m1 before');
            await next();
            events.push('m1 after');
          },
          async function m2(_ctx, next) {
            events.push('m2 before');
            await next();
            events.push('m2 after');
          },
        ]),
      );
      app.get('/', async () => {
        events.push('handler');
        return { ok: true };
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(events).toEqual(['m1 before', 'm2 before', 'handler', 'm2 after', 'm1 after']);
  });

  it("says ctx.adapter is 'fastify'", async () => {
    let adapter: string | undefined;
    const url = await serve(async (app) => {
      await app.register(ward([(ctx, next) => ((adapter = ctx.adapter), next())]));
      app.get('/', async () => 'ok');
    });
    await request(`${url}/`);
    expect(adapter).toBe('fastify');
  });
});

describe('deferred commit', () => {
  it('reads and replaces the status, headers and body of an object return', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.status, ctx.res.header('content-type'), ctx.res.body, ctx.res.committed);
            ctx.res.status = 203;
            ctx.res.setHeader('x-after', 'yes');
            ctx.json(203, { changed: 'é' });
          },
        ]),
      );
      app.get('/', async () => ({ hello: 'world' }));
    });
    const res = await request(`${url}/`);
    expect(seen).toEqual([200, 'application/json; charset=utf-8', '{"hello":"world"}', false]);
    expect(res.status).toBe(203);
    expect(res.headers['x-after']).toBe('yes');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.text).toBe('{"changed":"é"}');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('{"changed":"é"}')));
  });

  it('changes a string return, with Fastify computing the new Content-Length', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            ctx.res.body = `${String(ctx.res.body)} — wrapped`;
          },
        ]),
      );
      app.get('/', async () => 'hello');
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('hello — wrapped');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('hello — wrapped')));
  });

  it('holds a Buffer return as bytes', async () => {
    let held: unknown;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            held = ctx.res.body;
            ctx.res.body = new Uint8Array([1, 2, 3]);
          },
        ]),
      );
      app.get('/', async () => Buffer.from([9, 9]));
    });
    const res = await request(`${url}/`);
    expect(Buffer.isBuffer(held)).toBe(true);
    expect([...(held as Buffer)]).toEqual([9, 9]);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect([...res.body]).toEqual([1, 2, 3]);
    expect(res.headers['content-length']).toBe('3');
  });

  it('sees reply.code(201).header().send() and can change and remove what the route set', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.status, ctx.res.header('x-handler'), ctx.res.header('x-keep'), ctx.res.body);
            ctx.res.removeHeader('x-handler');
            ctx.res.status = 202;
          },
        ]),
      );
      app.get('/', (_request, reply) => {
        reply.code(201).header('x-handler', 'h').header('x-keep', 'k').send('created');
      });
    });
    const res = await request(`${url}/`);
    expect(seen).toEqual([201, 'h', 'k', 'created']);
    expect(res.status).toBe(202);
    expect(res.headers['x-handler']).toBeUndefined();
    expect(res.headers['x-keep']).toBe('k');
    expect(res.text).toBe('created');
  });

  it('keeps headers a middleware set before next(), unless the route sets the same one later', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            ctx.res.setHeader('x-before', 'ward');
            ctx.res.setHeader('x-both', 'ward');
            await next();
          },
        ]),
      );
      app.get('/', async (_request, reply) => {
        reply.header('x-both', 'route');
        return 'ok';
      });
    });
    const res = await request(`${url}/`);
    expect(res.headers['x-before']).toBe('ward');
    expect(res.headers['x-both']).toBe('route');
  });

  it('lets a middleware empty the body after next()', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            ctx.res.status = 204;
            ctx.res.body = undefined;
          },
        ]),
      );
      app.get('/', async () => ({ a: 1 }));
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['content-length']).toBeUndefined();
  });

  it('sees a redirect (empty payload) and its Location', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.status, ctx.res.header('location'), ctx.res.body, ctx.res.answered);
          },
        ]),
      );
      app.get('/', (_request, reply) => reply.redirect('/elsewhere'));
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/elsewhere');
    expect(res.headers['content-length']).toBe('0');
    expect(seen).toEqual([302, '/elsewhere', undefined, true]);
  });
});

describe('headers through the reply', () => {
  it('appends to and replaces the Set-Cookie a route set', async () => {
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            if (ctx.req.path === '/append') ctx.res.appendHeader('set-cookie', 'b=2');
            else ctx.res.setHeader('set-cookie', ['c=3']);
          },
        ]),
      );
      const route = async (_request: unknown, reply: { header(name: string, value: string): unknown }) => {
        reply.header('set-cookie', 'a=1');
        return 'ok';
      };
      app.get('/append', route);
      app.get('/replace', route);
    });
    expect((await request(`${url}/append`)).headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect((await request(`${url}/replace`)).headers['set-cookie']).toEqual(['c=3']);
  });

  it('lists the route headers and its own in ctx.res.headers()', async () => {
    let snapshot: Record<string, unknown> | undefined;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            ctx.res.setHeader('x-ward', 'w');
            await next();
            snapshot = { ...ctx.res.headers() };
          },
        ]),
      );
      app.get('/', async (_request, reply) => reply.header('x-route', 'r').send({ a: 1 }));
    });
    await request(`${url}/`);
    expect(snapshot).toEqual({ 'x-ward': 'w', 'x-route': 'r', 'content-type': 'application/json; charset=utf-8' });
  });
});

describe('short-circuit', () => {
  it('answers without running the handler, with problem+json exactly as formatted', async () => {
    let handlerCalls = 0;
    const url = await serve(async (app) => {
      await app.register(
        ward([
          (ctx) => {
            ctx.res.setHeader('x-ward', '1');
            ctx.problem(new HttpError(401, { code: 'TOKEN_MISSING', headers: { 'www-authenticate': 'Bearer' } }));
          },
        ]),
      );
      app.post('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.headers['x-ward']).toBe('1');
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:token-missing',
      title: 'Unauthorized',
      status: 401,
      code: 'TOKEN_MISSING',
    });
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(handlerCalls).toBe(0);
  });

  it('sends a text answer without a content-type Fastify would guess', async () => {
    const url = await serve(async (app) => {
      await app.register(ward([(ctx) => ctx.respond(200, 'plain')]));
      app.get('/', async () => 'never');
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('plain');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBe('5');
  });

  it('answers 404 problem+json when the chain neither answers nor calls next()', async () => {
    let handlerCalls = 0;
    const url = await serve(async (app) => {
      await app.register(ward([() => undefined]));
      app.get('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${url}/?q=1`);
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:not-found',
      title: 'Not Found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No route for GET /',
    });
    expect(handlerCalls).toBe(0);
  });

  it('ignores a next() called after the chain already answered', async () => {
    let handlerCalls = 0;
    const late = deferred<unknown>();
    const url = await serve(async (app) => {
      await app.register(
        ward([
          (ctx, next) => {
            ctx.text(429, 'slow down');
            setImmediate(() => {
              next().then(
                (value) => late.resolve({ value }),
                (error: unknown) => late.resolve({ error }),
              );
            });
          },
        ]),
      );
      app.get('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${url}/`);
    expect(res.status).toBe(429);
    expect(res.text).toBe('slow down');
    await expect(late.promise).resolves.toEqual({ value: undefined });
    expect(handlerCalls).toBe(0);
  });
});

describe('HEAD', () => {
  it("runs the chain for a HEAD on a GET route and keeps the changed body's length", async () => {
    const methods: string[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            methods.push(ctx.req.method);
            await next();
            ctx.res.body = `${String(ctx.res.body)}!!`;
          },
        ]),
      );
      app.get('/', async () => 'twelve chars');
    });
    const get = await request(`${url}/`);
    const head = await request(`${url}/`, { method: 'HEAD' });
    expect(get.text).toBe('twelve chars!!');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe('14');
    expect(head.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(methods).toEqual(['GET', 'HEAD']);
  });
});

describe('Fastify answers reach the chain as ordinary responses', () => {
  it('runs for a 404 of the root not-found handler and can read and replace it', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.status, ctx.req.route);
            if (ctx.res.status === 404) ctx.problem(new HttpError(404, { code: 'NO_SUCH_THING' }));
          },
        ]),
      );
      app.get('/exists', async () => 'yes');
    });
    const res = await request(`${url}/missing`);
    expect(seen).toEqual([404, undefined]);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'NO_SUCH_THING', status: 404 });
  });

  it('sees a schema validation 400 after next(), not a rejection', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            try {
              await next();
              seen.push('resolved', ctx.res.status, ctx.res.header('content-type'));
            } catch (error) {
              seen.push('rejected', error);
            }
          },
        ]),
      );
      app.post('/items', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async () => 'never');
    });
    const res = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nope":1}' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION' });
    expect(seen).toEqual(['resolved', 400, 'application/json; charset=utf-8']);
  });
});

describe('Fastify keeps working around the chain', () => {
  it("sees Fastify's own 413 for a body over bodyLimit after next()", async () => {
    const seen: unknown[] = [];
    running = await start(
      async (app) => {
        await app.register(
          ward([
            async (ctx, next) => {
              await next();
              seen.push(ctx.res.status);
            },
          ]),
        );
        app.post('/', async () => 'never');
      },
      { bodyLimit: 8 },
    );
    const res = await request(`${running.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"more":"than eight"}' });
    expect(res.status).toBe(413);
    expect(seen).toEqual([413]);
  });

  it("runs onResponse hooks for ward's own answers and for held ones", async () => {
    const responses: number[] = [];
    const url = await serve(async (app) => {
      app.addHook('onResponse', async (_request, reply) => {
        responses.push(reply.statusCode);
      });
      await app.register(ward([async (ctx, next) => (ctx.req.path === '/deny' ? ctx.text(403, 'no') : next())]));
      app.get('/deny', async () => 'never');
      app.get('/allow', async () => 'yes');
    });
    await request(`${url}/deny`);
    await request(`${url}/allow`);
    await expect.poll(() => responses).toEqual([403, 200]);
  });
});

describe('route and params', () => {
  it('reads the route template (with prefix) and params, before and after next()', async () => {
    const seen: unknown[] = [];
    const url = await serve(async (app) => {
      await app.register(
        async (api) => {
          await api.register(
            ward([
              async (ctx, next) => {
                seen.push(ctx.req.route, { ...ctx.req.params });
                await next();
                seen.push(ctx.req.route);
              },
            ]),
          );
          api.get('/users/:id', async (req) => (req.params as { id: string }).id);
        },
        { prefix: '/api' },
      );
    });
    const res = await request(`${url}/api/users/42?x=1`);
    expect(res.text).toBe('42');
    expect(seen).toEqual(['/api/users/:id', { id: '42' }, '/api/users/:id']);
  });
});

describe('the hook option', () => {
  // A user hook in each phase, registered before ward, so ward's start hook runs right after the one of its phase.
  async function order(hook: WardHook | undefined, body: string): Promise<{ events: string[]; status: number }> {
    const events: string[] = [];
    const url = await serve(async (app) => {
      for (const phase of ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const) {
        app.addHook(phase, async () => {
          events.push(phase);
        });
      }
      await app.register(
        ward(
          [
            async (ctx, next) => {
              events.push('ward');
              await next();
              events.push(`ward after ${ctx.res.status}`);
            },
          ],
          hook === undefined ? {} : { hook },
        ),
      );
      app.post('/', { schema: { body: { type: 'object', required: ['n'] } } }, async () => {
        events.push('handler');
        return 'ok';
      });
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await running?.close();
    running = undefined;
    return { events, status: res.status };
  }

  it.each([
    [undefined, ['onRequest', 'ward', 'preParsing', 'preValidation', 'preHandler', 'handler', 'ward after 200']],
    ['onRequest', ['onRequest', 'ward', 'preParsing', 'preValidation', 'preHandler', 'handler', 'ward after 200']],
    ['preParsing', ['onRequest', 'preParsing', 'ward', 'preValidation', 'preHandler', 'handler', 'ward after 200']],
    ['preValidation', ['onRequest', 'preParsing', 'preValidation', 'ward', 'preHandler', 'handler', 'ward after 200']],
    ['preHandler', ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'ward', 'handler', 'ward after 200']],
  ] as const)('hook %s starts the chain in its phase', async (hook, expected) => {
    const { events, status } = await order(hook, '{"n":1}');
    expect(status).toBe(200);
    expect(events).toEqual(expected);
  });

  it('preValidation sees a validation 400; preHandler is never reached by it', async () => {
    const early = await order('preValidation', '{}');
    expect(early.status).toBe(400);
    expect(early.events).toEqual(['onRequest', 'preParsing', 'preValidation', 'ward', 'ward after 400']);
    const late = await order('preHandler', '{}');
    expect(late.status).toBe(400);
    expect(late.events).toEqual(['onRequest', 'preParsing', 'preValidation']);
  });

  it('a short-circuit in onRequest costs no body parsing', async () => {
    let parsed = 0;
    const url = await serve(async (app) => {
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        parsed += 1;
        done(null, JSON.parse(body as string));
      });
      await app.register(ward([(ctx) => ctx.text(403, 'no')]));
      app.post('/', async () => 'never');
    });
    const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(403);
    expect(parsed).toBe(0);
  });
});

describe('metadata', () => {
  it('runs named middleware in the given order (the chain is composed once)', async () => {
    const names: string[] = [];
    const mw = (name: string): Middleware => {
      const fn: Middleware = async (_ctx, next) => {
        names.push(name);
        await next();
      };
      Object.defineProperty(fn, 'name', { value: name });
      return fn;
    };
    const url = await serve(async (app) => {
      await app.register(ward([mw('a'), mw('b'), mw('c')]));
      app.get('/', async () => 'ok');
    });
    await request(`${url}/`);
    await request(`${url}/`);
    expect(names).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
