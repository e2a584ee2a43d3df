/**
 * A registry of named breakers: one per upstream host, route or key, made
 * on first use from shared defaults, found again by name, listed for the
 * health endpoint. Bounded (least recently used first out) so per-key
 * breakers cannot grow without end; an evicted breaker is closed, and a
 * breaker made again for its name starts closed.
 */
import { describeValue } from '@ward/core';
import { LRUCache } from 'lru-cache';
import { CircuitBreaker } from './breaker.js';
import { BREAKER_OPTION_NAMES, type CircuitBreakerOptions, integer } from './options.js';
import type { BreakerSnapshot } from './state.js';

export interface BreakerRegistryOptions {
  /** Options every breaker of the registry starts from (`name` excepted). Default: the breaker's defaults. */
  defaults?: Omit<CircuitBreakerOptions, 'name'>;
  /** Most breakers held; the least recently used goes first. Default: `1_000`. */
  max?: number;
}

/** Named breakers; see {@link createBreakerRegistry}. */
export interface BreakerRegistry {
  /** The breaker called `name`, made from the defaults (and `options`, used only when it is made) on first use. */
  get(name: string, options?: Omit<CircuitBreakerOptions, 'name'>): CircuitBreaker;
  /** The breaker called `name`, if it exists. */
  find(name: string): CircuitBreaker | undefined;
  /** Every breaker held, most recently used first. */
  list(): CircuitBreaker[];
  /** Every breaker's snapshot, sorted by name: what a health endpoint shows. */
  snapshot(): BreakerSnapshot[];
  /** Closes and forgets every breaker. */
  clear(): void;
}

/**
 * @example
 * const upstreams = createBreakerRegistry({ defaults: { minimumCalls: 20, openDurationMs: 10_000 } });
 * const breaker = upstreams.get(new URL(url).host);
 */
export function createBreakerRegistry(options: BreakerRegistryOptions = {}): BreakerRegistry {
  const where = 'createBreakerRegistry(options)';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (name !== 'defaults' && name !== 'max') throw new TypeError(`${where}: unknown option "${name}" (known: defaults, max)`);
  const defaults = options.defaults ?? {};
  if (typeof defaults !== 'object' || defaults === null) throw new TypeError(`${where}.defaults must be breaker options, got ${describeValue(defaults)}`);
  if ('name' in defaults) throw new TypeError(`${where}.defaults cannot hold a name: each breaker is named by get(name)`);
  for (const name of Object.keys(defaults)) if (!(BREAKER_OPTION_NAMES as readonly string[]).includes(name)) throw new TypeError(`${where}.defaults: unknown option "${name}"`);
  // Fail at configuration, not on the first get(): build one breaker from the defaults.
  new CircuitBreaker({ ...defaults, name: 'registry-check', registry: false, shared: undefined }).close();
  const max = integer(options.max, 1_000, 1, 1_000_000, `${where}.max`);
  const breakers = new LRUCache<string, CircuitBreaker>({ max, dispose: (breaker) => breaker.close() });
  return {
    get(name, own) {
      const found = breakers.get(name);
      if (found !== undefined) return found;
      const breaker = new CircuitBreaker({ ...defaults, ...own, name });
      breakers.set(name, breaker);
      return breaker;
    },
    find: (name) => breakers.get(name),
    list: () => [...breakers.values()],
    snapshot: () => [...breakers.values()].map((b) => b.snapshot()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    clear: () => breakers.clear(),
  };
}
