/**
 * @ward/auth — JWT access tokens verified with jose (`jwtAuth`), access +
 * refresh tokens with rotation and reuse detection (`createTokenService`),
 * revocation, refresh-token cookies, and RBAC (`rbac`).
 */
export type { AuthUser } from './user.js';
export { AuthError, isAuthError, type AuthErrorCode } from './errors.js';
// ── jwtAuth (verification) ──
// ── token service, refresh stores, cookies ──
// ── rbac ──
