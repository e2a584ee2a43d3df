/**
 * `retry()` and `retryPolicy()`: run a call again when it failed in a way
 * worth retrying, with capped exponential backoff and jitter, within a
 * number of attempts and a total time budget.
 *
 * What makes it safe for an API that calls others:
 * - a refusal by a circuit breaker (`BrokenCircuitError`) and the caller's
 *   own abort are never retried;
 * - the server's pushback (`retryAfterMs`, e.g. `Retry-After`) is honoured:
 *   the next attempt waits at least that long, and a pushback longer than
 *   `maxRetryAfterMs` or the time budget ends the retries at once;
 * - a non-idempotent HTTP method (POST, PATCH…) is not retried unless told,
 *   except for failures known to precede any byte sent (ECONNREFUSED);
 * - a shared retry budget caps retries to a share of the calls;
 * - the caller's signal stops a wait at once; the success path arms no
 *   timer, and every timer armed for a wait is cleared when it ends.
 */
import { describeValue } from '@ward/core';
import { type BackoffOptions, type ResolvedBackoff, backoffDelay, resolveBackoff } from './backoff.js';
import { isBrokenCircuitError } from './errors.js';
import { type CallOutcome, flag, fn as optionalFn } from './options.js';
import type { RetryBudget } from './retry-budget.js';

/** What each attempt is given. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The caller's signal (pass it on to what the attempt calls). */
  readonly signal: AbortSignal | undefined;
}

/** Why `retry()` stopped retrying, as told to `onGiveUp`. */
export type GiveUpReason = 'attempts' | 'not-retryable' | 'not-idempotent' | 'deadline' | 'pushback' | 'budget';

export interface RetryEvent<T> {
  /** The attempt that just failed (1 for the first). */
  readonly attempt: number;
  readonly outcome: CallOutcome<T>;
  /** onRetry: the wait before the next attempt, in ms. */
  readonly delayMs: number;
}

/** Options of {@link retry} and {@link retryPolicy}. */
export interface RetryOptions<T = unknown> {
  /** Attempts in all, the first included: an integer from 1; values above 10 are clamped to 10 (gRPC's cap is 5). Default: `3`. */
  maxAttempts?: number;
  /** The whole call's time budget in ms: no wait ends past it (the last outcome is returned instead). Default: none. */
  budgetMs?: number;
  /** The waits between attempts. Default: `{ baseMs: 100, maxMs: 10_000, jitter: 'full' }`. */
  backoff?: BackoffOptions;
  /**
   * Whether an outcome is worth another attempt. Default: any error (not a
   * breaker's refusal, not the caller's abort), never a value. Breaker
   * refusals and aborts are never retried, whatever this says.
   */
  retryOn?: (outcome: CallOutcome<T>, attempt: number) => boolean;
  /** The server's pushback for an outcome, in ms (see `parseRetryAfter`). Default: an error's numeric `retryAfterMs`, if any. */
  retryAfterMs?: (outcome: CallOutcome<T>) => number | undefined;
  /** A pushback longer than this ends the retries at once (the outcome is returned). Default: `60_000`. */
  maxRetryAfterMs?: number;
  /** The HTTP method of the call: non-idempotent ones (POST, PATCH, CONNECT…) are not retried unless {@link retryNonIdempotent}. Default: none (not an HTTP call). */
  method?: string;
  /** Retry non-idempotent methods too (the server deduplicates, e.g. by `Idempotency-Key`). Default: `false`. */
  retryNonIdempotent?: boolean;
  /** Outcomes known to have sent nothing, so retrying is safe for any method. Default: connection refused (`ECONNREFUSED`, also as a `cause`). */
  neverSent?: (outcome: CallOutcome<T>) => boolean;
  /** A budget shared with other calls (see `createRetryBudget`). Default: none. */
  budget?: RetryBudget;
  /** Random numbers in [0, 1) for jitter (seed one in tests). Default: `Math.random`. */
  random?: () => number;
  /** Clock in ms for the time budget. Default: `performance.now`. */
  now?: () => number;
  /** Told before each wait. Default: none. */
  onRetry?: (event: RetryEvent<T>) => void;
  /** Told once when the call ends on a failure (or a value `retryOn` disliked). Default: none. */
  onGiveUp?: (event: { readonly attempts: number; readonly reason: GiveUpReason; readonly outcome: CallOutcome<T> }) => void;
}

/** Options of one {@link RetryPolicy.execute} call. */
export interface RetryCallOptions {
  /** Aborting stops at once: the call rejects with the signal's reason and no further attempt starts. */
  signal?: AbortSignal;
  /** This call's own time budget in ms (a request's deadline), when shorter than the policy's `budgetMs`. Default: the policy's. */
  budgetMs?: number;
}

/** A retry configuration validated once, to run many calls with. */
export interface RetryPolicy {
  execute<T>(fn: (attempt: AttemptContext) => T | PromiseLike<T>, options?: RetryCallOptions): Promise<T>;
}

/** The hard cap on attempts, whatever is configured. */
export const MAX_ATTEMPTS_CAP = 10;
/** RFC 9110 §9.2.2: methods whose repetition has the effect of one request. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const KNOWN = new Set([
  'maxAttempts',
  'budgetMs',
  'backoff',
  'retryOn',
  'retryAfterMs',
  'maxRetryAfterMs',
  'method',
  'retryNonIdempotent',
  'neverSent',
  'budget',
  'random',
  'now',
  'onRetry',
  'onGiveUp',
]);

/**
 * Validates retry options once and returns a policy to run calls with.
 *
 * @example
 * const policy = retryPolicy({ maxAttempts: 3, backoff: { baseMs: 50, maxMs: 1_000, jitter: 'full' } });
 * const rates = await policy.execute(({ signal }) => breaker.execute(() => fetchRates(signal)), { signal: ctx.signal });
 */
export function retryPolicy<T = unknown>(options: RetryOptions<T> = {}): RetryPolicy {
  const where = 'retryPolicy(options)';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${where}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  const given = options.maxAttempts ?? 3;
  if (!Number.isInteger(given) || given < 1) throw new RangeError(`${where}.maxAttempts must be an integer from 1, got ${describeValue(given)}`);
  const maxAttempts = Math.min(given, MAX_ATTEMPTS_CAP);
  const budgetMs = options.budgetMs ?? Infinity;
  if (typeof budgetMs !== 'number' || !(budgetMs > 0)) throw new RangeError(`${where}.budgetMs must be a number of ms above 0, got ${describeValue(budgetMs)}`);
  const backoff = resolveBackoff(options.backoff, `${where}.backoff`);
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  if (typeof maxRetryAfterMs !== 'number' || !(maxRetryAfterMs >= 0)) throw new RangeError(`${where}.maxRetryAfterMs must be a number of ms from 0, got ${describeValue(maxRetryAfterMs)}`);
  const method = options.method;
  if (method !== undefined && (typeof method !== 'string' || method === '')) throw new TypeError(`${where}.method must be an HTTP method name, got ${describeValue(method)}`);
  const retryNonIdempotent = flag(options.retryNonIdempotent, false, `${where}.retryNonIdempotent`);
  const budget = options.budget;
  if (budget !== undefined && (typeof budget !== 'object' || budget === null || typeof budget.tryRetry !== 'function')) {
    throw new TypeError(`${where}.budget must come from createRetryBudget(), got ${describeValue(budget)}`);
  }
  const settings: Settings<T> = {
    maxAttempts,
    budgetMs,
    backoff,
    retryOn: optionalFn(options.retryOn, `${where}.retryOn`),
    retryAfterMs: optionalFn(options.retryAfterMs, `${where}.retryAfterMs`) ?? errorPushback,
    maxRetryAfterMs,
    idempotent: method === undefined || retryNonIdempotent || IDEMPOTENT.has(method.toUpperCase()),
    neverSent: optionalFn(options.neverSent, `${where}.neverSent`) ?? refusedConnection,
    budget,
    random: optionalFn(options.random, `${where}.random`) ?? Math.random,
    now: optionalFn(options.now, `${where}.now`) ?? (() => performance.now()),
    onRetry: optionalFn(options.onRetry, `${where}.onRetry`),
    onGiveUp: optionalFn(options.onGiveUp, `${where}.onGiveUp`),
  };
  return {
    execute: <R>(fn: (attempt: AttemptContext) => R | PromiseLike<R>, call?: RetryCallOptions) =>
      run(settings as unknown as Settings<R>, fn, call?.signal, callBudget(settings.budgetMs, call?.budgetMs, where)),
  };
}

/**
 * Runs `fn` with retries: resolves with the first good value, or ends with
 * the last outcome (its error thrown, or the value `retryOn` disliked).
 *
 * @example
 * const user = await retry(({ signal }) => loadUser(id, { signal }), { maxAttempts: 4, signal: ctx.signal });
 */
export function retry<T>(fn: (attempt: AttemptContext) => T | PromiseLike<T>, options: RetryOptions<T> & RetryCallOptions = {}): Promise<T> {
  const { signal, ...rest } = options;
  return retryPolicy<T>(rest).execute(fn, { signal });
}

interface Settings<T> {
  readonly maxAttempts: number;
  readonly budgetMs: number;
  readonly backoff: ResolvedBackoff;
  readonly retryOn: ((outcome: CallOutcome<T>, attempt: number) => boolean) | undefined;
  readonly retryAfterMs: (outcome: CallOutcome<T>) => number | undefined;
  readonly maxRetryAfterMs: number;
  readonly idempotent: boolean;
  readonly neverSent: (outcome: CallOutcome<T>) => boolean;
  readonly budget: RetryBudget | undefined;
  readonly random: () => number;
  readonly now: () => number;
  readonly onRetry: ((event: RetryEvent<T>) => void) | undefined;
  readonly onGiveUp: ((event: { attempts: number; reason: GiveUpReason; outcome: CallOutcome<T> }) => void) | undefined;
}

/** The budget of one call: the policy's, or the call's own when shorter. */
function callBudget(policyMs: number, callMs: number | undefined, where: string): number {
  if (callMs === undefined) return policyMs;
  if (typeof callMs !== 'number' || Number.isNaN(callMs) || callMs < 0) throw new RangeError(`${where}: execute(fn, { budgetMs }) must be a number of ms of at least 0, got ${describeValue(callMs)}`);
  return Math.min(policyMs, callMs);
}

async function run<T>(s: Settings<T>, fn: (attempt: AttemptContext) => T | PromiseLike<T>, signal: AbortSignal | undefined, budgetMs: number): Promise<T> {
  if (signal?.aborted === true) throw signal.reason;
  s.budget?.recordCall();
  const started = budgetMs === Infinity ? 0 : s.now();
  let previous = s.backoff.baseMs;
  for (let attempt = 1; ; attempt++) {
    let outcome: CallOutcome<T>;
    try {
      const value = await fn({ attempt, signal });
      // The common case: a value, and no predicate that could dislike it.
      if (s.retryOn === undefined) return value;
      outcome = { ok: true, value };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // TS narrowed `aborted` at the top; it may have changed during the attempt.
    if (isAborted(signal)) throw signal!.reason;
    const reason = whyNot(s, outcome, attempt);
    if (reason !== undefined) return giveUp(s, outcome, attempt, reason);
    let delayMs = backoffDelay(s.backoff, attempt - 1, previous, s.random());
    previous = delayMs;
    const pushback = pushbackOf(s, outcome);
    if (pushback !== undefined) {
      if (pushback > s.maxRetryAfterMs) return giveUp(s, outcome, attempt, 'pushback');
      delayMs = Math.max(delayMs, pushback);
    }
    if (budgetMs !== Infinity && s.now() + delayMs - started >= budgetMs) return giveUp(s, outcome, attempt, 'deadline');
    if (s.budget !== undefined && !s.budget.tryRetry()) return giveUp(s, outcome, attempt, 'budget');
    tell(s.onRetry, { attempt, outcome, delayMs });
    await sleep(delayMs, signal);
  }
}

/** Why an outcome is not retried, or undefined when it is. */
function whyNot<T>(s: Settings<T>, outcome: CallOutcome<T>, attempt: number): GiveUpReason | undefined {
  if (!outcome.ok && isBrokenCircuitError(outcome.error)) return 'not-retryable';
  let wanted: boolean;
  try {
    wanted = s.retryOn === undefined ? !outcome.ok : s.retryOn(outcome, attempt) === true;
  } catch {
    wanted = false; // a predicate that throws is a no
  }
  if (!wanted) return 'not-retryable';
  if (attempt >= s.maxAttempts) return 'attempts';
  if (!s.idempotent && !safely(s.neverSent, outcome)) return 'not-idempotent';
  return undefined;
}

function pushbackOf<T>(s: Settings<T>, outcome: CallOutcome<T>): number | undefined {
  let ms: number | undefined;
  try {
    ms = s.retryAfterMs(outcome);
  } catch {
    return undefined;
  }
  return typeof ms === 'number' && ms >= 0 && Number.isFinite(ms) ? ms : undefined;
}

function giveUp<T>(s: Settings<T>, outcome: CallOutcome<T>, attempts: number, reason: GiveUpReason): T {
  if (!outcome.ok || s.retryOn !== undefined) tell(s.onGiveUp, { attempts, reason, outcome });
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

function tell<E>(listener: ((event: E) => void) | undefined, event: E): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // An observer that throws must not change the call's outcome.
  }
}

function safely<T>(test: (outcome: CallOutcome<T>) => boolean, outcome: CallOutcome<T>): boolean {
  try {
    return test(outcome) === true;
  } catch {
    return false;
  }
}

/** The default pushback: an error that says how long to wait (`retryAfterMs`, as a breaker's refusal does). */
function errorPushback(outcome: CallOutcome<unknown>): number | undefined {
  if (outcome.ok || typeof outcome.error !== 'object' || outcome.error === null) return undefined;
  const ms = (outcome.error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' ? ms : undefined;
}

/** Connection refused: nothing reached the server, so any method may be sent again. */
export function refusedConnection(outcome: CallOutcome<unknown>): boolean {
  if (outcome.ok) return false;
  let error: unknown = outcome.error;
  for (let depth = 0; depth < 4 && typeof error === 'object' && error !== null; depth++) {
    if ((error as { code?: unknown }).code === 'ECONNREFUSED') return true;
    error = (error as { cause?: unknown }).cause;
  }
  return false;
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Waits `ms`, or rejects with the signal's reason the moment it aborts; leaves no timer or listener behind. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, ms);
      return;
    }
    // Aborted already (in onRetry, retryOn, between the attempt and now): no wait, no next attempt.
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
