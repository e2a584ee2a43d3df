/**
 * Options of the Fastify adapter, validated once when the plugin is made
 * (STYLE.md §6: TypeError for a wrong type, RangeError for a bad value, the
 * message names the option, shows the value and suggests the fix).
 */
import type { AdapterOptions } from '@ward/core';

/**
 * The Fastify hook in which the ward chain starts. Everything Fastify does
 * after that hook (body parsing, validation, the handler) is what `next()`
 * runs.
 */
export type WardHook = 'onRequest' | 'preParsing' | 'preValidation' | 'preHandler';

/** The accepted values of {@link FastifyAdapterOptions.hook}, in lifecycle order. */
export const WARD_HOOKS: readonly WardHook[] = Object.freeze(['onRequest', 'preParsing', 'preValidation', 'preHandler']);

/** Options of `ward()`: the core adapter options plus where the chain starts. */
export interface FastifyAdapterOptions extends AdapterOptions {
  /**
   * Where in Fastify's lifecycle the chain starts. Default: `'onRequest'`
   * (as `@fastify/rate-limit` and `@fastify/helmet` do), so a refused
   * request costs no body parsing.
   *
   * - `'onRequest'`: before the body is read. `ctx.req.body()` before
   *   `next()` reads and parses the body itself and puts the bytes back
   *   into the request stream, so Fastify's parser still reads them all.
   * - `'preParsing'`: the same, after the `preParsing` hooks registered
   *   before ward (`body()` before `next()` then needs those hooks to have
   *   left the payload stream as it was).
   * - `'preValidation'`: after Fastify parsed the body (`ctx.req.body()` is
   *   `request.body`), before schema validation: a validation 400 is seen
   *   after `next()`.
   * - `'preHandler'`: after validation. Requests Fastify refuses earlier
   *   (400, 413, 415) never reach the chain.
   */
  hook?: WardHook;
}

/** Validates the `hook` option. */
export function resolveHook(value: unknown): WardHook {
  if (value === undefined) return 'onRequest';
  if (typeof value !== 'string') {
    throw new TypeError(
      `ward(middleware, { hook }): hook must be a string, one of ${list()}; got ${describe(value)}`,
    );
  }
  if (!(WARD_HOOKS as readonly string[]).includes(value)) {
    throw new RangeError(
      `ward(middleware, { hook }): hook must be one of ${list()}; got ${JSON.stringify(value)}. ` +
        'The chain has to start before the handler runs, and onSend/onResponse come after it.',
    );
  }
  return value as WardHook;
}

function list(): string {
  return WARD_HOOKS.map((hook) => `'${hook}'`).join(', ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${String(value)}`;
}
