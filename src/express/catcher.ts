/**
 * Rule 5 on Express: errors of Express route handlers reach the ward chain.
 *
 * Express passes a handler's error forward through the stack (`next(err)`)
 * to the next error-handling layer (arity 4), never back to the middleware
 * that called `next()`. So ward meets the error there: with its own
 * error-catching layer (`wardErrorHandler()`, appended at the end of the
 * stack) and with a gate put around each error-handling layer of the app
 * (see install.ts). Both give the error to the ward chain waiting on the
 * downstream; what that chain does not handle continues exactly where it was
 * caught — to your error handler, or to Express's final handler.
 */
import type { ErrorRequestHandler } from 'express';
import { LATE, PASS, routeError } from './frame.js';
import type { ErrorHandlerFn, ExpressNext } from './internals.js';

const WARD_LAYER = Symbol('ward.express.layer');

/** True for ward's own catcher and gates, which must not be wrapped again. */
export function isWardLayer(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[WARD_LAYER] === true;
}

/** The error-catching layer: a downstream error goes to the waiting ward chain, else on to Express. */
export const catchWardError: ErrorHandlerFn = function catchWardError(error, req, _res, next) {
  const target = routeError(error, req);
  if (target === PASS) next(error);
  else if (target !== LATE) target.take(error, next);
};
Object.defineProperty(catchWardError, WARD_LAYER, { value: true });

/**
 * Wraps one of your error handlers so that a downstream error reaches the
 * ward chain first; if the chain does not handle it, your handler gets it
 * exactly as Express would have given it.
 */
export function gate(handler: ErrorHandlerFn): ErrorHandlerFn {
  const wardErrorGate: ErrorHandlerFn = function wardErrorGate(error, req, res, next) {
    const target = routeError(error, req);
    // The return value matters: Express 5 waits on a returned promise.
    if (target === PASS) return handler(error, req, res, next);
    if (target !== LATE) target.take(error, (unhandled) => callErrorHandler(handler, unhandled, req, res, next));
    return undefined;
  };
  Object.defineProperty(wardErrorGate, WARD_LAYER, { value: true });
  return wardErrorGate;
}

/** Calls an error handler outside Express's own try/catch, with the same guarantees. */
function callErrorHandler(handler: ErrorHandlerFn, error: unknown, req: Parameters<ErrorHandlerFn>[1], res: Parameters<ErrorHandlerFn>[2], next: ExpressNext): void {
  try {
    const result = handler(error, req, res, next) as PromiseLike<unknown> | undefined;
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      result.then(undefined, (rejection: unknown) => next(rejection || new Error('Rejected promise')));
    }
  } catch (thrown) {
    next(thrown);
  }
}

/**
 * Ward's error-catching layer, to place by hand when the automatic placement
 * is turned off (`ward([...], { autoCatch: false })`): put it after your
 * routes and before your own error handlers. Errors of Express handlers then
 * reject `next()` in every enclosing ward middleware; errors no ward
 * middleware handles continue to your error handlers.
 *
 * @example
 * app.use(ward([recovery()], { autoCatch: false }));
 * app.get('/users/:id', getUser);
 * app.use(wardErrorHandler());
 * app.use(myErrorHandler);
 */
export function wardErrorHandler(): ErrorRequestHandler {
  if (arguments.length !== 0) {
    // app.use(wardErrorHandler) without the call: Express would call the factory per request.
    throw new TypeError('wardErrorHandler is a factory: register it as app.use(wardErrorHandler()), with the call');
  }
  return catchWardError as unknown as ErrorRequestHandler;
}
