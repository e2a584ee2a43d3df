/**
 * The verification keys of `jwtAuth()`, imported once at configuration and
 * each bound to exactly one algorithm (8725bis §3.1): shared secrets chosen
 * by `kid` (current and previous, so a secret rotates without logging
 * anyone out), public keys (PEM, JWK, KeyObject), a local JWK set, and a
 * remote JWKS URL through jose's remote set (cache, cooldown, refetch on an
 * unknown `kid`, one fetch in flight). A token's header only selects among
 * these keys; it never supplies one (`jwk`, `jku`, `x5u`, `x5c` are ignored,
 * and nothing is fetched because of a token).
 */
import type { KeyObject } from 'node:crypto';
import { describeValue } from '@ward/core';
import {
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  importJWK,
} from 'jose';
import {
  type AsymmetricAlgorithm,
  type AsymmetricKeyInput,
  type HmacAlgorithm,
  type JwsAlgorithm,
  type SecretInput,
  hmacKey,
  isHmacAlgorithm,
  isJwsAlgorithm,
  publicKey,
} from './algorithms.js';

/** A shared secret (HS256/384/512). */
export interface SecretKeyOption {
  /** The `kid` tokens signed with it carry. Required when there are several secrets. */
  kid?: string;
  /** At least as many bytes as the hash: 32 for HS256, 48 for HS384, 64 for HS512. Text counts as its UTF-8 bytes. */
  secret: SecretInput;
  /** Its one algorithm. Default: the only HMAC algorithm of `algorithms` (required when there are several). */
  alg?: HmacAlgorithm;
}

/** A public key (RS*, PS*, ES*, EdDSA). */
export interface PublicKeyOption {
  /** The `kid` tokens signed with its private half carry. Default: the JWK's `kid`, else none. */
  kid?: string;
  /** PEM (SPKI or certificate), a public JWK, or a node `KeyObject`. RSA keys need 2 048 bits or more. */
  key: AsymmetricKeyInput;
  /** Its one algorithm. Default: the JWK's `alg`, else the only algorithm of `algorithms` that fits the key. */
  alg?: AsymmetricAlgorithm;
}

/** jose's remote key set, with our names and units. */
export interface RemoteJwksOptions {
  /** Least time between two fetches, when a token names an unknown `kid`, in ms. Default: `30_000` (jose). */
  cooldownMs?: number;
  /** How long a fetched set is used before it is fetched again, in ms. Default: `600_000` (jose). */
  cacheMaxAgeMs?: number;
  /** Longest wait for the JWKS endpoint, in ms. Default: `5_000` (jose). */
  timeoutMs?: number;
  /** Extra request headers (an API key of the IdP). Default: none. */
  headers?: Readonly<Record<string, string>>;
}

/** Where `jwtAuth()` finds keys; at least one is needed. */
export interface KeyOptions {
  /** Shared secrets. Default: none. */
  secrets?: readonly SecretKeyOption[];
  /** Public keys. Default: none. */
  publicKeys?: readonly PublicKeyOption[];
  /** A local JWK set (`{ keys: [...] }`). Default: none. */
  jwks?: JSONWebKeySet;
  /** The issuer's JWKS endpoint: `https:` (or `http:` on a loopback host, for development). Default: none. */
  jwksUrl?: string | URL;
  /** How the remote set is fetched and cached. Default: jose's defaults (above). */
  jwksOptions?: RemoteJwksOptions;
}

/** The keys could not be had: the JWKS endpoint is down, slow, or answered garbage. Answered 503, never blamed on the token. */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError';
}

/** What jose calls to get the key of a token. */
export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => KeyObject | CryptoKey | Promise<KeyObject | CryptoKey>;

/** The resolved key set: the resolver, and how long to wait before retrying after an outage. */
export interface KeySet {
  readonly resolve: KeyResolver;
  /** Seconds a client should wait when the remote set is unavailable (the cooldown). */
  readonly retryAfterSeconds: number;
  /** What a chain description may show: kids and algorithms, never key material. */
  readonly description: Readonly<Record<string, unknown>>;
}

interface LocalKey {
  readonly kid: string | undefined;
  readonly alg: JwsAlgorithm;
  /** The node key, usable at once; replaced by the imported CryptoKey when ready (jose verifies a CryptoKey without re-importing). */
  key: KeyObject | CryptoKey;
}

const NO_KID = Symbol('no kid');
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Imports every configured key once; throws at configuration for any unusable one. */
export function keySet(options: KeyOptions, algorithms: readonly JwsAlgorithm[], where: string): KeySet {
  const allowed = new Set(algorithms);
  const locals: LocalKey[] = [];
  const hmacs = algorithms.filter(isHmacAlgorithm);

  for (const [index, entry] of list(options.secrets, `${where}.secrets`).entries()) {
    const at = `${where}.secrets[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new TypeError(`${at} must be { kid, secret }, got ${describeValue(entry)}`);
    const e = entry as SecretKeyOption;
    const alg = e.alg ?? (hmacs.length === 1 ? hmacs[0]! : undefined);
    if (alg === undefined) throw new RangeError(`${at}.alg is needed: algorithms allows ${hmacs.length === 0 ? 'no HMAC algorithm' : hmacs.join(' and ')}`);
    if (!isJwsAlgorithm(alg) || !isHmacAlgorithm(alg) || !allowed.has(alg)) throw new RangeError(`${at}.alg must be an HMAC algorithm listed in algorithms (${algorithms.join(', ')}), got ${describeValue(alg)}`);
    locals.push({ kid: kidOf(e.kid, at), alg, key: hmacKey(e.secret, alg, `${at}.secret`) });
  }

  for (const [index, entry] of list(options.publicKeys, `${where}.publicKeys`).entries()) {
    const at = `${where}.publicKeys[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new TypeError(`${at} must be { key, alg?, kid? }, got ${describeValue(entry)}`);
    const e = entry as PublicKeyOption;
    const jwk = typeof e.key === 'object' && e.key !== null && !('export' in e.key) ? (e.key as JWK) : undefined;
    const named = e.alg ?? (typeof jwk?.alg === 'string' ? (jwk.alg as AsymmetricAlgorithm) : undefined);
    const alg = named ?? onlyFitting(e.key, algorithms, at);
    if (!isJwsAlgorithm(alg) || isHmacAlgorithm(alg) || !allowed.has(alg)) throw new RangeError(`${at}.alg must be an asymmetric algorithm listed in algorithms (${algorithms.join(', ')}), got ${describeValue(alg)}`);
    if (jwk?.alg !== undefined && e.alg !== undefined && jwk.alg !== e.alg) throw new RangeError(`${at}: the JWK says alg ${jwk.alg}, the option says ${e.alg}`);
    locals.push({ kid: kidOf(e.kid ?? jwk?.kid, at), alg, key: publicKey(e.key, alg, `${at}.key`) });
  }

  const kidsSeen = new Set<string>();
  for (const local of locals) {
    const id = `${local.kid ?? ''}\u0000${local.alg}`;
    if (kidsSeen.has(id)) throw new RangeError(`${where}: two keys for kid ${describeValue(local.kid)} and ${local.alg}; give each key its own kid`);
    kidsSeen.add(id);
  }
  const byKid = new Map<string | typeof NO_KID, LocalKey[]>();
  for (const local of locals) {
    const slot = local.kid ?? NO_KID;
    byKid.set(slot, [...(byKid.get(slot) ?? []), local]);
    void toCryptoKey(local);
  }
  const byAlg = new Map<string, LocalKey[]>();
  for (const local of locals) byAlg.set(local.alg, [...(byAlg.get(local.alg) ?? []), local]);

  const remote = remoteSet(options, algorithms, where);
  if (locals.length === 0 && remote === undefined) throw new TypeError(`${where} needs keys: secrets, publicKeys, jwks or jwksUrl`);

  function resolveLocal(header: JWSHeaderParameters): LocalKey | undefined {
    const { kid, alg } = header;
    if (kid === undefined) {
      // No kid: only an unambiguous key of that algorithm.
      const same = byAlg.get(alg!);
      return same?.length === 1 ? same[0] : undefined;
    }
    if (typeof kid !== 'string') throw new errors.JWSInvalid('"kid" must be a string');
    return byKid.get(kid)?.find((candidate) => candidate.alg === alg);
  }

  const resolve: KeyResolver = (header, token) => {
    const local = resolveLocal(header);
    if (local !== undefined) return local.key;
    if (remote !== undefined && !isHmacAlgorithm(header.alg as JwsAlgorithm)) return remote.resolve(header, token);
    throw new errors.JWKSNoMatchingKey();
  };

  return {
    resolve,
    retryAfterSeconds: remote?.retryAfterSeconds ?? 1,
    description: {
      keys: locals.map((local) => ({ kid: local.kid ?? null, alg: local.alg })),
      ...(options.jwks === undefined ? {} : { jwks: 'local' }),
      ...(options.jwksUrl === undefined ? {} : { jwksUrl: String(options.jwksUrl) }),
    },
  };
}

function list<T>(value: readonly T[] | undefined, where: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`${where} must be an array, got ${describeValue(value)}`);
  return value;
}

function kidOf(kid: unknown, where: string): string | undefined {
  if (kid === undefined) return undefined;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) throw new TypeError(`${where}.kid must be a non-empty string of at most 256 characters, got ${describeValue(kid)}`);
  return kid;
}

/** The one allowed asymmetric algorithm a key without `alg` can be bound to. */
function onlyFitting(key: unknown, algorithms: readonly JwsAlgorithm[], where: string): AsymmetricAlgorithm {
  const fitting = algorithms.filter((alg): alg is AsymmetricAlgorithm => {
    if (isHmacAlgorithm(alg)) return false;
    try {
      publicKey(key, alg, where);
      return true;
    } catch {
      return false;
    }
  });
  if (fitting.length === 1) return fitting[0]!;
  if (fitting.length === 0) return publicKeyError(key, algorithms, where);
  throw new RangeError(`${where}.alg is needed: the key fits ${fitting.join(' and ')}, and each key is used with exactly one algorithm`);
}

function publicKeyError(key: unknown, algorithms: readonly JwsAlgorithm[], where: string): never {
  const asymmetric = algorithms.filter((alg): alg is AsymmetricAlgorithm => !isHmacAlgorithm(alg));
  if (asymmetric.length === 0) throw new RangeError(`${where}: algorithms (${algorithms.join(', ')}) has no asymmetric algorithm for a public key`);
  publicKey(key, asymmetric[0]!, `${where}.key`); // throws the precise reason
  throw new RangeError(`${where}: the key fits none of ${asymmetric.join(', ')}`);
}

/** Replaces a key by its CryptoKey once imported: jose then verifies with no per-call import. */
async function toCryptoKey(local: LocalKey): Promise<void> {
  try {
    const node = local.key as KeyObject;
    if (isHmacAlgorithm(local.alg)) {
      // jose's importJWK gives bytes for an "oct" JWK, which it would import again on every call.
      local.key = await crypto.subtle.importKey('raw', node.export(), { name: 'HMAC', hash: `SHA-${local.alg.slice(2)}` }, false, ['verify']);
      return;
    }
    const jwk = node.export({ format: 'jwk' }) as JWK;
    local.key = (await importJWK({ ...jwk, alg: local.alg }, local.alg, { extractable: false })) as CryptoKey;
  } catch {
    // The KeyObject stays: jose accepts it, at the cost of an import per verification.
  }
}

interface RemoteSet {
  resolve: KeyResolver;
  retryAfterSeconds: number;
}

/** The local JWK set and/or the remote one, behind one resolver that refuses JWKs whose algorithm the token would choose. */
function remoteSet(options: KeyOptions, algorithms: readonly JwsAlgorithm[], where: string): RemoteSet | undefined {
  if (options.jwks === undefined && options.jwksUrl === undefined) return undefined;
  if (options.jwks !== undefined && options.jwksUrl !== undefined) throw new RangeError(`${where}: give jwks or jwksUrl, not both`);
  const asymmetric = algorithms.filter((alg) => !isHmacAlgorithm(alg));
  if (asymmetric.length === 0) throw new RangeError(`${where}: a JWK set needs an asymmetric algorithm in algorithms, got ${algorithms.join(', ')}`);
  let set: ReturnType<typeof createLocalJWKSet> & { jwks(): JSONWebKeySet | undefined };
  let retryAfterSeconds = 1;
  if (options.jwks !== undefined) {
    try {
      set = createLocalJWKSet(options.jwks) as typeof set;
    } catch (error) {
      throw new TypeError(`${where}.jwks is not a JWK set: ${(error as Error).message}`, { cause: error });
    }
  } else {
    const url = jwksUrl(options.jwksUrl!, `${where}.jwksUrl`);
    const o = options.jwksOptions ?? {};
    if (typeof o !== 'object' || o === null) throw new TypeError(`${where}.jwksOptions must be an object, got ${describeValue(o)}`);
    const cooldownMs = duration(o.cooldownMs, 30_000, `${where}.jwksOptions.cooldownMs`);
    retryAfterSeconds = Math.max(1, Math.ceil(cooldownMs / 1000));
    set = createRemoteJWKSet(url, {
      cooldownDuration: cooldownMs,
      cacheMaxAge: duration(o.cacheMaxAgeMs, 600_000, `${where}.jwksOptions.cacheMaxAgeMs`),
      timeoutDuration: duration(o.timeoutMs, 5_000, `${where}.jwksOptions.timeoutMs`),
      ...(o.headers === undefined ? {} : { headers: { ...o.headers } }),
    }) as unknown as typeof set;
  }
  const ambiguous = ambiguity(algorithms);

  const resolve: KeyResolver = async (header, token) => {
    let key: KeyObject | CryptoKey;
    try {
      key = await set(header, token);
    } catch (error) {
      // What a token can cause is its own fault (401); a fetch that failed is not (503).
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported || error instanceof errors.JWSInvalid) throw error;
      if (error instanceof errors.JOSEError && error.code === 'ERR_JWK_INVALID') throw error;
      throw new KeysUnavailableError('The JWK set could not be fetched', { cause: error });
    }
    // A JWK without "alg" would let the token pick among the algorithms
    // its key type allows (the Hono CVE-2026-22817 shape): only when the
    // allowlist leaves one choice for that key type.
    // Every key jose could have picked counts, not only the first with the kid: a key bound to
    // another alg is skipped by jose, and the next one (without alg) would then be used.
    const family = familyOf(header.alg!);
    if (ambiguous.has(family)) {
      const kty = family === 'RSA' || family === 'OKP' ? family : 'EC';
      const loose = set.jwks()?.keys.some((c) => c.alg === undefined && (header.kid === undefined || c.kid === header.kid) && (c.kty === undefined || c.kty === kty));
      if (loose === true) throw new errors.JWKSNoMatchingKey('a JWK without "alg" cannot be used when several algorithms fit it');
    }
    return key;
  };
  return { resolve, retryAfterSeconds };
}

/** Key families for which the allowlist holds more than one algorithm. */
function ambiguity(algorithms: readonly JwsAlgorithm[]): ReadonlySet<string> {
  const counts = new Map<string, number>();
  for (const alg of algorithms) counts.set(familyOf(alg), (counts.get(familyOf(alg)) ?? 0) + 1);
  return new Set([...counts].filter(([, count]) => count > 1).map(([family]) => family));
}

/** The key type an algorithm uses (each ECDSA curve has its one algorithm). */
function familyOf(alg: string): string {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'RSA';
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'OKP';
  return alg;
}

function jwksUrl(value: string | URL, where: string): URL {
  let url: URL;
  try {
    url = value instanceof URL ? value : new URL(value);
  } catch {
    throw new TypeError(`${where} must be an absolute URL, got ${describeValue(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new RangeError(`${where} must use https: (http: only on a loopback host), got ${url.protocol}//${url.host}`);
  }
  return url;
}

function duration(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RangeError(`${where} must be an integer number of ms ≥ 0, got ${describeValue(value)}`);
  return value;
}
