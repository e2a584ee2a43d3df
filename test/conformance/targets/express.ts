/**
 * Targets `express` (Express 5) and `express4` (Express 4, installed as the
 * `express4` alias): `app.use(ward(chain))` in front of ordinary Express
 * handlers (`res.json`, `res.status().set()`, `res.write`), with Express's own
 * 404 and error handling behind.
 */
import { setImmediate as tick } from 'node:timers/promises';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { listen } from '@ward/core/testing';
import type { Target, TargetApp, TargetSetup } from '../harness.js';
import { loadAdapter } from './load.js';
import { CREATED_BODY, failingChunks, type HandlerKind, JSON_BODY, LATE_BODY, type Probe, streamChunks, TEXT_BODY } from '../probe.js';

/** The part of the express module both majors share and this target uses. */
interface ExpressModule {
  (): import('express').Express;
  json(): RequestHandler;
}

function handlersFor(kind: HandlerKind, probe: Probe, express: ExpressModule, major: 4 | 5): RequestHandler[] {
  switch (kind) {
    case 'json':
      return [
        (_req, res) => {
          probe.ran('json');
          res.json(JSON_BODY);
        },
      ];
    case 'created':
      return [
        (_req, res) => {
          probe.ran('created');
          res.status(201).set('x-handler', '1').json(CREATED_BODY);
        },
      ];
    case 'text':
      return [
        (_req, res) => {
          probe.ran('text');
          res.type('text/plain').send(TEXT_BODY);
        },
      ];
    case 'throwSync':
      return [
        () => {
          probe.ran('throwSync');
          throw probe.failure('throwSync');
        },
      ];
    case 'rejectAsync':
      if (major === 5) {
        // Express 5 passes a returned rejection to next(err) itself.
        return [
          async () => {
            probe.ran('rejectAsync');
            await tick();
            throw probe.failure('rejectAsync');
          },
        ];
      }
      // Express 4 ignores returned promises: the native way is next(err).
      return [
        (_req: Request, _res: Response, next: NextFunction) => {
          probe.ran('rejectAsync');
          tick().then(() => {
            throw probe.failure('rejectAsync');
          }).catch(next);
        },
      ];
    case 'stream':
      return [
        (_req, res) => {
          probe.ran('stream');
          res.type('text/plain');
          void (async () => {
            for await (const chunk of streamChunks()) res.write(chunk);
            res.end();
          })();
        },
      ];
    case 'streamThenThrow': {
      const run = async (res: Response): Promise<void> => {
        res.type('text/plain');
        for await (const chunk of failingChunks(probe)) res.write(chunk);
        res.end();
      };
      if (major === 5) {
        return [
          async (_req, res) => {
            probe.ran('streamThenThrow');
            await run(res);
          },
        ];
      }
      return [
        (_req: Request, res: Response, next: NextFunction) => {
          probe.ran('streamThenThrow');
          run(res).catch(next);
        },
      ];
    }
    case 'slow':
      return [
        (_req, res) => {
          probe.ran('slow');
          void probe.lateWrite(() => res.json(LATE_BODY));
        },
      ];
    case 'hang':
      return [
        (_req, res) => {
          probe.ran('hang');
          res.once('close', () => probe.hang.closed.resolve());
          probe.hang.started.resolve();
        },
      ];
    case 'echoBody':
      return [
        express.json(),
        (req, res) => {
          probe.ran('echoBody');
          res.json(req.body);
        },
      ];
  }
}

function expressTargetFor(name: 'express' | 'express4', major: 4 | 5): Target {
  return {
    name,
    adapter: 'express',
    ownsFallbacks: false,
    async start({ chain, routes, options, probe }: TargetSetup): Promise<TargetApp> {
      const express = ((major === 5 ? await import('express') : await import('express4')) as { default: ExpressModule }).default;
      const { ward } = await loadAdapter('@ward/express', () => import('@ward/express'));
      const app = express();
      // 'test' only keeps Express's default error handler from printing every expected error.
      app.set('env', 'test');
      app.use(ward(chain, options));
      for (const route of routes) {
        const handlers = handlersFor(route.kind, probe, express, major);
        if (route.method === 'GET') app.get(route.path, ...handlers);
        else app.post(route.path, ...handlers);
      }
      return listen(app);
    },
  };
}

export const expressTarget = expressTargetFor('express', 5);
export const express4Target = expressTargetFor('express4', 4);
