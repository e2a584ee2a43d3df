/**
 * `createTokenService()`: what a login, a refresh and a logout need.
 * Access tokens are short JWTs (RFC 9068 `at+jwt`, 15 minutes by default)
 * signed with one key imported once; refresh tokens are opaque, rotated on
 * every use, grouped in families (one per login) with an idle and an
 * absolute end. A spent refresh token that comes back revokes its whole
 * family (RFC 9700 §4.14.2): whoever holds the newer token — the user or
 * the thief — must log in again.
 */
import { hash, randomBytes } from 'node:crypto';
import { describeValue } from '@ward/core';
import { type CryptoKey, type JWK, SignJWT, importJWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { type AsymmetricAlgorithm, type AsymmetricKeyInput, type HmacAlgorithm, type SecretInput, hmacKey, isHmacAlgorithm, isJwsAlgorithm, privateKey } from './algorithms.js';
import { AuthError } from './errors.js';
import type { JwtVerifierOptions } from './jwt-verifier.js';
import { MemoryRefreshStore } from './refresh-memory-store.js';
import type { RefreshFamily, RefreshGrant, RefreshStore, RotateResult } from './refresh-store.js';
import { newFamilyId, newRefreshToken, parseRefreshToken } from './refresh-token.js';
import type { RevocationStore } from './revocation-store.js';
import type { AuthUser } from './user.js';

/** The signing key: a secret for HS*, a private key for the others; always with a `kid`. */
export type SigningKeyOption =
  | { readonly kid: string; readonly alg: HmacAlgorithm; readonly secret: SecretInput }
  | { readonly kid: string; readonly alg: AsymmetricAlgorithm; readonly privateKey: AsymmetricKeyInput };

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  /** The `iss` of every access token. Required. */
  issuer: string;
  /** The `aud` of every access token. Required. */
  audience: string | readonly string[];
  /** The key access tokens are signed with, imported once. Required. */
  signingKey: SigningKeyOption;
  /** Lifetime of an access token, in seconds. Default: `900` (15 minutes). */
  accessTokenTtlSeconds?: number;
  /** A refresh token unused for this long stops working, in seconds. Default: `1_209_600` (14 days). */
  refreshIdleTtlSeconds?: number;
  /** A login's refresh tokens stop working this long after it, however often rotated, in seconds. Default: `2_592_000` (30 days). */
  refreshAbsoluteTtlSeconds?: number;
  /** Where refresh-token families live. Default: a new `MemoryRefreshStore()`. */
  store?: RefreshStore;
  /** When given, `logoutAll()` also revokes the subject's access tokens, and `revokeAccessToken()` works. Default: none. */
  revocation?: RevocationStore;
  /** Security events (reuse detected, family revoked): for the audit log. Never carries a token. Default: none. */
  onEvent?: (event: TokenServiceEvent) => void;
  /** The clock, in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** What the service reports. */
export type TokenServiceEvent =
  | { readonly type: 'reuse_detected'; readonly subject: string; readonly family: string }
  | { readonly type: 'logout'; readonly family: string }
  | { readonly type: 'logout_all'; readonly subject: string };

/** A new access token and refresh token. */
export interface TokenPair {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds the access token is valid (RFC 6749 `expires_in`). */
  readonly expiresIn: number;
  /** ms since the epoch. */
  readonly accessTokenExpiresAt: number;
  readonly refreshToken: string;
  /** When this refresh token stops working unless used: the idle end (never past the absolute end), ms. */
  readonly refreshTokenExpiresAt: number;
}

export interface TokenService {
  /** A login: a new family, its first refresh token, an access token. */
  issue(subject: string, grant?: RefreshGrant): Promise<TokenPair>;
  /** Spends `refreshToken` for a new pair; `AuthError` `REFRESH_TOKEN_INVALID`, `REFRESH_TOKEN_REUSED` or `REFRESH_STORE_UNAVAILABLE`. */
  refresh(refreshToken: unknown): Promise<TokenPair>;
  /** Revokes the family of `refreshToken` (idempotent; unknown tokens are ignored). */
  logout(refreshToken: unknown): Promise<void>;
  /**
   * Revokes every family of `subject`, and (with `revocation`) every access
   * token issued to it so far. With `revocation` it resolves once the
   * current second is over (at most 1 s): `iat` has whole seconds, so a
   * token issued later in the second of the watermark would be revoked too;
   * tokens issued after it resolves are not.
   */
  logoutAll(subject: string): Promise<void>;
  /** Revokes one access token until its `exp` (needs `revocation`). */
  revokeAccessToken(user: AuthUser): Promise<void>;
  /** The options a `jwtAuth()`/`createJwtVerifier()` needs to verify this service's tokens. */
  verification(): Pick<JwtVerifierOptions, 'algorithms' | 'issuer' | 'audience' | 'secrets' | 'publicKeys'>;
}

const WHERE = 'createTokenService(options)';
const KNOWN = new Set(['issuer', 'audience', 'signingKey', 'accessTokenTtlSeconds', 'refreshIdleTtlSeconds', 'refreshAbsoluteTtlSeconds', 'store', 'revocation', 'onEvent', 'now']);
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sid', 'roles', 'permissions']);

/**
 * @example
 * const tokens = createTokenService({ issuer: 'https://api.example.com/', audience: 'api', signingKey: { kid: '2026-12', alg: 'HS256', secret: process.env.JWT_SECRET! } });
 * const pair = await tokens.issue(user.id, { roles: ['user'] });
 * app.use(ward([jwtAuth(tokens.verification())]));
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE} needs { issuer, audience, signingKey }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${WHERE}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  const { issuer, signingKey } = options;
  if (typeof issuer !== 'string' || issuer.length === 0) throw new TypeError(`${WHERE}.issuer must be a non-empty string, got ${describeValue(issuer)}`);
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audience) || audience.length === 0 || !audience.every((a) => typeof a === 'string' && a.length > 0)) throw new TypeError(`${WHERE}.audience must be a non-empty string or list, got ${describeValue(options.audience)}`);
  const accessTtl = seconds(options.accessTokenTtlSeconds, 900, 'accessTokenTtlSeconds');
  const idleTtl = seconds(options.refreshIdleTtlSeconds, 1_209_600, 'refreshIdleTtlSeconds');
  const absoluteTtl = seconds(options.refreshAbsoluteTtlSeconds, 2_592_000, 'refreshAbsoluteTtlSeconds');
  const store = options.store ?? new MemoryRefreshStore();
  if (typeof store !== 'object' || store === null || typeof store.rotate !== 'function') throw new TypeError(`${WHERE}.store must be a RefreshStore, got ${describeValue(store)}`);
  const now = options.now ?? Date.now;
  const onEvent = options.onEvent;
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError(`${WHERE}.onEvent must be a function, got ${describeValue(onEvent)}`);
  /** A listener that throws must not change what the caller gets (a reuse stays REFRESH_TOKEN_REUSED). */
  const emit = (event: TokenServiceEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // ignored: the event is advisory
    }
  };
  const revocation = options.revocation;

  if (typeof signingKey !== 'object' || signingKey === null) throw new TypeError(`${WHERE}.signingKey must be { kid, alg, secret } or { kid, alg, privateKey }, got ${describeValue(signingKey)}`);
  const { kid, alg } = signingKey;
  if (typeof kid !== 'string' || kid.length === 0) throw new TypeError(`${WHERE}.signingKey.kid is required (verifiers pick keys by it, so keys can rotate), got ${describeValue(kid)}`);
  if (!isJwsAlgorithm(alg)) throw new RangeError(`${WHERE}.signingKey.alg must be a JWS algorithm such as 'HS256' or 'ES256', got ${describeValue(alg)}`);
  const node: KeyObject = isHmacAlgorithm(alg) ? hmacKey((signingKey as { secret: SecretInput }).secret, alg, `${WHERE}.signingKey.secret`) : privateKey((signingKey as { privateKey: AsymmetricKeyInput }).privateKey, alg, `${WHERE}.signingKey.privateKey`);
  // Imported once as a CryptoKey (jose signs a KeyObject by importing it on every call).
  const key: Promise<CryptoKey | KeyObject> = (
    isHmacAlgorithm(alg)
      ? crypto.subtle.importKey('raw', node.export(), { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['sign'])
      : importJWK({ ...(node.export({ format: 'jwk' }) as JWK), alg }, alg, { extractable: false }).then((k) => k as CryptoKey)
  ).catch(() => node);

  async function accessToken(subject: string, grant: RefreshGrant, family: string, at: number): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(at / 1000);
    const extra = grant.claims ?? {};
    const payload: Record<string, unknown> = { ...extra, sid: sessionIdOf(family), roles: grant.roles ?? [] };
    if (grant.permissions !== undefined) payload['permissions'] = grant.permissions;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience.length === 1 ? audience[0]! : [...audience])
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + accessTtl)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(await key);
    return { token, expiresAt: (iat + accessTtl) * 1000 };
  }

  async function pair(subject: string, grant: RefreshGrant, family: string, refreshToken: string, refreshExpiresAt: number, at: number): Promise<TokenPair> {
    const access = await accessToken(subject, grant, family, at);
    return { accessToken: access.token, tokenType: 'Bearer', expiresIn: accessTtl, accessTokenExpiresAt: access.expiresAt, refreshToken, refreshTokenExpiresAt: refreshExpiresAt };
  }

  /**
   * Every access token of the login `family` is refused from now on, through
   * `revocation` when it can (true); the entry lasts until the last of them
   * expires (each was issued at or before `at`).
   */
  async function revokeSession(subject: string, family: string, at: number): Promise<boolean> {
    if (revocation?.revokeSession === undefined) return false;
    await revocation.revokeSession({ issuer, subject, sessionId: sessionIdOf(family), expiresAt: Math.floor(at / 1000) + accessTtl });
    return true;
  }

  async function stored<T>(call: () => T | Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new AuthError('REFRESH_STORE_UNAVAILABLE', 'The refresh-token store is unavailable', { cause: error });
    }
  }

  return {
    async issue(subject, grant = {}) {
      if (typeof subject !== 'string' || subject.length === 0) throw new TypeError(`issue(subject): subject must be a non-empty string, got ${describeValue(subject)}`);
      checkGrant(grant);
      const at = now();
      const family = newFamilyId();
      const first = newRefreshToken(family);
      const absoluteExpiresAt = at + absoluteTtl * 1000;
      const idleExpiresAt = Math.min(at + idleTtl * 1000, absoluteExpiresAt);
      await stored(() => store.create(family, { subject, grant, createdAt: at, absoluteExpiresAt, idleExpiresAt, currentHash: first.hash, revoked: false }));
      return pair(subject, grant, family, first.token, idleExpiresAt, at);
    },

    async refresh(refreshToken) {
      const parsed = parseRefreshToken(refreshToken);
      if (parsed === undefined) throw new AuthError('REFRESH_TOKEN_INVALID', 'The refresh token is not valid');
      const at = now();
      const next = newRefreshToken(parsed.family);
      const result: RotateResult = await stored(() => store.rotate(parsed.family, parsed.hash, next.hash, at, idleTtl * 1000));
      if (result.outcome === 'reused') {
        emit({ type: 'reuse_detected', subject: result.subject, family: parsed.family });
        // The family is revoked already: a failure to reach the deny list
        // must not turn this answer into a 503 (nor let a retry pass).
        const accessRevoked = await (result.subject === '' ? Promise.resolve(false) : revokeSession(result.subject, parsed.family, at)).then(
          (done) => done,
          () => false,
        );
        throw new AuthError('REFRESH_TOKEN_REUSED', `The refresh token was already used; every ${accessRevoked ? '' : 'refresh '}token of this login is revoked`);
      }
      if (result.outcome !== 'rotated' || !trustworthy(result.family)) throw new AuthError('REFRESH_TOKEN_INVALID', 'The refresh token is not valid');
      const family = result.family;
      return pair(family.subject, family.grant, parsed.family, next.token, family.idleExpiresAt, at);
    },

    async logout(refreshToken) {
      const parsed = parseRefreshToken(refreshToken);
      if (parsed === undefined) return;
      const subject = await stored(() => store.revokeFamily(parsed.family, parsed.hash));
      if (typeof subject === 'string') await stored(() => revokeSession(subject, parsed.family, now()));
      emit({ type: 'logout', family: parsed.family });
    },

    async logoutAll(subject) {
      await stored(() => store.revokeSubject(subject));
      if (revocation !== undefined) {
        const at = now();
        const second = Math.floor(at / 1000);
        await stored(() => revocation.revokeSubject(issuer, subject, second, accessTtl));
        // `iat` has whole seconds, so the watermark revokes the rest of this
        // second too: resolve once it is over, so that a login that follows
        // (the usual "password changed" flow) is not revoked with the old ones.
        await new Promise<void>((resolve) => setTimeout(resolve, (second + 1) * 1000 - at));
      }
      emit({ type: 'logout_all', subject });
    },

    async revokeAccessToken(user) {
      if (revocation === undefined) throw new TypeError('revokeAccessToken() needs createTokenService({ revocation })');
      const { jti, exp } = user.claims;
      if (typeof jti !== 'string' || typeof exp !== 'number') return;
      await stored(() => revocation.revokeToken({ issuer: typeof user.claims.iss === 'string' ? user.claims.iss : '', subject: user.id, tokenId: jti, expiresAt: exp }));
    },

    verification() {
      const common = { algorithms: [alg], issuer, audience: [...audience] };
      return isHmacAlgorithm(alg)
        ? { ...common, secrets: [{ kid, secret: node.export(), alg }] }
        : { ...common, publicKeys: [{ kid, key: createPublicKey(node), alg: alg as AsymmetricAlgorithm }] };
    },
  };
}

/**
 * The `sid` claim of a login's access tokens: a digest of its family id,
 * so an access token never shows part of a refresh token.
 */
function sessionIdOf(family: string): string {
  return hash('sha256', `ward-sid\u0000${family}`, 'base64url').slice(0, 22);
}

/**
 * True when a family a store gave back can make tokens: a subject, a grant
 * as `issue()` accepts it. A damaged record (a hand-edited Redis hash, a
 * custom store's bug) is an invalid refresh token, never a 500.
 */
function trustworthy(family: RefreshFamily): boolean {
  if (typeof family !== 'object' || family === null || typeof family.subject !== 'string' || family.subject.length === 0) return false;
  try {
    checkGrant(family.grant);
    return true;
  } catch {
    return false;
  }
}

function checkGrant(grant: RefreshGrant): void {
  if (typeof grant !== 'object' || grant === null) throw new TypeError(`issue(subject, grant): grant must be { roles?, permissions?, claims? }, got ${describeValue(grant)}`);
  for (const name of ['roles', 'permissions'] as const) {
    const list = grant[name];
    if (list !== undefined && (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string'))) throw new TypeError(`issue(subject, grant): ${name} must be a list of strings, got ${describeValue(list)}`);
  }
  for (const claim of Object.keys(grant.claims ?? {})) if (REGISTERED.has(claim)) throw new RangeError(`issue(subject, grant): claims.${claim} is set by the service itself`);
}

function seconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new RangeError(`${WHERE}.${name} must be a whole number of seconds ≥ 1, got ${describeValue(value)}`);
  return value;
}
