/**
 * A real pino 10 instance as the destination: pino writes the records as
 * its own JSON lines (numeric levels, its own time), which are read back
 * from the stream pino writes to.
 */
import { request } from '@ward/core/testing';
import { type StructuredLogger, accessLog, auditLog } from '@ward/logger';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { engineApp, ids } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** The stream pino writes to: each write() is one line. */
function lines(): { write(line: string): void; read(): Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  return {
    raw,
    write(line: string) {
      raw.push(line);
    },
    read: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('pino as the logger', () => {
  it('records become pino lines: level 30/40/50, pino time, msg, every field once', async () => {
    const out = lines();
    const logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, out);
    const app = await engineApp([ids, accessLog({ logger, metrics: { registry: new Registry() } })]);
    closers.push(app.close);
    await request(`${app.url}/users/5`);
    await request(`${app.url}/nope`);
    await request(`${app.url}/boom`);
    const read = out.read();
    expect(read.map((l) => [l.level, l.msg, l.status, l.route])).toEqual([
      [30, 'request completed', 200, '/users/:id'],
      [40, 'request completed', 404, null],
      [50, 'request failed', 500, '/boom'],
    ]);
    expect(read[0]).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      msg: 'request completed',
      log: 'access',
      request_id: 'req-1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      method: 'GET',
      route: '/users/:id',
      path: '/users/5',
      status: 200,
      duration_ms: expect.any(Number),
      bytes: 10,
      ip: '127.0.0.1',
      user_id: null,
      user_agent: null,
      slow: false,
      aborted: false,
    });
    expect(read[2]!.error).toEqual({ name: 'Error', code: null });
    // No key twice (strict JSON consumers such as Elasticsearch refuse duplicates).
    for (const line of out.raw) {
      for (const key of ['"level":', '"time":', '"msg":']) expect(line.split(key)).toHaveLength(2);
    }
  });

  it('a pino child logger keeps its bindings; its level filter applies', async () => {
    const out = lines();
    const logger = pino({ base: null, level: 'warn' }, out).child({ service: 'api' });
    const app = await engineApp([accessLog({ logger, metrics: { registry: new Registry() } })]);
    closers.push(app.close);
    await request(`${app.url}/users/5`);
    await request(`${app.url}/limited`);
    expect(out.read().map((l) => [l.service, l.level, l.status])).toEqual([['api', 40, 429]]);
  });

  it('the audit trail on its own pino instance', async () => {
    const out = lines();
    const app = await engineApp([auditLog({ logger: pino({ base: null }, out), metrics: { registry: new Registry() } })]);
    closers.push(app.close);
    await request(`${app.url}/users/8`, { method: 'DELETE' });
    expect(out.read()).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        msg: 'audit',
        log: 'audit',
        request_id: null,
        trace_id: null,
        user_id: null,
        ip: '127.0.0.1',
        method: 'DELETE',
        route: '/users/:id',
        path: '/users/8',
        params: { id: '8' },
        status: 204,
        outcome: 'success',
      },
    ]);
  });

  it('a pino instance is a StructuredLogger for the type checker', () => {
    const logger: StructuredLogger = pino({ enabled: false });
    expect(typeof logger.info).toBe('function');
  });
});
