/**
 * The Fastify hooks the plugin adds, both in callback style (no promise per
 * hook): the start hook that runs the chain, and the `onSend` hook that holds
 * the downstream's answer for deferred commit.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WardHook } from './options.js';
import { type GuardedRequest, RUN } from './context.js';
import { type Continue, Run, type RunSettings } from './run.js';

/** A start hook of the 3-argument kind (`onRequest`, `preValidation`, `preHandler`). */
export type StartHook = (request: FastifyRequest, reply: FastifyReply, done: Continue) => void;
/** The start hook when the chain starts in `preParsing`. */
export type ParsingStartHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: Continue) => void;
/** Fastify's `onSend` continuation. */
export type SendContinue = (error: unknown, payload?: unknown) => void;

/** Makes the hook that starts a chain in the `hook` phase. */
export function startHook(hook: WardHook, settings: RunSettings): StartHook | ParsingStartHook {
  if (hook === 'preParsing') {
    return function wardPreParsing(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: Continue): void {
      begin(request as GuardedRequest, reply, done, settings, payload);
    };
  }
  return function wardStart(request: FastifyRequest, reply: FastifyReply, done: Continue): void {
    begin(request as GuardedRequest, reply, done, settings);
  };
}

function begin(request: GuardedRequest, reply: FastifyReply, done: Continue, settings: RunSettings, payload?: unknown): void {
  const outer = request[RUN];
  // Ward already answered this request while Fastify went on: nothing more runs (its continuation is dropped).
  if (outer !== undefined && outer.root.dropping) return;
  const run = new Run(request, reply, outer, settings);
  request[RUN] = run;
  run.start(done, payload);
}

/**
 * `onSend`: the downstream's answer (the route's payload, or Fastify's own
 * 404/400/413 answer) is held while the chain runs its code after `next()`.
 * Ward's own answers pass untouched; late output after ward answered is
 * dropped by not continuing.
 */
export function holdResponse(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: SendContinue): void {
  const innermost = (request as GuardedRequest)[RUN];
  if (innermost === undefined) {
    done(null, payload);
    return;
  }
  const root = innermost.root;
  // Ward's own answer (or Fastify's error answer after a hand-off) passes
  // every ward plugin's onSend on the route: nested plugins each have one.
  if (root.answering) {
    if (root.stripType) {
      root.stripType = false;
      reply.removeHeader('content-type');
    }
    done(null, payload);
    return;
  }
  // Rule 4: the route answered after ward did. Not calling done ends this send here, silently.
  if (root.dropping) return;
  let run: Run | undefined = innermost;
  while (run !== undefined && run.phase === 'released') run = run.parent;
  if (run === undefined || run.phase !== 'downstream') {
    done(null, payload);
    return;
  }
  run.hold(payload, done);
}
