/**
 * recovery() in detail, over real HTTP on the ward engine: what a report
 * holds (clock, stack cap, user id, headers), which failures are reported
 * (`shouldReport`), how reporters are called, the metrics, and the
 * middleware's own description.
 */
import { type Context, HttpError, type Middleware, compose, describeMiddleware } from '@ward/core';
import { type TestServer, listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { type RecoveryOptions, type RecoveryReport, recovery } from '@ward/recovery';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { kindCounts, recorder, reporterFailures } from './http.js';

const DEEP_STACK = `Error: deep\n${'    at frame (file.js:1:1)\n'.repeat(500)}`;
const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

/** An engine with `before` middleware, recovery, and routes that fail in known ways. */
async function app(options: RecoveryOptions & { registry?: Registry }, before: Middleware[] = []): Promise<{ url: string; registry: Registry }> {
  const registry = options.registry ?? new Registry();
  const engine = new Engine({ onError: () => {} });
  engine.use(...before, recovery({ registry, ...options }));
  engine.get('/boom', () => {
    throw new Error('boom');
  });
  engine.get('/deep', () => {
    const error = new Error('deep');
    error.stack = DEEP_STACK;
    throw error;
  });
  engine.get('/missing', () => {
    throw new HttpError(404, { code: 'NOTHING_HERE' });
  });
  engine.get('/ok', (ctx) => ctx.json(200, { ok: true }));
  const server = await listen(engine.handler);
  servers.push(server);
  return { url: server.url, registry };
}

function setUser(user: unknown): Middleware {
  return function setUser(ctx, next) {
    (ctx.state as { user?: unknown }).user = user;
    return next();
  };
}

describe('reports', () => {
  it('time comes from the injected clock, as ISO-8601 UTC with milliseconds', async () => {
    const { reports, onError } = recorder();
    const { url } = await app({ onError, now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
    await request(`${url}/boom`);
    expect(reports.map((r) => r.time)).toEqual(['2026-01-02T03:04:05.678Z']);
  });

  it('a clock that returns nonsense or throws falls back to the system clock', async () => {
    const { reports, onError } = recorder();
    const clocks = [() => Number.NaN, () => 8.64e15 + 1, () => {
      throw new Error('clock broke');
    }];
    for (const now of clocks) {
      const { url } = await app({ onError, now });
      expect((await request(`${url}/boom`)).status).toBe(500);
    }
    expect(reports).toHaveLength(3);
    for (const report of reports) expect(report.time).toMatch(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('the stack is capped at maxStackChars (default 4096) and left out with 0', async () => {
    const { reports, onError } = recorder();
    for (const maxStackChars of [undefined, 40, 0]) {
      const { url } = await app({ onError, maxStackChars });
      await request(`${url}/deep`);
    }
    const [byDefault, capped, none] = reports.map((r) => r.stack);
    expect(byDefault).toBe(`${DEEP_STACK.slice(0, 4096)}…`);
    expect(capped).toBe('Error: deep\n    at frame (file.js:1:1)\n …');
    expect(none).toBeUndefined();
  });

  it('userId: ctx.state.user.id by default (string or finite number), the userId option otherwise; a throwing getter gives undefined', async () => {
    const { reports, onError } = recorder();
    const hostile = {
      get id(): string {
        throw new Error('id getter');
      },
    };
    for (const user of [{ id: 'u-1' }, { id: 42 }, { id: Number.NaN }, { id: { nested: true } }, 'not-an-object', null, hostile]) {
      const { url } = await app({ onError }, [setUser(user)]);
      expect((await request(`${url}/boom`)).status).toBe(500);
    }
    const byOption = await app({ onError, userId: (ctx: Context) => ctx.req.header('x-user') });
    await request(`${byOption.url}/boom`, { headers: { 'x-user': 'from-header' } });
    const throwing = await app({
      onError,
      userId: () => {
        throw new Error('userId failed');
      },
    });
    expect((await request(`${throwing.url}/boom`)).status).toBe(500);
    expect(reports.map((r) => r.userId)).toEqual(['u-1', '42', undefined, undefined, undefined, undefined, undefined, 'from-header', undefined]);
  });

  it('headers: lower-case names, repeated values kept, credentials and configured names redacted whatever their case', async () => {
    const { reports, onError } = recorder();
    const { url } = await app({ onError, redactHeaders: ['X-Tenant-Secret'] });
    await request(`${url}/boom`, {
      headers: ['AUTHORIZATION', 'Bearer t', 'Cookie', 'a=1', 'x-tenant-secret', 's', 'Accept', 'text/html', 'X-Many', '1', 'X-Many', '2', 'Set-Cookie', 'b=2'],
    });
    expect(reports[0]!.headers).toEqual({
      host: expect.any(String),
      connection: 'close',
      authorization: '[redacted]',
      cookie: '[redacted]',
      'x-tenant-secret': '[redacted]',
      accept: 'text/html',
      'x-many': '1, 2',
      'set-cookie': '[redacted]',
    });
  });

  it('every reporter gets the same report, in order; the answer is written whatever they do', async () => {
    const calls: [string, RecoveryReport][] = [];
    const { url } = await app({
      onError: [(r) => void calls.push(['first', r]), (r) => void calls.push(['second', r])],
    });
    expect((await request(`${url}/boom`)).status).toBe(500);
    expect(calls.map(([name]) => name)).toEqual(['first', 'second']);
    expect(calls[0]![1]).toBe(calls[1]![1]);
  });

  it('onError: [] reports nothing, and the failure is still answered and counted', async () => {
    const { url, registry } = await app({ onError: [] });
    expect((await request(`${url}/boom`)).status).toBe(500);
    expect(await kindCounts(registry)).toEqual({ error: 1 });
  });
});

describe('shouldReport', () => {
  it('by default reports server faults only: an HttpError below 500 is answered and counted, not reported', async () => {
    const { reports, onError } = recorder();
    const { url, registry } = await app({ onError });
    expect((await request(`${url}/missing`)).status).toBe(404);
    expect((await request(`${url}/boom`)).status).toBe(500);
    expect(reports.map((r) => r.message)).toEqual(['boom']);
    expect(await kindCounts(registry)).toEqual({ http_error: 1, error: 1 });
  });

  it('a custom filter sees the error and the context; false keeps a 500 unreported, true reports a 404', async () => {
    const { reports, onError } = recorder();
    const seen: [string, string][] = [];
    const { url } = await app({
      onError,
      shouldReport: (error, ctx) => {
        seen.push([error.message, ctx.req.path]);
        return ctx.req.path === '/missing';
      },
    });
    expect((await request(`${url}/missing`)).status).toBe(404);
    expect((await request(`${url}/boom`)).status).toBe(500);
    expect(seen).toEqual([
      ['Not Found', '/missing'],
      ['boom', '/boom'],
    ]);
    expect(reports.map((r) => [r.kind, r.status, r.code])).toEqual([['http_error', 404, 'NOTHING_HERE']]);
  });

  it('a filter that throws reports (one report too many beats a hidden crash)', async () => {
    const { reports, onError } = recorder();
    const { url } = await app({
      onError,
      shouldReport: () => {
        throw new Error('filter broke');
      },
    });
    expect((await request(`${url}/boom`)).status).toBe(500);
    expect(reports.map((r) => r.message)).toEqual(['boom']);
  });
});

describe('metrics', () => {
  it('exposes ward_recovery_errors_total{kind} and ward_recovery_reporter_failures_total', async () => {
    const { url, registry } = await app({
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    await request(`${url}/boom`);
    await request(`${url}/boom`);
    await request(`${url}/missing`);
    await request(`${url}/ok`);
    const text = await registry.metrics();
    expect(text.split('\n').filter((line) => line.startsWith('ward_recovery_'))).toEqual([
      'ward_recovery_errors_total{kind="http_error"} 1',
      'ward_recovery_errors_total{kind="error"} 2',
      'ward_recovery_errors_total{kind="non_error"} 0',
      'ward_recovery_errors_total{kind="client_closed"} 0',
      'ward_recovery_reporter_failures_total 2',
    ]);
    expect(await reporterFailures(registry)).toBe(2);
  });

  it('honours prefix, and two recovery() on one registry share the counters', async () => {
    const registry = new Registry();
    const first = await app({ registry, prefix: 'shop_', onError: [] });
    const second = await app({ registry, prefix: 'shop_', onError: [] });
    await request(`${first.url}/boom`);
    await request(`${second.url}/boom`);
    expect((await registry.metrics()).split('\n').filter((line) => line.startsWith('shop_recovery_errors_total{kind="error"}'))).toEqual([
      'shop_recovery_errors_total{kind="error"} 2',
    ]);
  });
});

describe('the middleware itself', () => {
  it('is named, and describes its options with functions by name and registries by class', () => {
    const registry = new Registry();
    function toSentry(): void {}
    const middleware = recovery({ registry, onError: toSentry, redactHeaders: ['X-Secret-Thing'], maxStackChars: 100 });
    expect(middleware.name).toBe('recovery');
    expect(describeMiddleware(middleware)).toEqual({
      name: 'recovery',
      options: {
        onError: ['[function toSentry]'],
        redactHeaders: ['x-secret-thing'],
        maxStackChars: 100,
        registry: '[Registry]',
        prefix: 'ward_',
      },
    });
  });

  it('registering the factory without calling it fails at start, naming the fix', () => {
    expect(() => compose([recovery as unknown as Middleware])).toThrow('middleware[0] is the factory "recovery", not a middleware. Call it: recovery({ … })');
  });

  it('a chain that does not fail passes through untouched, with no report and no count', async () => {
    const { reports, onError } = recorder();
    const { url, registry } = await app({ onError });
    const res = await request(`${url}/ok`);
    expect([res.status, res.text]).toEqual([200, '{"ok":true}']);
    expect(reports).toEqual([]);
    expect(await kindCounts(registry)).toEqual({});
  });
});
