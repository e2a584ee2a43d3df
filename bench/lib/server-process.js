/**
 * Starts one benchmark server in a child process (`fork`, with an IPC
 * channel), waits until it listens, and stops it again. One fresh process
 * per variant and round: no JIT or heap state leaks from one variant into
 * the next.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {import('./peers.js').Peer} Peer
 * @typedef {object} RunningServer
 * @property {number} port
 * @property {string} url origin plus the path the server asked to be loaded
 * @property {Peer[]} peers
 * @property {() => Promise<void>} settle runs the server's warm-up full collections (see child.js); resolves when they are done
 * @property {() => void} markCpu starts the server's CPU-time window
 * @property {() => Promise<import('./child.js').CpuMessage>} readCpu CPU microseconds the server spent since {@link RunningServer.markCpu}, with its GC time and allocated bytes
 * @property {() => Promise<void>} stop
 */

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Forks `bench/servers/<script>` with `variant` as its argument.
 *
 * @param {string} script file name under bench/servers/
 * @param {string} variant
 * @returns {Promise<RunningServer>}
 */
export async function startServer(script, variant) {
  const path = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
  const child = fork(path, [variant], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  /** @type {import('./child.js').ReadyMessage} */
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${variant}: no ready message within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(/** @type {import('./child.js').ReadyMessage} */ (message));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${variant} exited before listening (code ${code}, signal ${signal})`));
    });
  });
  return {
    port: ready.port,
    url: `http://127.0.0.1:${ready.port}${ready.path}`,
    peers: ready.peers,
    settle() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script} ${variant}: no settled answer`)), START_TIMEOUT_MS);
        /** @param {unknown} message */
        const onMessage = (message) => {
          if (/** @type {{ type?: unknown }} */ (message).type !== 'settled') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve();
        };
        child.on('message', onMessage);
        child.send({ type: 'settle' });
      });
    },
    markCpu() {
      child.send({ type: 'cpu-mark' });
    },
    readCpu() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script} ${variant}: no cpu answer`)), START_TIMEOUT_MS);
        /** @param {unknown} message */
        const onMessage = (message) => {
          const m = /** @type {Partial<import('./child.js').CpuMessage>} */ (message);
          if (m.type !== 'cpu' || typeof m.micros !== 'number') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve({ type: 'cpu', micros: m.micros, gcMicros: m.gcMicros ?? Number.NaN, allocBytes: m.allocBytes ?? Number.NaN });
        };
        child.on('message', onMessage);
        child.send({ type: 'cpu-read' });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
