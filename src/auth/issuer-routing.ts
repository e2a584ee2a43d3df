/**
 * Several trusted issuers, each with its own keys (RFC 8725 §3.8: "MUST
 * validate that the cryptographic keys … belong to the issuer"): the
 * token's unverified `iss` only chooses which issuer's verifier checks it,
 * and that verifier accepts nothing but its own issuer and keys. A token
 * naming issuer A but signed with B's key fails A's signature check.
 */
import { describeValue } from '@ward/core';
import { AuthError } from './errors.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { VerifiedToken } from './verified-cache.js';

/** One verifier, or one per issuer: the `verify` of either. */
export function routeByIssuer(verifiers: JwtVerifier | readonly JwtVerifier[], where: string): JwtVerifier {
  const list = Array.isArray(verifiers) ? verifiers : [verifiers];
  if (list.length === 0) throw new TypeError(`${where}.verifier: give one verifier or a non-empty list`);
  for (const v of list) if (typeof v !== 'object' || v === null || typeof v.verify !== 'function') throw new TypeError(`${where}.verifier must come from createJwtVerifier(), got ${describeValue(v)}`);
  if (list.length === 1) return list[0]!;
  const byIssuer = new Map<string, JwtVerifier>();
  for (const v of list) {
    if (byIssuer.has(v.issuer)) throw new RangeError(`${where}.verifier: two verifiers for the issuer ${JSON.stringify(v.issuer)}`);
    byIssuer.set(v.issuer, v);
  }
  const unknown = (): Promise<VerifiedToken> => Promise.reject(new AuthError('TOKEN_INVALID', 'The access token is from no trusted issuer'));
  return {
    issuer: [...byIssuer.keys()].join(' '),
    retryAfterSeconds: Math.max(...list.map((v) => v.retryAfterSeconds)),
    description: { issuers: list.map((v) => v.description) },
    verify(token) {
      const verifier = byIssuer.get(issuerOf(token) ?? '');
      return verifier === undefined ? unknown() : verifier.verify(token);
    },
  };
}

/** The `iss` of a compact JWS, unverified (only to pick the verifier), or undefined. */
function issuerOf(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length > 16_384) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    const iss = typeof payload === 'object' && payload !== null ? (payload as { iss?: unknown }).iss : undefined;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}
