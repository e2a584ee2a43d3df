/**
 * One app per stack — the ward engine, Express 5, Express 4, Fastify 5 —
 * built from the same description: an app-wide ward chain, an optional
 * route-level chain, and routes whose handlers are written once as a
 * script over a tiny I/O surface and run with each framework's own API
 * (`ctx.json`, `res.status().json()`, `reply.code().send()`).
 */
import { Readable } from 'node:stream';
import type { Middleware } from '@ward/core';
import { listen } from '@ward/core/testing';
import { Engine, type EngineContext } from '@ward/engine';
import { ward } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import express5, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import express4 from 'express4';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** What a handler script can do, on every stack. */
export interface HandlerIO {
  /** Which stack runs it. */
  readonly stack: StackName;
  /** A request header (case-insensitive). */
  header(name: string): string | undefined;
  setHeader(name: string, value: string | string[]): void;
  /** Answers with JSON (the framework's own JSON answer). */
  json(status: number, body: unknown): void;
  /** Streams text chunks (the framework's own streaming). */
  stream(chunks: AsyncIterable<string>): void;
}

/** A handler written once: it may be async, throw, or reject. */
export type Script = (io: HandlerIO) => unknown;

export interface AppSpec {
  /** Ward middleware for every request. */
  chain?: Middleware[];
  /** Ward middleware for the routes only (engine route middleware, Express `app.get(path, ward(…))`, a Fastify plugin). */
  routeChain?: Middleware[];
  /** GET routes: path → script. */
  routes: Record<string, Script>;
  /** POST routes: path → script (no route chain). */
  posts?: Record<string, Script>;
}

export type StackName = 'engine' | 'express' | 'express4' | 'fastify';

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

export interface Stack {
  readonly name: StackName;
  start(spec: AppSpec): Promise<RunningApp>;
}

function engineIO(ctx: EngineContext): HandlerIO {
  return {
    stack: 'engine',
    header: (name) => ctx.req.header(name),
    setHeader: (name, value) => ctx.res.setHeader(name, value),
    json: (status, body) => ctx.json(status, body),
    stream: (chunks) => void ctx.stream(chunks, { contentType: 'text/plain; charset=utf-8' }),
  };
}

const engineStack: Stack = {
  name: 'engine',
  async start({ chain = [], routeChain = [], routes, posts = {} }) {
    const engine = new Engine({ onError: () => {} });
    if (chain.length > 0) engine.use(...chain);
    for (const [path, script] of Object.entries(routes)) {
      engine.get(path, ...(routeChain as Middleware<EngineContext>[]), async (ctx) => {
        await script(engineIO(ctx));
      });
    }
    for (const [path, script] of Object.entries(posts)) {
      engine.post(path, async (ctx) => {
        await script(engineIO(ctx));
      });
    }
    return listen(engine.handler);
  },
};

function expressIO(name: 'express' | 'express4', req: Request, res: Response): HandlerIO {
  return {
    stack: name,
    header: (header) => req.get(header),
    setHeader: (header, value) => res.setHeader(header, value),
    json: (status, body) => res.status(status).json(body),
    stream: (chunks) => {
      res.type('text/plain');
      void (async () => {
        for await (const chunk of chunks) res.write(chunk);
        res.end();
      })();
    },
  };
}

function expressStack(name: 'express' | 'express4', express: typeof express5): Stack {
  return {
    name,
    async start({ chain = [], routeChain = [], routes, posts = {} }) {
      const app = express();
      app.set('env', 'test');
      if (chain.length > 0) app.use(ward(chain));
      for (const [path, script] of Object.entries(routes)) {
        const handler: RequestHandler =
          name === 'express'
            ? async (req, res) => {
                await script(expressIO(name, req, res));
              }
            : (req: Request, res: Response, next: NextFunction) => {
                // Express 4 ignores returned promises: errors go to next(err).
                Promise.resolve()
                  .then(() => script(expressIO(name, req, res)))
                  .catch(next);
              };
        if (routeChain.length > 0) app.get(path, ward(routeChain), handler);
        else app.get(path, handler);
      }
      for (const [path, script] of Object.entries(posts)) {
        app.post(path, (req: Request, res: Response, next: NextFunction) => {
          Promise.resolve()
            .then(() => script(expressIO(name, req, res)))
            .catch(next);
        });
      }
      // Quiet: a status is all the tests read from Express's own error answers.
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).send('express error handler');
      });
      return listen(app);
    },
  };
}

function fastifyIO(request: FastifyRequest, reply: FastifyReply): HandlerIO {
  return {
    stack: 'fastify',
    header: (name) => {
      const value = request.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    setHeader: (name, value) => void reply.header(name, value),
    json: (status, body) => void reply.code(status).send(body),
    stream: (chunks) => void reply.type('text/plain; charset=utf-8').send(Readable.from(chunks)),
  };
}

const fastifyStack: Stack = {
  name: 'fastify',
  async start({ chain = [], routeChain = [], routes, posts = {} }) {
    const app = Fastify();
    // Quiet: a status is all the tests read from Fastify's own error answers.
    app.setErrorHandler((_error, _request, reply) => {
      void reply.code(500).send('fastify error handler');
    });
    if (chain.length > 0) await app.register(wardFastify(chain));
    await app.register(async (scope) => {
      if (routeChain.length > 0) await scope.register(wardFastify(routeChain));
      for (const [path, script] of Object.entries(routes)) {
        scope.get(path, async (request, reply) => {
          await script(fastifyIO(request, reply));
          return reply;
        });
      }
      for (const [path, script] of Object.entries(posts)) {
        scope.post(path, async (request, reply) => {
          await script(fastifyIO(request, reply));
          return reply;
        });
      }
    });
    await app.ready();
    const server = await listen(app.server);
    return {
      url: server.url,
      close: async () => {
        await server.close();
        await app.close();
      },
    };
  },
};

/** Every stack the tests run on. */
export const STACKS: readonly Stack[] = [engineStack, expressStack('express', express5), expressStack('express4', express4), fastifyStack];
