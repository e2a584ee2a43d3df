/**
 * parseHttpDate: RFC 9110 §5.6.7's three forms, and nothing Date.parse
 * would also take.
 */
import { describe, expect, it } from 'vitest';
import { parseHttpDate } from '@ward/core';

const AT = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('parseHttpDate', () => {
  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['obsolete RFC 850 form', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['obsolete asctime form', 'Sun Nov  6 08:49:37 1994'],
    ['with surrounding whitespace', '  Sun, 06 Nov 1994 08:49:37 GMT '],
  ])('reads the %s', (_form, text) => {
    expect(parseHttpDate(text)).toBe(AT);
  });

  it('reads a two-digit year as the one not more than 50 years ahead', () => {
    const year = new Date().getUTCFullYear();
    const ahead = (year + 49) % 100;
    expect(new Date(parseHttpDate(`Monday, 01-Jan-${String(ahead).padStart(2, '0')} 00:00:00 GMT`)!).getUTCFullYear()).toBe(year + 49);
    const behind = (year + 51) % 100;
    expect(new Date(parseHttpDate(`Monday, 01-Jan-${String(behind).padStart(2, '0')} 00:00:00 GMT`)!).getUTCFullYear()).toBe(year - 49);
  });

  it.each([
    '2026',
    '1.5',
    '2026-12-04T10:00:00Z',
    'tomorrow',
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'sun, 06 nov 1994 08:49:37 GMT',
    'Xyz, 06 Nov 1994 08:49:37 GMT',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    '',
    undefined,
    null,
  ])('refuses %j', (text) => {
    expect(parseHttpDate(text as string | undefined)).toBeUndefined();
  });
});
