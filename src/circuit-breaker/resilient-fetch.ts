/**
 * `resilientFetch()`: `fetch` for calls from inside a request, composing,
 * outermost first: an overall timeout (and the request's own deadline and
 * signal), retry, a circuit breaker per upstream origin, a timeout per try.
 *
 * - Retried: connection failures, a try's timeout, 429, 502, 503 and 504,
 *   honouring `Retry-After`. Not retried: other statuses (a plain 500
 *   included), a breaker's refusal, the caller's abort, and non-idempotent
 *   methods (POST, PATCH) unless an `Idempotency-Key` header is sent or
 *   the connection was refused before any byte.
 * - The breaker counts network errors, timeouts and 5xx as failures; a 429
 *   is ignored (the upstream is protecting itself, not failing).
 * - The request id (and `traceparent`) of the request being served is sent
 *   on, from `@ward/request-id`'s context or `ctx.state.requestId`; each
 *   try is its own span: the same trace id, a new parent id.
 * - Timeouts run until the response head arrives; the body then streams
 *   under the caller's signal. A discarded response's body is cancelled so
 *   its connection is freed.
 */
import { randomBytes } from 'node:crypto';
import { type Context, describeValue } from '@ward/core';
import { type HotCounter, type MetricsRegistry, hotCounter, wardCounter } from '@ward/metrics';
import { propagationHeaders } from '@ward/request-id';
import { CircuitBreaker } from './breaker.js';
import { type CallOutcome, type CircuitBreakerOptions, integer, keyedName } from './options.js';
import { type BreakerRegistry, createBreakerRegistry } from './registry.js';
import { type GiveUpReason, type RetryOptions, retryPolicy } from './retry.js';
import { parseRetryAfter } from './retry-after.js';

/** What a call may add to fetch's own `init`. */
export interface ResilientRequestInit extends RequestInit {
  /** The request being served: its signal, deadline (`@ward/timeout`) and request id are passed on. */
  ctx?: Pick<Context, 'signal' | 'state'>;
}

export type ResilientFetch = (input: string | URL, init?: ResilientRequestInit) => Promise<Response>;

export interface ResilientFetchOptions {
  /** The client's name: in breaker names (`<name>:<host>`) and metrics. Default: `'fetch'`. */
  name?: string;
  /** The fetch to wrap. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Each try's limit until the response head, in ms. Default: `10_000`. */
  timeoutMs?: number;
  /** The whole call's limit, every try and wait included, in ms (the request's deadline shortens it). Default: `30_000`. */
  totalTimeoutMs?: number;
  /**
   * Retry options (`maxAttempts`, `backoff`, `budget`, `retryOn`…), or
   * `false` for one try. `method` and `retryAfterMs` are set per call.
   * Default: 3 attempts, full jitter from 100 ms up to 2 s.
   */
  retry?: Omit<RetryOptions<Response>, 'method' | 'retryAfterMs'> | false;
  /**
   * One breaker for every call (`CircuitBreaker`), a registry to take one per
   * origin host from, breaker options for such a registry, or `false`.
   * Default: a registry of this client's own with the breaker defaults.
   */
  breaker?: CircuitBreaker | BreakerRegistry | Omit<CircuitBreakerOptions, 'name'> | false;
  /** How the breaker judges an outcome: `'failure'`, `'success'` or `'ignore'`. Default: see above. */
  classify?: (outcome: CallOutcome<Response>) => 'failure' | 'success' | 'ignore';
  /** The header the request id goes out in when it comes from `ctx.state.requestId`. Default: `'x-request-id'`. */
  requestIdHeader?: string;
  /** Where the client's metrics go (`false`: none). Default: prom-client's global registry. */
  registry?: MetricsRegistry | false;
  /** Metric name prefix. Default: `'ward_'`. */
  prefix?: string;
}

/** Statuses that say the upstream did not process the request (gRPC A6) and may be asked again. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const KNOWN = new Set(['name', 'fetch', 'timeoutMs', 'totalTimeoutMs', 'retry', 'breaker', 'classify', 'requestIdHeader', 'registry', 'prefix']);
const REASONS: readonly GiveUpReason[] = ['attempts', 'not-retryable', 'not-idempotent', 'deadline', 'pushback', 'budget'];

/**
 * @example
 * const upstream = resilientFetch({ name: 'pricing', timeoutMs: 500, totalTimeoutMs: 2_000 });
 * engine.get('/quote', async (ctx) => {
 *   const res = await upstream(`${PRICING_URL}/quote`, { ctx });
 *   ctx.json(res.status, await res.json());
 * });
 */
export function resilientFetch(options: ResilientFetchOptions = {}): ResilientFetch {
  const where = 'resilientFetch(options)';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${where}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  const name = options.name ?? 'fetch';
  if (typeof name !== 'string' || !/^[A-Za-z0-9._:-]{1,100}$/.test(name)) throw new TypeError(`${where}.name must be 1–100 characters of [A-Za-z0-9._:-], got ${describeValue(name)}`);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TypeError(`${where}.fetch must be a fetch function, got ${describeValue(doFetch)}`);
  const timeoutMs = integer(options.timeoutMs, 10_000, 1, 3_600_000, `${where}.timeoutMs`);
  const totalTimeoutMs = integer(options.totalTimeoutMs, Math.max(30_000, timeoutMs), 1, 86_400_000, `${where}.totalTimeoutMs`);
  const requestIdHeader = options.requestIdHeader ?? 'x-request-id';
  if (typeof requestIdHeader !== 'string' || !/^[A-Za-z0-9-]+$/.test(requestIdHeader)) throw new TypeError(`${where}.requestIdHeader must be a header name, got ${describeValue(requestIdHeader)}`);
  const classify = options.classify ?? defaultClassify;
  if (typeof classify !== 'function') throw new TypeError(`${where}.classify must be a function, got ${describeValue(classify)}`);
  const breakerFor = breakerSource(options.breaker, name, where);
  const metrics = options.registry === false ? undefined : fetchMetrics(options.registry, options.prefix, name);
  const retry: Omit<RetryOptions<Response>, 'method' | 'retryAfterMs'> = options.retry === false ? { maxAttempts: 1 } : { backoff: { baseMs: 100, maxMs: 2_000, jitter: 'full' }, ...options.retry };
  if (typeof retry !== 'object' || retry === null) throw new TypeError(`${where}.retry must be retry options or false, got ${describeValue(options.retry)}`);
  const userOnRetry = retry.onRetry;
  const userOnGiveUp = retry.onGiveUp;
  const policyOptions = (method: string, idempotencyKey: boolean): RetryOptions<Response> => ({
    retryOn: defaultRetryOn,
    ...retry,
    method,
    retryNonIdempotent: retry.retryNonIdempotent === true || idempotencyKey,
    budgetMs: totalTimeoutMs,
    retryAfterMs: pushback,
    onRetry(event) {
      // The response being given up on: free its connection.
      if (event.outcome.ok) void event.outcome.value.body?.cancel().catch(() => {});
      metrics?.retries.inc();
      userOnRetry?.(event);
    },
    onGiveUp(event) {
      metrics?.giveUps[event.reason].inc();
      userOnGiveUp?.(event);
    },
  });
  // Validate the retry options now, not on the first call.
  retryPolicy(policyOptions('GET', false));
  const policies = new Map<string, ReturnType<typeof retryPolicy>>();
  const policyFor = (method: string, idempotencyKey: boolean) => {
    const id = `${method} ${idempotencyKey}`;
    let policy = policies.get(id);
    if (policy === undefined) {
      policy = retryPolicy(policyOptions(method, idempotencyKey));
      if (policies.size < 64) policies.set(id, policy);
    }
    return policy;
  };

  return async function fetchResiliently(input: string | URL, init: ResilientRequestInit = {}): Promise<Response> {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError(`resilientFetch: the target must be a URL or a string, got ${describeValue(input)}`);
    const url = new URL(input);
    const { ctx, signal: ownSignal, ...rest } = init;
    const method = (rest.method ?? 'GET').toUpperCase();
    if (isStream(rest.body)) throw new TypeError('resilientFetch: a streamed body cannot be sent again on a retry; pass a string, bytes, FormData or URLSearchParams');
    const headers = new Headers(rest.headers);
    for (const [field, value] of Object.entries(propagationHeaders())) if (!headers.has(field)) headers.set(field, value);
    const requestId = ctx?.state.requestId;
    if (typeof requestId === 'string' && !headers.has(requestIdHeader)) headers.set(requestIdHeader, requestId);

    // The overall limit: the client's, shortened by the request's deadline, and the caller's signals.
    const deadline = (ctx?.state as { deadline?: number } | undefined)?.deadline;
    const totalMs = deadline === undefined ? totalTimeoutMs : Math.max(0, Math.min(totalTimeoutMs, deadline - Date.now()));
    const callers = [ownSignal, ctx?.signal].filter((s): s is AbortSignal => s !== undefined && s !== null);
    // Checked before anything is linked: nothing is left on a long-lived signal by a call that never starts.
    for (const signal of callers) if (signal.aborted) throw signal.reason;
    const total = new AbortController();
    // AbortSignal.any holds its sources weakly: no listener stays on a caller's long-lived signal.
    const overall = callers.length === 0 ? total.signal : AbortSignal.any([total.signal, ...callers]);
    const overallTimer = setTimeout(() => total.abort(timeoutError(`${method} ${url.origin}: no answer within ${totalMs} ms in all`)), totalMs);
    const breaker = breakerFor(url.host);
    try {
      // The budget is this call's: a Retry-After past the request's deadline ends the retries at once, with that answer.
      return await policyFor(method, headers.has('idempotency-key')).execute(() => tryOnce(url, rest, headers, overall, callers, breaker), { signal: overall, budgetMs: totalMs });
    } finally {
      clearTimeout(overallTimer);
    }
  };

  /**
   * One try under its own timeout, until the response head, judged by the
   * breaker (refused: a BrokenCircuitError, which retry() never retries).
   */
  async function tryOnce(url: URL, init: RequestInit, headers: Headers, overall: AbortSignal, callers: readonly AbortSignal[], breaker: CircuitBreaker | undefined): Promise<Response> {
    // An abort listener added to a signal already aborted never fires: check first.
    if (overall.aborted) throw overall.reason;
    const permit = breaker?.permit();
    const own = new AbortController();
    const forward = (): void => own.abort(overall.reason);
    overall.addEventListener('abort', forward, { once: true });
    const timer = setTimeout(() => own.abort(timeoutError(`${init.method ?? 'GET'} ${url.origin}: no response head within ${timeoutMs} ms`)), timeoutMs);
    nextSpan(headers);
    // Until the head: this try's limits and the callers. After it, `own` is let go, and the
    // body streams under the callers' signals alone (an abort there still cuts it).
    const signal = callers.length === 0 ? own.signal : AbortSignal.any([own.signal, ...callers]);
    let outcome: CallOutcome<Response>;
    try {
      outcome = { ok: true, value: await doFetch(url, { ...init, headers, signal }) };
    } catch (error) {
      // fetch rejects with the abort reason; anything else is a network failure.
      outcome = { ok: false, error: own.signal.aborted ? own.signal.reason : error };
    } finally {
      clearTimeout(timer);
      overall.removeEventListener('abort', forward);
    }
    if (permit !== undefined) {
      // Cut short by a caller (its own timeout signal too), not by this client's limits: says nothing about the upstream.
      const verdict = callers.some((caller) => caller.aborted) ? 'ignore' : judged(classify, outcome);
      if (verdict === 'failure') permit.failure(outcome.ok ? undefined : outcome.error);
      else if (verdict === 'ignore') permit.ignore();
      else permit.success();
    }
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }
}

const TRACEPARENT = /^([0-9a-f]{2}-[0-9a-f]{32}-)[0-9a-f]{16}(-[0-9a-f]{2})$/;

/**
 * W3C Trace Context, "Mutating the traceparent field": each try is a span of
 * its own, so it goes out with the same trace id and a new parent id.
 */
function nextSpan(headers: Headers): void {
  const traceparent = headers.get('traceparent');
  if (traceparent === null) return;
  const parts = TRACEPARENT.exec(traceparent);
  if (parts === null) return;
  let span = randomBytes(8).toString('hex');
  while (span === '0000000000000000') span = randomBytes(8).toString('hex');
  headers.set('traceparent', `${parts[1]}${span}${parts[2]}`);
}

function judged(classify: (outcome: CallOutcome<Response>) => 'failure' | 'success' | 'ignore', outcome: CallOutcome<Response>): 'failure' | 'success' | 'ignore' {
  try {
    const verdict = classify(outcome);
    return verdict === 'failure' || verdict === 'ignore' ? verdict : 'success';
  } catch {
    return defaultClassify(outcome);
  }
}

/** Where a call's breaker comes from: one for all, one per origin host from a registry, or none. */
function breakerSource(option: ResilientFetchOptions['breaker'], name: string, where: string): (host: string) => CircuitBreaker | undefined {
  if (option === false) return () => undefined;
  if (option instanceof CircuitBreaker) return () => option;
  if (option !== undefined && typeof (option as BreakerRegistry).get === 'function' && typeof (option as BreakerRegistry).snapshot === 'function') {
    const registry = option as BreakerRegistry;
    return (host) => registry.get(keyedName(name, host));
  }
  if (option !== undefined && (typeof option !== 'object' || option === null)) throw new TypeError(`${where}.breaker must be a CircuitBreaker, a registry, breaker options or false, got ${describeValue(option)}`);
  const registry = createBreakerRegistry({ defaults: (option ?? {}) as Omit<CircuitBreakerOptions, 'name'> });
  return (host) => registry.get(keyedName(name, host));
}

function defaultClassify(outcome: CallOutcome<Response>): 'failure' | 'success' | 'ignore' {
  if (!outcome.ok) return isAbort(outcome.error) && !isTimeout(outcome.error) ? 'ignore' : 'failure';
  const status = outcome.value instanceof Response ? outcome.value.status : 0;
  if (status === 429) return 'ignore';
  return status >= 500 ? 'failure' : 'success';
}

function defaultRetryOn(outcome: CallOutcome<Response>): boolean {
  if (outcome.ok) return RETRY_STATUSES.has(outcome.value.status);
  // A caller's abort is stopped by retry() itself; a try's timeout and network failures are retried.
  return !isAbort(outcome.error) || isTimeout(outcome.error);
}

function pushback(outcome: CallOutcome<Response>): number | undefined {
  if (!outcome.ok) return undefined;
  const res = outcome.value;
  if (res.status !== 429 && res.status !== 503) return undefined;
  return parseRetryAfter(res.headers.get('retry-after'), Date.now(), res.headers.get('date'));
}

function timeoutError(message: string): DOMException {
  return new DOMException(message, 'TimeoutError');
}

function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
}

function isAbort(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  return name === 'AbortError' || name === 'TimeoutError';
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body instanceof ReadableStream || typeof (body as { pipe?: unknown }).pipe === 'function' || Symbol.asyncIterator in body);
}

interface FetchMetrics {
  readonly retries: HotCounter;
  readonly giveUps: Readonly<Record<GiveUpReason, HotCounter>>;
}

function fetchMetrics(registry: MetricsRegistry | undefined, prefix: string | undefined, client: string): FetchMetrics {
  const retries = wardCounter(registry, { prefix, name: 'fetch_retries_total', help: 'Retries resilientFetch() made after a failed try.', labelNames: ['client'] });
  const giveUps = wardCounter(registry, { prefix, name: 'fetch_give_ups_total', help: 'Calls resilientFetch() ended on a failure, by why it stopped retrying.', labelNames: ['client', 'reason'] });
  return {
    retries: hotCounter(retries, { client }),
    giveUps: Object.fromEntries(REASONS.map((reason) => [reason, hotCounter(giveUps, { client, reason })])) as Record<GiveUpReason, HotCounter>,
  };
}
