/**
 * hotHistogram(): a histogram series observed in plain numbers and handed to
 * prom-client when the histogram is collected. Every check compares with
 * what prom-client itself gives for the same observations.
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { hotHistogram } from '@ward/metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];

function twin(): { registry: Registry; histogram: Histogram<'kind'> } {
  const registry = new Registry();
  const histogram = new Histogram({ name: 'work_seconds', help: 'Work.', labelNames: ['kind'], buckets: BUCKETS, registers: [registry] });
  return { registry, histogram };
}

/** Values on each bound, between, above every bound, zero and negative. */
const VALUES = [0, -1, 0.0005, 0.001, 0.0010001, 0.01, 0.05, 0.1, 0.5, 1, 1.0001, 7, 1e9];

describe('hotHistogram', () => {
  it('a scrape reads exactly what prom-client would have recorded, series by series', async () => {
    const plain = twin();
    const hot = twin();
    const a = hotHistogram(hot.histogram, { kind: 'a' });
    const b = hotHistogram(hot.histogram, { kind: 'b' });
    // Series are listed in the order they were made.
    plain.histogram.zero({ kind: 'a' });
    plain.histogram.zero({ kind: 'b' });
    for (const [i, value] of VALUES.entries()) {
      plain.histogram.observe({ kind: i % 3 === 0 ? 'b' : 'a' }, value);
      (i % 3 === 0 ? b : a).observe(value);
    }
    expect(await hot.registry.metrics()).toBe(await plain.registry.metrics());
    // A second scrape counts nothing twice.
    expect(await hot.registry.metrics()).toBe(await plain.registry.metrics());
    expect(await hot.histogram.get()).toEqual(await plain.histogram.get());
  });

  it('a series exists at 0 from its creation, and a series with observations keeps them', async () => {
    const plain = twin();
    const hot = twin();
    plain.histogram.zero({ kind: 'idle' });
    hotHistogram(hot.histogram, { kind: 'idle' });
    expect(await hot.registry.metrics()).toBe(await plain.registry.metrics());

    plain.histogram.observe({ kind: 'busy' }, 0.5);
    hot.histogram.observe({ kind: 'busy' }, 0.5);
    const busy = hotHistogram(hot.histogram, { kind: 'busy' });
    busy.observe(0.002);
    plain.histogram.observe({ kind: 'busy' }, 0.002);
    // Observations through prom-client's own observe() and the hot series add up.
    hot.histogram.observe({ kind: 'busy' }, 3);
    plain.histogram.observe({ kind: 'busy' }, 3);
    expect(await hot.registry.metrics()).toBe(await plain.registry.metrics());
  });

  it('reset() forgets what was observed, collected or not; later observations count again', async () => {
    const plain = twin();
    const hot = twin();
    const series = hotHistogram(hot.histogram, { kind: 'a' });
    series.observe(0.05);
    await hot.registry.metrics();
    series.observe(0.5);
    hot.histogram.reset();
    plain.histogram.reset();
    expect(await hot.registry.metrics()).toBe(await plain.registry.metrics());
    series.observe(0.007);
    plain.histogram.observe({ kind: 'a' }, 0.007);
    expect(await hot.registry.metrics()).toBe(await plain.registry.metrics());
  });

  it('a value that is not a finite number is ignored (prom-client would throw)', async () => {
    const hot = twin();
    const series = hotHistogram(hot.histogram, { kind: 'a' });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) series.observe(bad);
    series.observe(0.2);
    const values = (await hot.histogram.get()).values;
    expect(values.find((v) => v.metricName === 'work_seconds_count')?.value).toBe(1);
    expect(values.find((v) => v.metricName === 'work_seconds_sum')?.value).toBe(0.2);
  });

  it('on a histogram whose series table is not prom-client 15\'s, observations go through prom-client itself', async () => {
    const plain = twin();
    const other = twin();
    // What another prom-client version might look like inside: no sorted label names, another table.
    delete (other.histogram as unknown as { sortedLabelNames?: unknown }).sortedLabelNames;
    const series = hotHistogram(other.histogram, { kind: 'a' });
    series.observe(Number.NaN); // ignored here too
    for (const value of VALUES) {
      series.observe(value);
      plain.histogram.observe({ kind: 'a' }, value);
    }
    expect(await other.registry.metrics()).toBe(await plain.registry.metrics());
  });
});
