/**
 * getRequestId() / getRequestContext() through real HTTP on every stack:
 * the framework's own route handler sees the id directly, after awaits, in
 * timers, after its body parser read a body that arrived late, in a timer
 * that fires after the answer; concurrent requests never see each other's
 * ids; code outside the request sees undefined.
 */
import { request as httpRequest } from 'node:http';
import { request } from '@ward/core/testing';
import { getRequestContext, getRequestId, propagationHeaders, requestId } from '@ward/request-id';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, Hooks, STACKS, type Seen, signalEntered } from './stacks.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

const apps: App[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
});

function sequence(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

/** POSTs JSON whose body is written only once `ready` resolves (the chain is already running). */
function postLate(url: string, body: string, ready: Promise<void>): Promise<{ status: number; header: string | undefined; json: Seen }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/id`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          header: res.headers['x-request-id'] as string | undefined,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen,
        }),
      );
    });
    req.on('error', reject);
    req.flushHeaders();
    // The body leaves from the test's own context, after the server-side chain has started.
    void ready.then(() => {
      req.write(body.slice(0, 5));
      setImmediate(() => req.end(body.slice(5)));
    });
  });
}

describe.each(STACKS)('getRequestId() on $name', (stack) => {
  it('works in the route handler directly, after an await and in a timer; the trace is there too', async () => {
    const hooks = new Hooks();
    const app = await stack.start([requestId({ generator: sequence('gen'), registry: new Registry() })], hooks);
    apps.push(app);

    const fresh = await request(`${app.url}/id`);
    expect(fresh.status).toBe(200);
    expect(fresh.headers['x-request-id']).toBe('gen-1');
    const seen = fresh.json<Seen>();
    expect(seen).toEqual({ direct: 'gen-1', afterAwait: 'gen-1', inTimer: 'gen-1', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });

    const reused = await request(`${app.url}/id`, { headers: { 'x-request-id': 'client-7', traceparent: TRACEPARENT } });
    expect(reused.headers['x-request-id']).toBe('client-7');
    expect(reused.json<Seen>()).toEqual({ direct: 'client-7', afterAwait: 'client-7', inTimer: 'client-7', traceId: TRACE_ID });
  });

  it("works after the framework's body parser read a body that arrived after the chain started", async () => {
    const hooks = new Hooks();
    const app = await stack.start([requestId({ generator: sequence('post'), registry: new Registry() }), signalEntered(hooks)], hooks);
    apps.push(app);

    const res = await postLate(app.url, '{"item":"late body"}', hooks.entered.promise);
    expect(res.status).toBe(200);
    expect(res.header).toBe('post-1');
    expect(res.json).toEqual({ direct: 'post-1', afterAwait: 'post-1', inTimer: 'post-1', traceId: expect.any(String), body: { item: 'late body' } });
  });

  it("keeps concurrent requests apart: each handler sees its own id, whatever order they finish in", async () => {
    const hooks = new Hooks();
    const app = await stack.start([requestId({ registry: new Registry() })], hooks);
    apps.push(app);

    const ids = Array.from({ length: 12 }, (_, i) => `concurrent-${i}`);
    const pending = ids.map((id) => request(`${app.url}/gate/${id}`, { headers: { 'x-request-id': id } }));
    // Release in reverse order, so no handler resumes in its arrival order.
    for (const id of [...ids].reverse()) hooks.gate(id).resolve();
    const replies = await Promise.all(pending);
    expect(replies.map((r) => r.headers['x-request-id'])).toEqual(ids);
    expect(replies.map((r) => r.json<Seen>().inTimer)).toEqual(ids);
    expect(replies.map((r) => r.json<Seen>().afterAwait)).toEqual(ids);
  });

  it('still holds in a timer started inside the request that fires after the answer; undefined before the chain and outside', async () => {
    const hooks = new Hooks();
    const app = await stack.start([requestId({ generator: sequence('late'), registry: new Registry() })], hooks);
    apps.push(app);

    const res = await request(`${app.url}/late`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('answered');
    expect(await hooks.late.promise).toBe('late-1');
    // Code that runs before the ward chain (an Express middleware, a Fastify hook) is outside the request's scope.
    expect(hooks.before).toEqual(stack.preChain ? [null] : []);
    expect(getRequestId()).toBeUndefined();
    expect(getRequestContext()).toBeUndefined();
    expect(propagationHeaders()).toEqual({});
  });

  it('asyncContext: false leaves the id in ctx.state and the header, but not in the storage', async () => {
    const hooks = new Hooks();
    const app = await stack.start([requestId({ generator: sequence('plain'), asyncContext: false, registry: new Registry() })], hooks);
    apps.push(app);

    const res = await request(`${app.url}/id`);
    expect(res.headers['x-request-id']).toBe('plain-1');
    expect(res.json<Seen>()).toEqual({ direct: null, afterAwait: null, inTimer: null, traceId: null });
  });
});
