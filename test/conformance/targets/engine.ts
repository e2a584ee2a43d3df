/**
 * Target `engine`: @ward/engine's own router and handlers, which are ward
 * middleware themselves (`ctx.json`, `ctx.text`, `ctx.stream`).
 */
import { setImmediate as tick } from 'node:timers/promises';
import type { Middleware } from '@ward/core';
import { listen } from '@ward/core/testing';
import type { EngineContext } from '@ward/engine';
import type { Target, TargetApp, TargetSetup } from '../harness.js';
import { loadAdapter } from './load.js';
import { CREATED_BODY, failingChunks, type HandlerKind, JSON_BODY, LATE_BODY, type Probe, streamChunks, TEXT_BODY, TEXT_TYPE } from '../probe.js';

function handlerFor(kind: HandlerKind, probe: Probe): Middleware<EngineContext> {
  switch (kind) {
    case 'json':
      return (ctx) => {
        probe.ran('json');
        ctx.json(200, JSON_BODY);
      };
    case 'created':
      return (ctx) => {
        probe.ran('created');
        ctx.json(201, CREATED_BODY, { 'x-handler': '1' });
      };
    case 'text':
      return (ctx) => {
        probe.ran('text');
        ctx.text(200, TEXT_BODY);
      };
    case 'throwSync':
      return () => {
        probe.ran('throwSync');
        throw probe.failure('throwSync');
      };
    case 'rejectAsync':
      return async () => {
        probe.ran('rejectAsync');
        await tick();
        throw probe.failure('rejectAsync');
      };
    case 'stream':
      return (ctx) => {
        probe.ran('stream');
        ctx.stream(streamChunks(), { contentType: TEXT_TYPE });
      };
    case 'streamThenThrow':
      return (ctx) => {
        probe.ran('streamThenThrow');
        ctx.stream(failingChunks(probe), { contentType: TEXT_TYPE });
      };
    case 'slow':
      return async (ctx) => {
        probe.ran('slow');
        await probe.lateWrite(() => ctx.json(200, LATE_BODY));
      };
    case 'hang':
      return (ctx) => {
        probe.ran('hang');
        ctx.raw.res.once('close', () => probe.hang.closed.resolve());
        probe.hang.started.resolve();
        return new Promise<void>(() => {});
      };
    case 'echoBody':
      return async (ctx) => {
        probe.ran('echoBody');
        ctx.json(200, await ctx.req.body());
      };
  }
}

export const engineTarget: Target = {
  name: 'engine',
  adapter: 'engine',
  ownsFallbacks: true,
  async start({ chain, routes, options, probe }: TargetSetup): Promise<TargetApp> {
    const { Engine } = await loadAdapter('@ward/engine', () => import('@ward/engine'));
    const engine = new Engine({
      ...options,
      onError: (error: unknown) => {
        probe.unhandled.push(error);
      },
    });
    if (chain.length > 0) engine.use(...chain);
    for (const route of routes) {
      const handler = handlerFor(route.kind, probe);
      if (route.method === 'GET') engine.get(route.path, handler);
      else engine.post(route.path, handler);
    }
    return listen(engine.handler);
  },
};
