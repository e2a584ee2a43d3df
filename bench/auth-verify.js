/**
 * `node bench/auth-verify.js` (also `BENCH_ONLY=auth-verify npm run bench`):
 * access-token verification in one process, no HTTP (issue "auth").
 *
 * - cached: `verifier.verify(sameToken)` — the verified-token cache (target
 *   ≥ 1 000 000 checks/s), with and without a memory revocation store;
 * - uncached, per algorithm (HS256, RS256, ES256, EdDSA):
 *   `createJwtVerifier({ cache: false })` against jose's own `jwtVerify`
 *   with a pre-imported CryptoKey and the same checks (iss, aud, typ,
 *   required exp and sub) — target: at least jose's rate —, and for
 *   reference jose handed a KeyObject, and express-jwt's jsonwebtoken.
 *
 * Rounds interleave the contenders (ABC, CBA, …); medians are reported.
 * Env: BENCH_ROUNDS (default 5), BENCH_VERIFY_MS (time per timed batch, default 300).
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SignJWT, importJWK, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { MemoryRevocationStore, createJwtVerifier } from '@ward/auth';
import { peer } from './lib/peers.js';
import { envNumber, median } from './lib/stats.js';

const ISSUER = 'https://auth.bench.example/';
const AUDIENCE = 'api://bench';
const SECRET = 'bench-only-hs256-secret-0123456789abcdef';

/**
 * @typedef {{ name: string, run: () => unknown }} Contender
 * @typedef {{ group: string, contender: string, medianOps: number, ratio: number | null, rounds: number[] }} VerifyRow
 * @typedef {{ rounds: number, batchMs: number, rows: VerifyRow[], peers: import('./lib/peers.js').Peer[] }} AuthVerifyResult
 */

/** Calls `run` for about `ms` and returns calls per second (awaiting only what is a promise). */
async function timed(/** @type {() => unknown} */ run, /** @type {number} */ ms) {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) {
      const out = run();
      if (out instanceof Promise) await out;
    }
    calls += 200;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/** @param {string} alg @param {Record<string, unknown>} header */
async function keysFor(alg, header = {}) {
  const payload = { roles: ['admin'] };
  const sign = (/** @type {import('jose').CryptoKey | import('node:crypto').KeyObject | Uint8Array} */ key) =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k1', ...header }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('u1').setIssuedAt().setExpirationTime('1h').sign(key);
  if (alg === 'HS256') {
    const bytes = Buffer.from(SECRET);
    const crypto = await globalThis.crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return { token: await sign(crypto), verifyKey: crypto, nodeKey: bytes, wardKeys: { secrets: [{ kid: 'k1', secret: SECRET }] }, pem: SECRET };
  }
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const jwk = /** @type {import('jose').JWK} */ (pair.publicKey.export({ format: 'jwk' }));
  const verifyKey = /** @type {import('jose').CryptoKey} */ (await importJWK({ ...jwk, alg }, alg));
  return { token: await sign(pair.privateKey), verifyKey, nodeKey: pair.publicKey, wardKeys: { publicKeys: [{ kid: 'k1', key: pair.publicKey, alg: /** @type {'RS256'} */ (alg) }] }, pem: /** @type {string} */ (pair.publicKey.export({ type: 'spki', format: 'pem' })) };
}

/** @returns {Promise<{ group: string, contenders: Contender[] }[]>} */
async function groups() {
  const out = [];
  const hs = await keysFor('HS256');
  const base = { algorithms: /** @type {['HS256']} */ (['HS256']), issuer: ISSUER, audience: AUDIENCE, ...hs.wardKeys };
  const cached = createJwtVerifier(base);
  const revoked = createJwtVerifier({ ...base, revocation: new MemoryRevocationStore() });
  await cached.verify(hs.token);
  await revoked.verify(hs.token);
  out.push({
    group: 'cached (HS256, same token)',
    contenders: [
      { name: 'ward verify (cache hit)', run: () => cached.verify(hs.token) },
      { name: 'ward verify (cache hit + memory revocation)', run: () => revoked.verify(hs.token) },
    ],
  });
  for (const alg of ['HS256', 'RS256', 'ES256', 'EdDSA']) {
    const k = alg === 'HS256' ? hs : await keysFor(alg);
    const ward = createJwtVerifier({ algorithms: [/** @type {'HS256'} */ (alg)], issuer: ISSUER, audience: AUDIENCE, cache: false, ...k.wardKeys });
    await ward.verify(k.token);
    const same = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', requiredClaims: ['exp', 'sub'] };
    out.push({
      group: `uncached ${alg}`,
      contenders: [
        { name: 'jose jwtVerify, pre-imported CryptoKey, same checks', run: () => jwtVerify(k.token, k.verifyKey, same) },
        { name: 'ward verify (cache: false)', run: () => ward.verify(k.token) },
        { name: 'jose jwtVerify, KeyObject / bytes', run: () => jwtVerify(k.token, /** @type {Uint8Array} */ (k.nodeKey), same) },
        { name: 'jsonwebtoken.verify (express-jwt), PEM / string', run: () => jsonwebtoken.verify(k.token, k.pem, { algorithms: [/** @type {'HS256'} */ (alg === 'EdDSA' ? 'HS256' : alg)], issuer: ISSUER, audience: AUDIENCE }) },
      ].filter((c) => !(alg === 'EdDSA' && c.name.startsWith('jsonwebtoken'))),
    });
  }
  return out;
}

/** @returns {Promise<AuthVerifyResult>} */
export async function runAuthVerify() {
  const rounds = envNumber('BENCH_ROUNDS', 5, { integer: true, min: 1, max: 50 });
  const batchMs = envNumber('BENCH_VERIFY_MS', 300, { integer: true, min: 20, max: 10_000 });
  /** @type {VerifyRow[]} */
  const rows = [];
  for (const { group, contenders } of await groups()) {
    /** @type {number[][]} */
    const ops = contenders.map(() => []);
    for (const c of contenders) await timed(c.run, 100); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
      for (const i of order) ops[i]?.push(await timed(contenders[i]?.run ?? (() => undefined), batchMs));
    }
    const first = median(ops[0] ?? []);
    contenders.forEach((c, i) => rows.push({ group, contender: c.name, medianOps: median(ops[i] ?? []), ratio: i === 0 ? null : median(ops[i] ?? []) / first, rounds: ops[i] ?? [] }));
  }
  return { rounds, batchMs, rows, peers: [peer('jose'), peer('jsonwebtoken'), peer('@ward/auth')] };
}

/** @param {AuthVerifyResult} result */
export function authVerifyText(result) {
  const lines = [`${'group'.padEnd(28)} ${'contender'.padEnd(52)} ${'ops/s (median)'.padStart(15)}  ratio to the group's first`];
  for (const row of result.rows) lines.push(`${row.group.padEnd(28)} ${row.contender.padEnd(52)} ${Math.round(row.medianOps).toString().padStart(15)}  ${row.ratio === null ? '' : row.ratio.toFixed(2)}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runAuthVerify();
  if (process.send) process.send({ type: 'auth-verify-result', result });
  else console.log(authVerifyText(result));
}
