/**
 * The registry convention and the memoised metric getters.
 */
import { Counter, Gauge, Histogram, Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_BUCKETS,
  DEFAULT_PREFIX,
  MetricConflictError,
  isMetricConflictError,
  resolveMetricsOptions,
  wardCounter,
  wardGauge,
  wardHistogram,
} from '@ward/metrics';
import { isWardError } from '@ward/core';

afterEach(() => {
  register.removeSingleMetric('ward_getters_default_total');
});

describe('wardCounter / wardGauge / wardHistogram', () => {
  it('creates a metric named prefix + name on the given registry', async () => {
    const registry = new Registry();
    const counter = wardCounter(registry, { name: 'things_total', help: 'Things.', labelNames: ['kind'] });
    expect(counter).toBeInstanceOf(Counter);
    counter.inc({ kind: 'a' });
    counter.inc({ kind: 'a' });
    expect(await registry.metrics()).toBe(
      '# HELP ward_things_total Things.\n# TYPE ward_things_total counter\nward_things_total{kind="a"} 2\n',
    );
    expect(DEFAULT_PREFIX).toBe('ward_');
  });

  it('returns the same instance for the same name, kind and labels', () => {
    const registry = new Registry();
    const spec = { name: 'decisions_total', help: 'Decisions.', labelNames: ['outcome'] } as const;
    const first = wardCounter(registry, spec);
    const second = wardCounter(registry, { ...spec, help: 'Another help text is ignored.' });
    expect(second).toBe(first);
    const g1 = wardGauge(registry, { name: 'open', help: 'Open.' });
    expect(wardGauge(registry, { name: 'open', help: 'Open.' })).toBe(g1);
    expect(g1).toBeInstanceOf(Gauge);
    const h1 = wardHistogram(registry, { name: 'latency_seconds', help: 'L.', labelNames: ['op'], buckets: [0.1, 1] });
    expect(wardHistogram(registry, { name: 'latency_seconds', help: 'L.', labelNames: ['op'], buckets: [0.1, 1] })).toBe(h1);
    expect(h1).toBeInstanceOf(Histogram);
    expect(registry.getMetricsAsArray()).toHaveLength(3);
  });

  it('keeps one metric per registry: another registry gets its own', () => {
    const a = new Registry();
    const b = new Registry();
    const ca = wardCounter(a, { name: 'x_total', help: 'X.' });
    const cb = wardCounter(b, { name: 'x_total', help: 'X.' });
    expect(ca).not.toBe(cb);
    expect(a.getSingleMetric('ward_x_total')).toBe(ca);
    expect(b.getSingleMetric('ward_x_total')).toBe(cb);
  });

  it('adopts a compatible metric registered directly with prom-client', () => {
    const registry = new Registry();
    const own = new Counter({ name: 'ward_adopted_total', help: 'Mine.', labelNames: ['a'], registers: [registry] });
    expect(wardCounter(registry, { name: 'adopted_total', help: 'X.', labelNames: ['a'] })).toBe(own);
  });

  it('creates the metric again after the registry was cleared', () => {
    const registry = new Registry();
    const first = wardCounter(registry, { name: 'y_total', help: 'Y.' });
    registry.clear();
    const second = wardCounter(registry, { name: 'y_total', help: 'Y.' });
    expect(second).not.toBe(first);
    expect(registry.getSingleMetric('ward_y_total')).toBe(second);
  });

  it('defaults to prom-client’s global register', () => {
    const counter = wardCounter(undefined, { name: 'getters_default_total', help: 'Default registry.' });
    expect(register.getSingleMetric('ward_getters_default_total')).toBe(counter);
  });

  it('honours a custom prefix, and an empty one', () => {
    const registry = new Registry();
    wardCounter(registry, { name: 'a_total', help: 'A.', prefix: 'acme_' });
    wardCounter(registry, { name: 'b_total', help: 'B.', prefix: '' });
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['acme_a_total', 'b_total']);
  });

  it('histograms default to API buckets (1 ms … 10 s)', () => {
    const registry = new Registry();
    const h = wardHistogram(registry, { name: 'd_seconds', help: 'D.' });
    expect((h as unknown as { upperBounds: number[] }).upperBounds).toEqual([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect(DEFAULT_BUCKETS).toEqual([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });
});

describe('conflicts', () => {
  it('another kind under the same name throws MetricConflictError naming both shapes', () => {
    const registry = new Registry();
    wardCounter(registry, { name: 'clash', help: 'C.', labelNames: ['a'] });
    let error: unknown;
    try {
      wardGauge(registry, { name: 'clash', help: 'G.', labelNames: ['a'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MetricConflictError);
    expect(isMetricConflictError(error)).toBe(true);
    expect(isWardError(error)).toBe(true);
    const conflict = error as MetricConflictError;
    expect(conflict.code).toBe('METRIC_CONFLICT');
    expect(conflict.metricName).toBe('ward_clash');
    expect(conflict.existing).toEqual({ kind: 'counter', labelNames: ['a'] });
    expect(conflict.requested).toEqual({ kind: 'gauge', labelNames: ['a'] });
    expect(conflict.message).toBe(
      'Metric "ward_clash" is already registered on this registry as a counter with labels [a]; asked for a gauge with labels [a]. ' +
        'A name holds one metric per registry: ask for the same kind, labels (in the same order) and buckets, or use another name or prefix.',
    );
  });

  it('other labels, another label order or other buckets conflict too', () => {
    const registry = new Registry();
    wardCounter(registry, { name: 'l_total', help: 'L.', labelNames: ['a', 'b'] });
    expect(() => wardCounter(registry, { name: 'l_total', help: 'L.', labelNames: ['a'] })).toThrow(
      'as a counter with labels [a, b]; asked for a counter with labels [a]',
    );
    expect(() => wardCounter(registry, { name: 'l_total', help: 'L.', labelNames: ['b', 'a'] })).toThrow(MetricConflictError);
    wardHistogram(registry, { name: 'h_seconds', help: 'H.', buckets: [1, 2] });
    expect(() => wardHistogram(registry, { name: 'h_seconds', help: 'H.', buckets: [1, 3] })).toThrow(
      'as a histogram with labels [] and buckets [1, 2]; asked for a histogram with labels [] and buckets [1, 3]',
    );
  });

  it('a name taken by a metric wardX did not create is reported with its real kind', () => {
    const registry = new Registry();
    new Histogram({ name: 'ward_foreign', help: 'F.', buckets: [1], registers: [registry] });
    expect(() => wardCounter(registry, { name: 'foreign', help: 'F.' })).toThrow(
      'as a histogram with labels [] and buckets [1]; asked for a counter with labels []',
    );
  });
});

describe('option validation', () => {
  const registry = new Registry();

  it('rejects a registry that is not one', () => {
    expect(() => wardCounter({} as Registry, { name: 'a', help: 'A.' })).toThrow(
      new TypeError('wardCounter(registry) must be a prom-client Registry (new Registry() or the global register), got an object'),
    );
    expect(() => resolveMetricsOptions({ registry: 'default' as unknown as Registry }, 'rateLimit({ metrics })')).toThrow(
      new TypeError(
        'rateLimit({ metrics }).registry must be a prom-client Registry (new Registry() or the global register), got "default"',
      ),
    );
    expect(() => resolveMetricsOptions(true as never, 'rateLimit({ metrics })')).toThrow(
      new TypeError('rateLimit({ metrics }) must be an object such as { registry, prefix }, got true'),
    );
  });

  it('rejects bad names, help texts, prefixes and labels', () => {
    expect(() => wardCounter(registry, { name: 'has space', help: 'A.' })).toThrow(RangeError);
    expect(() => wardCounter(registry, { name: 'has space', help: 'A.' })).toThrow('"ward_has space" is not a valid Prometheus metric name');
    expect(() => wardCounter(registry, { name: 42 as unknown as string, help: 'A.' })).toThrow(
      new TypeError('wardCounter({ name }) must be a string, got 42'),
    );
    expect(() => wardCounter(registry, { name: 'ok_total', help: '' })).toThrow(TypeError);
    expect(() => wardCounter(registry, { name: 'ok_total', help: 'A.', prefix: '9x_' })).toThrow(RangeError);
    expect(() => wardCounter(registry, { name: 'ok_total', help: 'A.', prefix: 9 as unknown as string })).toThrow(TypeError);
    expect(() => wardCounter(registry, { name: 'ok_total', help: 'A.', labelNames: ['a-b'] })).toThrow(
      new RangeError(`wardCounter({ labelNames }): "a-b" is not a valid label name; use letters, digits and '_' (not starting with '__')`),
    );
    expect(() => wardCounter(registry, { name: 'ok_total', help: 'A.', labelNames: ['__x'] })).toThrow(RangeError);
    expect(() => wardCounter(registry, { name: 'ok_total', help: 'A.', labelNames: ['a', 'a'] })).toThrow(
      new RangeError('wardCounter({ labelNames }): "a" appears twice'),
    );
    expect(() => wardHistogram(registry, { name: 'h_seconds', help: 'A.', labelNames: ['le'] })).toThrow(
      new RangeError('wardHistogram({ labelNames }): "le" is reserved for histogram buckets; choose another label name'),
    );
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });

  it('rejects bad buckets', () => {
    expect(() => wardHistogram(registry, { name: 'b', help: 'B.', buckets: [] })).toThrow(TypeError);
    expect(() => wardHistogram(registry, { name: 'b', help: 'B.', buckets: [1, 1] })).toThrow(
      new RangeError('wardHistogram({ buckets }) must be strictly increasing, got 1 after 1'),
    );
    expect(() => wardHistogram(registry, { name: 'b', help: 'B.', buckets: [0.1, Infinity] })).toThrow(
      new RangeError('wardHistogram({ buckets }) must hold finite numbers (+Inf is added by Prometheus), got Infinity'),
    );
    expect(() => wardHistogram(registry, { name: 'b', help: 'B.', buckets: [NaN] })).toThrow(RangeError);
    expect(() => wardHistogram(registry, { name: 'b', help: 'B.', buckets: ['1' as unknown as number] })).toThrow(RangeError);
  });
});
