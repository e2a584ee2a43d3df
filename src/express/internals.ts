/**
 * The few parts of Express's internals this adapter touches, typed by the
 * narrow shape we use. They are the same in Express 5 (the `router` package)
 * and Express 4 (`lib/router`): a router is a function with a `stack` of
 * layers; a layer has a `handle` (an error handler when its arity is 4) and,
 * for `app.get(…)`-style routes, a `route` with its own `stack`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Express's `next`: no argument continues, an error value starts error handling. */
export type ExpressNext = (error?: unknown) => void;

/** A request handler as Express calls it. */
export type RequestHandlerFn = (req: IncomingMessage, res: ServerResponse, next: ExpressNext) => unknown;

/** An error handler as Express calls it: arity 4 is how Express tells them apart. */
export type ErrorHandlerFn = (error: unknown, req: IncomingMessage, res: ServerResponse, next: ExpressNext) => unknown;

/** One entry of a router's or a route's stack. */
export interface ExpressLayer {
  handle: RequestHandlerFn | ErrorHandlerFn;
  /** Set on the layer `app.get('/x', …)` creates; undefined on `app.use` layers. */
  route?: { stack: ExpressLayer[]; path?: unknown } | undefined;
}

/** An Express router (`app.router` in Express 5, `app._router` in Express 4, `express.Router()`). */
export interface ExpressRouter {
  stack: ExpressLayer[];
  use(handler: ErrorHandlerFn): unknown;
}

/** An Express application, as far as we look at it. */
export interface ExpressApp {
  /** Express 4: created on first `use`/route. */
  _router?: ExpressRouter | undefined;
  /** Express 5: a lazy getter. (Express 4 has a getter here that throws.) */
  readonly router?: ExpressRouter | undefined;
}

/** The request as Express decorates it. */
export interface ExpressRequest extends IncomingMessage {
  app?: ExpressApp | undefined;
  /** The full request target; `url` loses a mounted router's prefix. */
  originalUrl?: string | undefined;
  /** The path a mounted router was matched at (`/api`), `''` at the top. */
  baseUrl?: string | undefined;
  /** The matched route; its `path` is the template (`/users/:id`). */
  route?: { path?: unknown } | undefined;
  /** Route parameters (Express 5 `*splat` wildcards are arrays). */
  params?: Record<string, string | string[] | undefined> | undefined;
  /** A parsed body (express.json(), body-parser, or ward's own). */
  body?: unknown;
  /** body-parser 1 (Express 4) sets this once it consumed the stream; ward sets it too. */
  _body?: boolean | undefined;
}

/** True for an Express router (or anything router-shaped we can scan). */
export function isRouter(value: unknown): value is ExpressRouter {
  return typeof value === 'function' && Array.isArray((value as { stack?: unknown }).stack);
}

/**
 * The app's top router: `app._router` on Express 4, `app.router` on Express 5.
 * Undefined when the request did not come through an Express app (a bare
 * `Router` on node:http).
 */
export function routerOf(app: ExpressApp | undefined): ExpressRouter | undefined {
  if (app === undefined || app === null) return undefined;
  if (isRouter(app._router)) return app._router;
  try {
    const router = app.router;
    return isRouter(router) ? router : undefined;
  } catch {
    // Express 4's `app.router` is a getter that throws a migration message.
    return undefined;
  }
}
