import { HttpError, type Middleware } from '@ward/core';
import { listen, request, type TestServer } from '@ward/core/testing';
import { Engine, type EngineContext, type EngineOptions } from '@ward/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { send } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(engine: Engine): Promise<TestServer> {
  server = await listen(engine.handler);
  return server;
}

function engineWith(options?: EngineOptions): Engine {
  return new Engine({ onError: () => {}, ...options });
}

const PROBLEM = 'application/problem+json';

describe('engine: routing over HTTP', () => {
  it('answers 404 as problem+json, after running the global middleware', async () => {
    const engine = engineWith();
    const seen: { route: string | undefined; status: number }[] = [];
    engine.use(async function observe(ctx, next) {
      ctx.res.setHeader('x-global', 'yes');
      await next();
      seen.push({ route: ctx.req.route, status: ctx.res.status });
    });
    engine.get('/users', (ctx) => ctx.text(200, 'users'));
    const { url } = await start(engine);
    const res = await request(`${url}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-global']).toBe('yes');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:not-found',
      title: 'Not Found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No route for GET /nope',
    });
    expect(seen).toEqual([{ route: undefined, status: 404 }]);
  });

  it('answers 405 with an Allow header listing the methods of the path (HEAD with GET)', async () => {
    const engine = engineWith();
    let ran = 0;
    engine.use(async function count(_ctx, next) {
      ran++;
      await next();
    });
    engine.get('/users/:id', (ctx) => ctx.text(200, 'get'));
    engine.delete('/users/:id', (ctx) => ctx.text(200, 'delete'));
    engine.post('/users', (ctx) => ctx.text(201, 'post'));
    const { url } = await start(engine);
    const res = await request(`${url}/users/7`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, DELETE');
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:method-not-allowed',
      title: 'Method Not Allowed',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      detail: 'PUT is not allowed on /users/7; allowed: GET, HEAD, DELETE',
    });
    const post = await request(`${url}/users`, { method: 'GET' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('POST');
    expect(ran).toBe(2);
  });

  it('lists an explicit HEAD route once in Allow', async () => {
    const engine = engineWith();
    engine.get('/r', (ctx) => ctx.text(200, 'g'));
    engine.head('/r', (ctx) => ctx.respond(204));
    const { url } = await start(engine);
    const res = await request(`${url}/r`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('answers HEAD from the GET route, with its headers and length but no body', async () => {
    const engine = engineWith();
    const methods: string[] = [];
    engine.get('/users/:id', (ctx) => {
      methods.push(ctx.req.method);
      ctx.json(200, { id: ctx.param('id') }, { 'x-route': ctx.req.route ?? '' });
    });
    const { url } = await start(engine);
    const res = await request(`${url}/users/42`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('{"id":"42"}')));
    expect(res.headers['x-route']).toBe('/users/:id');
    expect(res.text).toBe('');
    expect(methods).toEqual(['HEAD']);
  });

  it('prefers an explicit HEAD route over the GET one', async () => {
    const engine = engineWith();
    engine.get('/r', (ctx) => ctx.text(200, 'from get'));
    engine.head('/r', (ctx) => ctx.respond(200, null, { 'x-from': 'head' }));
    const { url } = await start(engine);
    const res = await request(`${url}/r`, { method: 'HEAD' });
    expect(res.headers['x-from']).toBe('head');
  });

  it('routes by priority over HTTP: static, then param, then wildcard', async () => {
    const engine = engineWith();
    engine.get('/files/readme', (ctx) => ctx.text(200, 'static'));
    engine.get('/files/:name', (ctx) => ctx.text(200, `param ${ctx.param('name')}`));
    engine.get('/files/*path', (ctx) => ctx.text(200, `wildcard ${ctx.param('path')}`));
    const { url } = await start(engine);
    expect((await request(`${url}/files/readme`)).text).toBe('static');
    expect((await request(`${url}/files/notes`)).text).toBe('param notes');
    expect((await request(`${url}/files/a/b/c`)).text).toBe('wildcard a/b/c');
  });

  it('gives handlers the decoded params and the template as ctx.req.route', async () => {
    const engine = engineWith();
    engine.get('/users/:id/files/*path', (ctx) =>
      ctx.json(200, { id: ctx.param('id'), path: ctx.param('path'), missing: ctx.param('nope'), route: ctx.req.route, params: ctx.req.params }),
    );
    const { port } = await start(engine);
    const res = await send(port, '/users/J%C3%BCrgen%2F1/files/a%20b/c%2Fd?q=1');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      id: 'Jürgen/1',
      path: 'a b/c/d',
      missing: '',
      route: '/users/:id/files/*path',
      params: { id: 'Jürgen/1', path: 'a b/c/d' },
    });
  });

  it('answers a malformed percent-escape in a param with 400 BAD_REQUEST, through the global middleware', async () => {
    const engine = engineWith();
    let handlerRan = 0;
    let status = 0;
    engine.use(async function observe(ctx, next) {
      await next();
      status = ctx.res.status;
    });
    engine.get('/users/:id', (ctx) => {
      handlerRan++;
      ctx.text(200, 'x');
    });
    const { port } = await start(engine);
    for (const path of ['/users/%E0%A4%A', '/users/%zz', '/users/%']) {
      const res = await send(port, path);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toEqual({
        type: 'urn:ward:problem:bad-request',
        title: 'Bad Request',
        status: 400,
        code: 'BAD_REQUEST',
        detail: 'The path parameter "id" has a malformed percent-encoding',
      });
    }
    expect(status).toBe(400);
    expect(handlerRan).toBe(0);
  });

  it('lets global middleware see the matched route before next()', async () => {
    const engine = engineWith();
    const before: (string | undefined)[] = [];
    engine.use(function routeFirst(ctx, next) {
      before.push(ctx.req.route, ctx.req.params['id']);
      return next();
    });
    engine.group('/api').get('/users/:id', (ctx) => ctx.text(200, 'ok'));
    const { url } = await start(engine);
    await request(`${url}/api/users/5`);
    await request(`${url}/api/other`);
    expect(before).toEqual(['/api/users/:id', '5', undefined, undefined]);
  });

  it('does not collapse repeated slashes and matches case-sensitively', async () => {
    const engine = engineWith({ redirectTrailingSlash: false });
    engine.get('/a/b', (ctx) => ctx.text(200, 'ab'));
    const { port } = await start(engine);
    expect((await send(port, '/a/b')).status).toBe(200);
    expect((await send(port, '/a//b')).status).toBe(404);
    expect((await send(port, '/A/b')).status).toBe(404);
  });

  it('serves any method token through handle() and all()', async () => {
    const engine = engineWith();
    engine.handle('PROPFIND', '/dav', (ctx) => ctx.text(207, 'multi'));
    engine.all('/any', (ctx) => ctx.text(200, ctx.req.method));
    const { url } = await start(engine);
    expect((await request(`${url}/dav`, { method: 'PROPFIND' })).status).toBe(207);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const res = await request(`${url}/any`, { method });
      expect([res.status, res.text]).toEqual([200, method]);
    }
    expect((await request(`${url}/any`, { method: 'HEAD' })).status).toBe(200);
    expect(engine.routes().filter((r) => r.path === '/any').map((r) => r.method)).toEqual([
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
    ]);
  });

  it('answers OPTIONS without a route as 405 with Allow (CORS preflights belong to global middleware)', async () => {
    const engine = engineWith();
    engine.get('/r', (ctx) => ctx.text(200, 'r'));
    const { url } = await start(engine);
    const res = await request(`${url}/r`, { method: 'OPTIONS' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('engine: trailing-slash redirects', () => {
  async function setup(options?: EngineOptions): Promise<TestServer> {
    const engine = engineWith(options);
    engine.use(async function mark(ctx, next) {
      ctx.res.setHeader('x-global', '1');
      await next();
    });
    engine.get('/users', (ctx) => ctx.text(200, 'users'));
    engine.post('/users', (ctx) => ctx.text(201, 'created'));
    engine.get('/docs/', (ctx) => ctx.text(200, 'docs'));
    engine.get('/users/:id', (ctx) => ctx.text(200, 'user'));
    engine.get('/', (ctx) => ctx.text(200, 'root'));
    return start(engine);
  }

  it('redirects GET and HEAD with 301, keeping the query string (on by default)', async () => {
    const { url } = await setup();
    const get = await request(`${url}/users/?page=2&x=%20`);
    expect(get.status).toBe(301);
    expect(get.headers.location).toBe('/users?page=2&x=%20');
    expect(get.headers['content-length']).toBe('0');
    expect(get.headers['x-global']).toBe('1');
    const add = await request(`${url}/docs`);
    expect([add.status, add.headers.location]).toEqual([301, '/docs/']);
    const param = await request(`${url}/users/7/`);
    expect([param.status, param.headers.location]).toEqual([301, '/users/7']);
    const head = await request(`${url}/users/`, { method: 'HEAD' });
    expect([head.status, head.headers.location]).toEqual([301, '/users']);
  });

  it('redirects other methods with 308, so the method and body are kept', async () => {
    const { url } = await setup();
    const res = await request(`${url}/users/`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe('/users');
  });

  it('a "#" in the request target (never sent by a client: RFC 9112 §3.2) is a 400, not part of a param or the query', async () => {
    const { port } = await setup();
    for (const target of ['/users/7#frag', '/users?page=1#frag']) {
      const res = await send(port, target);
      expect([res.status, res.json().code], target).toEqual([400, 'BAD_REQUEST']);
    }
  });

  it('a malformed escape in the other spelling is its 400 at once, not a redirect to a 400', async () => {
    const { url } = await setup();
    const res = await request(`${url}/users/%ZZ/`);
    expect([res.status, res.headers.location, res.json()]).toMatchObject([400, undefined, { code: 'BAD_REQUEST' }]);
  });

  it('only redirects to a route of the same method', async () => {
    const { url } = await setup();
    const res = await request(`${url}/docs`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.headers.location).toBeUndefined();
  });

  it('answers 404 instead when turned off', async () => {
    const { url } = await setup({ redirectTrailingSlash: false });
    const res = await request(`${url}/users/`);
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', detail: 'No route for GET /users/' });
  });
});

describe('engine: groups and middleware order', () => {
  it('runs global → outer group → inner group → handlers, then unwinds in reverse', async () => {
    const engine = engineWith();
    const log: string[] = [];
    const mark =
      (name: string): Middleware =>
        async function mark(_ctx, next) {
          log.push(`${name} before`);
          await next();
          log.push(`${name} after`);
        };
    engine.use(mark('global'));
    const api = engine.group('/api', mark('api'));
    const v1 = api.group('/v1', mark('v1'));
    v1.get('/users/:id', mark('route'), (ctx) => {
      log.push('handler');
      ctx.json(200, { route: ctx.req.route });
    });
    const { url } = await start(engine);
    const res = await request(`${url}/api/v1/users/3`);
    expect(res.json()).toEqual({ route: '/api/v1/users/:id' });
    expect(log).toEqual([
      'global before',
      'api before',
      'v1 before',
      'route before',
      'handler',
      'route after',
      'v1 after',
      'api after',
      'global after',
    ]);
  });

  it('applies group and global middleware added after the routes too', async () => {
    const engine = engineWith();
    const log: string[] = [];
    const api = engine.group('/api');
    const admin = api.group('/admin');
    admin.get('/x', (ctx) => {
      log.push('handler');
      ctx.text(200, 'x');
    });
    api.get('/y', (ctx) => ctx.text(200, 'y'));
    api.use(function late(_ctx, next) {
      log.push('api');
      return next();
    });
    admin.use(function later(_ctx, next) {
      log.push('admin');
      return next();
    });
    engine.use(function last(_ctx, next) {
      log.push('global');
      return next();
    });
    const { url } = await start(engine);
    await request(`${url}/api/admin/x`);
    expect(log).toEqual(['global', 'api', 'admin', 'handler']);
    log.length = 0;
    await request(`${url}/api/y`);
    expect(log).toEqual(['global', 'api']);
  });

  it('keeps a group’s middleware to its own routes', async () => {
    const engine = engineWith();
    let guarded = 0;
    engine.group('/admin', function guard(ctx) {
      guarded++;
      ctx.problem(new HttpError(403));
    }).get('/panel', (ctx) => ctx.text(200, 'panel'));
    engine.get('/public', (ctx) => ctx.text(200, 'public'));
    const { url } = await start(engine);
    expect((await request(`${url}/public`)).text).toBe('public');
    expect(guarded).toBe(0);
    expect((await request(`${url}/admin/panel`)).status).toBe(403);
    expect(guarded).toBe(1);
    // A miss under a group's prefix does not run the group's middleware: it belongs to routes.
    expect((await request(`${url}/admin/none`)).status).toBe(404);
    expect(guarded).toBe(1);
  });

  it('serves a group’s own prefix with the "" path, and its "/" path with a slash', async () => {
    const engine = engineWith({ redirectTrailingSlash: false });
    const api = engine.group('/api');
    api.get('', (ctx) => ctx.text(200, 'bare'));
    api.get('/', (ctx) => ctx.text(200, 'slash'));
    const { url } = await start(engine);
    expect((await request(`${url}/api`)).text).toBe('bare');
    expect((await request(`${url}/api/`)).text).toBe('slash');
  });

  it('lets middleware after next() read and change the status, headers and body', async () => {
    const engine = engineWith();
    const seen: unknown[] = [];
    engine.use(async function rewrite(ctx, next) {
      await next();
      seen.push(ctx.res.status, ctx.res.header('content-type'), String(ctx.res.body));
      ctx.res.status = 202;
      ctx.res.setHeader('x-after', 'set');
      ctx.res.body = `${String(ctx.res.body)}!`;
    });
    engine.get('/r', (ctx) => ctx.json(201, { a: 1 }));
    const { url } = await start(engine);
    const res = await request(`${url}/r`);
    expect(seen).toEqual([201, 'application/json; charset=utf-8', '{"a":1}']);
    expect(res.status).toBe(202);
    expect(res.headers['x-after']).toBe('set');
    expect(res.text).toBe('{"a":1}!');
    expect(res.headers['content-length']).toBe('8');
  });

  it('lets a handler pass to the next handler of its route with next()', async () => {
    const engine = engineWith();
    engine.get(
      '/r',
      async function first(ctx, next) {
        ctx.res.setHeader('x-first', '1');
        await next();
      },
      (ctx) => ctx.text(200, 'second'),
    );
    const { url } = await start(engine);
    const res = await request(`${url}/r`);
    expect([res.status, res.text, res.headers['x-first']]).toEqual([200, 'second', '1']);
  });

  it('answers a route whose chain answers nothing with 404', async () => {
    const engine = engineWith();
    engine.get('/empty', () => {});
    const { url } = await start(engine);
    const res = await request(`${url}/empty`);
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', detail: 'No route for GET /empty' });
  });

  it('rejects a second next() call, in a handler too', async () => {
    const errors: unknown[] = [];
    const engine = engineWith({ onError: (error) => errors.push(error) });
    engine.get('/twice', async (_ctx, next) => {
      await next();
      await next();
    });
    const { url } = await start(engine);
    const res = await request(`${url}/twice`);
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'NEXT_CALLED_TWICE' });
  });
});

describe('engine: errors', () => {
  it('answers a thrown HttpError with its problem, without calling onError', async () => {
    const errors: unknown[] = [];
    const engine = engineWith({ onError: (error) => errors.push(error) });
    engine.get('/missing', () => {
      throw new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'No user 9' });
    });
    const { url } = await start(engine);
    const res = await request(`${url}/missing`);
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:user-not-found',
      title: 'Not Found',
      status: 404,
      code: 'USER_NOT_FOUND',
      detail: 'No user 9',
    });
    expect(errors).toEqual([]);
  });

  it('answers an unexpected error with a 500 that hides it, and reports it to onError once', async () => {
    const reported: { error: unknown; route: string | undefined }[] = [];
    const engine = engineWith({ onError: (error, ctx: EngineContext) => reported.push({ error, route: ctx.req.route }) });
    const boom = new Error('database password is hunter2');
    engine.get('/boom', async () => {
      await Promise.resolve();
      throw boom;
    });
    const { url } = await start(engine);
    const res = await request(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' });
    expect(res.text).not.toContain('hunter2');
    expect(reported).toEqual([{ error: boom, route: '/boom' }]);
  });

  it('lets global middleware catch a handler’s error and answer it', async () => {
    const reported: unknown[] = [];
    const engine = engineWith({ onError: (error) => reported.push(error) });
    engine.use(async function recover(ctx, next) {
      try {
        await next();
      } catch {
        ctx.json(503, { recovered: true });
      }
    });
    engine.get('/boom', () => {
      throw new Error('x');
    });
    const { url } = await start(engine);
    const res = await request(`${url}/boom`);
    expect([res.status, res.text]).toEqual([503, '{"recovered":true}']);
    expect(reported).toEqual([]);
  });

  it('survives an onError that throws and a problem formatter that throws', async () => {
    const engine = new Engine({
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    engine.get('/boom', () => {
      throw new Error('x');
    });
    const { url } = await start(engine);
    expect((await request(`${url}/boom`)).status).toBe(500);

    const broken = new Engine({
      onError: () => {},
      problemFormatter: () => {
        throw new Error('formatter broke');
      },
    });
    await server?.close();
    const second = await start(broken);
    await expect(request(`${second.url}/nope`)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
