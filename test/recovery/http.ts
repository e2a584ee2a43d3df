/**
 * What the recovery tests share: an app per stack (engine, Express 5,
 * Express 4, Fastify, node:http) with the same routes, a recording reporter,
 * and the counts of `ward_recovery_errors_total`.
 */
import type { Middleware } from '@ward/core';
import { type TestServer, listen } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { ward as wardExpress } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import { wardListener } from '@ward/node';
import type { RecoveryReport } from '@ward/recovery';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';

/** The routes every stack serves. */
export interface Routes {
  /** `GET /users/:id`: throws `new Error('user lookup failed')`. */
  failing: Error;
  /** `GET /stream/:id`: writes `one\n` with the framework's streaming API, waits for `release`, then fails with `broken`. */
  release: Promise<void>;
  broken: Error;
}

export interface Stack {
  readonly name: 'engine' | 'express' | 'express4' | 'fastify' | 'node';
  /** Routes the route template in `ctx.req.route` when the stack knows it (node:http has no router). */
  readonly route: string | undefined;
  start(chain: Middleware[], routes: Routes, options?: { development?: boolean }): Promise<TestServer>;
}

async function* failing(routes: Routes): AsyncGenerator<string> {
  yield 'one\n';
  await routes.release;
  throw routes.broken;
}

export const STACKS: readonly Stack[] = [
  {
    name: 'engine',
    route: '/users/:id',
    start(chain, routes, options = {}) {
      const engine = new Engine({ ...options, onError: () => {} });
      engine.use(...chain);
      engine.get('/users/:id', () => {
        throw routes.failing;
      });
      return listen(engine.handler);
    },
  },
  ...(['express', 'express4'] as const).map(
    (name): Stack => ({
      name,
      route: '/users/:id',
      start(chain, routes, options = {}) {
        const app = (name === 'express' ? express5 : express4)();
        app.use(wardExpress(chain, options));
        app.get('/users/:id', () => {
          throw routes.failing;
        });
        app.get('/stream/:id', (_req, res, next) => {
          res.type('text/plain');
          (async () => {
            for await (const chunk of failing(routes)) res.write(chunk);
            res.end();
          })().catch(next);
        });
        return listen(app);
      },
    }),
  ),
  {
    name: 'fastify',
    route: '/users/:id',
    async start(chain, routes, options = {}) {
      const app = Fastify();
      await app.register(wardFastify(chain, options));
      app.get('/users/:id', async () => {
        throw routes.failing;
      });
      await app.ready();
      return listen(app.server);
    },
  },
  {
    name: 'node',
    route: undefined,
    start(chain, routes, options = {}) {
      return listen(
        wardListener(
          chain,
          async (req, res) => {
            if (req.url?.startsWith('/stream/')) {
              res.setHeader('content-type', 'text/plain');
              for await (const chunk of failing(routes)) res.write(chunk);
              res.end();
              return;
            }
            throw routes.failing;
          },
          { ...options, onError: () => {} },
        ),
      );
    },
  },
];

/** A reporter that keeps what it gets. */
export function recorder(): { reports: RecoveryReport[]; onError: (report: RecoveryReport) => void } {
  const reports: RecoveryReport[] = [];
  return { reports, onError: (report) => void reports.push(report) };
}

/** `ward_recovery_errors_total` by kind (non-zero only). */
export async function kindCounts(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('ward_recovery_errors_total');
  if (metric === undefined) throw new Error('ward_recovery_errors_total is not registered');
  const out: Record<string, number> = {};
  for (const { labels, value } of (await metric.get()).values) if (value > 0) out[String(labels.kind)] = value;
  return out;
}

/** `ward_recovery_reporter_failures_total`. */
export async function reporterFailures(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric('ward_recovery_reporter_failures_total');
  if (metric === undefined) throw new Error('ward_recovery_reporter_failures_total is not registered');
  return (await metric.get()).values[0]?.value ?? 0;
}
