/**
 * The refresh token itself: opaque, `<family>.<secret>` in base64url — a
 * 128-bit family id (so the store finds the family, and Redis hash-tags on
 * it) and a 256-bit secret, both from the CSPRNG. Only its SHA-256 is
 * stored; a token is recognised by recomputing that hash, so the stored
 * form never lets anyone present a token, and a tampered family id or
 * secret simply matches nothing.
 */
import { hash, randomBytes } from 'node:crypto';

/** `<22 chars>.<43 chars>`: 16 and 32 bytes of base64url. */
const FORMAT = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

export interface ParsedRefreshToken {
  readonly family: string;
  /** SHA-256 of the whole token, base64url. */
  readonly hash: string;
}

export function newFamilyId(): string {
  return randomBytes(16).toString('base64url');
}

/** A fresh token of `family`, and its hash. */
export function newRefreshToken(family: string): { token: string; hash: string } {
  const token = `${family}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashOf(token) };
}

/** The family and hash of a presented token, or undefined for anything that is not one (any type, any size). */
export function parseRefreshToken(value: unknown): ParsedRefreshToken | undefined {
  if (typeof value !== 'string' || value.length !== 66 || !FORMAT.test(value)) return undefined;
  return { family: value.slice(0, 22), hash: hashOf(value) };
}

function hashOf(token: string): string {
  return hash('sha256', token, 'base64url');
}
