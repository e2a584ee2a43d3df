/**
 * jsonLinesLogger(): the default destination. Exact lines, one write per
 * turn of the event loop, early and explicit flushes, the flush at exit,
 * and a destination that throws.
 */
import { execFile } from 'node:child_process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { jsonLinesLogger } from '@ward/logger';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const T = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const clock = (): number => T;

/** A destination that keeps each write() call. */
function collector(): { writes: string[]; write(chunk: string): void } {
  const writes: string[] = [];
  return {
    writes,
    write(chunk: string) {
      writes.push(chunk);
    },
  };
}

describe('jsonLinesLogger: the line', () => {
  it('level, ISO time, msg, then the record fields, one JSON object per line', () => {
    const dest = collector();
    const logger = jsonLinesLogger({ destination: dest, clock, sync: true });
    logger.info({ log: 'access', status: 200, route: null, slow: false }, 'request completed');
    logger.warn({ a: 'é"\\\n' });
    logger.error({}, 'only a message');
    expect(dest.writes).toEqual([
      '{"level":"info","time":"2024-01-02T03:04:05.678Z","msg":"request completed","log":"access","status":200,"route":null,"slow":false}\n',
      '{"level":"warn","time":"2024-01-02T03:04:05.678Z","a":"é\\"\\\\\\n"}\n',
      '{"level":"error","time":"2024-01-02T03:04:05.678Z","msg":"only a message"}\n',
    ]);
    for (const line of dest.writes) expect(JSON.parse(line)).toBeTypeOf('object');
  });

  it('called as pino may be (a string, null, an array, a number, nothing), every line is still one JSON object', () => {
    const dest = collector();
    const logger = jsonLinesLogger({ destination: dest, clock, sync: true });
    const loose = logger as unknown as { info(record?: unknown, message?: string): void };
    loose.info('server started');
    loose.info(null);
    loose.info(['a']);
    loose.info(42, 'a number');
    loose.info(undefined);
    expect(dest.writes.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      { level: 'info', time: '2024-01-02T03:04:05.678Z', msg: 'server started' },
      { level: 'info', time: '2024-01-02T03:04:05.678Z' },
      { level: 'info', time: '2024-01-02T03:04:05.678Z', value: ['a'] },
      { level: 'info', time: '2024-01-02T03:04:05.678Z', msg: 'a number', value: 42 },
      { level: 'info', time: '2024-01-02T03:04:05.678Z' },
    ]);
  });

  it('time is exactly toISOString(), for any clock value, from one call to the next', () => {
    const dest = collector();
    let now = 0;
    const logger = jsonLinesLogger({ destination: dest, sync: true, clock: () => now });
    const values = [
      T, T, T + 1, T + 321, T + 999, T + 1000, T - 1, T + 0.9, T + 1.5, 0, -0, 0.5, 1, 999, 1000, 86_400_000 - 1,
      253_402_300_799_999, 253_402_300_800_000, -1, -1.5, -62_198_755_200_000, 8.64e15, -8.64e15,
    ];
    for (const value of values) {
      now = value;
      logger.info({});
      expect((JSON.parse(dest.writes.at(-1)!) as { time: string }).time, String(value)).toBe(new Date(value).toISOString());
    }
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      now = value;
      expect(() => logger.info({})).toThrow(RangeError);
    }
  });

  it('the default clock is Date.now, in UTC', () => {
    const dest = collector();
    const before = Date.now();
    jsonLinesLogger({ destination: dest, sync: true }).info({});
    const time = (JSON.parse(dest.writes[0]!) as { time: string }).time;
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before - (before % 1000) - 1000);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });
});

describe('jsonLinesLogger: writes', () => {
  it('gathers the lines of one turn into one write, made after the turn', async () => {
    const dest = collector();
    const logger = jsonLinesLogger({ destination: dest, clock });
    logger.info({ n: 1 });
    logger.info({ n: 2 });
    logger.warn({ n: 3 });
    expect(dest.writes).toEqual([]);
    await nextTurn();
    expect(dest.writes).toHaveLength(1);
    expect(dest.writes[0]!.split('\n')).toEqual([
      '{"level":"info","time":"2024-01-02T03:04:05.678Z","n":1}',
      '{"level":"info","time":"2024-01-02T03:04:05.678Z","n":2}',
      '{"level":"warn","time":"2024-01-02T03:04:05.678Z","n":3}',
      '',
    ]);
    logger.info({ n: 4 });
    await nextTurn();
    expect(dest.writes).toHaveLength(2);
    expect(dest.writes[1]).toBe('{"level":"info","time":"2024-01-02T03:04:05.678Z","n":4}\n');
  });

  it('while a stream destination is still writing, the next write waits (up to 8 turns) and takes their lines too', async () => {
    const dest = Object.assign(collector(), { writableLength: 0 });
    const logger = jsonLinesLogger({ destination: dest, clock });
    const line = (n: number): string => `{"level":"info","time":"2024-01-02T03:04:05.678Z","n":${n}}\n`;
    logger.info({ n: 1 });
    await nextTurn();
    expect(dest.writes).toEqual([line(1)]);
    dest.writableLength = 100;
    logger.info({ n: 2 });
    await nextTurn();
    logger.info({ n: 3 });
    await nextTurn();
    expect(dest.writes).toHaveLength(1);
    dest.writableLength = 0;
    await nextTurn();
    expect(dest.writes).toEqual([line(1), line(2) + line(3)]);
    // A destination that stays busy is written to all the same, after 8 turns.
    dest.writableLength = 100;
    logger.info({ n: 4 });
    for (let turn = 0; turn < 8; turn += 1) await nextTurn();
    expect(dest.writes).toHaveLength(2);
    await nextTurn();
    expect(dest.writes).toEqual([line(1), line(2) + line(3), line(4)]);
    // flush() does not wait.
    logger.info({ n: 5 });
    logger.flush();
    expect(dest.writes.at(-1)).toBe(line(5));
    // A writableLength getter that throws counts as not busy.
    const hostile = { ...collector(), get writableLength(): number { throw new Error('no'); } };
    const other = jsonLinesLogger({ destination: hostile, clock });
    other.info({ n: 6 });
    await nextTurn();
    expect(hostile.writes).toEqual([line(6)]);
  });

  it('writes early once 64 KiB are pending', () => {
    const dest = collector();
    const logger = jsonLinesLogger({ destination: dest, clock });
    const big = 'x'.repeat(1000);
    let lines = 0;
    while (dest.writes.length === 0) {
      logger.info({ big });
      lines += 1;
    }
    const line = `{"level":"info","time":"2024-01-02T03:04:05.678Z","big":"${big}"}\n`;
    // The first line that takes the pending text to 64 KiB or more triggers the write.
    expect(lines).toBe(Math.ceil((64 * 1024) / line.length));
    expect(dest.writes).toEqual([line.repeat(lines)]);
  });

  it('flush() writes what is pending now, and the turn-end flush then has nothing left', async () => {
    const dest = collector();
    const logger = jsonLinesLogger({ destination: dest, clock });
    logger.info({ n: 1 });
    logger.flush();
    expect(dest.writes).toEqual(['{"level":"info","time":"2024-01-02T03:04:05.678Z","n":1}\n']);
    await nextTurn();
    expect(dest.writes).toHaveLength(1);
    logger.flush();
    expect(dest.writes).toHaveLength(1);
  });

  it('pending lines are written when the process exits, even by process.exit() in the same turn', async () => {
    const script = [
      "import { jsonLinesLogger } from '@ward/logger';",
      'const logger = jsonLinesLogger({ clock: () => 0 });',
      "logger.info({ last: 'words' }, 'bye');",
      'process.exit(3);',
    ].join('\n');
    const result = await run(process.execPath, ['--input-type=module', '-e', script]).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(result).toEqual({ code: 3, stdout: '{"level":"info","time":"1970-01-01T00:00:00.000Z","msg":"bye","last":"words"}\n' });
  });
});

describe('jsonLinesLogger: failures', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  afterEach(() => {
    process.off('warning', onWarning);
    warnings.length = 0;
  });

  it('a destination that throws reaches onError, and the logger keeps going', () => {
    const errors: unknown[] = [];
    let fail = true;
    const written: string[] = [];
    const logger = jsonLinesLogger({
      clock,
      sync: true,
      destination: {
        write(chunk: string) {
          if (fail) throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
          written.push(chunk);
        },
      },
      onError: (error) => errors.push(error),
    });
    expect(() => logger.info({ n: 1 })).not.toThrow();
    fail = false;
    logger.info({ n: 2 });
    expect(errors).toHaveLength(1);
    expect((errors[0] as { code: string }).code).toBe('EPIPE');
    expect(written).toEqual(['{"level":"info","time":"2024-01-02T03:04:05.678Z","n":2}\n']);
  });

  it('by default, one process warning per logger, then silence; a batched write failing is caught too', async () => {
    process.on('warning', onWarning);
    const logger = jsonLinesLogger({
      clock,
      destination: {
        write() {
          throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        },
      },
    });
    logger.info({ n: 1 });
    await nextTurn();
    logger.info({ n: 2 });
    await nextTurn();
    // emitWarning delivers on the next tick.
    await nextTurn();
    expect(warnings.map((w) => [w.name, (w as { code?: string }).code, w.message])).toEqual([
      ['Warning', 'WARD_LOGGER_WRITE_FAILED', '@ward/logger: the log destination threw on write (ENOSPC); further failures are not reported'],
    ]);
  });

  it('an onError that throws is contained', () => {
    const logger = jsonLinesLogger({
      sync: true,
      destination: {
        write() {
          throw new Error('a');
        },
      },
      onError() {
        throw new Error('b');
      },
    });
    expect(() => logger.info({})).not.toThrow();
  });

  it('options are checked at creation', () => {
    expect(() => jsonLinesLogger(null as never)).toThrow('jsonLinesLogger(options): options must be an object, got null');
    expect(() => jsonLinesLogger({ destination: {} as never })).toThrow(
      'jsonLinesLogger({ destination }) must have a write(string) method (process.stdout, a file stream), got an object',
    );
    expect(() => jsonLinesLogger({ sync: 'yes' as never })).toThrow('jsonLinesLogger({ sync }) must be true or false, got "yes"');
    expect(() => jsonLinesLogger({ clock: 0 as never })).toThrow('jsonLinesLogger({ clock }) must be a function returning epoch milliseconds, got 0');
    expect(() => jsonLinesLogger({ onError: 'log' as never })).toThrow('jsonLinesLogger({ onError }) must be a function (error) => void, got "log"');
  });
});

describe('the default logger', () => {
  it('accessLog() and auditLog() without a logger write JSON lines to stdout, in order', async () => {
    const script = `
      import { Engine } from '@ward/engine';
      import { accessLog, auditLog } from '@ward/logger';
      import { request } from '@ward/core/testing';
      const engine = new Engine();
      engine.use(accessLog({ now: () => 0 }), auditLog());
      engine.delete('/items/:id', (ctx) => ctx.respond(204));
      const server = await engine.listen({ port: 0, host: '127.0.0.1' });
      await request(server.url + '/items/3', { method: 'DELETE' });
      await server.shutdown();
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.level, l.msg, l.log, l.method, l.route, l.status])).toEqual([
      ['info', 'audit', 'audit', 'DELETE', '/items/:id', 204],
      ['info', 'request completed', 'access', 'DELETE', '/items/:id', 204],
    ]);
    expect(lines[1]).toMatchObject({ path: '/items/3', duration_ms: 0, bytes: 0, ip: '127.0.0.1' });
  });
});
