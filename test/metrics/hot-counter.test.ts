/**
 * hotCounter(): a counter series counted in a plain number and handed to
 * prom-client when the counter is collected — every way of reading it
 * (registry text, JSON, metric.get()) sees the exact total, several series
 * of one counter flush together, and a collect hook already on the counter
 * still runs.
 */
import { hotCounter, wardCounter } from '@ward/metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

describe('hotCounter', () => {
  it('a negative, NaN or infinite amount throws at the call, as prom-client does; the scrape stays whole', async () => {
    const registry = new Registry();
    const counter = wardCounter(registry, { name: 'guarded_total', help: 'h', labelNames: ['kind'] });
    const series = hotCounter(counter, { kind: 'a' });
    for (const by of [-1, Number.NaN, Infinity]) expect(() => series.inc(by)).toThrow(RangeError);
    series.inc(2);
    expect(await registry.metrics()).toContain('ward_guarded_total{kind="a"} 2');
  });


  it('every read of the registry sees the exact total, series by series, from 0', async () => {
    const registry = new Registry();
    const counter = wardCounter(registry, { name: 'hot_total', help: 'h', labelNames: ['kind'] });
    const a = hotCounter(counter, { kind: 'a' });
    const b = hotCounter(counter, { kind: 'b' });
    expect(await registry.metrics()).toContain('ward_hot_total{kind="a"} 0\nward_hot_total{kind="b"} 0');
    for (let i = 0; i < 1_000; i++) a.inc();
    b.inc(5);
    expect(await registry.metrics()).toContain('ward_hot_total{kind="a"} 1000\nward_hot_total{kind="b"} 5');
    a.inc();
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'ward_hot_total')!.values.map((v) => [v.labels['kind'], v.value])).toEqual([
      ['a', 1001],
      ['b', 5],
    ]);
    b.inc();
    expect((await counter.get()).values.map((v) => v.value)).toEqual([1001, 6]);
    // Nothing is counted twice by repeated reads.
    expect((await counter.get()).values.map((v) => v.value)).toEqual([1001, 6]);
  });

  it('keeps a collect hook the counter already had', async () => {
    const registry = new Registry();
    const counter = wardCounter(registry, { name: 'hooked_total', help: 'h', labelNames: ['kind'] });
    let calls = 0;
    (counter as unknown as { collect: () => void }).collect = () => {
      calls += 1;
    };
    const hot = hotCounter(counter, { kind: 'x' });
    hot.inc(2);
    expect(await registry.metrics()).toContain('ward_hooked_total{kind="x"} 2');
    expect(calls).toBe(1);
  });
});
