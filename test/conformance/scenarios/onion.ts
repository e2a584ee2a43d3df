/**
 * Scenarios: the onion and deferred commit: order, reading and rewriting the response after next(), short-circuits, next() twice.
 */
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { bodyText, CREATED_BODY, JSON_BODY, JSON_TYPE } from '../probe.js';
import { deny, jsonPost, recorder, REWRITTEN } from './shared.js';

export const ONION: readonly Scenario[] = [
  {
    name: 'onion order: m1 before → m2 before → handler → m2 after → m1 after',
    chain: (probe) => [recorder('m1', probe), recorder('m2', probe)],
    exchanges: [{ path: '/json', expect: { status: 200, json: JSON_BODY } }],
    counts: { json: 1 },
    log: ['m1 before', 'm2 before', 'handler', 'm2 after', 'm1 after'],
  },
  {
    name: 'deferred commit: after next() a middleware reads status and body, then replaces them',
    chain: (probe) => [
      async function rewrite(ctx, next) {
        await next();
        probe.seen.status = ctx.res.status;
        probe.seen.body = bodyText(ctx.res.body);
        probe.seen.committed = ctx.res.committed;
        probe.seen.answered = ctx.res.answered;
        ctx.res.status = 203;
        ctx.res.setHeader('x-after', 'yes');
        ctx.res.body = REWRITTEN;
      },
    ],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 203,
          headers: { 'x-after': 'yes', 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(REWRITTEN)) },
          text: REWRITTEN,
        },
      },
    ],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen).toEqual({ status: 200, body: JSON.stringify(JSON_BODY), committed: false, answered: true });
    },
  },
  {
    name: "deferred commit: after next() the handler's headers are readable and removable",
    chain: (probe) => [
      async function editHeaders(ctx, next) {
        await next();
        probe.seen.handlerHeader = ctx.res.header('x-handler');
        ctx.res.removeHeader('x-handler');
        ctx.res.appendHeader('vary', 'accept');
      },
    ],
    exchanges: [
      {
        path: '/created',
        request: jsonPost('{}'),
        expect: { status: 201, headers: { 'x-handler': null, vary: 'accept' }, json: CREATED_BODY },
      },
    ],
    counts: { created: 1 },
    verify({ probe }) {
      expect(probe.seen.handlerHeader).toBe('1');
    },
  },
  {
    name: 'a header set before next() reaches the client beside the handler’s own',
    chain: () => [
      async function early(ctx, next) {
        ctx.res.setHeader('x-before', 'kept');
        await next();
      },
    ],
    exchanges: [
      {
        path: '/created',
        request: jsonPost('{}'),
        expect: { status: 201, headers: { 'x-before': 'kept', 'x-handler': '1' }, json: CREATED_BODY },
      },
    ],
    counts: { created: 1 },
  },
  {
    name: 'short-circuit: a middleware that answers without next() ends the chain',
    chain: (probe) => [recorder('m1', probe), deny(401, { headers: { 'www-authenticate': 'Bearer realm="api"' } })],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 401,
          headers: { 'www-authenticate': 'Bearer realm="api"' },
          problem: { type: 'urn:ward:problem:unauthorized', title: 'Unauthorized', status: 401, code: 'UNAUTHORIZED' },
        },
      },
    ],
    counts: {},
    log: ['m1 before', 'm1 after'],
  },
  {
    name: 'a second next() rejects with NEXT_CALLED_TWICE and the handler runs once',
    chain: (probe) => [
      async function twice(_ctx, next) {
        await next();
        try {
          await next();
          probe.seen.second = 'resolved';
        } catch (error) {
          probe.seen.second = (error as { code?: unknown }).code;
        }
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 200, json: JSON_BODY } }],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen.second).toBe('NEXT_CALLED_TWICE');
    },
  },
];
