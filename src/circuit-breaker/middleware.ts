/**
 * `circuitBreaker()`: a breaker in front of a route (or of each key's
 * share of it). 5xx answers and thrown errors count as failures; while the
 * circuit refuses calls, the route answers 503 problem+json `CIRCUIT_OPEN`
 * with `Retry-After` and the handler is not called. A client that went
 * away mid-request says nothing about the handler's health: ignored.
 */
import { type Context, type Middleware, type Next, callAsync, defineMiddleware, describeValue, isHttpError, markFactory } from '@ward/core';
import { type CallPermit, CircuitBreaker } from './breaker.js';
import { circuitOpenProblem, isBrokenCircuitError } from './errors.js';
import { BREAKER_OPTION_NAMES, type CircuitBreakerOptions, keyedName } from './options.js';
import { type BreakerRegistry, createBreakerRegistry } from './registry.js';
import type { CircuitState } from './state.js';

declare module '@ward/core' {
  interface WardState {
    /** The breaker that judged this request and its state when the request arrived (`circuitBreaker()`). */
    circuit?: { readonly breaker: string; readonly state: CircuitState };
  }
}

/** Options of {@link circuitBreaker}: a breaker's options (or a `breaker`), plus how requests map to it. */
export interface CircuitBreakerMiddlewareOptions extends Omit<CircuitBreakerOptions, 'isFailure' | 'isIgnored'> {
  /** An existing breaker (shared with other code, shown by a registry). Give either this or breaker options. */
  breaker?: CircuitBreaker;
  /**
   * One breaker per key (a tenant, an upstream, `ctx.req.route`), named
   * `<name>:<key>`, from {@link breakers}. Return `undefined` to let a
   * request through unjudged. Default: one breaker for the middleware.
   */
  key?: (ctx: Context) => string | undefined;
  /** Where per-key breakers live (and are listed by the health endpoint). Default: a registry of this middleware's own, of at most 1 000. */
  breakers?: BreakerRegistry;
  /**
   * Whether the request's outcome is a failure: `error` is what the chain
   * threw, if anything. Default: a thrown error (other than an `HttpError`
   * below 500) or a response status of 500 or more.
   */
  isFailure?: (ctx: Context, error: unknown) => boolean;
}

const WHERE = 'circuitBreaker(options)';
const OWN = ['breaker', 'key', 'breakers', 'isFailure'];
const KNOWN = new Set<string>([...OWN, ...BREAKER_OPTION_NAMES.filter((n) => n !== 'isFailure' && n !== 'isIgnored')]);
const DONE: Promise<void> = Promise.resolve();

/**
 * @example
 * import { circuitBreaker } from '@ward/circuit-breaker';
 * engine.get('/quotes', circuitBreaker({ name: 'quotes', minimumCalls: 20, openDurationMs: 10_000 }), quotes);
 */
export function circuitBreaker(options: CircuitBreakerMiddlewareOptions = {}): Middleware {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE} needs an options object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (name === 'isIgnored') throw new TypeError(`${WHERE}: isIgnored is for breakers of direct calls; a route's outcome is judged by isFailure(ctx, error)`);
    if (!KNOWN.has(name)) throw new TypeError(`${WHERE}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  }
  const { breaker: given, key, breakers: givenRegistry, isFailure: givenIsFailure, ...breakerOptions } = options;
  const breakerGiven = Object.keys(breakerOptions);
  if (given !== undefined) {
    if (!(given instanceof CircuitBreaker)) throw new TypeError(`${WHERE}.breaker must be a CircuitBreaker, got ${describeValue(given)}`);
    if (breakerGiven.length > 0 || key !== undefined) throw new TypeError(`${WHERE}: give either breaker or breaker options and key (${[...breakerGiven, ...(key === undefined ? [] : ['key'])].join(', ')}), not both`);
  }
  if (key !== undefined && typeof key !== 'function') throw new TypeError(`${WHERE}.key must be a function of the request, got ${describeValue(key)}`);
  if (givenIsFailure !== undefined && typeof givenIsFailure !== 'function') throw new TypeError(`${WHERE}.isFailure must be a function, got ${describeValue(givenIsFailure)}`);
  if (givenRegistry !== undefined && key === undefined) throw new TypeError(`${WHERE}.breakers holds per-key breakers: give key too`);
  const isFailure = givenIsFailure ?? defaultIsFailure;
  const prefix = breakerOptions.name ?? 'route';
  const { name: _name, ...perKeyDefaults } = breakerOptions;
  const single = key === undefined ? (given ?? new CircuitBreaker(breakerOptions)) : undefined;
  const registry = key === undefined ? undefined : (givenRegistry ?? createBreakerRegistry({ defaults: perKeyDefaults }));

  function pick(ctx: Context): CircuitBreaker | undefined {
    if (single !== undefined) return single;
    const k = key!(ctx);
    if (k === undefined) return undefined;
    if (typeof k !== 'string') throw new TypeError(`${WHERE}.key must return a string or undefined, got ${describeValue(k)}`);
    return registry!.get(keyedName(prefix, k), givenRegistry === undefined ? undefined : perKeyDefaults);
  }

  function judge(ctx: Context, next: Next): Promise<void> {
    const breaker = pick(ctx);
    if (breaker === undefined) return next();
    const state = breaker.state;
    ctx.state.circuit = { breaker: breaker.name, state };
    let permit: CallPermit;
    try {
      permit = breaker.permit();
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw error;
      ctx.state.circuit = { breaker: breaker.name, state: error.state };
      ctx.problem(circuitOpenProblem(error));
      return DONE;
    }
    return next().then(
      () => settle(ctx, permit, undefined),
      (error: unknown) => {
        settle(ctx, permit, error);
        throw error;
      },
    );
  }

  function settle(ctx: Context, permit: CallPermit, error: unknown): void {
    // ctx.signal is made on first read (an AbortController and a listener): only read it for a failure.
    if (error !== undefined && ctx.signal.aborted) return permit.ignore();
    // The client left and the handler answered anyway (a 500, a 200): nobody got that answer, and
    // it says nothing about the route. (The response, not ctx.signal: free on every request.)
    const res = ctx.raw.res;
    if (res.destroyed && !res.writableFinished) return permit.ignore();
    let failed: boolean;
    try {
      failed = isFailure(ctx, error) === true;
    } catch {
      failed = error !== undefined;
    }
    if (failed) permit.failure(error);
    else permit.success();
  }

  const described = {
    breaker: single?.name ?? `${prefix}:<key>`,
    perKey: key !== undefined,
    ...Object.fromEntries(Object.entries(breakerOptions).filter(([n]) => n !== 'registry' && n !== 'shared' && n !== 'now')),
    shared: breakerOptions.shared !== undefined,
    isFailure: givenIsFailure === undefined ? 'thrown errors and 5xx' : 'custom',
  };
  return defineMiddleware('circuitBreaker', described, function circuitBreaker(ctx: Context, next: Next): Promise<void> {
    return callAsync(judge, ctx, next);
  });
}
markFactory(circuitBreaker);

/** A thrown `HttpError` below 500 is the client's doing, not the route's failure. */
function defaultIsFailure(ctx: Context, error: unknown): boolean {
  if (error !== undefined) return !(isHttpError(error) && error.status < 500);
  return ctx.res.status >= 500;
}
