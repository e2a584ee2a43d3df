/**
 * The answers of a failed authentication: 401 problem+json with the
 * RFC 6750 §3 `WWW-Authenticate: Bearer` challenge. Without credentials
 * the challenge carries no `error` (§3.1: "SHOULD NOT include an error
 * code"); with bad ones it names the RFC's code and nothing more, so the
 * answer is no oracle for which check failed (OWASP Error Handling).
 */
import { HttpError } from '@ward/core';
import type { AuthErrorCode } from './errors.js';

/** The RFC 6750 §3.1 error codes. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** Characters allowed in a quoted-string value we write ourselves (RFC 9110 §5.6.4, no quote or backslash). */
const QUOTABLE = /^[\t\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Validates a realm at configuration: a quotable string. */
export function realmOf(value: unknown, where: string): string {
  if (value === undefined) return 'api';
  if (typeof value !== 'string' || !QUOTABLE.test(value)) throw new TypeError(`${where}.realm must be printable ASCII without quotes or backslashes, got ${JSON.stringify(value)}`);
  return value;
}

/** The `WWW-Authenticate` value: `Bearer realm="api"`, then `error` and `scope` when given. */
export function bearerChallenge(realm: string, error?: BearerError, scope?: string): string {
  let value = `Bearer realm="${realm}"`;
  if (error !== undefined) value += `, error="${error}"`;
  if (scope !== undefined) value += `, scope="${scope}"`;
  return value;
}

const DETAILS: Readonly<Partial<Record<AuthErrorCode, string>>> = {
  TOKEN_MISSING: 'This resource needs a bearer token',
  TOKEN_EXPIRED: 'The access token has expired',
  TOKEN_INVALID: 'The access token is not valid',
  TOKEN_REVOKED: 'The access token has been revoked',
  CREDENTIALS_MALFORMED: 'The credentials are malformed: send one bearer token, in one place',
};

/** Which RFC 6750 error each 401 code carries. */
const BEARER_ERROR: Readonly<Partial<Record<AuthErrorCode, BearerError>>> = {
  TOKEN_EXPIRED: 'invalid_token',
  TOKEN_INVALID: 'invalid_token',
  TOKEN_REVOKED: 'invalid_token',
  CREDENTIALS_MALFORMED: 'invalid_request',
};

/**
 * The 401 of one failure. Built per realm once (see {@link unauthorizedAnswers})
 * rather than per request: the headers are constant strings.
 */
function unauthorized(code: AuthErrorCode, realm: string): HttpError {
  return new HttpError(401, {
    code,
    detail: DETAILS[code] ?? 'Authentication failed',
    headers: { 'www-authenticate': bearerChallenge(realm, BEARER_ERROR[code]), 'cache-control': 'no-store' },
  });
}

/** The 401 answers a verifier can give, keyed by code. */
export type UnauthorizedAnswers = Readonly<Record<'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'TOKEN_REVOKED' | 'CREDENTIALS_MALFORMED', () => HttpError>>;

/** Factories of the 401 answers of one realm (a fresh error per request: errors carry causes and stacks). */
export function unauthorizedAnswers(realm: string): UnauthorizedAnswers {
  return {
    TOKEN_MISSING: () => unauthorized('TOKEN_MISSING', realm),
    TOKEN_EXPIRED: () => unauthorized('TOKEN_EXPIRED', realm),
    TOKEN_INVALID: () => unauthorized('TOKEN_INVALID', realm),
    TOKEN_REVOKED: () => unauthorized('TOKEN_REVOKED', realm),
    CREDENTIALS_MALFORMED: () => unauthorized('CREDENTIALS_MALFORMED', realm),
  };
}

/** The 503 when keys or the revocation store cannot be reached: the token is neither accepted nor blamed. */
export function authUnavailable(retryAfterSeconds: number, cause: unknown): HttpError {
  return new HttpError(503, {
    code: 'AUTH_UNAVAILABLE',
    detail: 'Authentication is unavailable for a moment; retry later',
    headers: { 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' },
    cause,
  });
}
