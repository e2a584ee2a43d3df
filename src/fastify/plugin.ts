/**
 * `ward(middleware, options)`: a ward chain as a Fastify 5 plugin. Made with
 * `fastify-plugin`, so its hooks apply to the context it is registered in:
 * at the root it guards every route (and Fastify's 404s); inside an
 * encapsulated plugin with a prefix, only the routes of that plugin.
 */
import type { FastifyInstance, FastifyPluginCallback, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { compose, contextSettings, type Middleware } from '@ward/core';
import { fastifyContextHooks } from './context.js';
import { holdResponse, startHook } from './hooks.js';
import { type FastifyAdapterOptions, resolveHook } from './options.js';
import { guardRoute } from './route.js';
import type { RunSettings } from './run.js';

/**
 * Makes a Fastify plugin that runs `middleware` around the routes of the
 * context it is registered in. Register it (and await the registration)
 * before the routes it guards: their handlers are wrapped as they are added,
 * so that a handler's error rejects `next()`.
 *
 * @param middleware ward middleware, outermost first.
 * @param options {@link FastifyAdapterOptions}; `hook` defaults to `'onRequest'`.
 * @throws TypeError when `middleware` is not an array of middleware (a
 *   factory passed without its call included), or an option has the wrong type.
 * @throws RangeError when an option has a bad value (`hook: 'onSend'`).
 *
 * @example
 * import Fastify from 'fastify';
 * import { ward } from '@ward/fastify';
 *
 * const app = Fastify();
 * await app.register(ward([requestId(), rateLimit({ limit: 100, windowMs: 60_000 })]));
 * app.get('/hello', async () => ({ hello: 'world' }));
 * await app.listen({ port: 3000 });
 */
export function ward(middleware: readonly Middleware[], options: FastifyAdapterOptions = {}): FastifyPluginCallback {
  if (!Array.isArray(middleware)) {
    const error = new TypeError(
      `ward(middleware, options) expects an array of middleware, got ${describe(middleware)}. ` +
        (isFastifyInstance(middleware)
          ? 'It was registered without its call: use app.register(ward([...middleware])).'
          : 'Pass the chain as a list: ward([requestId(), cors({ … })]).'),
    );
    // `app.register(ward)`: Fastify called us as the plugin. A throw here would
    // escape avvio as an uncaught exception; its `done` makes register() reject.
    // eslint-disable-next-line prefer-rest-params
    const done: unknown = arguments[2];
    if (isFastifyInstance(middleware) && typeof done === 'function') {
      (done as (error: Error) => void)(error);
      return undefined as unknown as FastifyPluginCallback;
    }
    throw error;
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`ward(middleware, options): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const hook = resolveHook(options.hook);
  const settings: RunSettings = Object.freeze({
    context: contextSettings('fastify', options, fastifyContextHooks),
    chain: compose(middleware),
    beforeParsing: hook === 'onRequest' || hook === 'preParsing',
  });
  const start = startHook(hook, settings);

  function wardPlugin(instance: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    // Hooks are typed per name in Fastify's overloads; ours have the callback shapes each expects.
    const addHook = instance.addHook.bind(instance) as (name: string, fn: unknown) => FastifyInstance;
    addHook(hook, start);
    addHook('onSend', holdResponse);
    instance.addHook('onRoute', (routeOptions: RouteOptions) => guardRoute(routeOptions));
    done();
  }

  return fp(wardPlugin, { fastify: '5.x', name: '@ward/fastify' }) as FastifyPluginCallback;
}

function isFastifyInstance(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { register?: unknown }).register === 'function';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (isFastifyInstance(value)) return 'a Fastify instance';
  return typeof value;
}
