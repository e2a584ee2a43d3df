/**
 * Options of `requestId()`, validated once when the factory runs: a wrong
 * type is a TypeError, a bad value a RangeError, an unknown name a TypeError
 * suggesting the right one. Nothing is coerced to a default silently.
 */
import { describeValue } from '@ward/core';
import { randomFillSync, randomUUID } from 'node:crypto';
import type { Context } from '@ward/core';
import { type MetricsRegistry, type WardMetricsOptions, resolveMetricsOptions } from '@ward/metrics';
import { isToken } from './id.js';
import type { RandomFill } from './random.js';

/** The default header the id is read from and answered in. */
export const DEFAULT_HEADER = 'X-Request-ID';

/** Options of {@link requestId}. */
export interface RequestIdOptions extends WardMetricsOptions {
  /**
   * The header the id is read from and answered in (an RFC 9110 token,
   * any case). Default: `'X-Request-ID'`.
   */
  header?: string;
  /**
   * Makes a fresh id when the request brings no safe one. Its output must
   * itself be a safe id (1–128 of `A–Z a–z 0–9 . _ : -`); anything else
   * throws {@link InvalidGeneratedIdError} on that request (never echoed).
   * Default: `crypto.randomUUID()`.
   */
  generator?: (ctx: Context) => string;
  /** Answer with the id in {@link header}. Default: `true`. */
  setResponseHeader?: boolean;
  /**
   * Reuse a safe incoming id. `false`: every request gets a fresh id (for
   * edges facing clients whose ids you do not want in your logs). Default: `true`.
   */
  trustIncoming?: boolean;
  /**
   * Parse and validate `traceparent` (W3C Trace Context Level 1): continue a
   * valid trace, start a new one otherwise; sets `ctx.state.traceId` and
   * `ctx.state.trace`. Default: `true`.
   */
  traceContext?: boolean;
  /**
   * Answer with a `traceparent` for this hop (`00-<traceId>-<spanId>-<flags>`).
   * Needs `traceContext`. Default: `false`.
   */
  echoTraceparent?: boolean;
  /**
   * Run the rest of the chain inside an `AsyncLocalStorage`, so that
   * `getRequestId()`, `getRequestContext()` and `propagationHeaders()` work
   * anywhere inside the request. Default: `true`.
   */
  asyncContext?: boolean;
  /**
   * Fills a buffer with random bytes, for trace and span ids (called once
   * per 1536 bytes, about 64 requests). Inject one in tests. Default:
   * `crypto.randomFillSync`.
   */
  randomFill?: RandomFill;
  /** Where `ward_request_id_replaced_total` is registered. Default: prom-client's global `register`. */
  registry?: MetricsRegistry;
  /** Prefix of the metric name. Default: `'ward_'`. */
  prefix?: string;
}

/** Options after validation. */
export interface ResolvedRequestIdOptions {
  readonly header: string;
  /** Lower-case, the key of node's request header object. */
  readonly headerKey: string;
  readonly generator: (ctx: Context) => string;
  readonly setResponseHeader: boolean;
  readonly trustIncoming: boolean;
  readonly traceContext: boolean;
  readonly echoTraceparent: boolean;
  readonly asyncContext: boolean;
  readonly randomFill: RandomFill;
  readonly registry: MetricsRegistry;
  readonly prefix: string;
}

const KNOWN: readonly string[] = [
  'header',
  'generator',
  'setResponseHeader',
  'trustIncoming',
  'traceContext',
  'echoTraceparent',
  'asyncContext',
  'randomFill',
  'registry',
  'prefix',
];

/** Headers that frame the message, carry credentials or belong to Trace Context: an id in them breaks something. */
const RESERVED: ReadonlySet<string> = new Set([
  'authorization',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'cookie',
  'host',
  'keep-alive',
  'location',
  'proxy-authorization',
  'set-cookie',
  'te',
  'trailer',
  'traceparent',
  'tracestate',
  'transfer-encoding',
  'upgrade',
]);

const BOOLEANS = ['setResponseHeader', 'trustIncoming', 'traceContext', 'echoTraceparent', 'asyncContext'] as const;

/** `crypto.randomUUID`, named for chain descriptions. */
function randomUuid(): string {
  return randomUUID();
}

export function resolveRequestIdOptions(options: RequestIdOptions | undefined): ResolvedRequestIdOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`requestId(options): options must be an object such as { header: 'X-Request-ID' }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) {
      const hint = suggest(key);
      throw new TypeError(`requestId(options): unknown option "${key}".${hint === undefined ? ` Known: ${KNOWN.join(', ')}.` : ` Did you mean "${hint}"?`}`);
    }
  }
  const header = options.header === undefined ? DEFAULT_HEADER : options.header;
  if (typeof header !== 'string') throw new TypeError(`requestId({ header }) must be a string such as 'X-Request-ID', got ${describeValue(header)}`);
  if (!isToken(header)) {
    throw new RangeError(
      `requestId({ header }) must be an HTTP header name (RFC 9110 token: letters, digits and !#$%&'*+-.^_\`|~), got ${describeValue(header)}`,
    );
  }
  // node's header object is a plain object: `constructor`, `__proto__`… would read Object.prototype's members.
  if (header.toLowerCase() in Object.prototype) {
    throw new RangeError(`requestId({ header }) cannot be ${JSON.stringify(header)}, a name every object inherits; choose a header such as 'X-Request-ID'`);
  }
  if (RESERVED.has(header.toLowerCase())) {
    throw new RangeError(
      `requestId({ header }) cannot be ${JSON.stringify(header)}: HTTP (or Trace Context) gives that header its own meaning; use a header such as 'X-Request-ID'`,
    );
  }
  const generator = options.generator === undefined ? randomUuid : options.generator;
  if (typeof generator !== 'function') {
    throw new TypeError(`requestId({ generator }) must be a function (ctx) => string, got ${describeValue(generator)}`);
  }
  const randomFill = options.randomFill === undefined ? randomFillSync : options.randomFill;
  if (typeof randomFill !== 'function') {
    throw new TypeError(`requestId({ randomFill }) must be a function filling a Uint8Array with random bytes, got ${describeValue(randomFill)}`);
  }
  const flags = {} as Record<(typeof BOOLEANS)[number], boolean>;
  for (const name of BOOLEANS) {
    const given = options[name];
    const value = given === undefined ? name !== 'echoTraceparent' : given;
    if (typeof value !== 'boolean') throw new TypeError(`requestId({ ${name} }) must be true or false, got ${describeValue(value)}`);
    flags[name] = value;
  }
  if (flags.echoTraceparent && !flags.traceContext) {
    throw new RangeError('requestId({ echoTraceparent: true }) needs traceContext: true (there is no trace to echo without it)');
  }
  const { registry, prefix } = resolveMetricsOptions({ registry: options.registry, prefix: options.prefix }, 'requestId(options)');
  return Object.freeze({
    header,
    headerKey: header.toLowerCase(),
    generator,
    randomFill,
    registry,
    prefix,
    ...flags,
  });
}

/** A known option that differs only in case, or that contains (or is contained in) the unknown name. */
function suggest(key: string): string | undefined {
  const lower = key.toLowerCase();
  return (
    KNOWN.find((known) => known.toLowerCase() === lower) ??
    (lower.length < 4 ? undefined : KNOWN.find((known) => lower.includes(known.toLowerCase()) || known.toLowerCase().includes(lower)))
  );
}

