/**
 * Password hashing with node:crypto's scrypt (OWASP Password Storage Cheat
 * Sheet: N=2^17, r=8, p=1 is its first choice; the example uses N=2^15 so a
 * login stays near 50 ms on a small machine — raise it where you can). The
 * stored form names its parameters, so they can be raised later without
 * invalidating old hashes: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 * Comparison is constant-time (`timingSafeEqual`), and an unknown account is
 * checked against a dummy hash, so the answer time does not tell whether an
 * e-mail is registered.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters of new hashes. */
export const SCRYPT = Object.freeze({ N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltBytes: 16 });

/**
 * @param {string} password
 * @param {Buffer} salt
 * @param {{ N: number, r: number, p: number, keyLength: number }} cost
 * @returns {Promise<Buffer>}
 */
function derive(password, salt, cost) {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, cost.keyLength, { N: cost.N, r: cost.r, p: cost.p, maxmem: 128 * cost.N * cost.r * 2 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * @param {string} password
 * @returns {Promise<string>} the stored form
 */
export async function hashPassword(password) {
  const salt = randomBytes(SCRYPT.saltBytes);
  const key = await derive(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A hash of nothing anyone knows, checked when the account does not exist. */
const DUMMY = hashPassword(randomBytes(16).toString('hex'));

/**
 * True when `password` matches `stored`; `stored` undefined (no such
 * account) costs the same work and is always false.
 *
 * @param {string} password
 * @param {string | undefined} stored
 * @returns {Promise<boolean>}
 */
export async function verifyPassword(password, stored) {
  const [scheme, n, r, p, salt, hash] = (stored ?? (await DUMMY)).split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), keyLength: expected.length });
  return timingSafeEqual(actual, expected) && stored !== undefined;
}
