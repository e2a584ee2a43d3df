/**
 * Where revoked access tokens are remembered until they would have expired
 * anyway: single tokens by (`iss`, `jti`) — OWASP's deny list, keyed on the
 * token's identity, not its bytes, so a re-encoded signature is still
 * revoked —, whole sessions by (`iss`, `sid`) — every access token of one
 * login, which is how a logout or a refresh-token reuse reaches the access
 * tokens that login handed out — and a per-subject watermark, "every token of this subject
 * issued at or before T", which is how "log out everywhere" and "password
 * changed" reach tokens already handed out.
 */

/** The identity of one access token, from its verified claims. */
export interface RevokedToken {
  /** `iss` claim; `''` when the token has none. */
  readonly issuer: string;
  /** `sub` claim. */
  readonly subject: string;
  /** `jti` claim. */
  readonly tokenId: string;
  /** `exp` claim, in seconds since the epoch: the entry is forgotten then. */
  readonly expiresAt: number;
}

/** One session (a login: a refresh-token family), every access token of which carries its `sid`. */
export interface RevokedSession {
  /** `iss` claim of its tokens. */
  readonly issuer: string;
  /** `sub` claim of its tokens. */
  readonly subject: string;
  /** `sid` claim of its tokens. */
  readonly sessionId: string;
  /** Seconds since the epoch after which none of its tokens is valid anyway: the entry is forgotten then. */
  readonly expiresAt: number;
}

/** What a verified token is checked against. */
export interface RevocationQuery {
  readonly issuer: string;
  readonly subject: string;
  /** `jti`; undefined when the token has none (only the watermark applies). */
  readonly tokenId: string | undefined;
  /** `iat`, in seconds since the epoch; undefined when the token has none (then any watermark revokes it). */
  readonly issuedAt: number | undefined;
  /** `sid`; undefined when the token has none (no session revocation applies). */
  readonly sessionId?: string | undefined;
}

/** A deny list of access tokens. Memory and Redis implementations ship; any store can implement it. */
export interface RevocationStore {
  /** `'memory'`, `'redis'`, …: a metric label. */
  readonly kind: string;
  /** True when the token is revoked. A synchronous answer keeps the request path free of promises. */
  isRevoked(query: RevocationQuery): boolean | Promise<boolean>;
  /** Revokes one token until its `exp`. */
  revokeToken(token: RevokedToken): void | Promise<void>;
  /**
   * Optional (both shipped stores have it): revokes every token carrying
   * this `sid` (of `issuer` and `subject`) until `expiresAt`. The token
   * service calls it on logout and on refresh-token reuse; without it,
   * the access tokens of such a login stay valid until their `exp`.
   */
  revokeSession?(session: RevokedSession): void | Promise<void>;
  /**
   * Revokes every token of `subject` (of `issuer`) issued at or before
   * `before` (seconds since the epoch: `iat` has whole seconds, so tokens
   * of that same second are revoked too), remembered for `ttlSeconds` — at
   * least the longest access-token lifetime, after which no such token is
   * still valid. A later watermark replaces an earlier one, never the reverse.
   */
  revokeSubject(issuer: string, subject: string, before: number, ttlSeconds: number): void | Promise<void>;
  /**
   * Optional: calls `listener` after each revocation made through this
   * store, so verifiers drop their cached copies at once. Returns the
   * unsubscribe function. Default: none (hits are still checked against the store).
   */
  onRevoke?(listener: (revocation: Revocation) => void): () => void;
}

/** What {@link RevocationStore.onRevoke} announces. */
export type Revocation =
  | { readonly kind: 'token'; readonly issuer: string; readonly tokenId: string }
  | { readonly kind: 'session'; readonly issuer: string; readonly subject: string; readonly sessionId: string }
  | { readonly kind: 'subject'; readonly issuer: string; readonly subject: string; readonly before: number };

/**
 * True when a subject's watermark `before` (seconds) covers a token issued
 * at `issuedAt`: at or before its second (a fractional `iat` by its whole
 * second), or always when the token has no `iat`. One rule for every store.
 */
export function belowWatermark(issuedAt: number | undefined, before: number): boolean {
  return issuedAt === undefined || Math.floor(issuedAt) <= before;
}

/** True when `revocation` revokes a token with these claims. */
export function revokes(revocation: Revocation, token: { issuer: string; subject: string; tokenId: string | undefined; issuedAt: number | undefined; sessionId?: string | undefined }): boolean {
  if (token.issuer !== revocation.issuer) return false;
  if (revocation.kind === 'token') return token.tokenId === revocation.tokenId;
  if (revocation.kind === 'session') return token.subject === revocation.subject && token.sessionId === revocation.sessionId;
  return token.subject === revocation.subject && belowWatermark(token.issuedAt, revocation.before);
}
