/**
 * Test keys and tokens: real keys (node:crypto), real jose signatures, and
 * hand-built tokens for what jose would refuse to produce (alg none,
 * HS256 over an RSA public key, padded segments, embedded keys).
 */
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload, type JWSHeaderParameters } from 'jose';

export const ISSUER = 'https://auth.example/';
export const AUDIENCE = 'api://orders';
/** A fixed clock: 2026-12-02T10:00:00Z. */
export const NOW_S = 1_796_205_600;
export const NOW_MS = NOW_S * 1000;

/** 32 random-looking bytes, as a tests-only HS256 secret. */
export const SECRET = 'tests-only-hs256-secret-0123456789abcdef';
export const OLD_SECRET = 'tests-only-previous-secret-abcdefghijklmnop';

export const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const RSA_PUBLIC_PEM = RSA.publicKey.export({ type: 'spki', format: 'pem' }) as string;
export const EC = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

export const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
export const json64 = (value: unknown): string => b64(JSON.stringify(value));

/** Claims of a valid access token at NOW_S. */
export function claims(extra: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: NOW_S, exp: NOW_S + 900, jti: 'jti-1', roles: ['editor'], ...extra };
}

/** A jose-signed token. */
export async function sign(payload: JWTPayload, key: KeyObject | Uint8Array, header: JWSHeaderParameters & { alg: string }): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ typ: 'at+jwt', ...header }).sign(key);
}

export const hsKey = (secret = SECRET): Uint8Array => Buffer.from(secret, 'utf8');

/** An HS256 token with the default header `{ alg: HS256, typ: at+jwt, kid: k1 }`. */
export function hs256(payload: JWTPayload = claims(), header: Partial<JWSHeaderParameters> = {}, secret = SECRET): Promise<string> {
  return sign(payload, hsKey(secret), { alg: 'HS256', kid: 'k1', ...header });
}

/** A token HMAC'd by hand: any header (alg none, crit…), any payload text, any key bytes. */
/** An HS256 token over a header and payload written as JSON text, byte for byte (duplicate members and all). */
export function rawToken(headerJson: string, payloadJson: string, key: string | Buffer = SECRET): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

export function handMade(header: unknown, payload: unknown, key: string | Buffer = SECRET): string {
  const input = `${json64(header)}.${typeof payload === 'string' ? b64(payload) : json64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}
