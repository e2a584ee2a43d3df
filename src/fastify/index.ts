/**
 * @ward/fastify — run ward middleware on Fastify 5, as an
 * encapsulation-aware plugin.
 *
 * @example
 * import { ward } from '@ward/fastify';
 * await app.register(ward([requestId(), securityHeaders()]));
 */
export { ward } from './plugin.js';
export { WARD_HOOKS, type FastifyAdapterOptions, type WardHook } from './options.js';
