/**
 * `cspAdditions()`: route-level sources merged into the base policy of
 * `securityHeaders()` for the requests of that route only (a page that loads
 * a widget from a CDN, a route that embeds a partner's frame), without a
 * second policy and without copying the base one.
 */
import { type Context, defineMiddleware, markFactory, type Middleware, type Next } from '@ward/core';
import { checkAdditions, type CspSourceDirectives, NONCE_PLACEHOLDER } from './csp-directives.js';
import type { CompiledAdditions } from './csp-policy.js';
import { addAdditions, existingNonce, requestNonce } from './nonce.js';

let nextId = 0;

/**
 * Route middleware that adds sources to the CSP `securityHeaders()` sends
 * for this request (enforcing and report-only alike). Only source-list
 * directives; a directive the base policy lacks starts from its CSP
 * fallback (`scriptSrcElem` from `scriptSrc`, then `defaultSrc`), so an
 * addition only ever widens the policy. `'none'` in the base directive is
 * replaced. `'nonce'` makes sure the request has a nonce
 * (`ctx.state.cspNonce`, `cspNonce(req)`).
 *
 * `securityHeaders()` must run around it (globally, or earlier on the
 * route); the merge is done after the handler, cached per combination of
 * additions. Validation is the same as the base policy's, at factory time.
 *
 * @example
 * engine.use(securityHeaders());
 * engine.get('/maps', cspAdditions({ scriptSrc: ['https://maps.example.com'], imgSrc: ['https://tiles.example.com'] }), showMap);
 */
export const cspAdditions = markFactory(function cspAdditions(directives: CspSourceDirectives): Middleware {
  const checked = checkAdditions(directives, 'cspAdditions(directives)');
  const hasNonce = [...checked.values()].some((sources) => sources.includes(NONCE_PLACEHOLDER));
  const additions: CompiledAdditions = Object.freeze({ id: nextId++, directives: checked, hasNonce });

  return defineMiddleware('cspAdditions', { directives }, async function cspAdditions(ctx: Context, next: Next) {
    addAdditions(ctx, additions);
    if (hasNonce) requestNonce(ctx, undefined);
    else if (ctx.state.cspNonce === undefined) {
      // A nested ward layer (Express, Fastify) has its own ctx.state: show it the request's nonce.
      const nonce = existingNonce(ctx);
      if (nonce !== undefined) ctx.state.cspNonce = nonce;
    }
    await next();
  });
});
