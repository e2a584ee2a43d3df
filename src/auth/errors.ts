/**
 * The errors of @ward/auth. Request-time failures are `HttpError`s (one
 * problem+json answer each, with the RFC 6750 `WWW-Authenticate`
 * challenge); `AuthError` is the typed base of the failures the direct APIs
 * (token service, stores) report, with a stable `code` and a brand guard
 * that survives duplicate package copies.
 */
import { WardError, hasBrand } from '@ward/core';

const AUTH_ERROR = Symbol.for('ward.auth-error');

/** Stable machine codes of @ward/auth. */
export type AuthErrorCode =
  /** No credentials on the request (401, no `error=` in the challenge, RFC 6750 §3.1). */
  | 'TOKEN_MISSING'
  /** The access token is well formed and signed but past its `exp` (401 `invalid_token`). */
  | 'TOKEN_EXPIRED'
  /** The access token failed a check: format, signature, algorithm, claims (401 `invalid_token`). */
  | 'TOKEN_INVALID'
  /** The access token was revoked: its `jti`, or every token of its subject issued before a time (401 `invalid_token`). */
  | 'TOKEN_REVOKED'
  /** The credentials are malformed as a request: two tokens, a bad `Authorization` field (401 `invalid_request`). */
  | 'CREDENTIALS_MALFORMED'
  /** The keys could not be had (a JWKS endpoint down) or the revocation store failed closed (503). */
  | 'AUTH_UNAVAILABLE'
  /** A refresh token that is unknown, tampered, revoked or expired (401 `invalid_grant`). */
  | 'REFRESH_TOKEN_INVALID'
  /** A refresh token that was already spent: its whole family is now revoked (401 `invalid_grant`). */
  | 'REFRESH_TOKEN_REUSED'
  /** The refresh-token store failed (503). */
  | 'REFRESH_STORE_UNAVAILABLE'
  /** A route's role or permission check refused an authenticated user (403 `insufficient_scope`). */
  | 'FORBIDDEN';

/** A failure of @ward/auth with a stable {@link AuthErrorCode}. */
export class AuthError extends WardError {
  override name = 'AuthError';
  declare readonly code: AuthErrorCode;
  readonly [AUTH_ERROR] = true;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** True for an {@link AuthError}, even from another copy of `@ward/auth`. */
export function isAuthError(value: unknown): value is AuthError {
  return hasBrand(value, AUTH_ERROR);
}
