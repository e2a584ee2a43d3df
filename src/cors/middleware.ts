/**
 * `cors()`: the CORS protocol of the Fetch standard (§3.2) as one ward
 * middleware. Allowed origins get their headers before `next()`, so every
 * answer downstream (errors included) carries them; refused origins get no
 * CORS headers and the request goes on (the browser then withholds the
 * response); preflights are answered 204 without calling `next()`. Nothing
 * here answers an error: a bad `Origin`, a failing origin function or a
 * hostile preflight is a refusal, never a 5xx.
 */
import { callAsync, describeValue } from '@ward/core';
import { type Context, type Middleware, type Next, type WardResponse, defineMiddleware, markFactory } from '@ward/core';
import { rejectCounter } from './metrics.js';
import { type CorsOptions, type CorsRejectReason, type OriginFunction, resolveCorsOptions } from './options.js';
import { MAX_ORIGIN_LENGTH, isSerializedOrigin } from './origin.js';
import { SAFELISTED_METHODS, headerNames, isHeaderNameList, withoutEmptyElements } from './tokens.js';
import { type VaryField, addVary, varyField } from './vary.js';

declare module '@ward/core' {
  interface WardState {
    /**
     * The request's `Origin` when `@ward/cors` allowed it (also under
     * `origin: '*'`); absent when there was no `Origin` or it was refused.
     */
    corsOrigin?: string;
  }
}

const ACAO = 'access-control-allow-origin';
const ACAC = 'access-control-allow-credentials';
const ACAM = 'access-control-allow-methods';
const ACAH = 'access-control-allow-headers';
const ACEH = 'access-control-expose-headers';
const ACMA = 'access-control-max-age';
const ACAPN = 'access-control-allow-private-network';
const ACRM = 'access-control-request-method';
const ACRH = 'access-control-request-headers';
const ACRPN = 'access-control-request-private-network';

/**
 * CORS for one app or route group: which origins may read responses, with
 * or without credentials, and how preflights are answered.
 *
 * - `Vary: Origin` on every response whose headers depend on the origin
 *   (all but `origin: '*'`), requests without `Origin` included (Fetch
 *   §3.2.5), appended to the app's own `Vary`, never replacing it.
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
 *   is answered `204` with `Access-Control-Allow-Methods`/`-Headers`/`-Max-Age`
 *   and `Vary: Origin, Access-Control-Request-Method,
 *   Access-Control-Request-Headers`; a refused one gets a plain `204`.
 * - Refusals are counted in `ward_cors_rejected_total{reason}`.
 *
 * @example
 * engine.use(cors({
 *   origin: ['https://app.example.com', 'https://admin.example.com'],
 *   credentials: true,
 *   exposedHeaders: ['x-request-id'],
 * }));
 */
export function cors(options: CorsOptions): Middleware {
  const config = resolveCorsOptions(options);
  const rejected = rejectCounter(config.metrics);
  const { policy, credentials, methodsValue, methodSet, allowNullOrigin, preflightContinue, onError, onReject } = config;
  const { allowedHeaders, allowedHeadersValue, allowedHeaderSet, exposedHeadersValue, maxAgeValue, allowPrivateNetwork } = config;
  const anyOrigin = policy.kind === 'any';
  const list = policy.kind === 'list' ? policy.origins : undefined;
  const pattern = policy.kind === 'pattern' ? policy.pattern : undefined;
  const originFn: OriginFunction | undefined = policy.kind === 'function' ? policy.fn : undefined;

  const originVary = varyField(['Origin']);
  const requestNames = ['Access-Control-Request-Method', 'Access-Control-Request-Headers'];
  if (allowPrivateNetwork) requestNames.push('Access-Control-Request-Private-Network');
  const preflightVary = varyField(anyOrigin ? requestNames : ['Origin', ...requestNames]);

  let warned = false;

  /** Counts a refusal and tells `onReject`; a same-origin request refused by the list is not a CORS refusal. */
  function reject(ctx: Context, reason: CorsRejectReason, origin: string, preflight: boolean): void {
    if (reason === 'origin' && isSameOrigin(ctx, origin)) return;
    rejected[reason].inc();
    if (onReject !== undefined) {
      const shown = origin.length > MAX_ORIGIN_LENGTH ? origin.slice(0, MAX_ORIGIN_LENGTH) : origin;
      safely(() => onReject({ reason, origin: shown, preflight }, ctx));
    }
  }

  /** The origin function failed: refuse, count, report. */
  function fail(ctx: Context, error: unknown, origin: string, preflight: boolean): false {
    reject(ctx, 'error', origin, preflight);
    if (onError !== undefined) {
      safely(() => onError(error, ctx));
    } else if (!warned) {
      warned = true;
      process.emitWarning(
        `@ward/cors: the origin function failed (${errorSummary(error)}), so the origin was refused. Pass onError to report each failure; ward_cors_rejected_total{reason="error"} counts them. This warning is shown once.`,
        { code: 'WARD_CORS_ORIGIN_ERROR' },
      );
    }
    return false;
  }

  /** Asks the origin function, for a well-formed origin only. */
  async function ask(ctx: Context, fn: OriginFunction, origin: string, preflight: boolean): Promise<boolean> {
    if (!isSerializedOrigin(origin)) {
      reject(ctx, 'origin', origin, preflight);
      return false;
    }
    let verdict: unknown;
    try {
      verdict = fn(origin, ctx);
      if (isThenable(verdict)) verdict = await verdict;
    } catch (error) {
      return fail(ctx, error, origin, preflight);
    }
    if (verdict === true) return true;
    if (verdict === false) {
      reject(ctx, 'origin', origin, preflight);
      return false;
    }
    return fail(
      ctx,
      new TypeError(`cors({ origin }): the origin function must return a boolean or a promise of one, got ${describeValue(verdict)}`),
      origin,
      preflight,
    );
  }

  /** The preflight headers after `Access-Control-Allow-Origin` (and credentials) are set; then 204, or `next()`. */
  async function preflight(ctx: Context, next: Next, origin: string): Promise<void> {
    const req = ctx.req;
    const res = ctx.res;
    res.setHeader(ACAM, methodsValue);
    let reason: CorsRejectReason | undefined;
    // Fetch §4.8: a safelisted method passes whatever Access-Control-Allow-Methods says.
    const method = req.header(ACRM)!;
    if (!methodSet.has(method) && !SAFELISTED_METHODS.has(method)) reason = 'method';
    const requested = req.header(ACRH);
    if (allowedHeaders === undefined) {
      if (requested !== undefined && requested !== '') {
        // Reflected only once it is a plain list of names: nothing else is echoed.
        if (isHeaderNameList(requested)) res.setHeader(ACAH, withoutEmptyElements(requested));
        else reason ??= 'headers';
      }
    } else {
      if (allowedHeadersValue !== undefined) res.setHeader(ACAH, allowedHeadersValue);
      if (reason === undefined && requested !== undefined && requested !== '' && !covered(requested)) reason = 'headers';
    }
    res.setHeader(ACMA, maxAgeValue);
    if (allowPrivateNetwork && req.header(ACRPN) === 'true') res.setHeader(ACAPN, 'true');
    // Method or headers outside the policy: the policy's headers still go out, so the
    // browser refuses the request and its console names what was not allowed.
    if (reason !== undefined) reject(ctx, reason, origin, true);
    if (!preflightContinue) {
      ctx.respond(204);
      return;
    }
    await next();
    if (!res.committed) addVary(res, preflightVary);
  }

  function covered(requested: string): boolean {
    if (!isHeaderNameList(requested)) return false;
    for (const name of headerNames(requested)) if (!allowedHeaderSet.has(name)) return false;
    return true;
  }

  const described = {
    origin: list !== undefined ? [...list] : anyOrigin ? '*' : options.origin,
    credentials,
    methods: config.methods,
    allowedHeaders: allowedHeaders ?? 'reflect',
    exposedHeaders: config.exposedHeaders,
    maxAgeSec: config.maxAgeSec,
    allowNullOrigin,
    allowPrivateNetwork,
    preflightContinue,
    onError,
    onReject,
    registry: config.metrics.registry,
    prefix: config.metrics.prefix,
  };

  /** The rest of the request once the origin is decided. */
  function decided(ctx: Context, next: Next, origin: string, isPreflight: boolean, allowed: boolean): Promise<void> {
    const res = ctx.res;
    if (!allowed) {
      // No CORS headers: the browser withholds the response (or the actual request).
      if (isPreflight && !preflightContinue) {
        ctx.respond(204);
        return Promise.resolve();
      }
      return varyAfter(next(), res, isPreflight ? preflightVary : originVary);
    }

    ctx.state.corsOrigin = origin;
    res.setHeader(ACAO, origin);
    if (credentials) res.setHeader(ACAC, 'true');
    if (isPreflight) return preflight(ctx, next, origin);
    if (exposedHeadersValue !== undefined) res.setHeader(ACEH, exposedHeadersValue);
    // A handler that set Vary itself (instead of appending) must not drop Origin.
    return varyAfter(next(), res, originVary);
  }

  async function decideByFunction(ctx: Context, next: Next, origin: string, isPreflight: boolean): Promise<void> {
    const allowed = await ask(ctx, originFn!, origin, isPreflight);
    return decided(ctx, next, origin, isPreflight, allowed);
  }

  function handle(ctx: Context, next: Next): Promise<void> {
    const req = ctx.req;
    const res = ctx.res;
    const origin = req.headers.origin;
    const isPreflight = origin !== undefined && req.method === 'OPTIONS' && req.headers[ACRM] !== undefined;

    if (anyOrigin) {
      // Fetch §3.2.5: a static `*` goes on every response, CORS or not, with no Vary.
      res.setHeader(ACAO, '*');
      if (origin !== undefined) ctx.state.corsOrigin = origin;
      if (isPreflight) {
        addVary(res, preflightVary);
        return preflight(ctx, next, origin);
      }
      if (exposedHeadersValue !== undefined) res.setHeader(ACEH, exposedHeadersValue);
      return Promise.resolve(next());
    }

    // Fetch §3.2.5: the answer depends on Origin, so say so on every response,
    // also without Origin and when refused, or a cache serves one origin's answer to another.
    addVary(res, isPreflight ? preflightVary : originVary);
    if (origin === undefined) return varyAfter(next(), res, originVary);

    let allowed: boolean;
    if (origin === 'null') {
      allowed = allowNullOrigin;
      if (!allowed) reject(ctx, 'origin', origin, isPreflight);
    } else if (list !== undefined) {
      allowed = list.has(origin);
      if (!allowed) reject(ctx, 'origin', origin, isPreflight);
    } else if (pattern !== undefined) {
      allowed = isSerializedOrigin(origin) && pattern.test(origin);
      if (!allowed) reject(ctx, 'origin', origin, isPreflight);
    } else {
      return decideByFunction(ctx, next, origin, isPreflight);
    }
    return decided(ctx, next, origin, isPreflight, allowed);
  }

  // Not an async function: the common path chains one step on the downstream's promise, no extra layer.
  return defineMiddleware('cors', described, function cors(ctx: Context, next: Next): Promise<void> {
    return callAsync(handle, ctx, next);
  });
}
markFactory(cors);

/**
 * After the downstream, unless the response already went out: `field` added
 * to `Vary` again — also when it failed, so the error answer made outside
 * (recovery's, the framework's) still says it depends on Origin.
 */
function varyAfter(downstream: Promise<void>, res: WardResponse, field: VaryField): Promise<void> {
  return Promise.resolve(downstream).then(
    () => {
      if (!res.committed) addVary(res, field);
    },
    (error: unknown) => {
      if (!res.committed) addVary(res, field);
      throw error;
    },
  );
}

/** True when `origin` is the request's own (scheme from `ctx.req.secure`, host from `Host`). */
function isSameOrigin(ctx: Context, origin: string): boolean {
  const host = ctx.req.headers.host;
  if (host === undefined) return false;
  const scheme = ctx.req.secure ? 'https://' : 'http://';
  return origin.length === scheme.length + host.length && origin === scheme + host.toLowerCase();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Runs a user hook; what it throws or rejects with never reaches the request. */
function safely(run: () => unknown): void {
  try {
    const result = run();
    if (isThenable(result)) result.then(undefined, () => {});
  } catch {
    // A reporting hook that fails must not change the answer.
  }
}

function errorSummary(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 200)}`;
  return describeValue(error);
}
