/**
 * The options of `cors()`, validated once at configuration time into a
 * frozen {@link CorsConfig}: normalised origins in a `Set`, checked
 * patterns, and every constant header value already joined. A mistake is a
 * `TypeError` (wrong type) or `RangeError` (bad value) that names the option.
 */
import type { Context } from '@ward/core';
import { describeValue } from '@ward/core';
import { type WardMetricsOptions, resolveMetricsOptions } from '@ward/metrics';
import { checkOriginPattern, normalizeOrigin } from './origin.js';
import { normalizeMethod, tokenList } from './tokens.js';

/**
 * Decides whether a request's origin may read the response. Gets the
 * request's `Origin` exactly as sent — already checked to be a well-formed
 * serialized origin, never `null` (see `allowNullOrigin`) — and the context.
 * Return `true` to allow. A throw, a rejection or anything that is not a
 * boolean refuses the origin and is reported to `onError`.
 *
 * @example
 * const origin: OriginFunction = async (origin) => tenants.hasOrigin(origin);
 */
export type OriginFunction = (origin: string, ctx: Context) => boolean | Promise<boolean>;

/** Which origins are allowed; see {@link CorsOptions.origin}. */
export type CorsOrigin = string | readonly string[] | RegExp | OriginFunction;

/** Why a CORS request was refused; the `reason` label of `ward_cors_rejected_total`. */
export type CorsRejectReason = 'origin' | 'method' | 'headers' | 'error';

/** What `onReject` receives. */
export interface CorsRejection {
  /** `origin`: not allowed; `method`/`headers`: a preflight asked for more than the policy allows; `error`: the origin function failed. */
  readonly reason: CorsRejectReason;
  /** The request's `Origin` as sent (untrusted; at most 512 characters here, longer values are cut). */
  readonly origin: string;
  /** True for a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  readonly preflight: boolean;
}

/** Options of `cors()`. */
export interface CorsOptions extends WardMetricsOptions {
  /**
   * Required; there is no default (no implicit `*`).
   * - `'*'` (or `['*']`): any origin, a public resource. Every response gets
   *   `Access-Control-Allow-Origin: *` and no `Vary: Origin`. Refused with
   *   `credentials`.
   * - origins, as a string or a list: `'https://app.example.com'`. Each is
   *   validated and normalised at configuration time (lower case, punycode,
   *   no default port; a path or trailing slash is an error) and matched
   *   exactly.
   * - a RegExp, anchored with `^` and `$` (checked), tested against the
   *   request's origin.
   * - a function, sync or async, see {@link OriginFunction}.
   */
  origin: CorsOrigin;
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Default: `false`. */
  credentials?: boolean;
  /**
   * Methods a preflight may ask for, sent as `Access-Control-Allow-Methods`.
   * Compared case-sensitively, as browsers do (`fetch(url, { method: 'patch' })`
   * asks for `patch`). Default: {@link DEFAULT_METHODS}.
   */
  methods?: readonly string[];
  /**
   * Request headers a preflight may ask for. `'reflect'` (default) allows
   * whatever the preflight lists in `Access-Control-Request-Headers` once it
   * is checked to be a list of header names (at most 2 KiB); a list allows
   * only those names (case-insensitive), sent as `Access-Control-Allow-Headers`.
   */
  allowedHeaders?: readonly string[] | 'reflect';
  /**
   * Response headers scripts may read beyond the safelisted ones, sent as
   * `Access-Control-Expose-Headers` on allowed non-preflight responses.
   * `['*']` exposes all, without `credentials` only. Default: none.
   */
  exposedHeaders?: readonly string[];
  /**
   * How long browsers may cache a preflight answer, in seconds
   * (`Access-Control-Max-Age`); 0 to 86400. Default: {@link DEFAULT_MAX_AGE_SEC} (600).
   */
  maxAgeSec?: number;
  /**
   * Allow the origin `null` (sandboxed iframes, `file:` pages, some
   * redirects). Any site can produce it, so it is refused with `credentials`.
   * Default: `false`.
   */
  allowNullOrigin?: boolean;
  /**
   * Answer Private Network Access preflights
   * (`Access-Control-Request-Private-Network: true`) with
   * `Access-Control-Allow-Private-Network: true` for allowed origins.
   * Default: `false`.
   */
  allowPrivateNetwork?: boolean;
  /**
   * Pass preflights to `next()` (with the CORS headers set) instead of
   * answering 204, for apps with their own OPTIONS handlers. Default: `false`.
   */
  preflightContinue?: boolean;
  /**
   * Called when the origin function throws, rejects or returns a non-boolean
   * (the origin is then refused). Never breaks the response: what it throws
   * is ignored. Default: one process warning (`WARD_CORS_ORIGIN_ERROR`) per
   * middleware; every failure is counted in `ward_cors_rejected_total{reason="error"}`.
   */
  onError?: (error: unknown, ctx: Context) => void;
  /** Called for every counted refusal (see {@link CorsRejection}). What it throws is ignored. Default: none. */
  onReject?: (rejection: CorsRejection, ctx: Context) => void;
}

/** `methods` when not given: the `cors` package's list. */
export const DEFAULT_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']);

/**
 * `maxAgeSec` when not given: 10 minutes. Chromium caps the value at 7200
 * (and caches 5 s without it), Firefox at 86400; 600 spares most preflights
 * while a tightened policy reaches every browser within 10 minutes.
 */
export const DEFAULT_MAX_AGE_SEC = 600;

/** Highest `maxAgeSec`: no browser keeps a preflight longer than a day. */
export const MAX_MAX_AGE_SEC = 86_400;

/** How origins are matched, decided once. */
export type OriginPolicy =
  | { readonly kind: 'any' }
  | { readonly kind: 'list'; readonly origins: ReadonlySet<string> }
  | { readonly kind: 'pattern'; readonly pattern: RegExp }
  | { readonly kind: 'function'; readonly fn: OriginFunction };

/** Validated options. */
export interface CorsConfig {
  readonly policy: OriginPolicy;
  readonly credentials: boolean;
  readonly methods: readonly string[];
  /** `Access-Control-Allow-Methods`. */
  readonly methodsValue: string;
  readonly methodSet: ReadonlySet<string>;
  /** `undefined`: reflect. */
  readonly allowedHeaders: readonly string[] | undefined;
  /** `Access-Control-Allow-Headers` for a fixed list (`undefined` when reflecting or empty). */
  readonly allowedHeadersValue: string | undefined;
  readonly allowedHeaderSet: ReadonlySet<string>;
  readonly exposedHeaders: readonly string[];
  /** `Access-Control-Expose-Headers`, or `undefined` when none. */
  readonly exposedHeadersValue: string | undefined;
  readonly maxAgeSec: number;
  readonly maxAgeValue: string;
  readonly allowNullOrigin: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly preflightContinue: boolean;
  readonly onError: ((error: unknown, ctx: Context) => void) | undefined;
  readonly onReject: ((rejection: CorsRejection, ctx: Context) => void) | undefined;
  readonly metrics: Required<WardMetricsOptions>;
}

const KNOWN = new Set([
  'origin',
  'credentials',
  'methods',
  'allowedHeaders',
  'exposedHeaders',
  'maxAgeSec',
  'allowNullOrigin',
  'allowPrivateNetwork',
  'preflightContinue',
  'onError',
  'onReject',
  'registry',
  'prefix',
]);

/** Names other CORS middleware use, and what to write instead. */
const DID_YOU_MEAN: Readonly<Record<string, string>> = {
  maxAge: 'maxAgeSec (seconds)',
  headers: 'allowedHeaders',
  allowHeaders: 'allowedHeaders',
  allowMethods: 'methods',
  exposeHeaders: 'exposedHeaders',
  allowCredentials: 'credentials',
  origins: 'origin',
  allowedOrigins: 'origin',
  optionsSuccessStatus: 'nothing: preflights are answered 204, which every current browser accepts',
  strictPreflight: 'nothing: an OPTIONS without Origin and Access-Control-Request-Method is not a preflight and goes to next()',
  privateNetworkAccess: 'allowPrivateNetwork',
};

const WHERE = 'cors';

/** Validates `cors()` options; throws a TypeError/RangeError naming the option. */
export function resolveCorsOptions(options: CorsOptions): CorsConfig {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${WHERE}(options): options must be an object such as { origin: ['https://app.example.com'] }, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      const hint = DID_YOU_MEAN[key];
      throw new TypeError(`${WHERE}({ ${key} }) is not an option${hint === undefined ? '' : `; did you mean ${hint}?`}`);
    }
  }
  const credentials = flag(options.credentials, 'credentials');
  const allowNullOrigin = flag(options.allowNullOrigin, 'allowNullOrigin');
  const policy = originPolicy(options.origin);
  if (credentials && policy.kind === 'any') {
    throw new RangeError(
      `${WHERE}({ origin: '*', credentials: true }): browsers refuse '*' on credentialed requests, and reflecting every origin with credentials would let any site act as the user; list the origins instead`,
    );
  }
  if (credentials && allowNullOrigin) {
    throw new RangeError(
      `${WHERE}({ allowNullOrigin: true, credentials: true }): any site can send Origin: null (a sandboxed iframe), so this would let any site read credentialed responses; drop one of the two`,
    );
  }

  const methods = (options.methods === undefined ? [...DEFAULT_METHODS] : tokenList(options.methods, `${WHERE}({ methods })`, "['GET', 'POST']")).map(
    normalizeMethod,
  );
  if (methods.length === 0) throw new RangeError(`${WHERE}({ methods }) must list at least one method, e.g. ['GET', 'POST']`);
  if (methods.includes('*')) {
    throw new RangeError(`${WHERE}({ methods }): list the methods instead of '*' (a wildcard is ignored by browsers on credentialed requests)`);
  }

  let allowedHeaders: string[] | undefined;
  if (options.allowedHeaders !== undefined && options.allowedHeaders !== 'reflect') {
    allowedHeaders = tokenList(options.allowedHeaders, `${WHERE}({ allowedHeaders })`, "['content-type', 'authorization'] or 'reflect'");
    if (allowedHeaders.includes('*')) {
      throw new RangeError(`${WHERE}({ allowedHeaders }): use 'reflect' instead of '*' (a wildcard never covers Authorization, and is ignored on credentialed requests)`);
    }
    allowedHeaders = [...new Set(allowedHeaders.map((name) => name.toLowerCase()))];
  }

  const exposedHeaders =
    options.exposedHeaders === undefined ? [] : tokenList(options.exposedHeaders, `${WHERE}({ exposedHeaders })`, "['x-request-id']");
  if (exposedHeaders.includes('*') && (credentials || exposedHeaders.length > 1)) {
    throw new RangeError(
      `${WHERE}({ exposedHeaders }): '*' must be the only entry and cannot be used with credentials (browsers then read it as a header named '*'); list the headers`,
    );
  }

  const maxAgeSec = options.maxAgeSec ?? DEFAULT_MAX_AGE_SEC;
  if (typeof maxAgeSec !== 'number') throw new TypeError(`${WHERE}({ maxAgeSec }) must be a number of seconds, got ${describeValue(maxAgeSec)}`);
  if (!Number.isInteger(maxAgeSec) || maxAgeSec < 0 || maxAgeSec > MAX_MAX_AGE_SEC) {
    throw new RangeError(
      `${WHERE}({ maxAgeSec }) must be an integer from 0 to ${MAX_MAX_AGE_SEC} seconds (browsers cap it: Chromium at 7200), got ${maxAgeSec}`,
    );
  }

  return Object.freeze({
    policy,
    credentials,
    methods: Object.freeze(methods),
    methodsValue: methods.join(', '),
    methodSet: new Set(methods),
    allowedHeaders: allowedHeaders === undefined ? undefined : Object.freeze(allowedHeaders),
    allowedHeadersValue: allowedHeaders === undefined || allowedHeaders.length === 0 ? undefined : allowedHeaders.join(', '),
    allowedHeaderSet: new Set(allowedHeaders ?? []),
    exposedHeaders: Object.freeze(exposedHeaders),
    exposedHeadersValue: exposedHeaders.length === 0 ? undefined : exposedHeaders.join(', '),
    maxAgeSec,
    maxAgeValue: String(maxAgeSec),
    allowNullOrigin,
    allowPrivateNetwork: flag(options.allowPrivateNetwork, 'allowPrivateNetwork'),
    preflightContinue: flag(options.preflightContinue, 'preflightContinue'),
    onError: hook<NonNullable<CorsOptions['onError']>>(options.onError, 'onError', '(error, ctx) => void'),
    onReject: hook<NonNullable<CorsOptions['onReject']>>(options.onReject, 'onReject', '({ reason, origin, preflight }, ctx) => void'),
    metrics: resolveMetricsOptions({ registry: options.registry, prefix: options.prefix }, `${WHERE}(options)`),
  });
}

function originPolicy(origin: unknown): OriginPolicy {
  const where = `${WHERE}({ origin })`;
  if (origin === undefined) {
    throw new TypeError(
      `${where} is required: a list of origins such as ['https://app.example.com'], a RegExp, a function (origin, ctx) => boolean, or '*' for a public resource`,
    );
  }
  if (typeof origin === 'function') return Object.freeze({ kind: 'function', fn: origin as OriginFunction });
  if (origin instanceof RegExp) return Object.freeze({ kind: 'pattern', pattern: checkOriginPattern(origin, where) });
  const list: unknown[] = typeof origin === 'string' ? [origin] : Array.isArray(origin) ? (origin as unknown[]) : [];
  if (typeof origin !== 'string' && !Array.isArray(origin)) {
    throw new TypeError(`${where} must be a list of origins, a RegExp, a function or '*', got ${describeValue(origin)}`);
  }
  if (list.length === 0) throw new RangeError(`${where} must list at least one origin, e.g. ['https://app.example.com']`);
  if (list.includes('*')) {
    if (list.length > 1) throw new RangeError(`${where}: '*' allows every origin, so it must be the only entry`);
    return Object.freeze({ kind: 'any' });
  }
  const origins = new Set<string>();
  for (const entry of list) {
    if (typeof entry !== 'string') throw new TypeError(`${where} must hold strings, got ${describeValue(entry)}`);
    if (entry.trim().toLowerCase() === 'null') {
      throw new RangeError(`${where}: 'null' is not listed as an origin; set allowNullOrigin: true if you really mean it`);
    }
    try {
      origins.add(normalizeOrigin(entry));
    } catch (error) {
      throw new RangeError(`${where}: ${(error as Error).message}`);
    }
  }
  return Object.freeze({ kind: 'list', origins });
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${WHERE}({ ${name} }) must be a boolean, got ${describeValue(value)}`);
  return value;
}

function hook<F>(value: unknown, name: string, shape: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${WHERE}({ ${name} }) must be a function ${shape}, got ${describeValue(value)}`);
  return value as F;
}
