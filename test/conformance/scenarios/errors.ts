/**
 * Scenarios: errors reach the onion: sync throws, rejections, what nobody handles, failures mid-stream.
 */
import { expect } from 'vitest';
import { INTERNAL_ERROR_PROBLEM, type Scenario } from '../harness.js';
import { STREAM_CHUNKS } from '../probe.js';
import { catchToProblem, passthrough, readUntilCut, rethrow } from './shared.js';

export const ERRORS: readonly Scenario[] = [
  {
    name: 'a sync throw in an inner middleware rejects the outer next() with that error',
    chain: (probe) => [
      catchToProblem(probe),
      function explode() {
        const error = new Error('middleware exploded');
        probe.seen.thrown = error;
        throw error;
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM, headers: { 'content-type': 'application/problem+json' } } }],
    counts: {},
    verify({ probe }) {
      expect(probe.caught).toHaveLength(1);
      expect(probe.caught[0]).toBe(probe.seen.thrown);
      expect(probe.unhandled).toEqual([]);
    },
  },
  {
    name: 'the unhandled-error answer drops Content-Encoding and Content-Range the failed middleware had set (as Express’s finalhandler does)',
    chain: () => [
      function describeThenFail(ctx) {
        ctx.res.setHeader('content-encoding', 'gzip');
        ctx.res.setHeader('content-range', 'bytes 0-9/100');
        throw new Error('compression failed');
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, unhandled: true, headers: { 'content-encoding': null, 'content-range': null } } }],
    counts: {},
  },
  {
    name: 'a sync throw no middleware handles gets the unhandled-error answer (500), and the server lives on',
    chain: (probe) => [
      function explode() {
        const error = new Error('middleware exploded');
        probe.seen.thrown = error;
        throw error;
      },
    ],
    exchanges: [
      { path: '/json', expect: { status: 500, unhandled: true } },
      { path: '/text', expect: { status: 500, unhandled: true } },
    ],
    counts: {},
    verify({ probe, target }) {
      if (target.ownsFallbacks) expect(probe.unhandled).toHaveLength(2);
    },
  },
  {
    name: "a handler's sync throw rejects next() with the exact error; the middleware answers 500 INTERNAL_ERROR",
    chain: (probe) => [catchToProblem(probe)],
    exchanges: [{ path: '/throw', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM, problem: JSON.parse(INTERNAL_ERROR_PROBLEM) } }],
    counts: { throwSync: 1 },
    verify({ probe }) {
      expect(probe.thrown).toHaveLength(1);
      expect(probe.caught).toHaveLength(1);
      expect(probe.caught[0]).toBe(probe.thrown[0]);
      expect(probe.unhandled).toEqual([]);
    },
  },
  {
    name: "a handler's async rejection rejects next() with the exact error; the middleware answers 500 INTERNAL_ERROR",
    chain: (probe) => [catchToProblem(probe)],
    exchanges: [{ path: '/reject', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM, problem: JSON.parse(INTERNAL_ERROR_PROBLEM) } }],
    counts: { rejectAsync: 1 },
    verify({ probe }) {
      expect(probe.thrown).toHaveLength(1);
      expect(probe.caught).toHaveLength(1);
      expect(probe.caught[0]).toBe(probe.thrown[0]);
    },
  },
  {
    name: "a handler error no ward middleware handles passes through every next() to the stack's own error answer (500)",
    chain: (probe) => [rethrow(probe), rethrow(probe)],
    exchanges: [
      { path: '/throw', expect: { status: 500, unhandled: true } },
      { path: '/reject', expect: { status: 500, unhandled: true } },
    ],
    counts: { throwSync: 1, rejectAsync: 1 },
    verify({ probe, target }) {
      // Both middleware saw each error, innermost first.
      expect(probe.caught).toEqual([probe.thrown[0], probe.thrown[0], probe.thrown[1], probe.thrown[1]]);
      for (const error of probe.caught) expect(error).toBeInstanceOf(Error);
      if (target.ownsFallbacks) expect(probe.unhandled).toEqual(probe.thrown);
    },
  },
  {
    name: 'a handler that fails mid-stream: the connection is cut, the client sees an aborted response, the server lives on',
    chain: () => [passthrough],
    async run({ url, probe }) {
      expect(await readUntilCut(`${url}/stream-fail`, probe)).toEqual({ status: 200, received: STREAM_CHUNKS[0], cut: true });
    },
    counts: { streamThenThrow: 1 },
  },
  {
    name: 'a handler that fails mid-stream: the connection is cut even when a middleware catches the error',
    chain: (probe) => [catchToProblem(probe)],
    async run({ url, probe }) {
      expect(await readUntilCut(`${url}/stream-fail`, probe)).toEqual({ status: 200, received: STREAM_CHUNKS[0], cut: true });
    },
    counts: { streamThenThrow: 1 },
  },
];
