/**
 * `securityHeaders()`: OWASP Secure Headers defaults, equal to or stricter
 * than helmet 8, in two profiles chosen by the response's content type.
 *
 * Per request:
 * 1. before `next()`: the API set (`X-Content-Type-Options`,
 *    `X-Frame-Options`, `Cross-Origin-Resource-Policy`, HSTS over TLS),
 *    removal of `X-Powered-By`, and the nonce when a policy uses one. Set
 *    first, so every answer carries them: streamed ones, and the problem+json
 *    that recovery or timeout (outside this middleware) make after an error;
 *    and so the handler may still replace one with its own.
 * 2. after `next()`, unless the response already went out: `X-Powered-By`
 *    removed again (Express sets it, and a mounted sub-app sets it anew),
 *    then, for a browser-rendered type (`text/html`…), the browser set —
 *    CSP and the rest — except headers the response already has (a
 *    handler's own CSP wins).
 *
 * With `browserTypes: '*'` everything is set before `next()` (helmet's way).
 */
import { type Context, callAsync, defineMiddleware, markFactory, type Middleware, type Next, type WardResponse } from '@ward/core';
import type { CompiledPolicy } from './csp-policy.js';
import { additionsOf, existingNonce, lendNonceSource, type NonceSource, nonceSource, requestNonce } from './nonce.js';
import { DEFAULT_NONCE_BYTES, type ResolvedHeaders, resolveOptions, type SecurityHeadersOptions } from './options.js';

/** Decisions by raw `Content-Type` value, bounded: responses reuse a handful of values. */
const MAX_CACHED_TYPES = 64;

/**
 * Sets OWASP/helmet-grade security headers: a lean set on every response,
 * the full browser set (CSP, COOP, Permissions-Policy…) on HTML and other
 * documents, decided after the handler from the response's `Content-Type`.
 * Removes `X-Powered-By`. Options are checked here (TypeError/RangeError
 * naming the option); nothing is parsed per request.
 *
 * @example
 * engine.use(securityHeaders({
 *   contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'nonce'"] } },
 * }));
 * engine.get('/', (ctx) => ctx.respond(200, `<script nonce="${ctx.state.cspNonce}">…</script>`,
 *   { 'content-type': 'text/html; charset=utf-8' }));
 */
export const securityHeaders = markFactory(function securityHeaders(options: SecurityHeadersOptions = {}): Middleware {
  const resolved = resolveOptions(options);
  const { apiPlain, apiSecure, checkSecure, browser, policies, remove, browserTypes } = resolved;
  const needsNonce = policies.some((p) => p.hasNonce);
  const nonces: NonceSource | undefined = needsNonce ? nonceSource(resolved.nonceBytes, resolved.randomBytes) : undefined;
  // No nonce in the base policy, but nonce options of its own: lent to the routes' cspAdditions({ …: ["'nonce'"] }).
  const lent: NonceSource | undefined =
    !needsNonce && policies.length > 0 && (resolved.nonceBytes !== DEFAULT_NONCE_BYTES || resolved.randomBytes !== undefined) ? nonceSource(resolved.nonceBytes, resolved.randomBytes) : undefined;
  const typeCache = new Map<string, boolean>();

  function isBrowserResponse(res: WardResponse, types: ReadonlySet<string>): boolean {
    const type = res.header('content-type');
    if (type === undefined) {
      // No type: a browser may sniff a body and render it; an empty answer renders nothing.
      const body = res.body;
      return body !== undefined && body.length > 0;
    }
    let browserType = typeCache.get(type);
    if (browserType === undefined) {
      const semi = type.indexOf(';');
      browserType = types.has((semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase());
      if (typeCache.size < MAX_CACHED_TYPES) typeCache.set(type, browserType);
    }
    return browserType;
  }

  /** `browserTypes: '*'`: every response is a browser one, so all of it goes on now (streamed answers carry it too). */
  async function everything(ctx: Context, next: Next, res: WardResponse, nonce: string | undefined): Promise<void> {
    for (let i = 0; i < browser.length; i += 2) res.setHeader(browser[i]!, browser[i + 1]!);
    for (const policy of policies) res.setHeader(policy.header, policy.valueFor(nonce, undefined));
    try {
      await next();
    } catch (error) {
      removeAgain(res);
      throw error;
    }
    if (res.committed) return;
    removeAgain(res);
    const additions = additionsOf(ctx);
    if (additions !== undefined) {
      const current = nonce ?? existingNonce(ctx);
      for (const policy of policies) {
        // Replace only our own value: a policy the handler set stays.
        if (res.header(policy.header) === policy.valueFor(nonce, undefined)) res.setHeader(policy.header, policy.valueFor(current, additions));
      }
    }
  }

  /** After the downstream: the browser set when the response turned out to be a document. */
  function after(ctx: Context, res: WardResponse, nonce: string | undefined, types: ReadonlySet<string>): void {
    if (res.committed) return;
    removeAgain(res);
    if (!isBrowserResponse(res, types)) return;
    for (let i = 0; i < browser.length; i += 2) {
      const name = browser[i]!;
      if (!res.hasHeader(name)) res.setHeader(name, browser[i + 1]!);
    }
    if (policies.length > 0) setPolicies(ctx, res, policies, nonce);
  }

  // Not an async function: the common path returns the downstream's promise with one step chained, no extra layer.
  function start(ctx: Context, next: Next): Promise<void> {
    const res = ctx.res;
    const api = checkSecure && ctx.req.secure ? apiSecure : apiPlain;
    for (let i = 0; i < api.length; i += 2) res.setHeader(api[i]!, api[i + 1]!);
    for (let i = 0; i < remove.length; i++) res.removeHeader(remove[i]!);
    const nonce = nonces === undefined ? undefined : requestNonce(ctx, nonces);
    if (lent !== undefined) lendNonceSource(ctx, lent);
    if (browserTypes === undefined) return everything(ctx, next, res, nonce);
    return Promise.resolve(next()).then(
      () => after(ctx, res, nonce, browserTypes),
      (error: unknown) => {
        removeAgain(res);
        throw error;
      },
    );
  }

  /** After the downstream, answered or failed: it may have set them (`X-Powered-By: Express` from a sub-app). */
  function removeAgain(res: WardResponse): void {
    if (res.committed) return;
    for (let i = 0; i < remove.length; i++) res.removeHeader(remove[i]!);
  }

  return defineMiddleware('securityHeaders', describe(resolved), function securityHeaders(ctx: Context, next: Next): Promise<void> {
    return callAsync(start, ctx, next);
  });
});

function setPolicies(ctx: Context, res: WardResponse, policies: readonly CompiledPolicy[], nonce: string | undefined): void {
  const additions = additionsOf(ctx);
  const current = additions === undefined ? nonce : (nonce ?? existingNonce(ctx));
  for (const policy of policies) {
    if (!res.hasHeader(policy.header)) res.setHeader(policy.header, policy.valueFor(current, additions));
  }
}

/** Rule 10: the resolved headers, so a printed chain shows exactly what is sent. */
function describe(resolved: ResolvedHeaders): Record<string, unknown> {
  const pairs = (list: readonly string[]): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = 0; i < list.length; i += 2) out[list[i]!] = list[i + 1]!;
    return out;
  };
  const browser = pairs(resolved.browser);
  for (const policy of resolved.policies) browser[policy.header] = policy.base.segments === undefined ? policy.base.value : policy.base.segments.join("'nonce-…'");
  return {
    api: pairs(resolved.apiSecure),
    browser,
    browserTypes: resolved.browserTypes === undefined ? '*' : [...resolved.browserTypes],
    removeHeaders: [...resolved.remove],
    hstsOverPlainHttp: !resolved.checkSecure && resolved.apiSecure.includes('Strict-Transport-Security'),
  };
}
