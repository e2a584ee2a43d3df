/**
 * Automatic placement of ward's error catching in an Express app (the
 * `autoCatch` option), done on the first request through a ward layer and
 * again whenever the app's stack has grown since.
 *
 * - Every error-handling layer (arity 4) of the app's router, of the routers
 *   mounted in it and of their routes gets a gate: its `handle` is wrapped so
 *   that a downstream error reaches the ward chain before your handler.
 * - `wardErrorHandler()` is appended at the end of the app's router, for
 *   errors no error handler of yours matches (they would go to Express's
 *   final handler).
 *
 * Nothing is inserted in the middle of a stack: Express walks a stack by
 * index while requests are in flight, and an insertion would shift a request
 * that is inside a later layer back onto a layer it already ran. Wrapping a
 * handler in place and appending at the end keep every index where it was.
 */
import { catchWardError, gate, isWardLayer } from './catcher.js';
import { type ErrorHandlerFn, type ExpressLayer, type ExpressRouter, isRouter } from './internals.js';

const SCANNED = Symbol('ward.express.scanned');

type Scanned = ExpressRouter & { [SCANNED]?: number };

/**
 * Makes sure the app's router is covered; a no-op (one length comparison)
 * while its stack has not changed since the last check.
 */
export function ensureCatcher(router: ExpressRouter): void {
  const scanned = router as Scanned;
  if (scanned[SCANNED] === router.stack.length) return;
  gateRouter(router, new Set<ExpressRouter>());
  const stack = router.stack;
  const last = stack[stack.length - 1];
  if (last === undefined || !isWardLayer(last.handle)) router.use(catchWardError);
  scanned[SCANNED] = router.stack.length;
}

function gateRouter(router: ExpressRouter, seen: Set<ExpressRouter>): void {
  if (seen.has(router)) return;
  seen.add(router);
  for (const layer of router.stack) gateLayer(layer, seen);
}

function gateLayer(layer: ExpressLayer, seen: Set<ExpressRouter>): void {
  const handle = layer.handle;
  if (typeof handle !== 'function' || isWardLayer(handle)) return;
  // Express tells error handlers apart by arity, exactly 4.
  if (handle.length === 4) {
    layer.handle = gate(handle as ErrorHandlerFn);
    return;
  }
  const route = layer.route;
  if (route !== undefined && route !== null && Array.isArray(route.stack)) {
    for (const inner of route.stack) gateLayer(inner, seen);
  } else if (isRouter(handle)) {
    gateRouter(handle, seen);
  }
}
