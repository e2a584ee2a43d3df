/**
 * Scenarios: the request as ward sees it, and problem answers: bodies, client address, problem+json, adapter options.
 */
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { JSON_BODY, TEXT_BODY, TEXT_TYPE } from '../probe.js';
import { deny, jsonPost, LIMITED, passthrough, rawGet, readBody, whoIsIt } from './shared.js';

export const REQUEST: readonly Scenario[] = [
  {
    name: 'ctx.req.header() reads only the request\'s own headers: constructor, __proto__, toString are undefined unless sent',
    chain: () => [
      function readInherited(ctx, next) {
        ctx.res.setHeader('x-seen', ['constructor', '__proto__', 'toString'].map((name) => String(ctx.req.header(name))).join('|'));
        return next();
      },
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { 'x-seen': 'undefined|undefined|undefined' } } },
      { path: '/json', request: { headers: { constructor: 'sent' } }, expect: { status: 200, headers: { 'x-seen': 'sent|undefined|undefined' } } },
    ],
    counts: { json: 2 },
  },
  {
    name: 'a JSON body reaches the handler untouched',
    chain: () => [passthrough],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost('{"list":[1,2,3],"nested":{"a":"é"}}'),
        expect: { status: 200, json: { list: [1, 2, 3], nested: { a: 'é' } } },
      },
    ],
    counts: { echoBody: 1 },
  },
  {
    name: 'a body over body.limitBytes is a 413 PAYLOAD_TOO_LARGE problem from ctx.req.body()',
    options: LIMITED,
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost(JSON.stringify({ padding: 'x'.repeat(64) })),
        expect: {
          status: 413,
          headers: { connection: 'close' },
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
    name: 'an absolute-form request-target (RFC 9112 §3.2.2: MUST be accepted) is routed by its path; its user info reaches no ctx.req field',
    chain: (probe) => [
      async function seePath(ctx, next) {
        probe.seen.path = ctx.req.path;
        probe.seen.url = ctx.req.url;
        await next();
      },
    ],
    async run({ url, probe }) {
      const reply = await rawGet(url, 'http://alice:s3cr3t@localhost/json?page=2', []);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual(JSON_BODY);
      expect([probe.seen.path, probe.seen.url]).toEqual(['/json', '/json?page=2']);
    },
    counts: { json: 1 },
  },
  {
    name: 'ctx.req.body() copes with deep nesting, honours charset, and refuses a transfer coding it cannot undo (RFC 9112 §6.1: 501)',
    chain: (probe) => [readBody(probe), async (ctx) => ctx.json(200, { seen: typeof probe.seen.body === 'string' ? probe.seen.body : 'parsed' })],
    exchanges: [
      // 20 000 levels and a "constructor" key: JSON.parse takes it, the poisoning check must too (it recursed, and answered 500).
      { path: '/echo', request: jsonPost(`{"constructor":1,"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`), expect: { status: 200, json: { seen: 'parsed' } } },
      { path: '/echo', request: { method: 'POST', headers: { 'content-type': 'text/plain; charset=iso-8859-1' }, body: Buffer.from([0x63, 0x61, 0x66, 0xe9]) }, expect: { status: 200, json: { seen: 'café' } } },
      { path: '/echo', request: jsonPost('{"a":1}', { 'content-type': 'application/json; charset=utf-16' }), expect: { status: 415, problem: expect.objectContaining({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }) } },
      { path: '/echo', request: { method: 'POST', headers: { 'content-type': 'text/plain; charset=x-unknown' }, body: 'hi' }, expect: { status: 415, problem: expect.objectContaining({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }) } },
      { path: '/echo', request: { ...jsonPost('{"a":1}', { 'transfer-encoding': 'gzip, chunked' }), chunked: true }, expect: { status: 501, headers: { connection: 'close' }, problem: expect.objectContaining({ status: 501, code: 'UNSUPPORTED_TRANSFER_ENCODING' }) } },
    ],
    counts: {},
  },
  {
    name: 'invalid JSON is a 400 INVALID_JSON problem from ctx.req.body()',
    chain: (probe) => [readBody(probe)],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost('{"hello":'),
        expect: {
          status: 400,
          problem: {
            type: 'urn:ward:problem:invalid-json',
            title: 'Bad Request',
            status: 400,
            code: 'INVALID_JSON',
            detail: expect.stringMatching(/^The request body is not valid JSON/),
          },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'ctx.req.body() gives a middleware the parsed JSON body',
    chain: (probe) => [
      readBody(probe),
      function answer(ctx) {
        ctx.json(200, { got: probe.seen.body });
      },
    ],
    exchanges: [{ path: '/echo', request: jsonPost('{"a":[1,{"b":null}]}'), expect: { status: 200, json: { got: { a: [1, { b: null }] } } } }],
    counts: {},
  },
  {
    name: 'ctx.req.ip is the socket address; X-Forwarded-For and -Proto are ignored by default',
    chain: (probe) => [whoIsIt(probe)],
    exchanges: [
      {
        path: '/json',
        request: { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } },
        expect: { status: 200, json: JSON_BODY },
      },
    ],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen).toEqual({ ip: '127.0.0.1', secure: false });
    },
  },
  {
    name: 'trustProxy: "loopback" lets the local proxy’s X-Forwarded-For and -Proto count',
    options: { trustProxy: 'loopback' },
    chain: (probe) => [whoIsIt(probe)],
    exchanges: [
      {
        path: '/json',
        request: { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } },
        expect: { status: 200, json: JSON_BODY },
      },
    ],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen).toEqual({ ip: '203.0.113.9', secure: true });
    },
  },
  {
    name: 'problem answers are application/problem+json and carry ctx.state.requestId as request_id',
    chain: () => [
      function tag(ctx, next) {
        ctx.state.requestId = 'req-7f3a';
        return next();
      },
      deny(403, { detail: 'Not yours' }),
    ],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 403,
          problem: { type: 'urn:ward:problem:forbidden', title: 'Forbidden', status: 403, code: 'FORBIDDEN', detail: 'Not yours', request_id: 'req-7f3a' },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'the problemFormatter option replaces the problem body',
    options: { problemFormatter: (error) => ({ error: error.code, status: error.status }) },
    chain: () => [deny(429)],
    exchanges: [{ path: '/json', expect: { status: 429, problem: { error: 'TOO_MANY_REQUESTS', status: 429 } } }],
    counts: {},
  },
  {
    name: 'ctx.adapter names the adapter, and the text handler’s answer passes through unchanged',
    chain: (probe) => [
      async function which(ctx, next) {
        probe.seen.adapter = ctx.adapter;
        await next();
      },
    ],
    exchanges: [{ path: '/text', expect: { status: 200, headers: { 'content-type': TEXT_TYPE }, text: TEXT_BODY } }],
    counts: { text: 1 },
    verify({ probe, target }) {
      expect(probe.seen.adapter).toBe(target.adapter);
    },
  },
];
