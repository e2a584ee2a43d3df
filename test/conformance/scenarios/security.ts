/**
 * Scenarios: security: hostile inputs — prototype poisoning, oversized and badly encoded bodies, forged forwarding headers, leaks.
 */
import { expect } from 'vitest';
import { INTERNAL_ERROR_PROBLEM, type Scenario } from '../harness.js';
import { JSON_BODY } from '../probe.js';
import { catchToProblem, jsonPost, LIMITED, readBody, whoIsIt } from './shared.js';

export const SECURITY: readonly Scenario[] = [
  {
    name: '__proto__ in a JSON body is refused with 400 INVALID_JSON and pollutes nothing',
    group: 'security',
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost('{"a":1,"__proto__":{"polluted":"yes"}}'),
        expect: {
          status: 400,
          problem: { type: 'urn:ward:problem:invalid-json', title: 'Bad Request', status: 400, code: 'INVALID_JSON', detail: expect.any(String) },
        },
      },
    ],
    counts: {},
    verify() {
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    },
  },
  {
    name: 'constructor.prototype in a nested JSON body is refused with 400 INVALID_JSON',
    group: 'security',
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost('{"deep":{"constructor":{"prototype":{"polluted":"yes"}}}}'),
        expect: {
          status: 400,
          problem: { type: 'urn:ward:problem:invalid-json', title: 'Bad Request', status: 400, code: 'INVALID_JSON', detail: expect.any(String) },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'a chunked body without Content-Length is cut at body.limitBytes with 413',
    group: 'security',
    options: LIMITED,
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: { ...jsonPost(JSON.stringify({ padding: 'x'.repeat(256) })), chunked: true },
        expect: {
          status: 413,
          problem: {
            type: 'urn:ward:problem:payload-too-large',
            title: 'Content Too Large',
            status: 413,
            code: 'PAYLOAD_TOO_LARGE',
            detail: 'The request body is larger than 16 bytes',
          },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'invalid UTF-8 in a JSON body is a 400, never a 5xx',
    group: 'security',
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost(Uint8Array.from([0x22, 0xff, 0xfe, 0x22])),
        expect: {
          status: 400,
          problem: { type: 'urn:ward:problem:invalid-encoding', title: 'Bad Request', status: 400, code: 'INVALID_ENCODING', detail: expect.any(String) },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'an unsupported Content-Type is a 415 UNSUPPORTED_MEDIA_TYPE problem',
    group: 'security',
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a>1</a>' },
        expect: {
          status: 415,
          problem: {
            type: 'urn:ward:problem:unsupported-media-type',
            title: 'Unsupported Media Type',
            status: 415,
            code: 'UNSUPPORTED_MEDIA_TYPE',
            detail: expect.any(String),
          },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'a gzip Content-Encoding is refused with 415, not inflated',
    group: 'security',
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost('{"a":1}', { 'content-encoding': 'gzip' }),
        expect: {
          status: 415,
          problem: {
            type: 'urn:ward:problem:unsupported-content-encoding',
            title: 'Unsupported Media Type',
            status: 415,
            code: 'UNSUPPORTED_CONTENT_ENCODING',
            detail: expect.any(String),
          },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'forged, repeated and garbage X-Forwarded-For never become ctx.req.ip',
    group: 'security',
    chain: (probe) => [whoIsIt(probe)],
    exchanges: [
      {
        path: '/json',
        request: {
          headers: ['X-Forwarded-For', '1.1.1.1, 2.2.2.2', 'x-forwarded-for', 'garbage, ::1', 'X-Real-IP', '9.9.9.9', 'Forwarded', 'for=8.8.8.8;proto=https'],
        },
        expect: { status: 200, json: JSON_BODY },
      },
    ],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen).toEqual({ ip: '127.0.0.1', secure: false });
    },
  },
  {
    name: 'a 5xx problem leaks neither the error message nor a stack',
    group: 'security',
    chain: (probe) => [
      catchToProblem(probe),
      function leak() {
        throw new Error('db password=hunter2 at /srv/app/db.js:12');
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM } }],
    counts: {},
    verify(_run, [res]) {
      expect(res?.text).not.toContain('hunter2');
      expect(res?.text).not.toContain('db.js');
    },
  },
  {
    name: 'a thrown Proxy whose every trap throws is a 500, and the server lives on',
    group: 'security',
    chain: () => [
      function throwHostile() {
        const trap = (): never => {
          throw new Error('trap');
        };
        throw new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, unhandled: true } }],
    counts: {},
  },
];
