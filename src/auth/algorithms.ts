/**
 * The JWS algorithms ward accepts and the key each one needs (RFC 7518,
 * RFC 8037). Every key is bound to exactly one algorithm at configuration
 * (8725bis §3.1), so a token's `alg` can only select among what the
 * verifier allowed, never change what a key is used for: an HS256 token
 * can never be checked with an RSA public key as its "secret".
 */
import { KeyObject, createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto';
import { describeValue } from '@ward/core';

/** The asymmetric algorithms: public keys verify, private keys sign. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
/** The HMAC algorithms: one shared secret signs and verifies. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
/** A JWS algorithm ward accepts. `none` is not one of them, and never will be. */
export type JwsAlgorithm = HmacAlgorithm | AsymmetricAlgorithm;

const ALL = new Set<string>([...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS]);

/** Smallest HMAC secret, in bytes: the hash output size (RFC 7518 §3.2). */
const HMAC_MIN_BYTES: Readonly<Record<HmacAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
/** Smallest RSA modulus, in bits (RFC 7518 §3.3). */
export const RSA_MIN_BITS = 2048;
/** The curve each ECDSA algorithm needs (RFC 7518 §3.4). */
const EC_CURVE: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** True for a name ward accepts as a JWS algorithm (exact, case-sensitive). */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && ALL.has(value);
}

export function isHmacAlgorithm(alg: JwsAlgorithm): alg is HmacAlgorithm {
  return alg.startsWith('HS');
}

/**
 * Validates an algorithm allowlist: a non-empty array of names ward knows,
 * no duplicates. `none` (in any case) is refused with its own message.
 */
export function algorithmList(value: unknown, where: string): readonly JwsAlgorithm[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`${where}.algorithms is required: a non-empty list such as ['HS256'] or ['RS256', 'ES256'], got ${describeValue(value)}`);
  }
  const seen = new Set<string>();
  for (const alg of value) {
    if (typeof alg === 'string' && alg.trim().toLowerCase() === 'none') throw new RangeError(`${where}.algorithms: "none" (unsigned tokens) is never accepted`);
    if (!isJwsAlgorithm(alg)) throw new RangeError(`${where}.algorithms: unknown algorithm ${describeValue(alg)} (known: ${[...ALL].join(', ')})`);
    if (seen.has(alg)) throw new RangeError(`${where}.algorithms lists ${alg} twice`);
    seen.add(alg);
  }
  return Object.freeze([...value] as JwsAlgorithm[]);
}

/** A secret as given: text (its UTF-8 bytes) or bytes. */
export type SecretInput = string | Uint8Array;

/** Imports an HMAC secret once, refusing one shorter than the algorithm's hash (RFC 7518 §3.2). */
export function hmacKey(secret: unknown, alg: HmacAlgorithm, where: string): KeyObject {
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else if (secret instanceof Uint8Array) bytes = secret;
  else throw new TypeError(`${where} must be a string or bytes (at least ${HMAC_MIN_BYTES[alg]} of them for ${alg}), got ${describeValue(secret)}`);
  if (bytes.byteLength < HMAC_MIN_BYTES[alg]) {
    throw new RangeError(`${where} is ${bytes.byteLength} bytes; ${alg} needs at least ${HMAC_MIN_BYTES[alg]} (RFC 7518 §3.2): use crypto.randomBytes(${HMAC_MIN_BYTES[alg]}), not a password`);
  }
  return createSecretKey(bytes);
}

/** An asymmetric key as given: PEM text, a JWK object, or a node `KeyObject`. */
export type AsymmetricKeyInput = string | KeyObject | Readonly<Record<string, unknown>>;

/** Imports a public (verification) key once and checks it suits `alg`. */
export function publicKey(input: unknown, alg: AsymmetricAlgorithm, where: string): KeyObject {
  const key = importAsymmetric(input, 'public', where);
  checkKeyFits(key, alg, where);
  return key;
}

/** Imports a private (signing) key once and checks it suits `alg`. */
export function privateKey(input: unknown, alg: AsymmetricAlgorithm, where: string): KeyObject {
  const key = importAsymmetric(input, 'private', where);
  checkKeyFits(key, alg, where);
  return key;
}

function importAsymmetric(input: unknown, kind: 'public' | 'private', where: string): KeyObject {
  try {
    if (isKeyObject(input)) {
      if (input.type === 'secret') throw new TypeError('a secret key is not an asymmetric key');
      if (kind === 'private' && input.type !== 'private') throw new TypeError('a public key cannot sign');
      return kind === 'public' && input.type === 'private' ? createPublicKey(input) : input;
    }
    if (typeof input === 'string') return kind === 'public' ? createPublicKey(input) : createPrivateKey(input);
    if (typeof input === 'object' && input !== null) {
      const jwk = input as Record<string, unknown>;
      if (jwk['kty'] === 'oct') throw new TypeError('an "oct" JWK is a shared secret, not an asymmetric key');
      return kind === 'public' ? createPublicKey({ key: jwk as never, format: 'jwk' }) : createPrivateKey({ key: jwk as never, format: 'jwk' });
    }
  } catch (error) {
    throw new TypeError(`${where}: not a usable ${kind} key (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  throw new TypeError(`${where} must be a PEM string, a JWK or a KeyObject, got ${describeValue(input)}`);
}

/** Refuses a key the algorithm cannot use, or one too weak for it. */
function checkKeyFits(key: KeyObject, alg: AsymmetricAlgorithm, where: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const wrong = (needs: string): never => {
    throw new RangeError(`${where}: ${alg} needs ${needs}, got a ${type ?? 'unknown'} key`);
  };
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    if (type !== 'rsa' && !(alg.startsWith('PS') && type === 'rsa-pss')) wrong('an RSA key');
    const bits = details.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS) throw new RangeError(`${where}: RSA keys need at least ${RSA_MIN_BITS} bits (RFC 7518 §3.3), got ${bits}`);
  } else if (alg.startsWith('ES')) {
    if (type !== 'ec') wrong(`an EC key on ${EC_CURVE[alg]}`);
    if (details.namedCurve !== EC_CURVE[alg]) throw new RangeError(`${where}: ${alg} needs the curve ${EC_CURVE[alg]}, got ${details.namedCurve ?? 'none'}`);
  } else if (alg === 'Ed25519' && type !== 'ed25519') wrong('an Ed25519 key');
  else if (alg === 'EdDSA' && type !== 'ed25519' && type !== 'ed448') wrong('an Ed25519 or Ed448 key');
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}
