/**
 * The context a chain gets on Fastify: core's shared `NodeContext` with a
 * response that keeps headers in the reply (response.ts), linked to the run
 * that drives it, and what core asks the framework — the matched
 * route template (`request.routeOptions.url`, with the prefix), the route
 * parameters (`request.params`) and the body (`request.body`, or read before
 * Fastify's parser ran; see body-peek.ts).
 */
import type { FastifyRequest } from 'fastify';
import { type ContextSettings, NodeContext } from '@ward/core';
import { FastifyResponse } from './response.js';
import type { Run } from './run.js';

/** Where the current run of a request is kept. */
export const RUN: unique symbol = Symbol('ward.fastify.run');

/** A Fastify request a ward chain runs on. */
export interface GuardedRequest extends FastifyRequest {
  [RUN]?: Run | undefined;
}

/** The context a Fastify chain gets: core's, with headers read and written through the reply, and a link back to its run. */
export class FastifyContext extends NodeContext {
  declare readonly res: FastifyResponse;
  /** @internal */
  readonly [RUN]: Run;

  constructor(run: Run, settings: ContextSettings) {
    // A nested ward plugin shares the enclosing chain's state (request id, user…) and signal.
    super(run.request.raw, run.reply.raw, settings, new FastifyResponse(run.reply), run.parent?.ctx);
    this[RUN] = run;
  }
}

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

function runOf(ctx: NodeContext): Run {
  return (ctx as FastifyContext)[RUN];
}

/** The hooks given to core's `contextSettings`. */
export const fastifyContextHooks: Pick<ContextSettings, 'routeOf' | 'paramsOf' | 'readBody'> = Object.freeze({
  routeOf(ctx: NodeContext): string | undefined {
    return runOf(ctx).request.routeOptions.url;
  },
  paramsOf(ctx: NodeContext): Readonly<Record<string, string>> {
    const params = runOf(ctx).request.params;
    return typeof params === 'object' && params !== null ? (params as Record<string, string>) : EMPTY_PARAMS;
  },
  readBody(ctx: NodeContext): Promise<unknown> {
    return runOf(ctx).readBody();
  },
});
