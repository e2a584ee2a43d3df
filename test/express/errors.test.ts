/**
 * Rule 5 on Express: errors of Express handlers reject next() in every
 * enclosing ward middleware; what ward does not handle reaches the user's
 * own error handlers (or Express's final handler) exactly once.
 */
import { HttpError } from '@ward/core';
import { request } from '@ward/core/testing';
import { ward, wardErrorHandler } from '@ward/express';
import type { ErrorRequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { express4, INTERNAL_PROBLEM, observer, recovery, serve, VERSIONS } from './helpers.js';

/** A user error handler that answers with the message and counts its calls. */
function userErrorHandler(calls: unknown[]): ErrorRequestHandler {
  return function userErrorHandler(error: Error, _req, res, _next) {
    calls.push(error);
    res.status(500).type('text/plain').send(`user handler: ${error.message}`);
  };
}

describe.each(VERSIONS)('%s', (name, express) => {
  it('a sync throw in a route rejects next() with that exact error; recovery answers a 500 problem', async () => {
    const boom = new Error('boom');
    const seen: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([recovery(seen)]));
    app.get('/boom', () => {
      throw boom;
    });
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual(INTERNAL_PROBLEM);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(boom);
    expect(userCalls).toHaveLength(0);
  });

  it('an HttpError thrown in a route keeps its status and code', async () => {
    const app = express();
    app.use(ward([recovery([])]));
    app.get('/missing', () => {
      throw new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'No user 9' });
    });
    const { url } = await serve(app);
    const res = await request(`${url}/missing`);
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:user-not-found',
      title: 'Not Found',
      status: 404,
      code: 'USER_NOT_FOUND',
      detail: 'No user 9',
    });
  });

  it("an error no ward middleware handles reaches the user's error handler once, after every ward middleware saw it", async () => {
    const boom = new Error('unhandled');
    const seen: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([observer(seen, 'a1'), observer(seen, 'a2')]));
    app.use(ward([observer(seen, 'b')]));
    app.get('/boom', () => {
      throw boom;
    });
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('user handler: unhandled');
    expect(seen).toEqual([
      ['b', boom],
      ['a2', boom],
      ['a1', boom],
    ]);
    expect(userCalls).toEqual([boom]);
  });

  it('an outer ward layer can handle what an inner one did not', async () => {
    const boom = new Error('inner');
    const seenOuter: unknown[] = [];
    const seenInner: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([recovery(seenOuter)]));
    app.use(ward([observer(seenInner)]));
    app.get('/boom', () => {
      throw boom;
    });
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual(INTERNAL_PROBLEM);
    expect(seenInner).toEqual([['observer', boom]]);
    expect(seenOuter).toEqual([boom]);
    expect(userCalls).toHaveLength(0);
  });

  it("an error thrown by a ward middleware reaches the user's error handler; the route never runs", async () => {
    const denied = new Error('middleware failed');
    const userCalls: unknown[] = [];
    let routeRuns = 0;
    const app = express();
    app.use(
      ward([
        () => {
          throw denied;
        },
      ]),
    );
    app.get('/', (_req, res) => {
      routeRuns += 1;
      res.send('route');
    });
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(res.text).toBe('user handler: middleware failed');
    expect(userCalls).toEqual([denied]);
    expect(routeRuns).toBe(0);
  });

  it("an error thrown by a ward middleware after next() replaces the handler's held answer", async () => {
    const late = new Error('after next');
    const userCalls: unknown[] = [];
    const app = express();
    app.use(
      ward([
        async (_ctx, next) => {
          await next();
          throw late;
        },
      ]),
    );
    app.get('/', (_req, res) => res.send('never sent'));
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(res.text).toBe('user handler: after next');
    expect(userCalls).toEqual([late]);
  });

  it("an error thrown by an inner ward layer's middleware rejects next() in the outer one", async () => {
    const failure = new Error('inner middleware');
    const seen: unknown[] = [];
    const app = express();
    app.use(ward([recovery(seen)]));
    app.use(
      ward([
        () => {
          throw failure;
        },
      ]),
    );
    app.get('/', (_req, res) => res.send('route'));
    const { url } = await serve(app);
    const res = await request(`${url}/`);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual(INTERNAL_PROBLEM);
    expect(seen).toEqual([failure]);
  });

  it("without a user error handler, Express's final handler answers the error", async () => {
    const seen: unknown[] = [];
    const app = express();
    app.use(ward([observer(seen)]));
    const boom = new Error('to finalhandler');
    app.get('/boom', () => {
      throw boom;
    });
    const { url } = await serve(app);
    const res = await request(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    // Outside production, finalhandler shows the stack.
    expect(res.text).toContain('Error: to finalhandler');
    expect(seen).toEqual([['observer', boom]]);
  });

  it('a pass-through error handler (log, then next(err)) is not fed the error twice', async () => {
    const boom = new Error('logged');
    const seen: unknown[] = [];
    const logged: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([observer(seen)]));
    app.get('/boom', () => {
      throw boom;
    });
    app.use(((error, _req, _res, next) => {
      logged.push(error);
      next(error);
    }) as ErrorRequestHandler);
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/boom`);
    expect(res.text).toBe('user handler: logged');
    expect(seen).toEqual([['observer', boom]]);
    expect(logged).toEqual([boom]);
    expect(userCalls).toEqual([boom]);
  });

  it('errors reach ward before an error handler placed between routes', async () => {
    const boom = new Error('early route');
    const seen: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([recovery(seen)]));
    app.get('/early', () => {
      throw boom;
    });
    app.use(userErrorHandler(userCalls));
    app.get('/late', (_req, res) => res.send('late'));
    const { url } = await serve(app);
    const res = await request(`${url}/early`);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual(INTERNAL_PROBLEM);
    expect(seen).toEqual([boom]);
    expect(userCalls).toHaveLength(0);
    expect((await request(`${url}/late`)).text).toBe('late');
  });

  it('routes and error handlers added after the first request are covered too', async () => {
    const seen: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([observer(seen)]));
    app.get('/first', (_req, res) => res.send('first'));
    const { url } = await serve(app);
    expect((await request(`${url}/first`)).text).toBe('first');
    const boom = new Error('added later');
    app.get('/later', () => {
      throw boom;
    });
    app.use(userErrorHandler(userCalls));
    const res = await request(`${url}/later`);
    expect(res.text).toBe('user handler: added later');
    expect(seen).toEqual([['observer', boom]]);
    expect(userCalls).toEqual([boom]);
  });

  it("in a mounted Router, errors reach its ward chain before the Router's own error handler", async () => {
    const boom = new Error('in router');
    const seen: unknown[] = [];
    const routerCalls: unknown[] = [];
    const app = express();
    const router = express.Router();
    router.use(ward([observer(seen)]));
    router.get('/x', () => {
      throw boom;
    });
    router.use(((error: Error, _req, res, _next) => {
      routerCalls.push(error);
      res.status(418).send(`router handler: ${error.message}`);
    }) as ErrorRequestHandler);
    app.use('/api', router);
    const { url } = await serve(app);
    const res = await request(`${url}/api/x`);
    expect(res.status).toBe(418);
    expect(res.text).toBe('router handler: in router');
    expect(seen).toEqual([['observer', boom]]);
    expect(routerCalls).toEqual([boom]);
  });

  it('per route: an error of the route handler rejects next() of the route-level chain', async () => {
    const boom = new Error('route level');
    const seen: unknown[] = [];
    const app = express();
    app.get('/r', ward([recovery(seen)]), () => {
      throw boom;
    });
    const { url } = await serve(app);
    const res = await request(`${url}/r`);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual(INTERNAL_PROBLEM);
    expect(seen).toEqual([boom]);
  });

  it('autoCatch: false with wardErrorHandler() placed by hand', async () => {
    const boom = new Error('manual');
    const seen: unknown[] = [];
    const userCalls: unknown[] = [];
    const app = express();
    app.use(ward([observer(seen)], { autoCatch: false }));
    app.get('/boom', () => {
      throw boom;
    });
    app.use(wardErrorHandler());
    app.use(userErrorHandler(userCalls));
    const { url } = await serve(app);
    const res = await request(`${url}/boom`);
    expect(res.text).toBe('user handler: manual');
    expect(seen).toEqual([['observer', boom]]);
    expect(userCalls).toEqual([boom]);
    // Nothing was added to the app: the last layer is still the user's handler.
    const stack = (app as unknown as { router?: { stack: { name: string }[] }; _router?: { stack: { name: string }[] } });
    const layers = (stack._router ?? stack.router)!.stack;
    expect(layers[layers.length - 1]!.name).toBe('userErrorHandler');
  });

  if (name === 'Express 5') {
    it('an async rejection in a route rejects next() with that exact error', async () => {
      const rejection = new Error('async boom');
      const seen: unknown[] = [];
      const app = express();
      app.use(ward([recovery(seen)]));
      app.get('/async', async () => {
        await Promise.resolve();
        throw rejection;
      });
      const { url } = await serve(app);
      const res = await request(`${url}/async`);
      expect(res.status).toBe(500);
      expect(res.json()).toEqual(INTERNAL_PROBLEM);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBe(rejection);
    });
  }

  if (name === 'Express 4') {
    it('next(err) from a callback-style handler reaches the chain (how Express 4 reports async errors)', async () => {
      const failure = new Error('callback error');
      const seen: unknown[] = [];
      const app = express4();
      app.use(ward([recovery(seen)]));
      app.get('/cb', (_req, _res, next) => {
        setImmediate(() => next(failure));
      });
      const { url } = await serve(app);
      const res = await request(`${url}/cb`);
      expect(res.status).toBe(500);
      expect(seen).toEqual([failure]);
    });
  }
});
