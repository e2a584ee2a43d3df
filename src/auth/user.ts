/**
 * Who a request is from: `ctx.state.user`, set by `jwtAuth()` from a
 * verified token and read by `rbac()` checks, the rate limiter's default key
 * (`user:<id>`) and the logs' `user_id`.
 */
import type { JWTPayload } from 'jose';

/** The authenticated user of a request. */
export interface AuthUser {
  /** The subject (`sub`) of the verified token. */
  readonly id: string;
  /** Role names the token asserts (`roles` claim). Case-sensitive; unknown names grant nothing. */
  readonly roles: readonly string[];
  /** Permissions the token asserts directly (`permissions` claim, or the OAuth `scope` string split on spaces). */
  readonly permissions: readonly string[];
  /** Every claim of the verified token, frozen. */
  readonly claims: Readonly<JWTPayload>;
}

declare module '@ward/core' {
  interface WardState {
    /** The authenticated user, set by `jwtAuth()` (absent on anonymous requests in `optional` mode). */
    user?: AuthUser;
  }
}
