/**
 * `ward(middleware, options)`: a ward chain as one Express middleware, for
 * an app, a route or a Router, on Express 5 and Express 4.
 */
import type { ServerResponse } from 'node:http';
import { compose, contextSettings, type Middleware } from '@ward/core';
import type { RequestHandler } from 'express';
import { committedMarker, Frame, type Runtime } from './frame.js';
import { paramsOfExpress, readExpressBody, routeOfExpress, urlOfExpress } from './hooks.js';
import { ensureCatcher } from './install.js';
import { type ExpressApp, type ExpressNext, type ExpressRequest, type ExpressRouter, routerOf } from './internals.js';
import { type ExpressAdapterOptions, resolveExpressOptions } from './options.js';

const hooks = {
  urlOf: urlOfExpress,
  routeOf: routeOfExpress,
  paramsOf: paramsOfExpress,
  readBody: readExpressBody,
};

/**
 * Runs `middleware` as one Express middleware. Code after `await next()` sees
 * and can still change what the Express handlers produced (status, headers,
 * body); errors of Express handlers reject `next()`; what no ward middleware
 * handles goes to Express's error handling.
 *
 * @param middleware ward middleware, run in order (onion).
 * @param options adapter options; see {@link ExpressAdapterOptions}.
 * @throws TypeError when `middleware` is not an array of middleware (a factory
 *   passed without its call included) or an option has the wrong type;
 *   RangeError for a bad option value.
 *
 * @example
 * import express from 'express';
 * import { ward } from '@ward/express';
 *
 * const app = express();
 * app.use(ward([requestId(), securityHeaders(), rateLimit({ … })]));
 * app.get('/users/:id', ward([auth({ … })]), getUser);
 */
export function ward(middleware: readonly Middleware[], options: ExpressAdapterOptions = {}): RequestHandler {
  if (!Array.isArray(middleware)) {
    throw new TypeError(
      `ward(middleware, options) expects an array of ward middleware, got ${describe(middleware)}. ` +
        'Call it: app.use(ward([requestId(), …]))',
    );
  }
  const adapter = resolveExpressOptions(options);
  const runtime: Runtime = Object.freeze({
    chain: compose(middleware),
    settings: contextSettings('express', options, hooks),
    capture: adapter.capture,
    onLateError: adapter.onLateError,
    committed: committedMarker(adapter.onLateError),
  });
  const autoCatch = adapter.autoCatch;
  // Most ward() layers serve one app: remember its router instead of looking it up per request.
  let knownApp: ExpressApp | undefined;
  let knownRouter: ExpressRouter | undefined;

  function ward(req: ExpressRequest, res: ServerResponse, next: ExpressNext): void {
    if (autoCatch) {
      const app = req.app;
      if (app !== knownApp) {
        knownApp = app;
        knownRouter = routerOf(app);
      }
      if (knownRouter !== undefined) ensureCatcher(knownRouter);
    }
    void new Frame(runtime, req, res, next).run();
  }
  return ward as unknown as RequestHandler;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' && value !== null && 'socket' in value && 'headers' in value) {
    return 'a request object (was ward registered without its call?)';
  }
  return typeof value;
}
