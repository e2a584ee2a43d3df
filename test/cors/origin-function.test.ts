/**
 * cors() with a RegExp or an origin function, over real HTTP through the
 * node adapter: what the matcher is given, failures turned into refusals
 * (onError, the one-time warning, the error count), and hooks that fail.
 */
import { once } from 'node:events';
import type { CorsRejection } from '@ward/cors';
import { describe, expect, it } from 'vitest';
import { APP, EVIL, corsServers, counted, get, preflight, rejectedLines } from './helpers.js';

const start = corsServers();

describe('origin patterns and functions', () => {
  it('an anchored RegExp is tested against well-formed origins only', async () => {
    const { url, registry } = await start({ origin: /^https:\/\/[a-z]+\.example\.com$/i });
    expect((await get(url, APP)).headers['access-control-allow-origin']).toBe(APP);
    // Matches the case-insensitive pattern, but no browser sends upper case: refused before the test.
    expect((await get(url, 'https://APP.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    expect(await rejectedLines(registry)).toEqual(counted(1));
  });

  it('a sync function gets the origin and the context', async () => {
    const calls: [string, string][] = [];
    const { url } = await start({
      origin: (origin, ctx) => {
        calls.push([origin, ctx.req.path]);
        return origin === APP;
      },
    });
    expect((await get(url, APP)).headers['access-control-allow-origin']).toBe(APP);
    expect((await get(url, EVIL)).headers['access-control-allow-origin']).toBeUndefined();
    expect(calls).toEqual([
      [APP, '/r'],
      [EVIL, '/r'],
    ]);
  });

  it('the function never sees null, malformed, oversized or doubled origins', async () => {
    const calls: string[] = [];
    const { url, registry } = await start({
      allowNullOrigin: true,
      origin: (origin) => {
        calls.push(origin);
        return true;
      },
    });
    expect((await get(url, 'null')).headers['access-control-allow-origin']).toBe('null');
    for (const origin of ['https://a.example/', 'HTTPS://A.EXAMPLE', `https://${'a'.repeat(600)}.example`, 'https://a.example, https://b.example', '*']) {
      expect((await get(url, origin)).headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    expect(calls).toEqual([]);
    expect(await rejectedLines(registry)).toEqual(counted(5));
  });

  it('a throw, a rejection or a non-boolean refuses the origin, goes to onError, and is counted as error', async () => {
    const reported: [string, string | undefined][] = [];
    const verdicts: Record<string, () => unknown> = {
      'https://throws.example': () => {
        throw new Error('store down');
      },
      'https://rejects.example': () => Promise.reject(new Error('timeout')),
      'https://string.example': () => 'https://string.example',
      'https://undefined.example': () => undefined,
      'https://thenable.example': () => ({ then: (resolve: (v: boolean) => void) => resolve(true) }),
    };
    const { url, reached, registry } = await start({
      origin: (origin) => verdicts[origin]!() as boolean,
      onError: (error, ctx) => reported.push([(error as Error).message, ctx.req.header('origin')]),
    });
    for (const origin of Object.keys(verdicts)) {
      const res = await get(url, origin);
      expect(res.status, origin).toBe(200);
      expect(res.headers['access-control-allow-origin'], origin).toBe(origin === 'https://thenable.example' ? origin : undefined);
    }
    expect(reached.count).toBe(5);
    expect(reported).toEqual([
      ['store down', 'https://throws.example'],
      ['timeout', 'https://rejects.example'],
      ['cors({ origin }): the origin function must return a boolean or a promise of one, got "https://string.example"', 'https://string.example'],
      ['cors({ origin }): the origin function must return a boolean or a promise of one, got undefined', 'https://undefined.example'],
    ]);
    expect(await rejectedLines(registry)).toEqual(counted(0, 0, 0, 4));
  });

  it('without onError, a failure emits one process warning per middleware', async () => {
    const { url } = await start({
      origin: () => {
        throw new Error('store down');
      },
    });
    const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>;
    await get(url, APP);
    const [warning] = await warned;
    expect(warning.code).toBe('WARD_CORS_ORIGIN_ERROR');
    expect(warning.message).toBe(
      '@ward/cors: the origin function failed (Error: store down), so the origin was refused. Pass onError to report each failure; ward_cors_rejected_total{reason="error"} counts them. This warning is shown once.',
    );
    const more: unknown[] = [];
    const listener = (w: unknown) => more.push(w);
    process.on('warning', listener);
    await get(url, APP);
    await get(url, EVIL);
    // A warning is emitted on the next tick: give it one before checking none came.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listener);
    expect(more).toEqual([]);
  });

  it('hooks that throw or reject never change the answer', async () => {
    const { url, registry } = await start({
      origin: (origin) => {
        if (origin === 'https://throws.example') throw new Error('x');
        return origin === APP;
      },
      onError: () => {
        throw new Error('reporter down');
      },
      onReject: () => Promise.reject(new Error('logger down')) as unknown as void,
    });
    expect((await get(url, 'https://throws.example')).status).toBe(200);
    expect((await get(url, EVIL)).status).toBe(200);
    expect((await preflight(url, EVIL, 'PUT')).status).toBe(204);
    expect((await get(url, APP)).headers['access-control-allow-origin']).toBe(APP);
    expect(await rejectedLines(registry)).toEqual(counted(2, 0, 0, 1));
  });

  it('onReject receives every counted refusal with its reason', async () => {
    const seen: CorsRejection[] = [];
    const { url } = await start({ methods: ['GET'], allowedHeaders: ['x-a'], onReject: (rejection) => seen.push(rejection) });
    await get(url, EVIL);
    await preflight(url, EVIL, 'GET');
    await preflight(url, APP, 'DELETE');
    await preflight(url, APP, 'GET', 'x-b');
    await get(url, `https://${'a'.repeat(1000)}.example`);
    await get(url, APP);
    expect(seen).toEqual([
      { reason: 'origin', origin: EVIL, preflight: false },
      { reason: 'origin', origin: EVIL, preflight: true },
      { reason: 'method', origin: APP, preflight: true },
      { reason: 'headers', origin: APP, preflight: true },
      { reason: 'origin', origin: `https://${'a'.repeat(504)}`, preflight: false },
    ]);
  });
});

