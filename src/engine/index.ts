/**
 * @ward/engine — the Gin-style core of ward: `Engine` with global
 * middleware, nested route groups, a radix-tree router (`:param`,
 * `*wildcard`), 404/405 as problem+json, trailing-slash redirects, HEAD from
 * GET, body validation with any Standard Schema, streaming, and `listen()`
 * with graceful shutdown. Handlers are plain ward middleware.
 *
 * @example
 * import { Engine } from '@ward/engine';
 * const engine = new Engine();
 * engine.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') }));
 * await engine.listen({ port: 3000 });
 */
export { Engine } from './engine.js';
export { ALL_METHODS, RouterGroup, type Handler } from './group.js';
export { EngineContext, type EngineContextSettings, type EngineErrorReporter } from './context.js';
export type { EngineOptions } from './options.js';
export { Router, type RouteMatch } from './router.js';
export type { StreamOptions, StreamSource } from './stream.js';
export { MAX_VALIDATION_ISSUES, type ValidationIssue, type ValidationSource } from './validate.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  listen,
  trackConnections,
  type ListenOptions,
  type ListeningServer,
  type ShutdownOptions,
} from './server.js';
