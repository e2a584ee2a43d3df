/**
 * Reading a server's pushback: `Retry-After` (RFC 9110 §10.2.3) as
 * delay-seconds or an HTTP-date. Anything else — a negative number, a
 * fraction, words, an empty value — is ignored rather than guessed at.
 */
import { parseHttpDate } from '@ward/core';

const DELAY_SECONDS = /^\d{1,10}$/;

/**
 * Milliseconds a `Retry-After` value asks to wait, or undefined when it is
 * absent or malformed. An HTTP-date is measured against the response's own
 * `Date` when it has one (the server's clock, so a skewed local clock does
 * not stretch the wait), else against `now`; a date in the past is 0.
 *
 * @example
 * parseRetryAfter('120') // 120_000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.now(), res.headers.get('date'))
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now(), date?: string | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000;
  // Only an HTTP-date (RFC 9110 §5.6.7): Date.parse alone would take "1.5" or "2026" as dates.
  const at = parseHttpDate(text);
  if (at === undefined) return undefined;
  return Math.max(0, at - (parseHttpDate(date) ?? now));
}
