/**
 * Where refresh-token families live. A family is one login: every token
 * rotated from it shares its subject, its grant and its absolute end. The
 * store keeps only the hash of the family's one current token; rotation
 * is a single atomic compare-and-set of that hash, so of two simultaneous
 * refreshes with one token exactly one wins — and the other presents a
 * token that is no longer current, which is reuse.
 */

/** One login's refresh-token family. */
export interface RefreshFamily {
  readonly subject: string;
  /** What the access tokens of this family carry. */
  readonly grant: RefreshGrant;
  /** When the family was created (the login), ms since the epoch. */
  readonly createdAt: number;
  /** The absolute end: no rotation extends it, ms. */
  readonly absoluteExpiresAt: number;
  /** The idle end: restarted by each rotation (never past the absolute end), ms. */
  readonly idleExpiresAt: number;
  /** SHA-256 of the family's current token. */
  readonly currentHash: string;
  /** True once revoked (logout, reuse, expiry seen); kept until the absolute end so a later reuse is still recognised. */
  readonly revoked: boolean;
}

/** Roles, permissions and extra claims given at login, reused by every refresh. */
export interface RefreshGrant {
  readonly roles?: readonly string[];
  readonly permissions?: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** What one rotation did. */
export type RotateResult =
  | { readonly outcome: 'rotated'; readonly family: RefreshFamily }
  /** The token was one of the family's spent ones: the family is now revoked. (A token the family never issued is `invalid`, and revokes nothing.) */
  | { readonly outcome: 'reused'; readonly subject: string }
  /** Unknown family, revoked, or expired (idle or absolute). */
  | { readonly outcome: 'invalid' };

/** A refresh-token store. Memory and Redis implementations ship. */
export interface RefreshStore {
  /** `'memory'`, `'redis'`, …: for descriptions and events. */
  readonly kind: string;
  /** Stores a new family (a login). */
  create(family: string, record: RefreshFamily): void | Promise<void>;
  /**
   * Atomically: if `family` exists, is not revoked and not expired at `now`,
   * and its current hash is `presentedHash`, make `nextHash` current and
   * restart the idle time (`now + idleTtlMs`, capped at the absolute end),
   * and remember `presentedHash` as spent; if it is a spent one, revoke the
   * family (reuse); if the family never issued it, refuse it and change nothing.
   */
  rotate(family: string, presentedHash: string, nextHash: string, now: number, idleTtlMs: number): RotateResult | Promise<RotateResult>;
  /**
   * Revokes one family (logout). With `presentedHash`, only when that hash
   * is one the family issued (current or spent): a forged token naming a
   * family cannot log its user out. Unknown families are ignored.
   * Answers the family's subject when this call revoked it (the token
   * service then revokes the login's access tokens too), else `undefined`;
   * a store that answers nothing only loses that.
   */
  revokeFamily(family: string, presentedHash?: string): string | undefined | void | Promise<string | undefined | void>;
  /** Revokes every family of `subject` (log out everywhere, password changed). */
  revokeSubject(subject: string): void | Promise<void>;
}
