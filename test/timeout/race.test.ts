/**
 * Timeouts racing completion (issue 3, "Done when"): 1 000 requests around
 * the deadline on every stack, over real keep-alive sockets. Each must get
 * exactly one well-formed answer — the handler's, or the timeout's, never a
 * mix — with no unhandled rejection and no timer left behind
 * (`process.getActiveResourcesInfo()`).
 *
 * Two runs per stack:
 * - real timers: handlers finish a few milliseconds before, at or after a
 *   20 ms deadline, 50 at a time. Nothing is asserted about durations or
 *   about which side wins (the machine is shared); only the invariants.
 * - manual timers: sequential requests where the test fires the deadline
 *   at a chosen point around the handler's completion (before it, after 0 to
 *   19 microtask hops, or a few event-loop turns later), so every
 *   interleaving of the race window is taken, deterministically.
 */
import { Agent } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import type { Middleware } from '@ward/core';
import { request, type TestResponse } from '@ward/core/testing';
import { timeout } from '@ward/timeout';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Control, control, expired, ManualTimers, timeoutProblem, until } from './helpers.js';
import { STACKS, type StackName } from './stacks.js';

const REQUESTS = 1_000;

/** What a handler that failed produces on each stack, when it failed before the deadline. */
const ERROR_ANSWER: Record<StackName, string> = {
  engine: '{"type":"urn:ward:problem:internal-error","title":"Internal Server Error","status":500,"code":"INTERNAL_ERROR"}',
  express: 'express error handler',
  express4: 'express error handler',
  fastify: 'fastify error handler',
};

let unhandled: unknown[];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** How many active `Timeout` resources the process holds. */
function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

type Outcome = 'handler' | 'timeout' | 'error';

/** Classifies one response, failing on anything that is not exactly one of the possible answers. */
function outcomeOf(res: TestResponse, handlerBody: string, stack: StackName): Outcome {
  const where = `${stack}: ${res.status} ${JSON.stringify(res.text.slice(0, 200))}`;
  expect(res.headers['content-length'], where).toBe(String(res.body.byteLength));
  if (res.status === 503) {
    expect(res.text, where).toBe(timeoutProblem(503));
    expect(res.headers['content-type'], where).toBe('application/problem+json');
    expect(res.headers['cache-control'], where).toBe('no-store');
    return 'timeout';
  }
  if (res.status === 200) {
    expect(res.text, where).toBe(handlerBody);
    expect(res.headers['content-type'], where).toMatch(/^application\/json/);
    expect(res.headers['cache-control'], where).toBeUndefined();
    return 'handler';
  }
  expect([res.status, res.text], where).toEqual([500, ERROR_ANSWER[stack]]);
  return 'error';
}

/** Runs `count` calls, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await one(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('security: timeouts racing completion, 1 000 requests around the deadline', () => {
  for (const stack of STACKS) {
    it(`${stack.name}, real timers: exactly one well-formed answer each, no unhandled rejection, no timer left`, async () => {
      const budgetMs = 20;
      const registry = new Registry();
      let finished = 0;
      const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
      /** -3 … +3 ms around the deadline, spread over the requests. */
      const jitter = (i: number): number => (i % 7) - 3;
      // '/quick' answers at once under a long budget: a timer not cleared there would still be pending at the end.
      const short = timeout({ timeoutMs: budgetMs, registry });
      const long = timeout({ timeoutMs: 600_000, registry });
      const budget: Middleware = function budget(ctx, next) {
        return ctx.req.path === '/quick' ? long(ctx, next) : short(ctx, next);
      };
      const app = await stack.start({
        chain: [budget],
        routes: {
          '/quick': (io) => {
            finished += 1;
            io.json(200, { i: Number(io.header('x-i')) });
          },
          '/answer': async (io) => {
            const i = Number(io.header('x-i'));
            await sleep(budgetMs + jitter(i));
            finished += 1;
            io.json(200, { i });
          },
          '/throw': async (io) => {
            await sleep(budgetMs + jitter(Number(io.header('x-i'))));
            finished += 1;
            throw new Error('failed at the deadline');
          },
        },
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 50 });
      const tally: Record<Outcome, number> = { handler: 0, timeout: 0, error: 0 };
      try {
        await tick();
        const baseline = activeTimeouts();
        await inParallel(REQUESTS, 50, async (i) => {
          const path = i % 4 === 3 ? '/throw' : i % 4 === 2 ? '/quick' : '/answer';
          const res = await request(`${app.url}${path}`, { agent, headers: { 'x-i': String(i) } });
          tally[outcomeOf(res, JSON.stringify({ i }), stack.name)] += 1;
        });
        agent.destroy();
        expect(tally.handler + tally.timeout + tally.error).toBe(REQUESTS);
        // Late handlers run on after their 503: wait for all of them, then for their timers.
        await until(() => finished === REQUESTS, 'every handler finished', 100_000);
        expect(tally.error + tally.timeout, 'only the racing routes can fail').toBeLessThanOrEqual(REQUESTS / 2);
        await until(() => activeTimeouts() <= baseline, 'no timer outlives its request', 100_000);
        expect(activeTimeouts()).toBeLessThanOrEqual(baseline);
        expect(await expired(registry)).toEqual(tally.timeout === 0 ? {} : { 'committed=false': tally.timeout });
        expect(unhandled).toEqual([]);
      } finally {
        agent.destroy();
        await app.close();
      }
    });

    it(`${stack.name}, manual timers: every interleaving of deadline and completion gives one pure answer`, async () => {
      const registry = new Registry();
      const timers = new ManualTimers();
      let current: Control = control();
      const app = await stack.start({
        chain: [timeout({ timeoutMs: 1_000, timers, now: () => timers.now, registry })],
        routes: {
          '/gated': async (io) => {
            const gate = current;
            gate.entered.resolve();
            await gate.gate.promise;
            io.json(200, { i: Number(io.header('x-i')) });
            gate.finished.resolve();
          },
        },
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const tally: Record<Outcome, number> = { handler: 0, timeout: 0, error: 0 };
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const gate = control();
          current = gate;
          const pending = request(`${app.url}/gated`, { agent, headers: { 'x-i': String(i) } });
          await gate.entered.promise;
          const [timer, ...others] = timers.pending();
          expect(others).toEqual([]);
          const pattern = i % 32;
          if (pattern < 10) {
            // The deadline, then the handler's answer 0–9 microtask hops later (the same turn of the event loop).
            timer!.fire();
            for (let k = 0; k < pattern; k++) await Promise.resolve();
            gate.gate.resolve();
          } else if (pattern < 30) {
            // The handler's answer, then the deadline 0–19 microtask hops later.
            gate.gate.resolve();
            for (let k = 10; k < pattern; k++) await Promise.resolve();
            timer!.fire();
          } else if (pattern === 30) {
            // The deadline, and the handler's answer turns of the event loop later: the timeout answers.
            timer!.fire();
            for (let k = 0; k < 3; k++) await tick();
            gate.gate.resolve();
          } else {
            // The handler's answer, and the deadline turns later: its timer is already cleared.
            gate.gate.resolve();
            for (let k = 0; k < 3; k++) await tick();
            expect(timer!.fire(), `request ${i}: the timer was cleared`).toBe(false);
          }
          const outcome = outcomeOf(await pending, JSON.stringify({ i }), stack.name);
          if (pattern === 30) expect(outcome, `request ${i}: the deadline passed first`).toBe('timeout');
          if (pattern === 31) expect(outcome, `request ${i}: the handler finished first`).toBe('handler');
          tally[outcome] += 1;
          await gate.finished.promise;
          await until(() => timers.pending().length === 0, `request ${i}: its timer is cleared or fired`);
        }
        expect(tally.handler + tally.timeout).toBe(REQUESTS);
        expect(tally.handler, 'some answers beat the deadline').toBeGreaterThan(0);
        expect(tally.timeout, 'some deadlines beat the answer').toBeGreaterThan(0);
        expect(await expired(registry)).toEqual({ 'committed=false': tally.timeout });
        expect(unhandled).toEqual([]);
      } finally {
        agent.destroy();
        await app.close();
      }
    });
  }
});
