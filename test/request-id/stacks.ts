/**
 * One small app per stack (engine, Express 5, Express 4, Fastify 5,
 * node:http), each with the same native routes, for the tests that check
 * what framework handlers see: `getRequestId()` in the route handler after
 * awaits, in timers, after the body was parsed, and outside the request.
 */
import { type RequestListener, type Server, createServer } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { type Middleware } from '@ward/core';
import { type Deferred, deferred, listen } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { ward as wardExpress } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import { wardListener } from '@ward/node';
import { getRequestContext, getRequestId } from '@ward/request-id';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';

/** What a route handler saw. */
export interface Seen {
  direct: string | null;
  afterAwait: string | null;
  inTimer: string | null;
  /** The trace id through getRequestContext(). */
  traceId: string | null;
  body?: unknown;
}

/** Reads the request id the way application code would: directly, after an await, in a timer. */
export async function observe(): Promise<Seen> {
  const direct = getRequestId() ?? null;
  await tick();
  const afterAwait = getRequestId() ?? null;
  const inTimer = await new Promise<string | null>((resolve) => setTimeout(() => resolve(getRequestId() ?? null), 0));
  return { direct, afterAwait, inTimer, traceId: getRequestContext()?.traceId ?? null };
}

/** Meeting points between a test and the handlers of one app. */
export class Hooks {
  /** Resolved by the `/entered` middleware path: the chain runs, the body may not have arrived. */
  entered: Deferred<void> = deferred<void>();
  /** `/gate/:id` handlers wait on `gates.get(id)`. */
  readonly gates = new Map<string, Deferred<void>>();
  /** `/late` resolves this from a timer started inside the request, after answering. */
  late: Deferred<string | null> = deferred<string | null>();
  /** What code before the ward chain saw. */
  before: (string | null)[] = [];

  gate(id: string): Deferred<void> {
    let gate = this.gates.get(id);
    if (gate === undefined) {
      gate = deferred<void>();
      this.gates.set(id, gate);
    }
    return gate;
  }
}

/** Calls `hooks.entered` from inside the ward chain, so a test can send the body only then. */
export function signalEntered(hooks: Hooks): Middleware {
  return async function signalEntered(_ctx, next) {
    hooks.entered.resolve();
    await next();
  };
}

export interface App {
  url: string;
  close(): Promise<void>;
}

export interface Stack {
  name: string;
  /** The framework runs code of its own before the ward chain (an Express middleware, a Fastify hook), recording into `hooks.before`. */
  preChain: boolean;
  /** Starts an app running `chain` with the standard routes; `serve` wraps a listener in a custom server. */
  start(chain: Middleware[], hooks: Hooks, serve?: (listener: RequestListener) => Server): Promise<App>;
}

const defaultServe = (listener: RequestListener): Server => createServer(listener);

async function gated(hooks: Hooks, id: string): Promise<Seen> {
  await hooks.gate(id).promise;
  return observe();
}

function lateTimer(hooks: Hooks): void {
  setTimeout(() => hooks.late.resolve(getRequestId() ?? null), 0);
}

export const engineStack: Stack = {
  name: 'engine',
  preChain: false,
  async start(chain, hooks, serve = defaultServe) {
    const engine = new Engine({ onError: () => {} });
    engine.use(...chain);
    engine.get('/id', async (ctx) => ctx.json(200, await observe()));
    engine.post('/id', async (ctx) => {
      const body = await ctx.req.body();
      ctx.json(200, { ...(await observe()), body });
    });
    engine.get('/gate/:id', async (ctx) => ctx.json(200, await gated(hooks, ctx.param('id'))));
    engine.get('/late', (ctx) => {
      lateTimer(hooks);
      ctx.text(200, 'answered');
    });
    const server = await listen(serve(engine.handler));
    return server;
  },
};

function expressStack(name: string, express: typeof express5): Stack {
  return {
    name,
    preChain: true,
    async start(chain, hooks, serve = defaultServe) {
      const app = express();
      app.use((_req, _res, next) => {
        hooks.before.push(getRequestId() ?? null);
        next();
      });
      app.use(wardExpress(chain));
      app.get('/id', async (_req, res) => {
        res.json(await observe());
      });
      app.post('/id', express.json(), async (req, res) => {
        res.json({ ...(await observe()), body: req.body as unknown });
      });
      app.get('/gate/:id', async (req, res) => {
        res.json(await gated(hooks, req.params['id']!));
      });
      app.get('/late', (_req, res) => {
        lateTimer(hooks);
        res.type('text').send('answered');
      });
      return listen(serve(app));
    },
  };
}

export const fastifyStack: Stack = {
  name: 'fastify',
  preChain: true,
  async start(chain, hooks, serve) {
    const app = Fastify(
      serve === undefined
        ? {}
        : {
            serverFactory: (handler) => serve(handler as RequestListener),
          },
    );
    app.addHook('onRequest', (_request, _reply, done) => {
      hooks.before.push(getRequestId() ?? null);
      done();
    });
    await app.register(wardFastify(chain));
    app.get('/id', async () => observe());
    app.post('/id', async (request) => ({ ...(await observe()), body: request.body }));
    app.get('/gate/:id', async (request) => gated(hooks, (request.params as { id: string }).id));
    app.get('/late', async (_request, reply) => {
      lateTimer(hooks);
      return reply.type('text/plain').send('answered');
    });
    await app.ready();
    const server = await listen(app.server);
    return {
      url: server.url,
      async close() {
        await server.close();
        await app.close();
      },
    };
  },
};

export const nodeStack: Stack = {
  name: 'node',
  preChain: false,
  async start(chain, hooks, serve = defaultServe) {
    const listener = wardListener(chain, async (req, res) => {
      const url = req.url ?? '/';
      let payload: unknown;
      if (url === '/late') {
        lateTimer(hooks);
        res.setHeader('content-type', 'text/plain');
        res.end('answered');
        return;
      }
      if (url.startsWith('/gate/')) payload = await gated(hooks, url.slice('/gate/'.length));
      else if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        payload = { ...(await observe()), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
      } else payload = await observe();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(payload));
    });
    return listen(serve(listener));
  },
};

export const STACKS: readonly Stack[] = [engineStack, expressStack('express 5', express5), expressStack('express 4', express4), fastifyStack, nodeStack];
