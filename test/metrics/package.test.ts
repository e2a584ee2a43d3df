/**
 * Packaging and public types of @ward/metrics: it loads from ESM and from
 * CommonJS `require`, and its types catch label and option mistakes.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Middleware } from '@ward/core';
import * as metrics from '@ward/metrics';
import { type HttpMetricsOptions, type MetricsRegistry, httpMetrics, metricsHandler, wardCounter, wardHistogram } from '@ward/metrics';
import { type Counter, type Histogram, Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = [
  'DEFAULT_BUCKETS',
  'DEFAULT_PREFIX',
  'METHOD_LABELS',
  'MetricConflictError',
  'OVERFLOW_ROUTE',
  'UNMATCHED_ROUTE',
  'hotCounter',
  'hotHistogram',
  'httpMetrics',
  'isMetricConflictError',
  'isMetricName',
  'metricsHandler',
  'resolveMetricsOptions',
  'resolvePrefix',
  'resolveRegistry',
  'validBuckets',
  'wardCounter',
  'wardGauge',
  'wardHistogram',
];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(metrics).sort()).toEqual(PUBLIC);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/metrics')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/metrics') as typeof metrics;
    expect(typeof required.httpMetrics).toBe('function');
  });
});

describe('types', () => {
  it('factories return middleware; getters return typed prom-client metrics', () => {
    const registry: MetricsRegistry = new Registry();
    expectTypeOf(httpMetrics({ registry })).toEqualTypeOf<Middleware>();
    expectTypeOf(metricsHandler({ registry })).toEqualTypeOf<Middleware>();
    const counter = wardCounter(registry, { name: 'typed_total', help: 'T.', labelNames: ['outcome'] });
    expectTypeOf(counter).toEqualTypeOf<Counter<'outcome'>>();
    counter.inc({ outcome: 'allowed' });
    // @ts-expect-error a label that was not declared (prom-client refuses it at run time too)
    expect(() => counter.inc({ result: 'allowed' })).toThrow('Added label "result" is not included');
    const histogram = wardHistogram(registry, { name: 'typed_seconds', help: 'T.', labelNames: ['op'] as const });
    expectTypeOf(histogram).toEqualTypeOf<Histogram<'op'>>();
    // @ts-expect-error buckets are numbers (and checked at run time)
    expect(() => wardHistogram(registry, { name: 'bad_seconds', help: 'T.', buckets: ['1'] })).toThrow(RangeError);
    // @ts-expect-error `now` returns milliseconds as a number
    const bad: HttpMetricsOptions = { now: () => 'soon' };
    expect(bad).toBeDefined();
  });
});
