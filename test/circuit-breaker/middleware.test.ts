/**
 * What the conformance scenarios do not cover of `circuitBreaker()` (they
 * run its HTTP behaviour on every adapter): configuration errors at start,
 * the redacted description, a shared breaker, a client that goes away
 * being ignored, and metric series reused when per-key breakers churn.
 */
import { CircuitBreaker, circuitBreaker, createBreakerRegistry } from '@ward/circuit-breaker';
import { describeMiddleware } from '@ward/core';
import { abortAfter, deferred, listen, once, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(engine: Engine): Promise<string> {
  const server = await listen(engine.handler);
  closers.push(() => server.close());
  return server.url;
}

describe('circuitBreaker(options)', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown option', { threshold: 5 }, /unknown option "threshold"/],
    ['isIgnored (a route is judged by isFailure)', { isIgnored: () => true }, /isIgnored/],
    ['a breaker and breaker options', { breaker: new CircuitBreaker({ registry: false }), windowSize: 5 }, /either breaker or breaker options/],
    ['breakers without key', { breakers: createBreakerRegistry() }, /give key too/],
    ['a key that is not a function', { key: 'tenant' }, /key must be a function/],
    ['bad breaker options', { failureRateThreshold: 500 }, /failureRateThreshold/],
  ])('refuses %s when built', (_label, options, message) => {
    expect(() => circuitBreaker(options as never)).toThrow(message);
  });

  it('registered without being called, it fails at start with the fix named', () => {
    const engine = new Engine();
    expect(() => engine.use(circuitBreaker as never)).toThrow(/circuitBreaker/);
  });

  it('describes itself for audits, with no functions or registries in the description', () => {
    const description = describeMiddleware(circuitBreaker({ name: 'reports', minimumCalls: 20, registry: new Registry(), isFailure: () => false }));
    expect(description).toEqual({
      name: 'circuitBreaker',
      options: { breaker: 'reports', perKey: false, name: 'reports', minimumCalls: 20, shared: false, isFailure: 'custom' },
    });
  });

  it('a given breaker is shared: its calls from code and from the route count together', async () => {
    const breaker = new CircuitBreaker({ name: 'shared', windowSize: 2, minimumCalls: 2, registry: false });
    await breaker.execute(() => Promise.reject(new Error('from code'))).catch(() => undefined);
    const engine = new Engine({ onError: () => {} });
    engine.get('/fail', circuitBreaker({ breaker }), () => {
      throw new Error('from the route');
    });
    const url = await serve(engine);
    expect((await request(`${url}/fail`)).status).toBe(500);
    expect(breaker.state).toBe('open');
    expect((await request(`${url}/fail`)).status).toBe(503);
  });

  it('a client that goes away mid-request is ignored, not counted as a failure', async () => {
    const breaker = new CircuitBreaker({ name: 'aborts', windowSize: 1, minimumCalls: 1, registry: false });
    const settled = deferred<void>();
    const engine = new Engine();
    engine.get(
      '/slow',
      async (ctx, next) => {
        try {
          await next();
        } finally {
          settled.resolve();
        }
      },
      circuitBreaker({ breaker }),
      (ctx) =>
        new Promise<void>((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    );
    const url = await serve(engine);
    await abortAfter(`${url}/slow`, { after: 'sent' });
    await settled.promise;
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('a client that goes away while the handler goes on to answer (500 or 200) is not counted either', async () => {
    const breaker = new CircuitBreaker({ name: 'gone', windowSize: 1, minimumCalls: 1, registry: false });
    for (const status of [500, 200]) {
      const settled = deferred<void>();
      const engine = new Engine();
      engine.get(
        '/slow',
        async (_ctx, next) => {
          try {
            await next();
          } finally {
            settled.resolve();
          }
        },
        circuitBreaker({ breaker }),
        async (ctx) => {
          await once(ctx.raw.res, 'close');
          ctx.json(status, { late: true });
        },
      );
      const url = await serve(engine);
      await abortAfter(`${url}/slow`, { after: 'sent' });
      await settled.promise;
      expect(breaker.snapshot(), `answered ${status}`).toMatchObject({ state: 'closed', calls: 0 });
    }
  });

  it('per-key breakers that churn through a small registry reuse their metric series', async () => {
    const registry = new Registry();
    const breakers = createBreakerRegistry({ max: 2, defaults: { registry } });
    const engine = new Engine();
    engine.get('/t/:id', circuitBreaker({ name: 'tenant', key: (ctx) => ctx.req.params['id'], breakers }), (ctx) => ctx.json(200, {}));
    const url = await serve(engine);
    for (let round = 0; round < 5; round++) for (const id of ['a', 'b', 'c']) expect((await request(`${url}/t/${id}`)).status).toBe(200);
    const text = await registry.metrics();
    const series = text.split('\n').filter((line) => line.startsWith('ward_circuit_breaker_calls_total{breaker="tenant:a",outcome="success"}'));
    expect(series).toEqual(['ward_circuit_breaker_calls_total{breaker="tenant:a",outcome="success"} 5']);
    expect(breakers.list()).toHaveLength(2);
  });
});
