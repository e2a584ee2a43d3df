/**
 * Backoff between attempts, with the jitters of the AWS Architecture Blog's
 * "Exponential Backoff And Jitter" (2015). With `n` the retry's index from 0:
 *
 * - none:          min(cap, base · 2ⁿ)
 * - full:          random(0, min(cap, base · 2ⁿ))
 * - equal:         t/2 + random(0, t/2), t = min(cap, base · 2ⁿ)
 * - decorrelated:  min(cap, random(base, previous · 3)), previous starting at base
 *
 * Jitter spreads the retries of many clients that failed together, so they
 * do not come back together; full and decorrelated spread them most.
 */
import { describeValue } from '@ward/core';
import { integer } from './options.js';

export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';
const JITTERS: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

/** How long to wait between attempts. */
export interface BackoffOptions {
  /** The first delay's scale, in ms. Default: `100`. */
  baseMs?: number;
  /** No delay is longer, in ms. Default: `10_000`. */
  maxMs?: number;
  /** Default: `'full'`. */
  jitter?: Jitter;
}

export interface ResolvedBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: Jitter;
}

export function resolveBackoff(options: BackoffOptions | undefined, where: string): ResolvedBackoff {
  if (options === undefined) return { baseMs: 100, maxMs: 10_000, jitter: 'full' };
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} must be an object such as { baseMs: 100, maxMs: 10_000, jitter: 'full' }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (name !== 'baseMs' && name !== 'maxMs' && name !== 'jitter') throw new TypeError(`${where}: unknown option "${name}" (known: baseMs, maxMs, jitter)`);
  const baseMs = integer(options.baseMs, 100, 0, 3_600_000, `${where}.baseMs`);
  const maxMs = integer(options.maxMs, Math.max(10_000, baseMs), baseMs, 86_400_000, `${where}.maxMs`);
  const jitter = options.jitter ?? 'full';
  if (!JITTERS.includes(jitter)) throw new TypeError(`${where}.jitter must be one of ${JITTERS.join(', ')}, got ${describeValue(jitter)}`);
  return { baseMs, maxMs, jitter };
}

/**
 * The delay before retry `n` (0 for the first retry), by the formulas
 * above. `previous` is the delay before the last retry (decorrelated
 * jitter builds on it; `baseMs` before the first); `r` is a random number
 * in [0, 1).
 */
export function backoffDelay(backoff: ResolvedBackoff, n: number, previous: number, r: number): number {
  const { baseMs, maxMs, jitter } = backoff;
  if (jitter === 'decorrelated') return Math.min(maxMs, baseMs + r * (Math.max(previous, baseMs) * 3 - baseMs));
  // 2ⁿ overflows to Infinity long after the cap is reached: min() keeps it finite.
  const exponential = Math.min(maxMs, baseMs * 2 ** n);
  if (jitter === 'full') return r * exponential;
  if (jitter === 'equal') return exponential / 2 + r * (exponential / 2);
  return exponential;
}
