/**
 * The two validators on their own: isSafeRequestId (the incoming-id rule)
 * and parseTraceparent (W3C Trace Context Level 1 §3.2, including the
 * forward-compatibility rules of §3.2.4).
 */
import { MAX_REQUEST_ID_LENGTH, isSafeRequestId, parseTraceparent } from '@ward/request-id';
import { describe, expect, it } from 'vitest';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

describe('isSafeRequestId', () => {
  it('accepts 1–128 characters of A–Z a–z 0–9 . _ : -', () => {
    expect(MAX_REQUEST_ID_LENGTH).toBe(128);
    for (const id of ['a', 'Z', '0', '.', '_', ':', '-', '7f3c9a1e-2b4d-4c6e-8f0a-1b2c3d4e5f60', 'svc:web.1_req-42', 'x'.repeat(128)]) {
      expect(isSafeRequestId(id), id).toBe(true);
    }
    expect(isSafeRequestId('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-')).toBe(true);
  });

  it('refuses everything else: empty, 129+, every other ASCII character, non-ASCII, non-strings', () => {
    expect(isSafeRequestId('')).toBe(false);
    expect(isSafeRequestId('x'.repeat(129))).toBe(false);
    expect(isSafeRequestId('x'.repeat(10 * 1024))).toBe(false);
    const allowed = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-');
    for (let code = 0; code < 128; code++) {
      const c = String.fromCharCode(code);
      expect(isSafeRequestId(`id${c}x`), `U+${code.toString(16)}`).toBe(allowed.has(c));
    }
    for (const id of ['caf\u00e9', 'a\u0131', 'id\u2028', '\u{1f600}', 'a\ufeff', 'a\u0000']) expect(isSafeRequestId(id), JSON.stringify(id)).toBe(false);
    for (const value of [undefined, null, 42, ['a'], { toString: () => 'a' }]) expect(isSafeRequestId(value)).toBe(false);
  });

  it('agrees with the reference grammar on 20 000 generated strings', () => {
    const reference = /^[A-Za-z0-9._:-]{1,128}$/;
    const alphabet = 'aZ9._:-  ,;\t\r\n\u0000\u007f\u00e9\u0130"\'<>{}/\\%=+';
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const length = random(3) === 0 ? 120 + random(20) : random(12);
      let id = '';
      for (let j = 0; j < length; j++) id += alphabet[random(random(4) === 0 ? alphabet.length : 7)];
      expect(isSafeRequestId(id), JSON.stringify(id)).toBe(reference.test(id));
    }
  });
});

describe('parseTraceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01`)).toEqual({ version: 0, traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 });
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)).toEqual({ version: 0, traceId: TRACE_ID, parentId: PARENT_ID, flags: 0 });
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-fe`)).toEqual({ version: 0, traceId: TRACE_ID, parentId: PARENT_ID, flags: 0xfe });
    // Only the first and last characters may be zero-ish: all zeros is what is forbidden.
    expect(parseTraceparent(`00-${'0'.repeat(31)}1-${'0'.repeat(15)}1-01`)).toMatchObject({ traceId: `${'0'.repeat(31)}1`, parentId: `${'0'.repeat(15)}1` });
  });

  it('refuses version 00 headers that are not exactly the format (§3.2.2)', () => {
    const invalid = [
      '',
      `00-${TRACE_ID}-${PARENT_ID}-0`, // 54 characters
      `00-${TRACE_ID}-${PARENT_ID}-01-`, // version 00 is exactly 55 characters
      `00-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-not-bring`,
      `00-${TRACE_ID}-${PARENT_ID}-01 `,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, // HEXDIGLC only
      `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-0A`,
      `0A-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`, // all-zero trace-id
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`, // all-zero parent-id
      `00-${TRACE_ID.slice(0, 31)}g-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID.slice(0, 15)}x-01`,
      `00-${TRACE_ID}-${PARENT_ID}-0x`,
      `00_${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID}_${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}_01`,
      `00-${TRACE_ID}${PARENT_ID}--01`,
      `-00${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID.slice(0, 31)}\u00e9-${PARENT_ID}-01`,
      `00-${TRACE_ID.slice(0, 31)}\u0660-${PARENT_ID}-01`, // an Arabic-Indic zero is not a hex digit
    ];
    for (const value of invalid) expect(parseTraceparent(value), JSON.stringify(value)).toBeUndefined();
  });

  it('refuses version ff and malformed versions', () => {
    expect(parseTraceparent(`ff-${TRACE_ID}-${PARENT_ID}-01`)).toBeUndefined();
    expect(parseTraceparent(`f-${TRACE_ID}-${PARENT_ID}-01`)).toBeUndefined();
    expect(parseTraceparent(`0f0-${TRACE_ID}-${PARENT_ID}-01`)).toBeUndefined();
    expect(parseTraceparent(`zz-${TRACE_ID}-${PARENT_ID}-01`)).toBeUndefined();
  });

  it('reads future versions by the version-00 fields (§3.2.4)', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-01`)).toEqual({ version: 1, traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 });
    expect(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-09-anything,after;the=dash`)).toEqual({ version: 0xcc, traceId: TRACE_ID, parentId: PARENT_ID, flags: 9 });
    expect(parseTraceparent(`fe-${TRACE_ID}-${PARENT_ID}-01-`)).toMatchObject({ version: 0xfe });
    // Shorter than 55 characters, or the flags not followed by the end or a dash: restart the trace.
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-1`)).toBeUndefined();
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-01.`)).toBeUndefined();
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-012`)).toBeUndefined();
    // The version-00 rules still hold inside the fields.
    expect(parseTraceparent(`01-${'0'.repeat(32)}-${PARENT_ID}-01`)).toBeUndefined();
    expect(parseTraceparent(`01-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`)).toBeUndefined();
  });

  it('decides a huge header by its length and first 56 characters, and never throws on odd input', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-01-${'x'.repeat(100_000)}`)).toMatchObject({ version: 1, traceId: TRACE_ID });
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01${'x'.repeat(100_000)}`)).toBeUndefined();
    for (const value of [undefined, null, 0, {}, [`00-${TRACE_ID}-${PARENT_ID}-01`]]) expect(parseTraceparent(value)).toBeUndefined();
  });
});
