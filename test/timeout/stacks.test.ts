/**
 * timeout() through real HTTP on the ward engine, Express 5, Express 4 and
 * Fastify 5, with fake timers (`setTimeout`, `clearTimeout`, `Date`): the
 * deadline passes when the test advances the clock, after the handler has
 * started. Sockets stay real.
 */
import { get, type IncomingMessage } from 'node:http';
import { type Context, HttpError, type Middleware } from '@ward/core';
import { abortAfter, listen, request } from '@ward/core/testing';
import { remainingMs, timeout, isTimeoutError } from '@ward/timeout';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { control, expired, timeoutProblem, until } from './helpers.js';
import { type AppSpec, type RunningApp, STACKS } from './stacks.js';

const T0 = 1_700_000_000_000;

let registry: Registry;
let app: RunningApp | undefined;
let unhandled: unknown[];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeEach(() => {
  registry = new Registry();
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  vi.useRealTimers();
  process.off('unhandledRejection', onUnhandled);
  await app?.close();
  app = undefined;
});

/** Starts the app with real timers (frameworks arm their own while booting), then fakes the clock. */
async function start(spec: AppSpec, stack: (typeof STACKS)[number]): Promise<string> {
  app = await stack.start(spec);
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
  return app.url;
}

/** The response, or a failure after a bounded number of event-loop turns (a lost answer fails fast instead of hanging). */
async function answered<T>(pending: Promise<T>): Promise<T> {
  let value: T | undefined;
  let failure: unknown;
  let done = false;
  pending.then(
    (v) => {
      value = v;
      done = true;
    },
    (error: unknown) => {
      failure = error;
      done = true;
    },
  );
  await until(() => done, 'the answer reaches the client', 20_000);
  if (failure !== undefined) throw failure;
  return value as T;
}

/** Records what a middleware after timeout() sees: the deadline, the budget left, how the signal aborts. */
function observer(seen: Record<string, unknown>): Middleware {
  return async function observe(ctx: Context, next) {
    seen['deadline'] = ctx.state.deadline;
    seen['remaining'] = remainingMs(ctx);
    ctx.signal.addEventListener('abort', () => (seen['reason'] = ctx.signal.reason), { once: true });
    await next();
  };
}

for (const stack of STACKS) {
  describe(stack.name, () => {
    it('answers 503 problem+json with Retry-After past the deadline; the handler’s late answer and headers are dropped', async () => {
      const gate = control();
      const seen: Record<string, unknown> = {};
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 1_000, retryAfterSec: 5, registry }), observer(seen)],
          routes: {
            '/slow': async (io) => {
              gate.entered.resolve();
              await gate.gate.promise;
              io.setHeader('x-late', '1');
              io.json(200, { late: true });
              gate.finished.resolve();
            },
            '/fast': (io) => io.json(200, { fast: true }),
          },
        },
        stack,
      );
      const pending = request(`${url}/slow`);
      await gate.entered.promise;
      expect(seen).toEqual({ deadline: T0 + 1_000, remaining: 1_000 });
      await vi.advanceTimersByTimeAsync(999);
      expect(vi.getTimerCount(), 'the deadline is still ahead').toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.text).toBe(timeoutProblem(503));
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['content-length']).toBe(String(res.body.byteLength));
      expect(res.headers['x-late']).toBeUndefined();
      await until(() => seen['reason'] !== undefined, 'ctx.signal aborts');
      expect(isTimeoutError(seen['reason'])).toBe(true);
      expect(seen['reason']).toMatchObject({ name: 'TimeoutError', code: 'TIMEOUT', timeoutMs: 1_000, deadline: T0 + 1_000 });

      gate.gate.resolve();
      await gate.finished.promise;
      const fast = await request(`${url}/fast`);
      expect([fast.status, fast.text]).toEqual([200, '{"fast":true}']);
      expect(vi.getTimerCount(), 'no timer left').toBe(0);
      expect(await expired(registry)).toEqual({ 'committed=false': 1 });
      expect(unhandled).toEqual([]);
    });

    it('answers 504 when configured', async () => {
      const gate = control();
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 50, status: 504, registry })],
          routes: {
            '/slow': async (io) => {
              gate.entered.resolve();
              await gate.gate.promise;
              io.json(200, {});
            },
          },
        },
        stack,
      );
      const pending = request(`${url}/slow`);
      await gate.entered.promise;
      await vi.advanceTimersByTimeAsync(50);
      const res = await pending;
      expect([res.status, res.text, res.headers['retry-after']]).toEqual([504, timeoutProblem(504), undefined]);
      gate.gate.resolve();
    });

    it('leaves a handler that finishes in time untouched and clears its timer', async () => {
      const seen: Record<string, unknown> = {};
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 1_000, registry }), observer(seen)],
          routes: {
            '/fast': (io) => {
              io.setHeader('etag', '"v1"');
              io.json(201, { fast: true });
            },
          },
        },
        stack,
      );
      const res = await request(`${url}/fast`);
      expect(res.status).toBe(201);
      expect(res.text).toBe('{"fast":true}');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['etag']).toBe('"v1"');
      expect(res.headers['cache-control']).toBeUndefined();
      expect(res.headers['retry-after']).toBeUndefined();
      expect(vi.getTimerCount()).toBe(0);
      expect(await expired(registry)).toEqual({});
      await vi.advanceTimersByTimeAsync(5_000);
      expect(seen['reason'], 'the signal never aborts').toBeUndefined();
    });

    it('a deadline that passes while the response streams leaves it alone: all chunks arrive, no abort', async () => {
      const gate = control();
      const seen: Record<string, unknown> = {};
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 100, registry }), observer(seen)],
          routes: {
            '/stream': (io) =>
              io.stream(
                (async function* chunks() {
                  yield 'one\n';
                  await gate.gate.promise;
                  yield 'two\n';
                })(),
              ),
          },
        },
        stack,
      );
      const outcome = new Promise<{ status: number | undefined; text: string; complete: boolean }>((resolve, reject) => {
        get(`${url}/stream`, (res: IncomingMessage) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            gate.entered.resolve();
          });
          res.once('error', () => resolve({ status: res.statusCode, text, complete: false }));
          res.once('end', () => resolve({ status: res.statusCode, text, complete: true }));
        }).once('error', reject);
      });
      await gate.entered.promise;
      await vi.advanceTimersByTimeAsync(100);
      expect(await expired(registry)).toEqual({ 'committed=true': 1 });
      expect(seen['reason']).toBeUndefined();
      gate.gate.resolve();
      expect(await outcome).toEqual({ status: 200, text: 'one\ntwo\n', complete: true });
      expect(vi.getTimerCount()).toBe(0);
      expect(seen['reason']).toBeUndefined();
    });

    it('a client that goes away clears the timer; the signal says CLIENT_CLOSED', async () => {
      const gate = control();
      const seen: Record<string, unknown> = {};
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 1_000, registry }), observer(seen)],
          routes: {
            '/hang': async () => {
              gate.entered.resolve();
              await gate.gate.promise;
            },
          },
        },
        stack,
      );
      await abortAfter(`${url}/hang`, { after: gate.entered.promise });
      await until(() => vi.getTimerCount() === 0, 'the timer is cleared');
      await until(() => seen['reason'] !== undefined, 'the signal aborts');
      expect(seen['reason']).toMatchObject({ code: 'CLIENT_CLOSED' });
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await expired(registry)).toEqual({});
      gate.gate.resolve();
    });

    it('the same timeout() twice on one request, the inner under a shorter deadline: a client that goes away clears both timers', async () => {
      const gate = control();
      const seen: Record<string, unknown> = {};
      const guard = timeout({ timeoutMs: 1_000, registry });
      // Between the two: a caller's shorter budget that no timeout enforces yet, so the inner one arms its own timer.
      const shorten: Middleware = function shorten(ctx, next) {
        ctx.state.deadline = Date.now() + 500;
        return next();
      };
      const url = await start(
        {
          chain: [guard, shorten, guard, observer(seen)],
          routes: {
            '/hang': async () => {
              gate.entered.resolve();
              await gate.gate.promise;
            },
          },
        },
        stack,
      );
      await abortAfter(`${url}/hang`, { after: gate.entered.promise });
      await until(() => vi.getTimerCount() === 0, 'both timers are cleared');
      await until(() => seen['reason'] !== undefined, 'the signal aborts');
      expect(seen['reason']).toMatchObject({ code: 'CLIENT_CLOSED' });
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await expired(registry)).toEqual({});
      gate.gate.resolve();
    });

    it('cancels the work, not just the wait: an upstream call made with ctx.signal is torn down at the deadline', async () => {
      // The anti-pattern check of STANDARDS §8c (hono's timeout races and never aborts).
      const upstreamClosed = control();
      const upstream = await listen((req) => {
        upstreamClosed.entered.resolve();
        req.once('close', () => upstreamClosed.finished.resolve());
      });
      try {
        const callUpstream: Middleware = function callUpstream(ctx) {
          return new Promise<void>((resolve, reject) => {
            const call = get(upstream.url, { signal: ctx.signal }, () => {
              ctx.json(200, { upstream: 'answered' });
              resolve();
            });
            call.once('error', reject);
          });
        };
        const url = await start({ chain: [timeout({ timeoutMs: 2_000, registry }), callUpstream], routes: {} }, stack);
        const pending = request(`${url}/anything`);
        await upstreamClosed.entered.promise;
        await vi.advanceTimersByTimeAsync(2_000);
        expect((await pending).status).toBe(503);
        // Resolves only if the upstream connection really closes.
        await upstreamClosed.finished.promise;
        expect(unhandled).toEqual([]);
      } finally {
        await upstream.close();
      }
    });

    it('per route: a route-level timeout (engine route middleware, Express app.get(path, ward(…)), a Fastify plugin) governs its routes', async () => {
      const gate = control();
      const url = await start(
        {
          routeChain: [timeout({ timeoutMs: 300, status: 504, registry })],
          routes: {
            '/route': async (io) => {
              gate.entered.resolve();
              await gate.gate.promise;
              io.json(200, {});
            },
            '/quick': (io) => io.json(200, { quick: true }),
          },
        },
        stack,
      );
      const quick = await request(`${url}/quick`);
      expect([quick.status, quick.text]).toEqual([200, '{"quick":true}']);
      const pending = request(`${url}/route`);
      await gate.entered.promise;
      await vi.advanceTimersByTimeAsync(300);
      const res = await pending;
      expect([res.status, res.text]).toEqual([504, timeoutProblem(504)]);
      await until(() => vi.getTimerCount() === 0, 'no timer left');
      gate.gate.resolve();
      expect(await expired(registry)).toEqual({ 'committed=false': 1 });
    });

    it('per route: inside an app-wide timeout, a tighter route timeout answers with its own settings', async () => {
      const gate = control();
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 5_000, registry })],
          routeChain: [timeout({ timeoutMs: 300, status: 504, retryAfterSec: 1, registry })],
          routes: {
            '/route': async (io) => {
              gate.entered.resolve();
              await gate.gate.promise;
              io.json(200, {});
            },
          },
        },
        stack,
      );
      const pending = request(`${url}/route`);
      await gate.entered.promise;
      expect(vi.getTimerCount()).toBe(2);
      await vi.advanceTimersByTimeAsync(300);
      const res = await answered(pending);
      expect([res.status, res.text, res.headers['retry-after']]).toEqual([504, timeoutProblem(504), '1']);
      await until(() => vi.getTimerCount() === 0, 'both timers are cleared');
      gate.gate.resolve();
      expect(await expired(registry)).toEqual({ 'committed=false': 1 });
    });

    it('per route: an app-wide deadline tighter than the route’s answers first, and the route’s timer does not outlive the request', async () => {
      const gate = control();
      const url = await start(
        {
          chain: [timeout({ timeoutMs: 300, registry })],
          routeChain: [timeout({ timeoutMs: 5_000, status: 504, registry })],
          routes: {
            '/route': async (io) => {
              gate.entered.resolve();
              await gate.gate.promise;
              io.json(200, {});
            },
          },
        },
        stack,
      );
      const pending = request(`${url}/route`);
      await gate.entered.promise;
      await vi.advanceTimersByTimeAsync(300);
      const res = await answered(pending);
      expect([res.status, res.text]).toEqual([503, timeoutProblem(503)]);
      await until(() => vi.getTimerCount() === 0, 'no timer outlives the request');
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await expired(registry)).toEqual({ 'committed=false': 1 });
      gate.gate.resolve();
    });

    it('a deadline set upstream (a caller’s budget) shortens the timeout; one already passed answers without running the handler', async () => {
      let ran = 0;
      const budget: Middleware = async function budget(ctx, next) {
        const left = Number(ctx.req.header('x-test-budget-ms'));
        ctx.state.deadline = Date.now() + left;
        await next();
      };
      const gate = control();
      const url = await start(
        {
          chain: [budget, timeout({ timeoutMs: 10_000, registry })],
          routes: {
            '/work': async (io) => {
              ran += 1;
              gate.entered.resolve();
              await gate.gate.promise;
              io.json(200, {});
            },
          },
        },
        stack,
      );
      const pending = request(`${url}/work`, { headers: { 'x-test-budget-ms': '200' } });
      await gate.entered.promise;
      await vi.advanceTimersByTimeAsync(200);
      expect((await pending).status).toBe(503);

      const gone = await request(`${url}/work`, { headers: { 'x-test-budget-ms': '-1' } });
      expect([gone.status, gone.text]).toEqual([503, timeoutProblem(503)]);
      expect(ran, 'the handler ran for the first request only').toBe(1);
      expect(await expired(registry)).toEqual({ 'committed=false': 2 });
      gate.gate.resolve();
    });

    describe('security: handlers that misbehave after the deadline', () => {
      it.each([
        ['an Error', new Error('late failure')],
        ['null', null],
        ['a string', 'late string'],
        ['an HttpError', new HttpError(418)],
      ])('a handler throwing %s after the deadline: one 503, no unhandled rejection, the server keeps serving', async (_label, thrown) => {
        const gate = control();
        const url = await start(
          {
            chain: [timeout({ timeoutMs: 100, registry })],
            routes: {
              '/late-throw': async () => {
                gate.entered.resolve();
                await gate.gate.promise;
                gate.finished.resolve();
                throw thrown;
              },
              '/fast': (io) => io.json(200, { ok: true }),
            },
          },
          stack,
        );
        const pending = request(`${url}/late-throw`);
        await gate.entered.promise;
        await vi.advanceTimersByTimeAsync(100);
        expect((await pending).text).toBe(timeoutProblem(503));
        gate.gate.resolve();
        await gate.finished.promise;
        const after = await request(`${url}/fast`);
        expect([after.status, after.text]).toEqual([200, '{"ok":true}']);
        expect(unhandled).toEqual([]);
        expect(vi.getTimerCount()).toBe(0);
      });

      it('headers describing the handler’s body (Content-Encoding, ETag, Location…) never reach the 503; other headers stay', async () => {
        const gate = control();
        const url = await start(
          {
            chain: [timeout({ timeoutMs: 100, registry })],
            routes: {
              '/partial': async (io) => {
                io.setHeader('content-encoding', 'gzip');
                io.setHeader('content-language', 'fr');
                io.setHeader('content-disposition', 'attachment; filename="x.zip"');
                io.setHeader('content-range', 'bytes 0-9/100');
                io.setHeader('content-location', '/elsewhere');
                io.setHeader('etag', '"abc"');
                io.setHeader('last-modified', 'Tue, 01 Jan 2030 00:00:00 GMT');
                io.setHeader('location', 'https://evil.example/');
                io.setHeader('x-custom', 'kept');
                gate.entered.resolve();
                await gate.gate.promise;
              },
            },
          },
          stack,
        );
        const pending = request(`${url}/partial`);
        await gate.entered.promise;
        await vi.advanceTimersByTimeAsync(100);
        const res = await pending;
        expect(res.status).toBe(503);
        expect(res.text).toBe(timeoutProblem(503));
        for (const name of ['content-encoding', 'content-language', 'content-disposition', 'content-range', 'content-location', 'etag', 'last-modified', 'location']) {
          expect(res.headers[name], name).toBeUndefined();
        }
        expect(res.headers['x-custom']).toBe('kept');
        gate.gate.resolve();
      });
    });
  });
}

describe('engine: handlers see ctx.signal', () => {
  it('a handler waiting on ctx.signal is aborted with TimeoutError only after the 503 is on the wire', async () => {
    const { Engine } = await import('@ward/engine');
    const engine = new Engine();
    engine.use(timeout({ timeoutMs: 100, registry }));
    const order: string[] = [];
    engine.get('/wait', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      order.push(`aborted: ${(ctx.signal.reason as Error).name}`);
      // Reacting to the abort by answering: too late, dropped.
      ctx.json(500, { handler: 'reacted' });
    });
    const server = await listen(engine.handler);
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
      const pending = request(`${server.url}/wait`).then((res) => {
        order.push(`client got ${res.status}`);
        return res;
      });
      await until(() => vi.getTimerCount() === 1, 'the request is in');
      await vi.advanceTimersByTimeAsync(100);
      const res = await pending;
      await until(() => order.length === 2, 'the handler saw the abort');
      expect(res.text).toBe(timeoutProblem(503));
      expect(order).toContain('aborted: TimeoutError');
    } finally {
      await server.close();
    }
  });
});

describe('engine: a failing problem formatter', () => {
  it('is handed to the adapter’s error handling instead of crashing the timer callback', async () => {
    const { Engine } = await import('@ward/engine');
    const reported: unknown[] = [];
    let calls = 0;
    const engine = new Engine({
      onError: (error) => reported.push(error),
      problemFormatter: (error) => {
        calls += 1;
        if (calls === 1) throw new Error('formatter broke');
        return { code: error.code };
      },
    });
    engine.use(timeout({ timeoutMs: 100, registry }));
    const gate = control();
    engine.get('/slow', async () => {
      gate.entered.resolve();
      await gate.gate.promise;
    });
    const server = await listen(engine.handler);
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
      const pending = request(`${server.url}/slow`);
      await gate.entered.promise;
      await vi.advanceTimersByTimeAsync(100);
      const res = await pending;
      expect([res.status, res.text]).toEqual([500, '{"code":"INTERNAL_ERROR"}']);
      expect(reported).toEqual([expect.objectContaining({ message: 'formatter broke' })]);
      expect(unhandled).toEqual([]);
      gate.gate.resolve();
    } finally {
      await server.close();
    }
  });
});
