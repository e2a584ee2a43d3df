/**
 * resilientFetch() against a real local upstream over real sockets: what
 * is retried (503, 429 with Retry-After, resets, a try's timeout) and what
 * is not (500, 4xx, POST without an Idempotency-Key), the breaker per
 * origin opening and refusing without a request, timeouts per try and
 * overall, the caller's abort tearing the upstream connection down, the
 * request id sent on, and a flaky upstream failing half its requests then
 * recovering. Backoffs are a millisecond or two: real time, no sleeps.
 */
import { isBrokenCircuitError, createBreakerRegistry, CircuitBreaker, resilientFetch } from '@ward/circuit-breaker';
import { type TestServer, deferred, listen } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { requestId } from '@ward/request-id';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { getEventListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

type Behaviour = 'ok' | '500' | '503' | '404' | 'retry-after' | 'hang' | 'reset';

/** An upstream answering from a script of behaviours (then 'ok'), recording every request. */
async function upstream(script: Behaviour[] = []) {
  const seen: { method: string; headers: IncomingMessage['headers']; closedEarly?: boolean }[] = [];
  const closed = deferred<void>();
  const requested = deferred<void>();
  const server = await listen((req: IncomingMessage, res: ServerResponse) => {
    const entry = { method: req.method!, headers: req.headers, closedEarly: false };
    seen.push(entry);
    requested.resolve();
    const behaviour = script.shift() ?? 'ok';
    res.on('close', () => {
      if (!res.writableFinished) {
        entry.closedEarly = true;
        closed.resolve();
      }
    });
    req.resume();
    if (behaviour === 'hang') return;
    if (behaviour === 'reset') return req.socket.destroy();
    if (behaviour === 'retry-after') {
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
      return res.end('busy');
    }
    const status = behaviour === 'ok' ? 200 : Number(behaviour);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status, n: seen.length }));
  });
  servers.push(server);
  return { ...server, seen, closed: closed.promise, requested: requested.promise };
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A client with tiny backoffs and its own metrics. */
function client(options: Parameters<typeof resilientFetch>[0] = {}) {
  return resilientFetch({ registry: new Registry(), retry: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 2, jitter: 'full' } }, ...options });
}

describe("the caller's signals", () => {
  it("a caller's own timeout (an abort whose reason is a TimeoutError) is the caller's: never counted against the upstream", async () => {
    const breaker = new CircuitBreaker({ name: 'up', registry: false, windowSize: 3, minimumCalls: 3 });
    for (let i = 0; i < 3; i++) {
      const up = await upstream(['hang']);
      const caller = new AbortController();
      const call = client({ breaker, timeoutMs: 5_000 })(`${up.url}/slow`, { signal: caller.signal });
      await up.requested;
      caller.abort(new DOMException('the caller ran out of time', 'TimeoutError'));
      await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
    }
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('after the head, the body streams under the caller’s signal: an abort cuts it and closes the socket', async () => {
    const closed = deferred<void>();
    const firstChunk = deferred<void>();
    const server = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ', () => firstChunk.resolve());
      res.on('close', () => closed.resolve());
    });
    servers.push(server);
    const caller = new AbortController();
    const res = await client()(`${server.url}/stream`, { signal: caller.signal });
    await firstChunk.promise;
    const body = res.text();
    caller.abort(new Error('the client left'));
    await expect(body).rejects.toThrow('the client left');
    await closed.promise;
  });

  it('a call whose ctx.signal already aborted leaves no listener on a long-lived signal', async () => {
    const app = new AbortController();
    const gone = new AbortController();
    gone.abort(new Error('client left'));
    const fetcher = client();
    for (let i = 0; i < 20; i++) {
      await expect(fetcher('http://127.0.0.1:9/', { signal: app.signal, ctx: { signal: gone.signal, state: {} } as never })).rejects.toThrow('client left');
    }
    expect(getEventListeners(app.signal, 'abort')).toHaveLength(0);
  });
});

describe('hosts that are no valid breaker name', () => {
  it('an IPv6 literal host gets its own breaker (named by a hash), not a TypeError on every call', async () => {
    const server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const breakers = createBreakerRegistry();
      const res = await client({ breaker: breakers })(`http://[::1]:${port}/`);
      expect([res.status, await res.text()]).toEqual([200, 'hello']);
      expect(breakers.snapshot().map((breaker) => breaker.name)).toEqual([expect.stringMatching(/^fetch:@[A-Za-z0-9_-]{22}$/)]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('what is retried', () => {
  it('503 and a reset connection are retried; the third try answers', async () => {
    const up = await upstream(['503', 'reset']);
    const res = await client()(`${up.url}/rates`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 200, n: 3 });
    expect(up.seen).toHaveLength(3);
  });

  it('a plain 500 and a 404 are answered as they are, after one try', async () => {
    const up = await upstream(['500', '404']);
    const fetch = client();
    expect((await fetch(up.url)).status).toBe(500);
    expect((await fetch(up.url)).status).toBe(404);
    expect(up.seen).toHaveLength(2);
  });

  it('always 503: exactly maxAttempts tries, then the last response (body readable) is the answer', async () => {
    const up = await upstream(['503', '503', '503', '503']);
    const res = await client()(up.url);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 503, n: 3 });
    expect(up.seen).toHaveLength(3);
  });

  it('Retry-After is honoured: the wait before the retry is its second, not the 1–2 ms backoff', async () => {
    const up = await upstream(['retry-after']);
    const waits: number[] = [];
    const res = await client({ retry: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 2 }, onRetry: (e) => waits.push(e.delayMs) } })(up.url);
    expect(res.status).toBe(200);
    expect(waits).toEqual([1_000]);
    expect(up.seen).toHaveLength(2);
  });

  it('a Retry-After beyond the overall limit ends at once with that answer, so the caller sees it', async () => {
    const up = await upstream(['retry-after']);
    const res = await client({ totalTimeoutMs: 500 })(up.url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(up.seen).toHaveLength(1);
  });

  it('a Retry-After beyond the request’s deadline (ctx.state.deadline) ends at once with that answer too', async () => {
    const up = await upstream(['retry-after']);
    const ctx = { signal: new AbortController().signal, state: { deadline: Date.now() + 500 } };
    const res = await client({ totalTimeoutMs: 30_000 })(up.url, { ctx: ctx as never });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(up.seen).toHaveLength(1);
  });

  it('POST is not retried; with an Idempotency-Key it is, and the key is sent on every try', async () => {
    const up = await upstream(['503', '503']);
    const fetch = client();
    expect((await fetch(up.url, { method: 'POST', body: '{}' })).status).toBe(503);
    expect(up.seen).toHaveLength(1);
    const res = await fetch(up.url, { method: 'POST', body: '{}', headers: { 'idempotency-key': 'k-1' } });
    expect(res.status).toBe(200);
    expect(up.seen.slice(1).map((r) => r.headers['idempotency-key'])).toEqual(['k-1', 'k-1']);
  });

  it('a POST to a closed port is retried (nothing was sent) and fails with the connection error', async () => {
    const gone = await upstream();
    const url = gone.url;
    await gone.close();
    const tries: number[] = [];
    const fetch = client({ retry: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 1 }, onRetry: (e) => tries.push(e.attempt) }, breaker: false });
    const error = await fetch(url, { method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(tries).toEqual([1, 2]);
  });

  it('a streamed body is refused before anything is sent (it could not be sent again)', async () => {
    const up = await upstream();
    const body = new ReadableStream({ start: (c) => c.close() });
    await expect(client()(up.url, { method: 'PUT', body, duplex: 'half' } as RequestInit)).rejects.toThrow(/streamed body/);
    expect(up.seen).toHaveLength(0);
  });
});

describe('timeouts and cancellation', () => {
  it('a try that gets no response head in timeoutMs is aborted (the upstream sees the close) and retried', async () => {
    const up = await upstream(['hang']);
    const res = await client({ timeoutMs: 100 })(up.url);
    expect(res.status).toBe(200);
    expect(up.seen[0]!.closedEarly).toBe(true);
    expect(up.seen).toHaveLength(2);
  });

  it('the overall limit covers every try: a hanging upstream, 1 s in all, 400 ms per try → at most 3 tries, then the overall TimeoutError', async () => {
    const up = await upstream(['hang', 'hang', 'hang', 'hang']);
    const error = await client({ timeoutMs: 400, totalTimeoutMs: 1_000, retry: { maxAttempts: 5, backoff: { baseMs: 1, maxMs: 1 } } })(up.url).catch((e: unknown) => e);
    // The overall limit's own error (not a try's), after at most three tries of five allowed.
    expect(error).toMatchObject({ name: 'TimeoutError', message: expect.stringMatching(/within 1000 ms in all/) });
    expect(up.seen.length).toBeLessThanOrEqual(3);
  });

  it('the caller’s abort tears the upstream connection down and is never retried', async () => {
    const up = await upstream(['hang', 'hang']);
    const controller = new AbortController();
    const call = client()(up.url, { signal: controller.signal }).catch((e: unknown) => e);
    await up.requested;
    controller.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    await up.closed;
    expect(up.seen).toHaveLength(1);
  });

  it('inside a request: ctx.signal, the deadline and the request id go along', async () => {
    const up = await upstream(['hang']);
    const fetch = client({ timeoutMs: 5_000 });
    const engine = new Engine();
    engine.use(requestId());
    engine.get('/proxy', async (ctx) => {
      // @ward/timeout would set this: 300 ms left.
      const state = ctx.state as { deadline?: number };
      state.deadline = Date.now() + 300;
      const first = await fetch(up.url, { ctx }).then(
        () => 'answered',
        (e: Error) => e.name,
      );
      delete state.deadline;
      const res = await fetch(up.url, { ctx });
      ctx.json(200, { first, second: res.status });
    });
    const app = await listen(engine.handler);
    servers.push(app);
    const res = await fetch(`${app.url}/proxy`, { headers: { 'x-request-id': 'req-42' } });
    expect(await res.json()).toEqual({ first: 'TimeoutError', second: 200 });
    expect(up.seen.map((r) => r.headers['x-request-id'])).toEqual(['req-42', 'req-42']);
    expect(up.seen[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('every try carries the same trace id with a new parent id, and the same Idempotency-Key', async () => {
    const up = await upstream(['503', '503']);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await client()(up.url, { method: 'POST', headers: { traceparent, 'idempotency-key': 'pay-7' } });
    expect(res.status).toBe(200);
    const seen = up.seen.map((r) => String(r.headers.traceparent).split('-'));
    expect(seen.map((p) => p[1])).toEqual(Array(3).fill('0af7651916cd43dd8448eb211c80319c'));
    expect(new Set(seen.map((p) => p[2])).size).toBe(3);
    expect(seen.map((p) => p[2])).not.toContain('b7ad6b7169203331');
    expect(seen.map((p) => p[3])).toEqual(['01', '01', '01']);
    expect(up.seen.map((r) => r.headers['idempotency-key'])).toEqual(['pay-7', 'pay-7', 'pay-7']);
  });
});

describe('the breaker per origin', () => {
  it('5xx tries open the upstream’s breaker; then calls are refused without a request; another origin is unaffected', async () => {
    const bad = await upstream(Array(10).fill('500'));
    const good = await upstream();
    const breakers = createBreakerRegistry({ defaults: { windowSize: 4, minimumCalls: 4, openDurationMs: 60_000, registry: false } });
    const fetch = client({ breaker: breakers, retry: false });
    for (let i = 0; i < 4; i++) expect((await fetch(bad.url)).status).toBe(500);
    const error = await fetch(`${bad.url}/again`).catch((e: unknown) => e);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(bad.seen).toHaveLength(4);
    expect((await fetch(good.url)).status).toBe(200);
    const host = new URL(bad.url).host;
    expect(breakers.snapshot().find((s) => s.name === `fetch:${host}`)).toMatchObject({ state: 'open', failureRate: 100 });
  });

  it('a refusal is not retried, and 429s neither trip nor heal the breaker', async () => {
    const up = await upstream(['503', '503', '503', '503']);
    const breaker = new CircuitBreaker({ name: 'one', windowSize: 2, minimumCalls: 2, registry: false });
    const fetch = client({ breaker, retry: { maxAttempts: 5, backoff: { baseMs: 1, maxMs: 1 } } });
    const error = await fetch(up.url).catch((e: unknown) => e);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(up.seen).toHaveLength(2); // two failed tries opened it; the third was refused, not sent
    const limited = new CircuitBreaker({ name: 'limited', windowSize: 2, minimumCalls: 2, registry: false });
    const throttling = await listen((_req, res) => {
      res.writeHead(429, { 'retry-after': '0' });
      res.end();
    });
    servers.push(throttling);
    const once = client({ breaker: limited, retry: false });
    for (let i = 0; i < 3; i++) expect((await once(throttling.url)).status).toBe(429);
    expect(limited.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('a flaky upstream (every other request fails) then recovering: callers get answers, the breaker closes again', async () => {
    let n = 0;
    let healthy = false;
    const flaky = await listen((_req, res) => {
      n += 1;
      res.writeHead(healthy || n % 2 === 0 ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(String(n));
    });
    servers.push(flaky);
    const breakers = createBreakerRegistry({ defaults: { windowSize: 10, minimumCalls: 10, failureRateThreshold: 60, openDurationMs: 50, halfOpenCalls: 2, registry: false } });
    const fetch = client({ breaker: breakers });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await fetch(flaky.url)).status);
    // Half the tries fail, each is retried: every caller is answered, the circuit never opens at 50 %.
    expect(statuses).toEqual(Array(20).fill(200));
    expect(n).toBe(40);
    const host = new URL(flaky.url).host;
    expect(breakers.find(`fetch:${host}`)!.snapshot()).toMatchObject({ state: 'closed', failureRate: 50 });
    healthy = true;
    for (let i = 0; i < 10; i++) expect((await fetch(flaky.url)).status).toBe(200);
    expect(breakers.find(`fetch:${host}`)!.snapshot()).toMatchObject({ state: 'closed', failureRate: 0 });
  });

  it('metrics: retries and give-ups by reason', async () => {
    const up = await upstream(['503', '503', '503', '500']);
    const registry = new Registry();
    const fetch = resilientFetch({ name: 'pricing', registry, breaker: false, retry: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 1 } } });
    await fetch(up.url);
    await fetch(up.url);
    const text = await registry.metrics();
    expect(text).toContain('ward_fetch_retries_total{client="pricing"} 2');
    expect(text).toContain('ward_fetch_give_ups_total{client="pricing",reason="attempts"} 1');
    expect(text).toContain('ward_fetch_give_ups_total{client="pricing",reason="not-retryable"} 1');
  });
});

describe('configuration', () => {
  it.each<[string, Record<string, unknown>]>([
    ['unknown option', { retries: 3 }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['a bad breaker', { breaker: 'yes' }],
    ['bad retry options', { retry: { maxAttempts: 0 } }],
    ['a bad name', { name: 'a b' }],
  ])('refuses %s when built', (_label, options) => {
    expect(() => resilientFetch(options as Parameters<typeof resilientFetch>[0])).toThrow();
  });
});
