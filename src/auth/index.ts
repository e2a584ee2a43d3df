/**
 * @ward/auth — JWT access tokens verified with jose (`jwtAuth`), access +
 * refresh tokens with rotation and reuse detection (`createTokenService`),
 * revocation, refresh-token cookies, and RBAC (`rbac`).
 */
export type { AuthUser } from './user.js';
export { AuthError, isAuthError, type AuthErrorCode } from './errors.js';
// ── jwtAuth (verification) ──
export { jwtAuth, type JwtAuthOptions } from './jwt-auth.js';
export { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
export type { VerifiedToken } from './verified-cache.js';
export type { ClaimNames } from './claims.js';
export type { TokenSourceOptions } from './token-source.js';
export type { KeyOptions, PublicKeyOption, RemoteJwksOptions, SecretKeyOption } from './keys.js';
export { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, type AsymmetricAlgorithm, type HmacAlgorithm, type JwsAlgorithm } from './algorithms.js';
export { bearerChallenge, type BearerError } from './challenge.js';
export { revokes, type Revocation, type RevocationQuery, type RevocationStore, type RevokedSession, type RevokedToken } from './revocation-store.js';
export { MemoryRevocationStore, type MemoryRevocationStoreOptions } from './revocation-memory-store.js';
export { RedisRevocationStore, type RedisRevocationClient, type RedisRevocationStoreOptions } from './revocation-redis-store.js';
// ── token service, refresh stores, cookies ──
export { createTokenService, type SigningKeyOption, type TokenPair, type TokenService, type TokenServiceEvent, type TokenServiceOptions } from './token-service.js';
export type { RefreshFamily, RefreshGrant, RefreshStore, RotateResult } from './refresh-store.js';
export { MemoryRefreshStore, type MemoryRefreshStoreOptions } from './refresh-memory-store.js';
export { RedisRefreshStore, type RedisRefreshClient, type RedisRefreshStoreOptions } from './refresh-redis-store.js';
export { clearRefreshTokenCookie, readCookie, refreshCookieName, refreshTokenCookie, type RefreshCookieOptions } from './cookies.js';
// ── rbac ──
export { rbac, type AuthzDecision, type AuthzLogger, type OwnershipCheck, type OwnershipOptions, type Rbac, type RbacOptions } from './rbac.js';
export type { AuthzOutcome } from './authz-metrics.js';
export type { RoleDefinition } from './roles.js';
