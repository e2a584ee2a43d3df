/**
 * Target `fastify`: `await app.register(ward(chain))` in front of ordinary
 * Fastify handlers (returning values, `reply.code().header().send()`, stream
 * payloads), with Fastify's own 404 and error handling behind.
 */
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { listen } from '@ward/core/testing';
import type { Target, TargetApp, TargetSetup } from '../harness.js';
import { loadAdapter } from './load.js';
import { CREATED_BODY, failingChunks, type HandlerKind, JSON_BODY, LATE_BODY, type Probe, streamChunks, TEXT_BODY, TEXT_TYPE } from '../probe.js';

type FastifyHandler = (request: FastifyRequest, reply: FastifyReply) => unknown;

function handlerFor(kind: HandlerKind, probe: Probe): FastifyHandler {
  switch (kind) {
    case 'json':
      return async () => {
        probe.ran('json');
        return JSON_BODY;
      };
    case 'created':
      return (_request, reply) => {
        probe.ran('created');
        reply.code(201).header('x-handler', '1').send(CREATED_BODY);
      };
    case 'text':
      return (_request, reply) => {
        probe.ran('text');
        reply.type(TEXT_TYPE).send(TEXT_BODY);
      };
    case 'throwSync':
      return function throwSync() {
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
      return (_request, reply) => {
        probe.ran('stream');
        reply.type(TEXT_TYPE).send(Readable.from(streamChunks()));
      };
    case 'streamThenThrow':
      return (_request, reply) => {
        probe.ran('streamThenThrow');
        reply.type(TEXT_TYPE).send(Readable.from(failingChunks(probe)));
      };
    case 'slow':
      return async (_request, reply) => {
        probe.ran('slow');
        await probe.lateWrite(() => reply.send(LATE_BODY));
        return reply;
      };
    case 'hang':
      return (_request, reply) => {
        probe.ran('hang');
        reply.raw.once('close', () => probe.hang.closed.resolve());
        probe.hang.started.resolve();
      };
    case 'echoBody':
      return async (request) => {
        probe.ran('echoBody');
        return request.body;
      };
  }
}

export const fastifyTarget: Target = {
  name: 'fastify',
  adapter: 'fastify',
  ownsFallbacks: false,
  async start({ chain, routes, options, probe }: TargetSetup): Promise<TargetApp> {
    const { default: Fastify } = await import('fastify');
    const { ward } = await loadAdapter('@ward/fastify', () => import('@ward/fastify'));
    const app = Fastify({ logger: false });
    await app.register(ward(chain, options));
    for (const route of routes) app.route({ method: route.method, url: route.path, handler: handlerFor(route.kind, probe) });
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
