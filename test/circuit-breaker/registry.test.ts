/**
 * The registry of named breakers: made once per name from shared defaults,
 * bounded (the least recently used goes, its timer cleared), snapshots
 * sorted by name for the health endpoint, defaults checked when built.
 */
import { createBreakerRegistry } from '@ward/circuit-breaker';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});

describe('createBreakerRegistry', () => {
  it('gives the same breaker for a name, built from the defaults and its own options', async () => {
    const registry = createBreakerRegistry({ defaults: { windowSize: 1, minimumCalls: 1, registry: false } });
    const a = registry.get('payments', { openDurationMs: 5_000 });
    expect(registry.get('payments')).toBe(a);
    expect(a.name).toBe('payments');
    await a.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(registry.snapshot()).toEqual([{ name: 'payments', state: 'open', isolated: false, calls: 1, failureRate: 100, slowCallRate: 0, trips: 1, retryAfterMs: expect.any(Number) }]);
    expect(registry.snapshot()[0]!.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(registry.find('nobody')).toBeUndefined();
  });

  it('lists snapshots sorted by name', () => {
    const registry = createBreakerRegistry({ defaults: { registry: false } });
    for (const name of ['b', 'c', 'a']) registry.get(name);
    expect(registry.snapshot().map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(registry.list().map((b) => b.name)).toEqual(['a', 'c', 'b']);
  });

  it('holds at most max breakers: the least recently used goes and its timer is cleared', async () => {
    vi.useFakeTimers();
    const registry = createBreakerRegistry({ max: 2, defaults: { windowSize: 1, minimumCalls: 1, autoHalfOpen: true, registry: false } });
    const first = registry.get('first');
    await first.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(vi.getTimerCount()).toBe(1);
    registry.get('second');
    registry.get('third');
    expect(registry.find('first')).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(registry.get('first')).not.toBe(first);
    expect(registry.get('first').state).toBe('closed');
  });

  it('refuses bad defaults, a name among them, and unknown options when built', () => {
    expect(() => createBreakerRegistry({ defaults: { failureRateThreshold: 0 } })).toThrow(RangeError);
    expect(() => createBreakerRegistry({ defaults: { name: 'x' } as never })).toThrow(/name/);
    expect(() => createBreakerRegistry({ size: 3 } as never)).toThrow(/unknown option/);
    expect(() => createBreakerRegistry({ max: 0 })).toThrow(RangeError);
  });
});
