/**
 * The one timer a `timeout()` shares between its requests runs outside any
 * request's AsyncLocalStorage context: request A arms it, finishes, and B
 * times out — B's answer is never built in A's context (A's request id, A's
 * trace in B's body), on every framework. Ordered by events, no sleeps.
 */
import { type Context, formatProblem, type HttpError, type Middleware, type ProblemOptions } from '@ward/core';
import { type Deferred, deferred, listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { ward } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import { getRequestId, requestId } from '@ward/request-id';
import { timeout } from '@ward/timeout';
import express from 'express';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

interface Setup {
  /** Every id the problem formatter saw through getRequestId(), with the request's own. */
  seen: { own: unknown; fromStorage: string | undefined }[];
  problemFormatter: (error: HttpError, ctx: Context, options: ProblemOptions) => unknown;
  chain: Middleware[];
  /** A is in (it armed the timer). */
  aArrived: Deferred<void>;
  /** Resolves A's hold once B is in. */
  bArrived: Deferred<void>;
}

function setup(): Setup {
  const seen: Setup['seen'] = [];
  const aArrived = deferred<void>();
  const bArrived = deferred<void>();
  return {
    seen,
    aArrived,
    bArrived,
    problemFormatter: (error, ctx, options) => {
      seen.push({ own: ctx.state.requestId, fromStorage: getRequestId() });
      return formatProblem(error, ctx, options);
    },
    chain: [
      requestId({ registry: new Registry() }),
      timeout({ timeoutMs: 300, registry: new Registry() }),
      async function order(ctx, next) {
        // A holds until B has arrived (B joins the queue A's request armed), then answers at once; B never answers.
        if (ctx.state.requestId === 'A') {
          aArrived.resolve();
          await bArrived.promise;
        }
        if (ctx.state.requestId === 'B') {
          bArrived.resolve();
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          return;
        }
        await next();
      },
    ],
  };
}

const STACKS: [string, (s: Setup) => Promise<{ url: string; close(): Promise<void> }>][] = [
  [
    'engine',
    async (s) => {
      const engine = new Engine({ problemFormatter: s.problemFormatter });
      engine.use(...s.chain);
      engine.get('/x', (ctx) => ctx.json(200, { ok: true }));
      return listen(engine.handler);
    },
  ],
  [
    'express',
    async (s) => {
      const app = express();
      app.use(ward(s.chain, { problemFormatter: s.problemFormatter }));
      app.get('/x', (_req, res) => res.json({ ok: true }));
      return listen(app);
    },
  ],
  [
    'fastify',
    async (s) => {
      const app = Fastify();
      await app.register(wardFastify(s.chain, { problemFormatter: s.problemFormatter }));
      app.get('/x', async () => ({ ok: true }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address() as { port: number };
      return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
    },
  ],
];

describe.each(STACKS)('timeout on %s: the shared timer carries no request context', (_name, start) => {
  it("B's 503 is built in no other request's context (never A's id)", async () => {
    const s = setup();
    const app = await start(s);
    try {
      const a = request(`${app.url}/x`, { headers: { 'x-request-id': 'A' } });
      // A is in (it armed the timer) before B comes.
      await s.aArrived.promise;
      const b = request(`${app.url}/x`, { headers: { 'x-request-id': 'B' } });
      expect((await a).status).toBe(200);
      const answered = await b;
      expect(answered.status).toBe(503);
      expect(answered.json()).toMatchObject({ code: 'TIMEOUT', request_id: 'B' });
      expect(s.seen).toHaveLength(1);
      expect(s.seen[0]!.own).toBe('B');
      expect(s.seen[0]!.fromStorage).not.toBe('A');
    } finally {
      await app.close();
    }
  });
});
