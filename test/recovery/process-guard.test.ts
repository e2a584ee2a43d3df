/**
 * installProcessGuard(), each case in its own child node process so the
 * test runner's own `uncaughtException`/`unhandledRejection` handlers are
 * never disturbed: reports with the same reporters, exits non-zero after
 * an uncaught exception (Node's advice) once reporters have flushed (bounded
 * by flushTimeoutMs), optionally keeps running after a rejection, and
 * uninstalls cleanly.
 */
import { describe, expect, it } from 'vitest';
import { jsonLines, runModule } from './child.js';

const IMPORT = "import { installProcessGuard, jsonReporter } from '@ward/recovery';";

describe('uncaughtException', () => {
  it('is reported as one JSON line on stderr (by default), then the process exits with code 1 and no trace of its own', async () => {
    const { code, stdout, stderr } = await runModule(`${IMPORT}
      installProcessGuard({ now: () => Date.UTC(2026, 0, 1) });
      setImmediate(() => { throw new TypeError('kaboom'); });
    `);
    expect([code, stdout]).toEqual([1, '']);
    const lines = jsonLines(stderr);
    expect(lines).toEqual([
      {
        level: 'error',
        time: '2026-01-01T00:00:00.000Z',
        msg: 'uncaught exception',
        source: 'uncaughtException',
        fatal: true,
        error: { kind: 'error', name: 'TypeError', message: 'kaboom', stack: expect.any(String) },
      },
    ]);
    expect((lines[0]!.error as { stack: string }).stack.split('\n')[0]).toBe('TypeError: kaboom');
  });

  it('waits for a reporter’s promise before exiting (a Sentry-style flush), well before flushTimeoutMs', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      installProcessGuard({
        flushTimeoutMs: 600000,
        onError: (report) => new Promise((resolve) => setImmediate(() => { process.stdout.write('flushed ' + report.message + '\\n'); resolve(); })),
      });
      setImmediate(() => { throw new Error('late'); });
    `);
    expect([code, stdout]).toEqual([1, 'flushed late\n']);
  });

  it('a reporter that never settles delays the exit by flushTimeoutMs at most, even with other work keeping the process alive', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      setInterval(() => {}, 1000);
      installProcessGuard({ flushTimeoutMs: 50, exitCode: 70, onError: () => new Promise(() => {}) });
      setImmediate(() => { throw new Error('stuck'); });
    `);
    expect([code, stdout]).toEqual([70, '']);
  });

  it('a reporter that throws or rejects does not recurse into another report; the exit still happens', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      let calls = 0;
      installProcessGuard({
        onError: [
          () => { calls += 1; throw new Error('reporter threw'); },
          () => Promise.reject(new Error('reporter rejected')),
          (report) => { process.stdout.write(report.source + ' ' + calls + '\\n'); },
        ],
      });
      setImmediate(() => { throw new Error('first'); });
    `);
    expect([code, stdout]).toEqual([1, 'uncaughtException 1\n']);
  });

  it('a second exception while flushing is reported too, and the process exits once', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      installProcessGuard({
        flushTimeoutMs: 600000,
        onError: (report) => {
          process.stdout.write(report.message + ' fatal=' + report.fatal + '\\n');
          if (report.message === 'first') { setImmediate(() => { throw new Error('second'); }); return gate; }
          release();
        },
      });
      process.on('exit', (c) => process.stdout.write('exit ' + c + '\\n'));
      setImmediate(() => { throw new Error('first'); });
    `);
    expect([code, stdout]).toEqual([1, 'first fatal=true\nsecond fatal=true\nexit 1\n']);
  });

  it('with exitOnUncaughtException: false it reports and keeps running (the caller takes the risk)', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      installProcessGuard({ exitOnUncaughtException: false, onError: (r) => { process.stdout.write(r.message + ' fatal=' + r.fatal + '\\n'); } });
      setImmediate(() => { throw new Error('survived'); });
      setImmediate(() => setImmediate(() => process.stdout.write('still running\\n')));
    `);
    expect([code, stdout]).toEqual([0, 'survived fatal=false\nstill running\n']);
  });
});

describe('unhandledRejection', () => {
  it('is reported (non-Errors normalised) and exits with code 1 by default, as Node would', async () => {
    const { code, stderr } = await runModule(`${IMPORT}
      installProcessGuard();
      Promise.reject('nope');
    `);
    expect(code).toBe(1);
    expect(jsonLines(stderr)).toEqual([
      {
        level: 'error',
        time: expect.any(String),
        msg: 'unhandled promise rejection',
        source: 'unhandledRejection',
        fatal: true,
        error: { kind: 'non_error', name: 'ThrownValueError', message: 'Non-error value thrown: "nope"' },
      },
    ]);
  });

  it('with exitOnUnhandledRejection: false it reports and keeps running', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      installProcessGuard({ exitOnUnhandledRejection: false, onError: (r) => { process.stdout.write(r.source + ' ' + r.kind + ' fatal=' + r.fatal + '\\n'); } });
      Promise.reject(new Error('ignored'));
      setTimeout(() => process.stdout.write('still running\\n'), 0);
    `);
    expect([code, stdout]).toEqual([0, 'unhandledRejection error fatal=false\nstill running\n']);
  });
});

describe('install and uninstall', () => {
  it('one guard per process; after uninstall Node’s own behaviour is back (its trace, exit code 1, no report)', async () => {
    const { code, stdout, stderr } = await runModule(`${IMPORT}
      const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
      const uninstall = installProcessGuard({ onError: () => { process.stdout.write('reported\\n'); } });
      try { installProcessGuard(); } catch (error) { process.stdout.write(error.message + '\\n'); }
      uninstall();
      uninstall();
      const after = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
      process.stdout.write(JSON.stringify({ before, after }) + '\\n');
      installProcessGuard({ onError: () => {} })();
      setImmediate(() => { throw new Error('unguarded'); });
    `);
    expect(code).toBe(1);
    expect(stdout).toBe(
      'installProcessGuard(): a guard is already installed in this process; call the function it returned to remove it first\n' +
        '{"before":[0,0],"after":[0,0]}\n',
    );
    expect(stderr).toContain('Error: unguarded');
    expect(stderr).not.toContain('"source"');
  });

  it('jsonReporter(logger) serves as the guard’s reporter too', async () => {
    const { code, stdout } = await runModule(`${IMPORT}
      const logger = { error: (record, msg) => process.stdout.write(JSON.stringify([msg, record.source, record.error.message]) + '\\n') };
      installProcessGuard({ onError: jsonReporter(logger) });
      setImmediate(() => { throw new Error('logged'); });
    `);
    expect([code, stdout]).toEqual([1, '["uncaught exception","uncaughtException","logged"]\n']);
  });
});
