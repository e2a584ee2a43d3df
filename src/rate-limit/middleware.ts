/**
 * `rateLimit()`: a limiter in front of the rest of the chain. Per request:
 * a key (the authenticated user's id, else the client address with IPv6
 * grouped by /64), one decision, the `RateLimit` fields, and then either
 * `next()` or one problem+json answer — 429 `RATE_LIMITED` with
 * `Retry-After` and the violated policies, or 503 `RATE_LIMIT_UNAVAILABLE`
 * when the store failed under `failureMode: 'closed'`.
 */
import { type Context, HttpError, type Middleware, type Next, callAsync, defineMiddleware, describeValue, markFactory } from '@ward/core';
import proxyaddr from 'proxy-addr';
import { RATELIMIT, RATELIMIT_POLICY, legacyFields, partitionKeyOf, policyField, rateLimitField, seconds } from './headers.js';
import { ipKey } from './keys.js';
import { DECIDE, type DecidingLimiter, type RateLimitDecision, type RateLimiter, createRateLimiter } from './limiter.js';
import { LIMITER_OPTION_NAMES, type RateLimiterOptions } from './options.js';

declare module '@ward/core' {
  interface WardState {
    /** The decision `rateLimit()` made for this request (the last one, when several limiters run). */
    rateLimit?: RateLimitDecision;
  }
}

/** Options of {@link rateLimit}: a limiter's options (or a `limiter`), plus how requests map to it. */
export interface RateLimitOptions extends Partial<RateLimiterOptions> {
  /** An existing limiter (shared with direct `consume()` calls). Give either this or `policies`. */
  limiter?: RateLimiter;
  /**
   * Who is limited. Default: `user:<id>` when an authenticated user is on
   * `ctx.state.user` (`@ward/auth`), else `ip:<address>` — the client
   * address as the adapter's `trustProxy` resolves it (a forged
   * `X-Forwarded-For` never mints a new bucket), IPv6 grouped by
   * {@link ipv6Subnet}. Return `undefined` to let a request through
   * unlimited.
   */
  key?: (ctx: Context) => string | undefined | Promise<string | undefined>;
  /** Tokens a request costs: an integer from 0, or a function of the request. Default: `1`. */
  cost?: number | ((ctx: Context) => number | Promise<number>);
  /** Requests for which this returns true are not limited (and get no fields). Default: none. */
  skip?: (ctx: Context) => boolean | Promise<boolean>;
  /** Client addresses or CIDRs never limited (`['10.0.0.0/8', '::1']`). Default: none. */
  allowList?: readonly string[];
  /** The prefix length IPv6 clients are grouped by in the default key: an integer from 1 to 128. Default: `64`. */
  ipv6Subnet?: number;
  /** Decide, count and send the fields, but never refuse: to roll a limit out on live traffic. Default: `false`. */
  dryRun?: boolean;
  /** Send `RateLimit-Policy` and `RateLimit` on every limited route's answers. Default: `true`. */
  headers?: boolean;
  /** Also send `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) for the strictest policy. Default: `false`. */
  legacyHeaders?: boolean;
  /**
   * Add the draft's partition key to each `RateLimit-Policy` member:
   * `pk=:<base64>:` of the first 12 hex digits of the key's SHA-256 — an
   * opaque hash, never the address or user id itself (draft-10 §6.1), so a
   * client can tell its own buckets apart. Costs one hash per request.
   * Default: `false`.
   */
  partitionKey?: boolean;
}

const OWN_OPTIONS = ['limiter', 'key', 'cost', 'skip', 'allowList', 'ipv6Subnet', 'dryRun', 'headers', 'legacyHeaders', 'partitionKey'];
const KNOWN = new Set([...OWN_OPTIONS, ...LIMITER_OPTION_NAMES]);
const WHERE = 'rateLimit(options)';
/** Where a request keeps the limiters that already decided it (the objects: two limiters may share a name). */
const DECIDED = Symbol.for('ward.rate-limit.decided');

/**
 * Limits requests with token buckets decided by a {@link RateLimiter}.
 *
 * @example
 * import { rateLimit } from '@ward/rate-limit';
 * engine.use(rateLimit({ policies: [{ name: 'burst', limit: 10, windowMs: 1_000 }, { name: 'hourly', limit: 1_000, windowMs: 3_600_000 }] }));
 */
export function rateLimit(options: RateLimitOptions): Middleware {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${WHERE} needs an options object such as { policies: [{ name: 'default', limit: 100, windowMs: 60_000 }] }, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${WHERE}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  let limiter: RateLimiter;
  if (options.limiter !== undefined) {
    const given = LIMITER_OPTION_NAMES.filter((name) => (options as Record<string, unknown>)[name] !== undefined);
    if (given.length > 0) throw new TypeError(`${WHERE}: give either limiter or the limiter's own options (${given.join(', ')}), not both`);
    if (typeof options.limiter !== 'object' || typeof options.limiter.consume !== 'function') throw new TypeError(`${WHERE}.limiter must come from createRateLimiter(), got ${describeValue(options.limiter)}`);
    limiter = options.limiter;
  } else {
    // Only the limiter's own options: the rest (key, skip, headers…) are this middleware's.
    const own = Object.fromEntries(LIMITER_OPTION_NAMES.filter((name) => name in options).map((name) => [name, (options as Record<string, unknown>)[name]]));
    limiter = createRateLimiter(own as unknown as RateLimiterOptions);
  }

  const ipv6Subnet = options.ipv6Subnet ?? 64;
  if (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 1 || ipv6Subnet > 128) throw new RangeError(`${WHERE}.ipv6Subnet must be an integer from 1 to 128, got ${describeValue(ipv6Subnet)}`);
  const keyOf = hook(options.key, 'key') ?? ((ctx: Context) => defaultKey(ctx, ipv6Subnet));
  const skip = hook(options.skip, 'skip');
  const cost = options.cost ?? 1;
  if (typeof cost !== 'function' && (!Number.isInteger(cost) || cost < 0)) throw new RangeError(`${WHERE}.cost must be an integer ≥ 0 or a function, got ${describeValue(cost)}`);
  // A fixed cost no policy can ever hold would refuse every request: a configuration error, said now.
  if (typeof cost === 'number' && limiter.policies.some((p) => cost > p.burst)) {
    throw new RangeError(`${WHERE}.cost ${cost} is more than a policy's burst (${limiter.policies.map((p) => `"${p.name}": ${p.burst}`).join(', ')}): no request could ever pass`);
  }
  const allowed = allowListOf(options.allowList);
  const dryRun = flag(options.dryRun, 'dryRun', false);
  const headers = flag(options.headers, 'headers', true);
  const legacy = flag(options.legacyHeaders, 'legacyHeaders', false);
  const withPartitionKey = flag(options.partitionKey, 'partitionKey', false);
  const policyValue = policyField(limiter.policies);
  // While the insurance store decides, the fields describe the quota it enforces (the share), not the main one.
  const fallbackList = limiter.fallbackPolicies;
  const fallbackValue = fallbackList === undefined ? undefined : policyField(fallbackList);

  // One policy, allowed (the common answer): its figures are the decision's own, no per-policy results needed.
  const single = limiter.policies.length === 1 ? `"${limiter.policies[0]!.name}";r=` : undefined;

  /** Sets the fields of a decision (none when nobody decided). */
  function fields(ctx: Context, decision: RateLimitDecision, key: string): void {
    if (decision.source === 'none') return;
    const res = ctx.res;
    if (headers) {
      // Another limiter on this request already answered: both are members of one List (draft-10 §3, §4).
      const prior = res.getHeader(RATELIMIT);
      // A member name it used already: ours get this limiter's place on the request (`default.2`), so each names one quota.
      const rename = prior === undefined ? undefined : renamer(String(res.getHeader(RATELIMIT_POLICY) ?? ''), ctx);
      const value =
        rename !== undefined ? rateLimitField(decision, rename) : single !== undefined && decision.outcome === 'allowed' ? `${single}${decision.remaining};t=${seconds(decision.resetMs)}` : rateLimitField(decision);
      const fallback = decision.source === 'fallback' && fallbackList !== undefined;
      const list = fallback ? fallbackList : limiter.policies;
      const policy = withPartitionKey || rename !== undefined ? policyField(list, withPartitionKey ? partitionKeyOf(key) : undefined, rename) : fallback ? fallbackValue! : policyValue;
      res.setHeader(RATELIMIT_POLICY, prior === undefined ? policy : `${String(res.getHeader(RATELIMIT_POLICY))}, ${policy}`);
      res.setHeader(RATELIMIT, prior === undefined ? value : `${String(prior)}, ${value}`);
    }
    if (legacy) {
      const [limit, remaining, reset] = legacyFields(decision)!;
      res.setHeader('X-RateLimit-Limit', limit);
      res.setHeader('X-RateLimit-Remaining', remaining);
      res.setHeader('X-RateLimit-Reset', reset);
    }
  }

  /** Undefined when none of this limiter's policy names is in `taken` (the fields so far); else how to rename them. */
  function renamer(taken: string, ctx: Context): ((name: string) => string) | undefined {
    if (!limiter.policies.some((p) => taken.includes(`"${p.name}"`))) return undefined;
    const place = (ctx.state as Record<symbol, Set<object> | undefined>)[DECIDED]?.size ?? 2;
    return (name) => `${name}.${place}`;
  }

  let proxyWarned = false;
  /** Once per middleware: the default key reads the socket address while requests say they came through a proxy. */
  function checkProxy(ctx: Context): void {
    const forwarded = ctx.req.headers['x-forwarded-for'];
    if (forwarded === undefined || ctx.req.ip !== ctx.raw.req.socket.remoteAddress) return;
    proxyWarned = true;
    process.emitWarning(
      `rateLimit "${limiter.name}": requests carry X-Forwarded-For but the client address is the socket's (${ctx.req.ip}). ` +
        "Behind a proxy, set the adapter's trustProxy option (a hop count or the proxy's addresses), or every client shares the proxy's bucket; " +
        'if there is no proxy, the header is forged and rightly ignored.',
      { code: 'WARD_RATE_LIMIT_FORWARDED_UNTRUSTED' },
    );
  }

  const decide = (limiter as DecidingLimiter)[DECIDE] ?? ((key: string, tokens: number) => limiter.consume(key, tokens));
  const name = limiter.name;

  // The request path: plain functions, each step awaited only when it really is a promise (a
  // custom key, cost or skip, a Redis store), so a MemoryStore decision adds no promise of its own.

  function start(ctx: Context, next: Next): Promise<void> {
    // The same limiter twice on one request (app-level and route-level, nested ward layers): counted once.
    const state = ctx.state as Record<symbol, Set<object> | undefined>;
    const decided = state[DECIDED];
    if (decided !== undefined && decided.has(limiter)) return next();
    if (skip !== undefined) {
      const skipped = skip(ctx);
      if (isPromise(skipped)) return Promise.resolve(skipped).then((yes) => (yes === true ? next() : identify(ctx, next)));
      if (skipped === true) return next();
    }
    return identify(ctx, next);
  }

  function identify(ctx: Context, next: Next): Promise<void> {
    if (allowed !== undefined && allowed(ctx.req.ip)) return next();
    if (!proxyWarned && options.key === undefined) checkProxy(ctx);
    const key = keyOf(ctx);
    return isPromise(key) ? Promise.resolve(key).then((k) => price(ctx, next, k)) : price(ctx, next, key);
  }

  function price(ctx: Context, next: Next, key: string | undefined): Promise<void> {
    if (key === undefined) return next();
    if (typeof key !== 'string') throw new TypeError(`${WHERE}.key must return a string or undefined, got ${describeValue(key)}`);
    const state = ctx.state as Record<symbol, Set<object> | undefined>;
    (state[DECIDED] ??= new Set<object>()).add(limiter);
    if (typeof cost !== 'function') return charge(ctx, next, key, cost);
    const tokens = cost(ctx);
    return isPromise(tokens) ? Promise.resolve(tokens).then((t) => charge(ctx, next, key, t)) : charge(ctx, next, key, tokens);
  }

  function charge(ctx: Context, next: Next, key: string, tokens: number): Promise<void> {
    const decision = decide(key, tokens);
    return isPromise(decision) ? Promise.resolve(decision).then((d) => act(ctx, next, d, key)) : act(ctx, next, decision, key);
  }

  function act(ctx: Context, next: Next, decision: RateLimitDecision, key: string): Promise<void> {
    ctx.state.rateLimit = decision;
    fields(ctx, decision, key);
    if (decision.allowed || dryRun) return next();
    ctx.problem(refusal(decision, name));
    return DONE;
  }

  const described = {
    limiter: limiter.name,
    policies: limiter.policies.map((p) => ({ name: p.name, limit: p.limit, windowMs: p.windowMs, burst: p.burst })),
    penalty: limiter.policies.penalty ?? null,
    failureMode: limiter.failureMode,
    identity: options.key === undefined ? 'user id, else client ip' : 'custom key',
    ipv6Subnet,
    cost: typeof cost === 'function' ? 'custom' : cost,
    skip: skip !== undefined,
    allowList: options.allowList?.length ?? 0,
    dryRun,
    headers,
    legacyHeaders: legacy,
    partitionKey: withPartitionKey,
  };
  return defineMiddleware('rateLimit', described, function rateLimit(ctx: Context, next: Next): Promise<void> {
    return callAsync(start, ctx, next);
  });
}
markFactory(rateLimit);

const DONE: Promise<void> = Promise.resolve();

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The answer to a refused request. */
function refusal(decision: RateLimitDecision, limiter: string): HttpError {
  if (decision.outcome === 'failed_closed') {
    return new HttpError(503, {
      code: 'RATE_LIMIT_UNAVAILABLE',
      title: 'Service Unavailable',
      detail: 'The rate limiter cannot decide right now',
      headers: { 'Retry-After': '1' },
      expose: true,
    });
  }
  if (decision.outcome === 'cost_exceeds_burst') {
    return new HttpError(429, {
      code: 'RATE_LIMIT_COST_EXCEEDS_BURST',
      title: 'Too Many Requests',
      detail: `This request costs ${decision.cost} tokens; ${decision.violated.length === 1 ? 'policy' : 'policies'} ${decision.violated.map((name) => `"${name}"`).join(', ')} never ${decision.violated.length === 1 ? 'holds' : 'hold'} that many`,
      extensions: { 'violated-policies': decision.violated },
    });
  }
  const why = decision.outcome === 'blocked' ? 'Blocked after repeated refusals' : `Rate limit exceeded (${decision.violated.join(', ')})`;
  return new HttpError(429, {
    code: 'RATE_LIMITED',
    title: 'Too Many Requests',
    detail: `${why}; retry after ${seconds(decision.retryAfterMs)} s`,
    headers: { 'Retry-After': String(seconds(decision.retryAfterMs)) },
    extensions: { limiter, 'violated-policies': decision.violated },
  });
}

/** `user:<id>` for an authenticated user, else `ip:<address>` (IPv6 by subnet). */
function defaultKey(ctx: Context, ipv6Subnet: number): string {
  const user = (ctx.state as { user?: { id?: unknown } }).user;
  const id = user?.id;
  if (typeof id === 'string' || typeof id === 'number') return `user:${id}`;
  return `ip:${ipKey(ctx.req.ip, ipv6Subnet)}`;
}

function allowListOf(list: readonly string[] | undefined): ((ip: string) => boolean) | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) throw new TypeError(`${WHERE}.allowList must be an array of addresses or CIDRs, got ${describeValue(list)}`);
  if (list.length === 0) return undefined;
  let match: (address: string, hop: number) => boolean;
  try {
    match = proxyaddr.compile([...list]);
  } catch (error) {
    throw new RangeError(`${WHERE}.allowList: ${(error as Error).message}`);
  }
  return (ip) => {
    try {
      return ip !== '' && match(ip, 0);
    } catch {
      return false; // not an address proxy-addr can parse: not on the list
    }
  };
}

function hook<F extends (...args: never[]) => unknown>(value: F | undefined, name: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${WHERE}.${name} must be a function, got ${describeValue(value)}`);
  return value;
}

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${WHERE}.${name} must be true or false, got ${describeValue(value)}`);
  return value;
}
