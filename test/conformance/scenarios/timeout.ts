/**
 * Scenarios: @ward/timeout on every adapter.
 *
 * Deadlines are driven by events, never by waiting: each run gives
 * `timeout()` manual timers (`timers` option) that record every timer armed
 * and cleared, and keep the clock (it moves to a timer's due time when
 * the scenario fires it, at the moment it chooses:
 * the handler has started, the first streamed bytes have arrived…).
 */
import { request as httpRequest } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Middleware } from '@ward/core';
import { abortAfter, keepAliveAgent } from '@ward/core/testing';
import { isTimeoutError, timeout, type TimeoutOptions, type TimeoutTimers } from '@ward/timeout';
import { Registry } from 'prom-client';
import { checkResponse, type Scenario } from '../harness.js';
import { CREATED_BODY, JSON_BODY, type Probe, STREAM_CHUNKS } from '../probe.js';

/** Where the clock of every run starts (it moves only when a deadline is fired): deadlines are exact numbers. */
const NOW = 1_700_000_000_000;
const BUDGET_MS = 5_000;

const TIMEOUT_PROBLEM = (status: 503 | 504): Record<string, unknown> => ({
  type: 'urn:ward:problem:timeout',
  title: 'Response Timeout',
  status,
  code: 'TIMEOUT',
});

/** One timer `timeout()` armed through {@link ManualTimers}. */
interface ManualTimer {
  readonly ms: number;
  cleared: boolean;
  fired: boolean;
  /** Runs the callback now, as if the delay had passed. */
  fire(): void;
}

/** Timers that fire only when a scenario says so, and remember what happened to each. */
class ManualTimers implements TimeoutTimers {
  readonly armed: ManualTimer[] = [];
  /** Called with each timer as it is armed. */
  onArm: ((timer: ManualTimer) => void) | undefined;
  /** The clock of the run, in epoch ms: it moves only when a timer fires. */
  now = NOW;

  setTimeout(callback: () => void, ms: number): unknown {
    const due = this.now + ms;
    const timer: ManualTimer = {
      ms,
      cleared: false,
      fired: false,
      fire: () => {
        if (timer.cleared || timer.fired) throw new Error(`timer of ${ms} ms fired after it was ${timer.cleared ? 'cleared' : 'fired'}`);
        timer.fired = true;
        if (this.now < due) this.now = due;
        callback();
      },
    };
    this.armed.push(timer);
    this.onArm?.(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as ManualTimer).cleared = true;
  }

  /** The one timer still pending (neither fired nor cleared). */
  pending(): ManualTimer {
    const pending = this.armed.filter((t) => !t.cleared && !t.fired);
    expect(pending.map((t) => t.ms), 'pending timers').toHaveLength(1);
    return pending[0]!;
  }
}

/** What one run's timeouts share: the timers and the metrics registry. */
interface Rig {
  readonly timers: ManualTimers;
  readonly registry: Registry;
}
const rigs = new WeakMap<Probe, Rig>();

function rigOf(probe: Probe): Rig {
  let rig = rigs.get(probe);
  if (rig === undefined) {
    rig = { timers: new ManualTimers(), registry: new Registry() };
    rigs.set(probe, rig);
  }
  return rig;
}

/** A `timeout()` on the run's manual timers, fixed clock and own registry. */
function deadline(probe: Probe, options: Partial<TimeoutOptions> = {}): Middleware {
  const { timers, registry } = rigOf(probe);
  return timeout({ timeoutMs: BUDGET_MS, now: () => timers.now, timers, registry, ...options });
}

/** Records how `ctx.signal` aborts (event `aborted`) and the deadline seen on both sides of `next()`. */
function watch(probe: Probe, name = 'inner'): Middleware {
  return async function watch(ctx, next) {
    const signal = ctx.signal;
    signal.addEventListener('abort', () => probe.event('aborted').resolve(signal.reason), { once: true });
    probe.seen[`${name} deadline before`] = ctx.state.deadline;
    await next();
    probe.seen[`${name} deadline after`] = ctx.state.deadline;
  };
}

/** `ward_timeout_expired_total` by its `committed` label. */
async function expired(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('ward_timeout_expired_total');
  if (metric === undefined) return {};
  const { values } = await metric.get();
  return Object.fromEntries(values.map((v) => [`committed=${String(v.labels['committed'])}`, v.value]));
}

export const TIMEOUT: readonly Scenario[] = [
  {
    name: 'timeout: past the deadline the answer is a 503 problem (TIMEOUT, Retry-After), the late write is dropped, ctx.signal aborts with TimeoutError',
    chain: (probe) => [deadline(probe, { retryAfterSec: 7 }), watch(probe)],
    async run({ probe, send, target }) {
      const { timers, registry } = rigOf(probe);
      const agent = keepAliveAgent();
      try {
        const pending = send('/slow', { agent });
        await probe.slow.started.promise;
        const timer = timers.pending();
        expect(timer.ms).toBe(BUDGET_MS);
        expect(probe.seen['inner deadline before']).toBe(NOW + BUDGET_MS);
        timer.fire();
        const answer = await pending;
        checkResponse(answer, { status: 503, headers: { 'retry-after': '7' }, problem: TIMEOUT_PROBLEM(503) }, target, 'the timeout answer');
        const reason = await probe.event('aborted').promise;
        expect(isTimeoutError(reason), 'ctx.signal.reason is a TimeoutError').toBe(true);
        expect(reason).toMatchObject({ name: 'TimeoutError', code: 'TIMEOUT', timeoutMs: BUDGET_MS, deadline: NOW + BUDGET_MS });
        // The handler answers only now, after the abort: too late, dropped without an error.
        probe.slow.release.resolve();
        expect((await probe.slow.finished.promise).error, 'the late write threw').toBeUndefined();
        await tick();
        const next = await send('/json', { agent });
        checkResponse(next, { status: 200, json: JSON_BODY }, target, 'the next request on the same connection');
        expect(next.reusedSocket, 'the keep-alive connection was reused').toBe(true);
        expect(await expired(registry)).toEqual({ 'committed=false': 1 });
        expect(timers.armed.map((t) => [t.fired, t.cleared])).toEqual([
          [true, false],
          [false, true],
        ]);
      } finally {
        agent.destroy();
      }
    },
    counts: { slow: 1, json: 1 },
  },
  {
    name: 'timeout: status 504 when configured, no Retry-After unless asked, and a hung handler is aborted with TimeoutError',
    chain: (probe) => [deadline(probe, { status: 504 }), watch(probe)],
    async run({ probe, send, target }) {
      const { timers, registry } = rigOf(probe);
      const pending = send('/hang');
      await probe.hang.started.promise;
      timers.pending().fire();
      checkResponse(await pending, { status: 504, headers: { 'retry-after': null }, problem: TIMEOUT_PROBLEM(504) }, target, 'the 504');
      expect(await probe.event('aborted').promise).toMatchObject({ name: 'TimeoutError', code: 'TIMEOUT' });
      await probe.hang.closed.promise;
      expect(await expired(registry)).toEqual({ 'committed=false': 1 });
    },
    counts: { hang: 1 },
  },
  {
    name: 'timeout: a handler that finishes in time is untouched, its timer is cleared, and ctx.state.deadline is put back',
    chain: (probe) => [watch(probe, 'outer'), deadline(probe), watch(probe)],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { 'retry-after': null, 'cache-control': null }, json: JSON_BODY } },
      { path: '/created', request: { method: 'POST' }, expect: { status: 201, headers: { 'x-handler': '1' }, json: CREATED_BODY } },
    ],
    counts: { json: 1, created: 1 },
    async verify({ probe }) {
      const { timers, registry } = rigOf(probe);
      expect(timers.armed.map((t) => [t.ms, t.fired, t.cleared])).toEqual([
        [BUDGET_MS, false, true],
        [BUDGET_MS, false, true],
      ]);
      expect(probe.seen).toEqual({
        'outer deadline before': undefined,
        'inner deadline before': NOW + BUDGET_MS,
        'inner deadline after': NOW + BUDGET_MS,
        'outer deadline after': undefined,
      });
      expect(await expired(registry)).toEqual({});
    },
  },
  {
    name: 'timeout: a response already streaming when the deadline passes is left alone (no 503, no abort)',
    chain: (probe) => [deadline(probe), watch(probe)],
    async run({ url, probe }) {
      const { timers, registry } = rigOf(probe);
      const outcome = await new Promise<{ status: number | undefined; received: string; cut: boolean }>((resolve, reject) => {
        let received = '';
        let fired = false;
        httpRequest(`${url}/stream-fail`, (res) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.toString('utf8');
            if (fired) return;
            fired = true;
            // The head and the first chunk are on the wire: now the deadline passes.
            timers.pending().fire();
            // The timeout decides on the next turn of the event loop; the stream fails only after that.
            setImmediate(() => {
              probe.seen['aborted at the deadline'] = probe.event('aborted').settled;
              probe.midStream.resolve();
            });
          });
          res.once('error', () => resolve({ status: res.statusCode, received, cut: true }));
          res.once('end', () => resolve({ status: res.statusCode, received, cut: false }));
        })
          .once('error', reject)
          .end();
      });
      // The stream then fails on its own (the handler's error): cut, as without a timeout.
      expect(outcome).toEqual({ status: 200, received: STREAM_CHUNKS[0], cut: true });
      expect(probe.seen['aborted at the deadline']).toBe(false);
      expect(await expired(registry)).toEqual({ 'committed=true': 1 });
      const reason = probe.event('aborted').settled ? await probe.event('aborted').promise : undefined;
      expect(isTimeoutError(reason), 'the signal never aborts with TimeoutError for a stream left alone').toBe(false);
    },
    counts: { streamThenThrow: 1 },
  },
  {
    name: 'timeout: a client that goes away before the deadline clears the timer, and ctx.signal says CLIENT_CLOSED',
    chain: (probe) => [deadline(probe), watch(probe)],
    async run({ url, probe }) {
      const { timers, registry } = rigOf(probe);
      await abortAfter(`${url}/hang`, { after: probe.hang.started.promise });
      await probe.hang.closed.promise;
      expect(await probe.event('aborted').promise).toMatchObject({ name: 'ClientClosedError', code: 'CLIENT_CLOSED' });
      expect(timers.armed.map((t) => [t.fired, t.cleared])).toEqual([[false, true]]);
      expect(await expired(registry)).toEqual({});
    },
    counts: { hang: 1 },
  },
  {
    name: 'timeout: a tighter inner (route) timeout answers with its own settings; the outer timer is cleared',
    chain: (probe) => [deadline(probe, { timeoutMs: 10_000 }), deadline(probe, { timeoutMs: 1_000, status: 504, retryAfterSec: 1 }), watch(probe)],
    async run({ probe, send, target }) {
      const { timers } = rigOf(probe);
      const pending = send('/slow');
      await probe.slow.started.promise;
      expect(timers.armed.map((t) => t.ms)).toEqual([10_000, 1_000]);
      expect(probe.seen['inner deadline before']).toBe(NOW + 1_000);
      timers.armed[1]!.fire();
      checkResponse(await pending, { status: 504, headers: { 'retry-after': '1' }, problem: TIMEOUT_PROBLEM(504) }, target, 'the inner timeout');
      await probe.event('aborted').promise;
      expect(timers.armed.map((t) => [t.fired, t.cleared])).toEqual([
        [false, true],
        [true, false],
      ]);
      probe.slow.release.resolve();
      await probe.slow.finished.promise;
    },
    counts: { slow: 1 },
  },
  {
    name: 'timeout: an inner timeout with a later deadline arms no second timer; the outer deadline answers',
    chain: (probe) => [deadline(probe, { timeoutMs: 1_000 }), deadline(probe, { timeoutMs: 10_000, status: 504 }), watch(probe)],
    async run({ probe, send, target }) {
      const { timers } = rigOf(probe);
      const pending = send('/slow');
      await probe.slow.started.promise;
      expect(timers.armed.map((t) => t.ms)).toEqual([1_000]);
      expect(probe.seen['inner deadline before']).toBe(NOW + 1_000);
      timers.pending().fire();
      checkResponse(await pending, { status: 503, problem: TIMEOUT_PROBLEM(503) }, target, 'the outer timeout');
      probe.slow.release.resolve();
      await probe.slow.finished.promise;
    },
    counts: { slow: 1 },
  },
  {
    name: 'timeout: a client trickling its request body past the deadline gets the 503 while still sending',
    group: 'security',
    chain: (probe) => [deadline(probe)],
    async run({ url, probe }) {
      const { timers, registry } = rigOf(probe);
      timers.onArm = (timer) => {
        timers.onArm = undefined;
        // Fire once the request is inside the chain, while its body is still incomplete.
        setImmediate(() => timer.fire());
      };
      const answer = await new Promise<{ status: number | undefined; type: string | undefined; text: string }>((resolve, reject) => {
        const req = httpRequest(`${url}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '1000' },
          agent: false,
        });
        req.once('error', reject);
        req.once('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.once('end', () => {
            resolve({ status: res.statusCode, type: res.headers['content-type'], text });
            req.destroy();
          });
        });
        req.write('{"a":');
      });
      expect(answer).toEqual({ status: 503, type: 'application/problem+json', text: JSON.stringify(TIMEOUT_PROBLEM(503)) });
      expect(await expired(registry)).toEqual({ 'committed=false': 1 });
    },
  },
  {
    name: 'timeout: deadline headers sent by the client (X-Request-Timeout, grpc-timeout) cannot extend the budget',
    group: 'security',
    chain: (probe) => [deadline(probe), watch(probe)],
    async run({ probe, send, target }) {
      const { timers } = rigOf(probe);
      const pending = send('/slow', { headers: { 'x-request-timeout': '999999999', 'grpc-timeout': '9999H', 'request-timeout': '86400' } });
      await probe.slow.started.promise;
      expect(timers.armed.map((t) => t.ms)).toEqual([BUDGET_MS]);
      expect(probe.seen['inner deadline before']).toBe(NOW + BUDGET_MS);
      timers.pending().fire();
      checkResponse(await pending, { status: 503, problem: TIMEOUT_PROBLEM(503) }, target, 'the timeout answer');
      probe.slow.release.resolve();
      await probe.slow.finished.promise;
    },
    counts: { slow: 1 },
  },
];
