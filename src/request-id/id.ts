/**
 * What counts as a safe request id, and what counts as an HTTP header name.
 *
 * Both checks are char loops over a 128-entry table: no regex, no
 * allocation, and they stop at the first bad character (a 10 KB hostile id
 * is refused after 129 characters at most).
 */

/** The longest incoming id that is reused: 128 characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

const SAFE_ID = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-') SAFE_ID[c.charCodeAt(0)] = 1;

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") TCHAR[c.charCodeAt(0)] = 1;

/**
 * True when `value` is a request id ward reuses and echoes: 1–128 characters
 * of `A–Z a–z 0–9 . _ : -`. Everything else (CR/LF, spaces, commas of a
 * repeated header, non-ASCII, empty, oversized) is refused.
 *
 * @example
 * isSafeRequestId('7f3c9a1e-2b4d-4c6e-8f0a-1b2c3d4e5f60'); // true
 * isSafeRequestId('abc\r\nSet-Cookie: x=1');              // false
 * isSafeRequestId('a'.repeat(129));                       // false
 */
export function isSafeRequestId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const length = value.length;
  if (length === 0 || length > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || SAFE_ID[c] === 0) return false;
  }
  return true;
}

/** Index of the first character that makes `value` unsafe (for error messages), or -1. */
export function firstUnsafeIndex(value: string): number {
  const length = Math.min(value.length, MAX_REQUEST_ID_LENGTH + 1);
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || SAFE_ID[c] === 0) return i;
  }
  return -1;
}

/** True for an RFC 9110 token, the grammar of a header field name. */
export function isToken(value: string): boolean {
  const length = value.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}
