/**
 * The options of a circuit breaker, every one documented with its default,
 * and their resolution: unknown names and bad values throw when the breaker
 * is built, never on a call. The defaults are resilience4j's
 * `CircuitBreakerConfig` defaults (STANDARDS.md §4a), so a team that knows
 * resilience4j reads the same numbers.
 */
import { hash } from 'node:crypto';
import { describeValue } from '@ward/core';
import type { MetricsRegistry } from '@ward/metrics';
import type { SharedCircuitState } from './shared-state.js';

/** What a call ended with, as the classifiers see it. */
export type CallOutcome<T = unknown> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** The breaker's name: in errors, events, metrics and the health endpoint. Default: `'default'`. */
  name?: string;
  /** `'count'`: the last {@link windowSize} calls; `'time'`: the calls of the last {@link windowMs}. Default: `'count'`. */
  window?: 'count' | 'time';
  /** Calls a count window holds. Default: `100`. */
  windowSize?: number;
  /** How far back a time window reaches, in ms. Default: `60_000`. */
  windowMs?: number;
  /** Buckets a time window is kept in (calls age out a bucket at a time). Default: `60` (one second each at the default `windowMs`). */
  windowBuckets?: number;
  /**
   * Calls the window must hold before a rate is judged. A count window
   * caps it at `windowSize` (resilience4j does the same); a time window
   * does not. Default: `100`.
   */
  minimumCalls?: number;
  /** Percent of failed calls (0 < x ≤ 100) at or above which the breaker opens. Default: `50`. */
  failureRateThreshold?: number;
  /** Percent of slow calls (0 < x ≤ 100) at or above which the breaker opens (with {@link slowCallDurationMs}). Default: `100`. */
  slowCallRateThreshold?: number;
  /**
   * A call taking strictly longer than this, in ms, is slow (whether it
   * succeeded or failed). Default: none — slow calls are not judged, and
   * calls are not timed. resilience4j's default is 60 s; ward times calls
   * only when asked, because a clock read costs about 100 ns on common VMs,
   * as much as the rest of the breaker.
   */
  slowCallDurationMs?: number;
  /** How long the breaker stays open before trial calls, in ms. Default: `60_000`. */
  openDurationMs?: number;
  /**
   * Each trip that follows a failed trial multiplies the open duration by
   * this, up to {@link maxOpenDurationMs}; closing starts over. Default: `1`
   * (a fixed duration).
   */
  openDurationMultiplier?: number;
  /** The longest the open duration grows to, in ms. Default: `600_000` (never below `openDurationMs`). */
  maxOpenDurationMs?: number;
  /** Trial calls let through while half-open; more at once are refused. Default: `10`. */
  halfOpenCalls?: number;
  /** Longest the trials may take, in ms, before the breaker opens again; `0`: no limit. Default: `0`. */
  maxHalfOpenMs?: number;
  /**
   * Move to half-open when the open duration ends, with no call needed (one
   * timer per trip, not per call). Otherwise the first call after it does.
   * Default: `false`.
   */
  autoHalfOpen?: boolean;
  /** Whether a call's outcome counts as a failure. Default: a thrown error or rejection is one, a value is not. */
  isFailure?: (outcome: CallOutcome) => boolean;
  /**
   * Outcomes that say nothing about the dependency's health (a validation
   * error, the caller's own abort): neither success nor failure, and a
   * half-open trial they used is given back. Default: none (the caller's
   * abort through `execute`'s `signal` is always ignored).
   */
  isIgnored?: (outcome: CallOutcome) => boolean;
  /** Clock in ms for durations and the open period; monotonic. Default: `performance.now`. */
  now?: () => number;
  /** Where the breaker's metrics go (`false`: none). Default: prom-client's global registry. */
  registry?: MetricsRegistry | false;
  /** Metric name prefix. Default: `'ward_'`. */
  prefix?: string;
  /** Share open/closed with other instances through Redis (see `RedisCircuitState`). Default: none, the state is this process's. */
  shared?: SharedCircuitState;
}

/** {@link CircuitBreakerOptions} with every default applied. */
export interface ResolvedBreakerOptions {
  readonly name: string;
  readonly window: 'count' | 'time';
  readonly windowSize: number;
  readonly windowMs: number;
  readonly windowBuckets: number;
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  /** Infinity when slow calls are not judged. */
  readonly slowCallDurationMs: number;
  readonly openDurationMs: number;
  readonly openDurationMultiplier: number;
  readonly maxOpenDurationMs: number;
  readonly halfOpenCalls: number;
  readonly maxHalfOpenMs: number;
  readonly autoHalfOpen: boolean;
  readonly isFailure: ((outcome: CallOutcome) => boolean) | undefined;
  readonly isIgnored: ((outcome: CallOutcome) => boolean) | undefined;
  readonly now: () => number;
  readonly registry: MetricsRegistry | false | undefined;
  readonly prefix: string | undefined;
  readonly shared: SharedCircuitState | undefined;
}

export const BREAKER_OPTION_NAMES: readonly (keyof CircuitBreakerOptions)[] = [
  'name',
  'window',
  'windowSize',
  'windowMs',
  'windowBuckets',
  'minimumCalls',
  'failureRateThreshold',
  'slowCallRateThreshold',
  'slowCallDurationMs',
  'openDurationMs',
  'openDurationMultiplier',
  'maxOpenDurationMs',
  'halfOpenCalls',
  'maxHalfOpenMs',
  'autoHalfOpen',
  'isFailure',
  'isIgnored',
  'now',
  'registry',
  'prefix',
  'shared',
];
const KNOWN = new Set<string>(BREAKER_OPTION_NAMES);
/** Names a breaker can carry into metric labels and Redis keys. */
const NAME = /^[A-Za-z0-9._:/@-]{1,200}$/;

/**
 * The name of the breaker for `key` under `prefix` (a route's key, an
 * upstream's host): `prefix:key` when that is a valid name, else the key
 * replaced by `@` and 22 characters of its SHA-256 — a tenant id with a
 * space, `café`, an IPv6 host in brackets or a 300-character id must never
 * turn a request into a 500.
 */
export function keyedName(prefix: string, key: string): string {
  const plain = `${prefix}:${key}`;
  if (NAME.test(plain)) return plain;
  const hashed = `${prefix}:@${hash('sha256', key, 'base64url').slice(0, 22)}`;
  return hashed.length <= 200 ? hashed : `@${hash('sha256', plain, 'base64url').slice(0, 22)}`;
}

export function resolveBreakerOptions(options: CircuitBreakerOptions, where: string): ResolvedBreakerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${where}: unknown option "${name}" (known: ${BREAKER_OPTION_NAMES.join(', ')})`);
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`${where}.name must be 1–200 characters of [A-Za-z0-9._:/@-], got ${describeValue(name)}`);
  const window = options.window ?? 'count';
  if (window !== 'count' && window !== 'time') throw new TypeError(`${where}.window must be 'count' or 'time', got ${describeValue(window)}`);
  const windowSize = integer(options.windowSize, 100, 1, 1_000_000, `${where}.windowSize`);
  const windowMs = integer(options.windowMs, 60_000, 1, 86_400_000, `${where}.windowMs`);
  const windowBuckets = integer(options.windowBuckets, Math.min(60, windowMs), 1, 10_000, `${where}.windowBuckets`);
  if (windowBuckets > windowMs) throw new RangeError(`${where}.windowBuckets (${windowBuckets}) cannot exceed windowMs (${windowMs}): a bucket is at least 1 ms`);
  const minimumCalls = integer(options.minimumCalls, 100, 1, 1_000_000_000, `${where}.minimumCalls`);
  const openDurationMs = integer(options.openDurationMs, 60_000, 1, 86_400_000, `${where}.openDurationMs`);
  const maxOpenDurationMs = integer(options.maxOpenDurationMs, Math.max(600_000, openDurationMs), openDurationMs, 86_400_000, `${where}.maxOpenDurationMs`);
  const openDurationMultiplier = options.openDurationMultiplier ?? 1;
  if (typeof openDurationMultiplier !== 'number' || !Number.isFinite(openDurationMultiplier) || openDurationMultiplier < 1 || openDurationMultiplier > 100) {
    throw new RangeError(`${where}.openDurationMultiplier must be a number from 1 to 100, got ${describeValue(openDurationMultiplier)}`);
  }
  return {
    name,
    window,
    windowSize,
    windowMs,
    windowBuckets,
    minimumCalls: window === 'count' ? Math.min(minimumCalls, windowSize) : minimumCalls,
    failureRateThreshold: percent(options.failureRateThreshold, 50, `${where}.failureRateThreshold`),
    slowCallRateThreshold: percent(options.slowCallRateThreshold, 100, `${where}.slowCallRateThreshold`),
    slowCallDurationMs: options.slowCallDurationMs === undefined ? Infinity : integer(options.slowCallDurationMs, 0, 0, 86_400_000, `${where}.slowCallDurationMs`),
    openDurationMs,
    openDurationMultiplier,
    maxOpenDurationMs,
    halfOpenCalls: integer(options.halfOpenCalls, 10, 1, 1_000_000, `${where}.halfOpenCalls`),
    maxHalfOpenMs: integer(options.maxHalfOpenMs, 0, 0, 86_400_000, `${where}.maxHalfOpenMs`),
    autoHalfOpen: flag(options.autoHalfOpen, false, `${where}.autoHalfOpen`),
    isFailure: fn(options.isFailure, `${where}.isFailure`),
    isIgnored: fn(options.isIgnored, `${where}.isIgnored`),
    now: fn(options.now, `${where}.now`) ?? (() => performance.now()),
    registry: options.registry,
    prefix: options.prefix,
    shared: sharedOf(options.shared, `${where}.shared`),
  };
}

export function integer(value: number | undefined, fallback: number, min: number, max: number, where: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${where} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  return value;
}

function percent(value: number | undefined, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 100) throw new RangeError(`${where} must be a percentage above 0 and at most 100, got ${describeValue(value)}`);
  return value;
}

export function flag(value: boolean | undefined, fallback: boolean, where: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${where} must be true or false, got ${describeValue(value)}`);
  return value;
}

export function fn<F extends (...args: never[]) => unknown>(value: F | undefined, where: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${where} must be a function, got ${describeValue(value)}`);
  return value;
}

function sharedOf(value: SharedCircuitState | undefined, where: string): SharedCircuitState | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof value.attach !== 'function') throw new TypeError(`${where} must be a shared state such as new RedisCircuitState(redis), got ${describeValue(value)}`);
  return value;
}
