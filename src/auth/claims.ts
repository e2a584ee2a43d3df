/**
 * From verified claims to `ctx.state.user`. The shape is checked, not
 * trusted: `sub` must be a non-empty string, `roles` and `permissions`
 * arrays of strings, `scope` a space-separated string (RFC 9068 §2.2.3;
 * RFC 8693 §4.2). A `roles` claim that is a single string is not
 * "normalised" into a list — it makes the token invalid, so a producer's
 * mistake is seen at once rather than granting something by accident.
 */
import type { JWTPayload } from 'jose';
import { errors } from 'jose';
import type { AuthUser } from './user.js';

/** Which claims carry the user's roles and permissions. */
export interface ClaimNames {
  /** The claim with the role names (an array of strings). Default: `'roles'`. */
  roles?: string;
  /** The claim with direct permissions (an array of strings); the `scope` string is read as well. Default: `'permissions'`. */
  permissions?: string;
}

const NONE: readonly string[] = Object.freeze([]);

/** Builds the user of verified claims, or throws a jose claim error (→ 401 TOKEN_INVALID). */
export function userOf(claims: JWTPayload, names: Required<ClaimNames>): AuthUser {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new errors.JWTClaimValidationFailed('"sub" must be a non-empty string', claims, 'sub', 'check_failed');
  const roles = strings(claims[names.roles], names.roles, claims);
  let permissions = strings(claims[names.permissions], names.permissions, claims);
  const scope = claims['scope'];
  if (scope !== undefined) {
    if (typeof scope !== 'string') throw new errors.JWTClaimValidationFailed('"scope" must be a string', claims, 'scope', 'check_failed');
    const scopes = scope.split(' ').filter((entry) => entry.length > 0);
    if (scopes.length > 0) permissions = Object.freeze([...permissions, ...scopes]);
  }
  return Object.freeze({ id: sub, roles, permissions, claims: Object.freeze(claims) });
}

function strings(value: unknown, name: string, claims: JWTPayload): readonly string[] {
  if (value === undefined) return NONE;
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
    throw new errors.JWTClaimValidationFailed(`"${name}" must be an array of strings`, claims, name, 'check_failed');
  }
  return Object.freeze(value as string[]);
}
