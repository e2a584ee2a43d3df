import { type Context, markFactory, type Middleware } from '@ward/core';
import { listen, request } from '@ward/core/testing';
import { Engine, EngineContext, RouterGroup } from '@ward/engine';
import { describe, expect, expectTypeOf, it } from 'vitest';

describe('new Engine(options)', () => {
  it('refuses options of the wrong type, naming the option', () => {
    expect(() => new Engine({ redirectTrailingSlash: 'yes' as unknown as boolean })).toThrow(
      new TypeError('new Engine(options): redirectTrailingSlash must be a boolean, got "yes"'),
    );
    expect(() => new Engine({ onError: 42 as never })).toThrow(
      new TypeError('new Engine(options): onError must be a function (error, ctx) => void, got number'),
    );
    expect(() => new Engine(null as never)).toThrow(new TypeError('new Engine(options): options must be an object, got null'));
    // Core's adapter options are checked by core.
    expect(() => new Engine({ body: { limitBytes: -1 } })).toThrow(
      new RangeError('body.limitBytes must be a non-negative integer of bytes, got -1'),
    );
    expect(() => new Engine({ trustProxy: true as never })).toThrow(TypeError);
    expect(() => new Engine({ development: 'no' as never })).toThrow(new TypeError('development must be a boolean, got string'));
  });

  it('exposes a named handler that works detached, and says adapter "engine"', async () => {
    const engine = new Engine();
    engine.get('/who', (ctx) => ctx.json(200, { adapter: ctx.adapter, isEngineContext: ctx instanceof EngineContext }));
    const { handler } = engine;
    expect(handler.name).toBe('engineHandler');
    const server = await listen(handler);
    try {
      expect((await request(`${server.url}/who`)).json()).toEqual({ adapter: 'engine', isEngineContext: true });
    } finally {
      await server.close();
    }
  });
});

describe('route registration', () => {
  it('refuses a path without a leading slash, naming the route', () => {
    const engine = new Engine();
    expect(() => engine.get('users', (ctx) => ctx.text(200, 'x'))).toThrow(
      new RangeError('route GET: path "users" must start with "/" (e.g. "/users")'),
    );
    expect(() => engine.get('', (ctx) => ctx.text(200, 'x'))).toThrow(
      new RangeError('route GET: path "" is only allowed inside a group with a prefix; use "/"'),
    );
    expect(() => engine.get(7 as never, (ctx) => ctx.text(200, 'x'))).toThrow(new TypeError('route GET: path must be a string, got number'));
  });

  it('refuses a route without handlers, and values that are not middleware', () => {
    const engine = new Engine();
    expect(() => engine.post('/a')).toThrow(new TypeError('route POST /a needs at least one handler (ctx, next) => …'));
    expect(() => engine.get('/a', 'hello' as never)).toThrow(
      new TypeError('route GET /a: handler[0] must be a middleware function (ctx, next), got string'),
    );
    expect(() => engine.use(undefined as never)).toThrow(
      new TypeError('engine.use(): middleware[0] must be a middleware function (ctx, next), got undefined'),
    );
  });

  it('catches a factory passed without its call', () => {
    const rateLimit = markFactory(function rateLimit(): Middleware {
      return (_ctx, next) => next();
    });
    const engine = new Engine();
    const message = 'is the factory "rateLimit", not a middleware. Call it: rateLimit({ … })';
    expect(() => engine.use(rateLimit as never)).toThrow(`engine.use(): middleware[0] ${message}`);
    expect(() => engine.group('/api', rateLimit as never)).toThrow(`use(): middleware[0] ${message}`);
    expect(() => engine.get('/a', rateLimit as never)).toThrow(`route GET /a: handler[0] ${message}`);
  });

  it('reports conflicts and duplicates with the full template, group prefixes included', () => {
    const engine = new Engine();
    const api = engine.group('/api');
    api.get('/users/:id', (ctx) => ctx.text(200, 'x'));
    expect(() => api.get('/users/:userId', (ctx) => ctx.text(200, 'x'))).toThrow(
      new RangeError(
        'Route GET /api/users/:userId conflicts with GET /api/users/:id: ":userId" and ":id" are parameters at the same position; give them one name',
      ),
    );
    expect(() => engine.get('/api/users/:id', (ctx) => ctx.text(200, 'x'))).toThrow(
      new RangeError('Duplicate route: GET /api/users/:id is already registered'),
    );
    expect(() => engine.all('/api/users/:id', (ctx) => ctx.text(200, 'x'))).toThrow(
      new RangeError('Duplicate route: GET /api/users/:id is already registered'),
    );
  });

  it('checks group prefixes', () => {
    const engine = new Engine();
    expect(() => engine.group('/api/')).toThrow(
      new RangeError('group(prefix): prefix "/api/" must not end with "/"; use "/api" and start route paths with "/"'),
    );
    expect(() => engine.group('/')).toThrow(
      new RangeError('group(prefix): prefix "/" must not end with "/"; use "" and start route paths with "/"'),
    );
    expect(() => engine.group('api')).toThrow(
      new RangeError('group(prefix): prefix "api" must start with "/" (e.g. "/api"), or be "" for no prefix'),
    );
    expect(() => engine.group(null as never)).toThrow(new TypeError('group(prefix): prefix must be a string, got null'));
    expect(engine.group('').prefix).toBe('');
    expect(engine.group('/a').group('/:tenant').prefix).toBe('/a/:tenant');
    expect(() => new RouterGroup({} as never, '', undefined)).toThrow(
      new TypeError('RouterGroup is made with engine.group(prefix, ...middleware), not with new'),
    );
  });

  it('lists the routes in registration order', () => {
    const engine = new Engine();
    engine.get('/a', (ctx) => ctx.text(200, 'a'));
    engine.group('/g').post('/b/:id', (ctx) => ctx.text(200, 'b'));
    expect(engine.routes()).toEqual([
      { method: 'GET', path: '/a' },
      { method: 'POST', path: '/g/b/:id' },
    ]);
  });
});

describe('types', () => {
  it('accepts plain ward middleware where engine handlers are expected', () => {
    const plain: Middleware = (_ctx, next) => next();
    const engine = new Engine();
    engine.use(plain);
    engine.group('/g', plain).get('/x', plain, (ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<EngineContext>();
      expectTypeOf(ctx.param('x')).toEqualTypeOf<string>();
      expectTypeOf(ctx.stream).returns.toEqualTypeOf<Promise<void>>();
    });
    expectTypeOf<EngineContext>().toMatchTypeOf<Context>();
    expect(engine.routes()).toHaveLength(1);
  });
});
