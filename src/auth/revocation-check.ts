/**
 * Revocation as the verifier applies it: after the signature (and on every
 * cache hit), one question to the store. A synchronous store (memory)
 * answers inline; an asynchronous one (Redis) gets a deadline, and when it
 * fails the configured mode decides — `closed` answers 503, `open` accepts
 * — with one warning per outage, not one per request.
 */
import { describeValue, withDeadline } from '@ward/core';
import { AuthError } from './errors.js';
import { type RevocationQuery, type RevocationStore, revokes } from './revocation-store.js';
import type { VerifiedCache, VerifiedToken } from './verified-cache.js';

export interface RevocationChecker {
  check(verified: VerifiedToken): VerifiedToken | Promise<VerifiedToken>;
}

interface CheckerOptions {
  revocation?: RevocationStore;
  revocationFailureMode?: 'closed' | 'open';
  revocationTimeoutMs?: number;
}

export function revocationChecker(options: CheckerOptions, cache: VerifiedCache | undefined, where: string): RevocationChecker {
  const store = options.revocation!;
  if (typeof store !== 'object' || store === null || typeof store.isRevoked !== 'function') throw new TypeError(`${where}.revocation must be a RevocationStore (MemoryRevocationStore, RedisRevocationStore), got ${describeValue(store)}`);
  // A store that can fail needs its failure mode said out loud (docs/contract.md, shared stores).
  if (options.revocationFailureMode === undefined && store.kind !== 'memory') {
    throw new TypeError(`${where}.revocationFailureMode is required with a ${store.kind} revocation store: 'closed' (503 while it fails) or 'open' (tokens accepted unchecked)`);
  }
  const mode = options.revocationFailureMode ?? 'closed';
  if (mode !== 'closed' && mode !== 'open') throw new RangeError(`${where}.revocationFailureMode must be 'closed' or 'open', got ${describeValue(mode)}`);
  const timeoutMs = options.revocationTimeoutMs ?? 50;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`${where}.revocationTimeoutMs must be an integer ≥ 1, got ${describeValue(timeoutMs)}`);
  if (cache !== undefined && store.onRevoke !== undefined) store.onRevoke((revocation) => cache.drop((entry) => revokes(revocation, entry)));

  let degraded = false;
  const revoked = (): AuthError => new AuthError('TOKEN_REVOKED', 'The access token has been revoked');
  function failed(error: unknown, verified: VerifiedToken): VerifiedToken {
    if (!degraded) {
      degraded = true;
      process.emitWarning(`@ward/auth: the revocation store (${store.kind}) failed; tokens are ${mode === 'open' ? 'accepted unchecked' : 'refused with 503'} until it answers again`, { code: 'WARD_AUTH_REVOCATION_STORE', detail: error instanceof Error ? error.message : String(error) });
    }
    if (mode === 'open') return verified;
    throw new AuthError('AUTH_UNAVAILABLE', 'The revocation store is unavailable', { cause: error });
  }
  function answered(isRevoked: boolean, verified: VerifiedToken): VerifiedToken {
    if (degraded) {
      degraded = false;
      process.emitWarning(`@ward/auth: the revocation store (${store.kind}) answers again`, { code: 'WARD_AUTH_REVOCATION_STORE' });
    }
    if (isRevoked) throw revoked();
    return verified;
  }

  return {
    check(verified) {
      const query: RevocationQuery = verified;
      let answer: boolean | Promise<boolean>;
      try {
        answer = store.isRevoked(query);
      } catch (error) {
        return failed(error, verified);
      }
      if (typeof answer === 'boolean') {
        if (answer) throw revoked();
        return verified;
      }
      return withDeadline(Promise.resolve(answer), timeoutMs, 'the revocation store').then(
        (isRevoked) => answered(isRevoked === true, verified),
        (error: unknown) => failed(error, verified),
      );
    },
  };
}
