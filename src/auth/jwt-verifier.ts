/**
 * `createJwtVerifier()`: the verification core of `jwtAuth()`, usable
 * alone (a WebSocket upgrade, a queue consumer). One call: the size and
 * compact-JWS format checks (before any base64 or JSON work), the
 * verified-token cache, jose's `jwtVerify` with our allowlist, keys and
 * claim rules, the user's shape, then revocation. Every failure is an
 * {@link AuthError} with a stable code, never another exception.
 */
import { describeValue } from '@ward/core';
import { type JWTPayload, type JWTVerifyOptions, errors, jwtVerify } from 'jose';
import { type JwsAlgorithm, algorithmList } from './algorithms.js';
import { jwsStructureProblem } from './jws-structure.js';
import { type ClaimNames, userOf } from './claims.js';
import { AuthError } from './errors.js';
import { type KeyOptions, KeysUnavailableError, keySet } from './keys.js';
import { type RevocationChecker, revocationChecker } from './revocation-check.js';
import type { RevocationStore } from './revocation-store.js';
import { VerifiedCache, type VerifiedToken } from './verified-cache.js';

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions extends KeyOptions {
  /** The algorithms accepted, exactly as written (case-sensitive). Required; `none` is never accepted. */
  algorithms: readonly JwsAlgorithm[];
  /**
   * The `iss` every token must carry, compared exactly (RFC 9068 §4).
   * Required. One issuer per verifier: its keys are that issuer's only
   * (RFC 8725 §3.8) — for several issuers, one verifier each, given to
   * `jwtAuth({ verifier: [a, b] })`.
   */
  issuer: string;
  /** The audience this API is: a token's `aud` must contain one of these. Required. */
  audience: string | readonly string[];
  /**
   * The `typ` header every token must carry (RFC 8725 §3.11), compared as a
   * media type (`at+jwt` = `application/at+jwt`, any case). `false`: not
   * checked. Default: `'at+jwt'` (RFC 9068 access tokens).
   */
  typ?: string | false;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default: `0`. */
  clockToleranceSeconds?: number;
  /** Refuse tokens whose `iat` is older than this, in seconds (then `iat` is required). Default: no limit. */
  maxTokenAgeSeconds?: number;
  /** Claims every token must carry, on top of `exp` and `sub` (always required). Default: none. */
  requiredClaims?: readonly string[];
  /** Longest token accepted, in characters; a longer one is refused before it is decoded. Default: `8192`. */
  maxTokenBytes?: number;
  /** The verified-token cache: `{ max }` entries, or `false` for none. Default: `{ max: 10_000 }`. */
  cache?: { max: number } | false;
  /** Where roles and permissions are read from. Default: `roles` and `permissions` (plus `scope`). */
  claims?: ClaimNames;
  /** The deny list checked after the signature (and on cache hits). Default: none. */
  revocation?: RevocationStore;
  /**
   * When the revocation store fails or is late: `'closed'` (503
   * `AUTH_UNAVAILABLE`) or `'open'` (accept, reported). Required with any
   * store but the memory one (which cannot fail).
   */
  revocationFailureMode?: 'closed' | 'open';
  /** Longest wait for an asynchronous revocation store, in ms. Default: `50`. */
  revocationTimeoutMs?: number;
  /** The clock, in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** Verifies access tokens. */
export interface JwtVerifier {
  /**
   * The verified token, or an {@link AuthError}: `TOKEN_INVALID`,
   * `TOKEN_EXPIRED`, `TOKEN_REVOKED`, or `AUTH_UNAVAILABLE` (keys or the
   * revocation store out of reach). Synchronous on a cache hit with a
   * synchronous (memory) revocation store.
   */
  verify(token: string): VerifiedToken | Promise<VerifiedToken>;
  /** The one `iss` this verifier accepts. */
  readonly issuer: string;
  /** Seconds a client should wait after `AUTH_UNAVAILABLE`. */
  readonly retryAfterSeconds: number;
  /** A JSON-safe description (no key material). */
  readonly description: Readonly<Record<string, unknown>>;
}

/** A compact JWS: three base64url segments, no padding, a non-empty signature (8725bis §3.14). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const KNOWN = new Set(['algorithms', 'issuer', 'audience', 'typ', 'clockToleranceSeconds', 'maxTokenAgeSeconds', 'requiredClaims', 'maxTokenBytes', 'cache', 'claims', 'revocation', 'revocationFailureMode', 'revocationTimeoutMs', 'now', 'secrets', 'publicKeys', 'jwks', 'jwksUrl', 'jwksOptions']);
export const VERIFIER_OPTION_NAMES: readonly string[] = [...KNOWN];

/**
 * Builds a verifier; every key is imported and every option checked now.
 *
 * @example
 * const verifier = createJwtVerifier({ algorithms: ['ES256'], jwksUrl: 'https://id.example/.well-known/jwks.json', issuer: 'https://id.example/', audience: 'api://orders' });
 * const { user } = await verifier.verify(token);
 */
export function createJwtVerifier(options: JwtVerifierOptions, where = 'createJwtVerifier(options)'): JwtVerifier {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs options such as { algorithms: ['HS256'], secrets: [{ secret }], issuer, audience }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${where}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  const algorithms = algorithmList(options.algorithms, where);
  const keys = keySet(options, algorithms, where);
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new TypeError(
      `${where}.issuer must be one issuer (a non-empty string), got ${describeValue(options.issuer)}: keys belong to one issuer (RFC 8725 §3.8); for several, make one verifier each and pass jwtAuth({ verifier: [a, b] })`,
    );
  }
  const issuer = options.issuer;
  const audience = names(options.audience, `${where}.audience`);
  const typ = options.typ ?? 'at+jwt';
  if (typ !== false && (typeof typ !== 'string' || typ.length === 0)) throw new TypeError(`${where}.typ must be a media type such as 'at+jwt', or false, got ${describeValue(typ)}`);
  const clockTolerance = seconds(options.clockToleranceSeconds, 0, `${where}.clockToleranceSeconds`);
  const maxTokenAge = options.maxTokenAgeSeconds === undefined ? undefined : seconds(options.maxTokenAgeSeconds, 0, `${where}.maxTokenAgeSeconds`);
  const maxTokenBytes = integer(options.maxTokenBytes, 8192, 16, `${where}.maxTokenBytes`);
  const required = ['exp', 'sub', ...names(options.requiredClaims ?? [], `${where}.requiredClaims`, true)];
  const claimNames = { roles: options.claims?.roles ?? 'roles', permissions: options.claims?.permissions ?? 'permissions' };
  if (typeof claimNames.roles !== 'string' || typeof claimNames.permissions !== 'string') throw new TypeError(`${where}.claims: roles and permissions must be claim names`);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError(`${where}.now must be a function returning ms since the epoch, got ${describeValue(now)}`);
  const clockInjected = options.now !== undefined;
  const cacheOption = options.cache ?? { max: 10_000 };
  if (cacheOption !== false && (typeof cacheOption !== 'object' || cacheOption === null)) throw new TypeError(`${where}.cache must be { max } or false, got ${describeValue(cacheOption)}`);
  const cache = cacheOption === false ? undefined : new VerifiedCache(integer(cacheOption.max, 10_000, 1, `${where}.cache.max`));
  const revocation: RevocationChecker | undefined = options.revocation === undefined ? undefined : revocationChecker(options, cache, `${where}`);

  const joseOptions: JWTVerifyOptions = {
    algorithms: [...algorithms],
    issuer,
    audience: [...audience],
    clockTolerance,
    requiredClaims: required,
    ...(typ === false ? {} : { typ }),
    ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
  };
  const expired = (): AuthError => new AuthError('TOKEN_EXPIRED', 'The access token has expired');

  async function verifySignature(token: string, key: string | undefined): Promise<VerifiedToken> {
    // Duplicate member names and b64 headers: refused before any key work.
    const problem = jwsStructureProblem(token);
    if (problem !== undefined) throw new AuthError('TOKEN_INVALID', 'The access token is not valid', { cause: new Error(problem) });
    let payload: JWTPayload;
    try {
      const verifyOptions = clockInjected ? { ...joseOptions, currentDate: new Date(now()) } : joseOptions;
      ({ payload } = await jwtVerify(token, keys.resolve, verifyOptions));
    } catch (error) {
      throw failure(error);
    }
    // RFC 7519 §4.1.7: a jti is a string; another shape could never be revoked by it.
    if (payload.jti !== undefined && typeof payload.jti !== 'string') throw new AuthError('TOKEN_INVALID', 'The access token is not valid', { cause: new Error('jti is not a string') });
    // Likewise `sid` (OpenID Connect): its session could never revoke it.
    if (payload['sid'] !== undefined && typeof payload['sid'] !== 'string') throw new AuthError('TOKEN_INVALID', 'The access token is not valid', { cause: new Error('sid is not a string') });
    let verified: VerifiedToken;
    try {
      verified = {
        user: userOf(payload, claimNames),
        issuer: payload.iss ?? '',
        subject: payload.sub!,
        tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
        issuedAt: typeof payload.iat === 'number' ? payload.iat : undefined,
        sessionId: typeof payload['sid'] === 'string' ? payload['sid'] : undefined,
        expiresAtMs: payload.exp! * 1000,
      };
    } catch (error) {
      throw failure(error);
    }
    // Cached until exp, or until the token grows older than maxTokenAge.
    const until = maxTokenAge === undefined ? verified.expiresAtMs : Math.min(verified.expiresAtMs, ((verified.issuedAt ?? 0) + maxTokenAge) * 1000);
    if (cache !== undefined && key !== undefined) cache.set(key, verified, until);
    return revocation === undefined ? verified : revocation.check(verified);
  }

  function verify(token: string): VerifiedToken | Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length > maxTokenBytes || !COMPACT_JWS.test(token)) {
      return Promise.reject(new AuthError('TOKEN_INVALID', 'The access token is not a compact JWS within the size limit'));
    }
    let key: string | undefined;
    if (cache !== undefined) {
      key = VerifiedCache.keyOf(token);
      const hit = cache.get(key, now());
      if (hit !== undefined) {
        if (revocation === undefined) return hit;
        try {
          return revocation.check(hit);
        } catch (error) {
          return Promise.reject(error as Error);
        }
      }
    }
    return verifySignature(token, key);
  }

  /** jose's error (or anything else) as one of ours. */
  function failure(error: unknown): AuthError {
    if (error instanceof AuthError) return error;
    if (error instanceof KeysUnavailableError) return new AuthError('AUTH_UNAVAILABLE', error.message, { cause: error });
    if (error instanceof errors.JWTExpired) return Object.assign(expired(), { cause: error });
    return new AuthError('TOKEN_INVALID', 'The access token is not valid', { cause: error });
  }

  return {
    verify,
    issuer,
    retryAfterSeconds: keys.retryAfterSeconds,
    description: {
      algorithms,
      issuer,
      audience,
      typ,
      clockToleranceSeconds: clockTolerance,
      ...(maxTokenAge === undefined ? {} : { maxTokenAgeSeconds: maxTokenAge }),
      maxTokenBytes,
      cache: cacheOption,
      revocation: options.revocation?.kind ?? null,
      ...keys.description,
    },
  };
}

function names(value: unknown, where: string, allowEmpty = false): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || (!allowEmpty && list.length === 0) || !list.every((entry) => typeof entry === 'string' && entry.length > 0)) {
    throw new TypeError(`${where} must be a non-empty string or a list of them, got ${describeValue(value)}`);
  }
  return Object.freeze([...list] as string[]);
}

function seconds(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${where} must be a number of seconds ≥ 0, got ${describeValue(value)}`);
  return value;
}

function integer(value: unknown, fallback: number, min: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new RangeError(`${where} must be an integer ≥ ${min}, got ${describeValue(value)}`);
  return value;
}
