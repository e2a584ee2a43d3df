/**
 * `jwtAuth()`: the bearer-token gate. Per request: the token from the
 * configured place, one verification (cache, jose, revocation), then
 * `ctx.state.user` and `next()` — or one 401 problem+json with the
 * RFC 6750 challenge (503 when the keys or the revocation store cannot be
 * reached). No input reaches a 5xx: whatever a token holds, it is a 401.
 */
import { type Context, HttpError, type Middleware, type Next, defineMiddleware, describeValue, markFactory } from '@ward/core';
import { resolveMetricsOptions, type WardMetricsOptions } from '@ward/metrics';
import { type VerifyCounters, verifyCounters } from './auth-metrics.js';
import { authUnavailable, realmOf, unauthorizedAnswers } from './challenge.js';
import { isAuthError } from './errors.js';
import { type JwtVerifier, type JwtVerifierOptions, VERIFIER_OPTION_NAMES, createJwtVerifier } from './jwt-verifier.js';
import { routeByIssuer } from './issuer-routing.js';
import { type TokenSourceOptions, tokenSource } from './token-source.js';
import type { VerifiedToken } from './verified-cache.js';

/** Options of {@link jwtAuth}: a verifier's options (or a `verifier`), plus where tokens come from and how failures answer. */
export interface JwtAuthOptions extends Partial<JwtVerifierOptions>, WardMetricsOptions {
  /**
   * An existing verifier (shared with other routes or non-HTTP code), or one
   * per trusted issuer — the token's `iss` picks which one checks it, and
   * each accepts only its own issuer's keys. Give either this or the
   * verifier's options.
   */
  verifier?: JwtVerifier | readonly JwtVerifier[];
  /** Where the token is read. Default: `{ header: true }` — `Authorization: Bearer` only. */
  from?: TokenSourceOptions;
  /**
   * Let requests without any token through anonymously (`ctx.state.user`
   * unset), for routes that serve both. A token that is present but bad is
   * still a 401. Default: `false`.
   */
  optional?: boolean;
  /** The `realm` of the `WWW-Authenticate` challenge. Default: `'api'`. */
  realm?: string;
}

const DONE: Promise<void> = Promise.resolve();
const OWN = ['verifier', 'from', 'optional', 'realm', 'registry', 'prefix'];
const KNOWN = new Set([...OWN, ...VERIFIER_OPTION_NAMES]);
const WHERE = 'jwtAuth(options)';

/**
 * Requires a valid access token and sets `ctx.state.user`.
 *
 * @example
 * import { jwtAuth } from '@ward/auth';
 * app.use('/api', ward([jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: '2026-12', secret: process.env.JWT_SECRET }], issuer: 'https://auth.example', audience: 'api' })]));
 */
export function jwtAuth(options: JwtAuthOptions): Middleware {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE} needs options such as { algorithms: ['HS256'], secrets: [{ secret }], issuer, audience }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${WHERE}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  let verifier: JwtVerifier;
  if (options.verifier !== undefined) {
    const given = VERIFIER_OPTION_NAMES.filter((name) => (options as Record<string, unknown>)[name] !== undefined);
    if (given.length > 0) throw new TypeError(`${WHERE}: give either verifier or the verifier's own options (${given.join(', ')}), not both`);
    verifier = routeByIssuer(options.verifier, WHERE);
  } else {
    const own = Object.fromEntries(VERIFIER_OPTION_NAMES.filter((name) => name in options).map((name) => [name, (options as Record<string, unknown>)[name]]));
    verifier = createJwtVerifier(own as unknown as JwtVerifierOptions, WHERE);
  }
  const read = tokenSource(options.from, WHERE);
  const optional = options.optional ?? false;
  if (typeof optional !== 'boolean') throw new TypeError(`${WHERE}.optional must be a boolean, got ${describeValue(optional)}`);
  const answers = unauthorizedAnswers(realmOf(options.realm, WHERE));
  const metrics = resolveMetricsOptions({ registry: options.registry, prefix: options.prefix }, `${WHERE} metrics`);
  const count: VerifyCounters = verifyCounters(metrics.registry, metrics.prefix);

  function refuse(error: unknown): HttpError {
    const code = isAuthError(error) ? error.code : 'TOKEN_INVALID';
    switch (code) {
      case 'TOKEN_EXPIRED':
        count.expired.inc();
        return answers.TOKEN_EXPIRED();
      case 'TOKEN_REVOKED':
        count.revoked.inc();
        return answers.TOKEN_REVOKED();
      case 'AUTH_UNAVAILABLE':
        count.unavailable.inc();
        return authUnavailable(verifier.retryAfterSeconds, error);
      default:
        count.invalid.inc();
        return answers.TOKEN_INVALID();
    }
  }

  function accept(ctx: Context, verified: VerifiedToken, next: Next): Promise<void> {
    ctx.state.user = verified.user;
    return next();
  }

  return defineMiddleware(
    'jwtAuth',
    { ...verifier.description, from: options.from ?? { header: true }, optional, realm: options.realm ?? 'api' },
    function jwtAuth(ctx: Context, next: Next): Promise<void> {
      const found = read(ctx);
      if (found.kind === 'none') {
        if (optional) {
          count.anonymous.inc();
          return next();
        }
        count.missing.inc();
        ctx.problem(answers.TOKEN_MISSING());
        return DONE;
      }
      if (found.kind === 'malformed') {
        count.malformed.inc();
        ctx.problem(answers.CREDENTIALS_MALFORMED());
        return DONE;
      }
      let verified: VerifiedToken | Promise<VerifiedToken>;
      try {
        verified = verifier.verify(found.token);
      } catch (error) {
        ctx.problem(refuse(error));
        return DONE;
      }
      if (!(verified instanceof Promise)) {
        count.cached.inc();
        return accept(ctx, verified, next);
      }
      return verified.then(
        (token) => {
          count.verified.inc();
          return accept(ctx, token, next);
        },
        (error: unknown) => {
          ctx.problem(refuse(error));
        },
      );
    },
  );
}
markFactory(jwtAuth);
