/**
 * Limit policies: what a user writes (`{ name: 'burst', limit: 10,
 * windowMs: 1_000 }`) checked once and compiled into the integer units the
 * bucket math works in (token-bucket.ts), in memory and in Redis alike.
 *
 * Units: one token is worth `windowMs` units and the bucket gains `limit`
 * units per millisecond, so `limit` tokens come back per `windowMs` with
 * nothing but integer additions and multiplications — exact to the
 * millisecond, no drift from fractional refill rates.
 */
import { describeValue } from '@ward/core';

/** One limit: `limit` tokens per `windowMs`, with room for `burst` at once. */
export interface RateLimitPolicy {
  /**
   * The policy's name in the `RateLimit` / `RateLimit-Policy` fields and in
   * 429 problems (`violated_policies`): 1–64 characters of
   * `A–Z a–z 0–9 _ - .`. Unique within a limiter.
   */
  name: string;
  /** Tokens regained per window (the sustained rate): an integer from 1 to 1 000 000 000. Required. */
  limit: number;
  /**
   * The window, in milliseconds: an integer from 1 to 31 536 000 000 (a
   * year). `RateLimit-Policy` speaks whole seconds, so it says
   * `w=ceil(windowMs / 1000)`. Required.
   */
  windowMs: number;
  /**
   * The bucket's capacity: the most tokens that can be spent at once after
   * an idle period. An integer from 1 to 1 000 000 000. Default: `limit`.
   */
  burst?: number;
}

/** A policy in the units of the bucket math. */
export interface CompiledPolicy {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  /** Units one token is worth (= `windowMs`). */
  readonly unitsPerToken: number;
  /** Units regained per millisecond (= `limit`). */
  readonly unitsPerMs: number;
  /** A full bucket, in units (= `burst × windowMs`). */
  readonly capacityUnits: number;
  /** Milliseconds from empty to full (= ceil(capacityUnits / unitsPerMs)): how long a bucket must be kept. */
  readonly fullRefillMs: number;
  /** `RateLimit-Policy` window in seconds. */
  readonly windowSec: number;
}

/** A penalty box: after `after` refusals in a row, a key is refused outright for `blockMs`. */
export interface RateLimitPenalty {
  /** Consecutive refusals that start the block: an integer from 1 to 1 000. Required. */
  after: number;
  /** How long the block lasts, in milliseconds: an integer from 1 to 31 536 000 000. Required. */
  blockMs: number;
}

/** The policies of a limiter, decided together, with its penalty if it has one. */
export type CompiledPolicies = readonly CompiledPolicy[] & { readonly penalty?: Readonly<RateLimitPenalty> };

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** The most tokens a policy holds, so the most a store is ever asked to charge. */
export const MAX_TOKENS = 1_000_000_000;
const MAX_WINDOW_MS = 31_536_000_000;

const KNOWN = new Set(['name', 'limit', 'windowMs', 'burst']);

/** Checks one policy, with the option path (`policies[1]`) in every message. */
export function compilePolicy(policy: RateLimitPolicy, where: string): CompiledPolicy {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw new TypeError(`${where} must be an object like { name: 'burst', limit: 10, windowMs: 1000 }, got ${describeValue(policy)}`);
  }
  for (const key of Object.keys(policy)) {
    if (!KNOWN.has(key)) throw new TypeError(`${where}.${key} is not a policy option (known: ${[...KNOWN].join(', ')})`);
  }
  const { name, limit, windowMs } = policy;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`${where}.name must be 1–64 characters of A–Z a–z 0–9 _ - ., got ${describeValue(name)}`);
  }
  const burst = policy.burst ?? limit;
  integerIn(`${where}.limit`, limit, 1, MAX_TOKENS);
  integerIn(`${where}.windowMs`, windowMs, 1, MAX_WINDOW_MS);
  integerIn(`${where}.burst`, burst, 1, MAX_TOKENS);
  const capacityUnits = burst * windowMs;
  if (!Number.isSafeInteger(capacityUnits)) {
    throw new RangeError(`${where}: burst × windowMs must stay below 2^53 (exact integer math), got ${burst} × ${windowMs}`);
  }
  return Object.freeze({
    name,
    limit,
    windowMs,
    burst,
    unitsPerToken: windowMs,
    unitsPerMs: limit,
    capacityUnits,
    fullRefillMs: Math.ceil(capacityUnits / limit),
    windowSec: Math.max(1, Math.ceil(windowMs / 1000)),
  });
}

/** Checks a non-empty list of policies with unique names, and the penalty. */
export function compilePolicies(policies: readonly RateLimitPolicy[], where = 'policies', penalty?: RateLimitPenalty, penaltyWhere = 'penalty'): CompiledPolicies {
  if (!Array.isArray(policies) || policies.length === 0) {
    throw new TypeError(`${where} must be a non-empty array of { name, limit, windowMs, burst? }, got ${describeValue(policies)}`);
  }
  if (policies.length > 16) throw new RangeError(`${where} holds ${policies.length} policies; at most 16 are decided together`);
  const compiled = policies.map((policy, i) => compilePolicy(policy, `${where}[${i}]`));
  const names = new Set<string>();
  for (const policy of compiled) {
    if (names.has(policy.name)) throw new RangeError(`${where}: the name "${policy.name}" is used twice; policy names must be unique`);
    names.add(policy.name);
  }
  return withPenalty(compiled, penalty, penaltyWhere);
}

/** `policies` (compiled) frozen with `penalty` (checked) attached. */
export function withPenalty(policies: readonly CompiledPolicy[], penalty: RateLimitPenalty | undefined, where: string): CompiledPolicies {
  const list = [...policies] as CompiledPolicy[] & { penalty?: Readonly<RateLimitPenalty> };
  if (penalty !== undefined) {
    if (typeof penalty !== 'object' || penalty === null) throw new TypeError(`${where} must be an object { after, blockMs }, got ${describeValue(penalty)}`);
    for (const key of Object.keys(penalty)) if (key !== 'after' && key !== 'blockMs') throw new TypeError(`${where}.${key} is not a penalty option (known: after, blockMs)`);
    integerIn(`${where}.after`, penalty.after, 1, 1_000);
    integerIn(`${where}.blockMs`, penalty.blockMs, 1, MAX_WINDOW_MS);
    list.penalty = Object.freeze({ after: penalty.after, blockMs: penalty.blockMs });
  }
  return Object.freeze(list);
}

/** Length of a key's state: `[at, level…]`, plus `[strikes, blockedUntil]` with a penalty. */
export function stateLength(policies: CompiledPolicies): number {
  return policies.length + (policies.penalty === undefined ? 1 : 3);
}

/** How long a key must be kept: until its slowest bucket would be full from empty, and its block is over. */
export function keepMs(policies: CompiledPolicies): number {
  let ms = policies.penalty?.blockMs ?? 1;
  for (const policy of policies) if (policy.fullRefillMs > ms) ms = policy.fullRefillMs;
  return ms;
}

export function integerIn(what: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
}
