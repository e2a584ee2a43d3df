/**
 * The server side of a benchmark run: each server script builds its server
 * for one variant (`bare`, `ward`, `metrics`…), then calls {@link serve},
 * which listens on a free loopback port and tells the parent (over the fork
 * IPC channel) the port and the peers it runs. The server lives in its own
 * process, so the load generator never shares its event loop.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * @typedef {import('./peers.js').Peer} Peer
 * @typedef {{ type: 'ready', port: number, peers: Peer[], path: string }} ReadyMessage
 *   `path`: the request path to load (default `/`)
 * @typedef {{ type: 'settled', collections: number }} SettledMessage
 *   answer to `settle`: the full collections run under the warm-up load
 * @typedef {{ type: 'cpu', micros: number, gcMicros: number, allocBytes: number }} CpuMessage
 *   CPU time (user + system) since the last `cpu-mark`, in microseconds; the
 *   time V8's garbage collector spent in that window, and the bytes the
 *   process allocated on the JS heap in it (from the heap in use before and
 *   after each collection: exact to the collection, far steadier than time
 *   on a shared machine)
 */

/**
 * The variant this process was started for (first CLI argument), checked
 * against the ones the script knows.
 *
 * @template {string} V
 * @param {readonly V[]} known
 * @returns {V}
 */
export function variantArg(known) {
  const value = process.argv[2];
  if (!known.includes(/** @type {V} */ (value))) {
    throw new RangeError(`variant must be one of ${known.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return /** @type {V} */ (value);
}

/**
 * Listens on 127.0.0.1, port 0, and reports readiness to the parent. Exits
 * when the parent goes away, so an interrupted benchmark leaves no server
 * behind.
 *
 * @param {import('node:http').Server} server
 * @param {readonly Peer[]} peers
 * @param {string} [path] the request path to load; default `/`
 * @returns {Promise<number>} the port
 */
export async function serve(server, peers, path = '/') {
  // Keep-alive sockets from the load generator must not hold the process.
  server.keepAliveTimeout = 10_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  reportReady(address.port, peers, path);
  return address.port;
}

/**
 * Tells the parent the server is up (for servers that listen by themselves,
 * such as Fastify's `listen`).
 *
 * @param {number} port
 * @param {readonly Peer[]} peers
 * @param {string} [path] the request path to load; default `/`
 */
export function reportReady(port, peers, path = '/') {
  process.on('disconnect', () => process.exit(0));
  answerCpuQueries();
  /** @type {ReadyMessage} */
  const message = { type: 'ready', port, peers: [...peers], path };
  if (process.send) process.send(message);
  else console.log(`listening on http://127.0.0.1:${port}${path} (${peers.map((p) => `${p.name}@${p.version}`).join(', ')})`);
}

/**
 * The parent measures this process's CPU time over the measured run:
 * `cpu-mark` starts the window, `cpu-read` answers with the CPU
 * microseconds (user + system) spent since. CPU per request is steadier
 * than requests per second on a shared machine, where the load generator
 * and neighbours compete for the same cores.
 */
function answerCpuQueries() {
  /** @type {NodeJS.CpuUsage | undefined} */
  let mark;
  /** @type {import('node:v8').GCProfiler | undefined} */
  let profiler;
  let heapAtMark = 0;
  process.on('message', (message) => {
    const type = /** @type {{ type?: unknown }} */ (message).type;
    if (type === 'settle') {
      settle();
    } else if (type === 'cpu-mark') {
      profiler?.stop();
      profiler = new v8.GCProfiler();
      profiler.start();
      heapAtMark = v8.getHeapStatistics().used_heap_size;
      mark = process.cpuUsage();
    } else if (type === 'cpu-read' && process.send) {
      const used = process.cpuUsage(mark);
      const heapNow = v8.getHeapStatistics().used_heap_size;
      const gc = profiler?.stop();
      profiler = undefined;
      let gcMicros = 0;
      let allocBytes = 0;
      let before = heapAtMark;
      for (const event of gc?.statistics ?? []) {
        gcMicros += event.cost;
        allocBytes += Math.max(0, event.beforeGC.heapStatistics.usedHeapSize - before);
        before = event.afterGC.heapStatistics.usedHeapSize;
      }
      allocBytes += Math.max(0, heapNow - before);
      /** @type {CpuMessage} */
      const reply = { type: 'cpu', micros: used.user + used.system, gcMicros, allocBytes };
      process.send(reply);
    }
  });
}

/** Full collections run by {@link settle}, and the pause between them. */
const SETTLE_COLLECTIONS = 6;
const SETTLE_INTERVAL_MS = 50;

/**
 * Runs full collections while the warm-up load is on, so that every process
 * is measured in the state a long-running server is in, not in one that
 * depends on when its first collections happened to come.
 *
 * Why: on Node 20, the first full collections taken while requests are
 * served leave some of node's own per-request object literals (the tick
 * objects of `process.nextTick`, with their symbol keys) on V8's slow,
 * generic path for good: about 10 % of a Fastify server's CPU. A short run
 * of a process with a small heap has none before it ends; one that
 * allocates a large structure at start (an LRU of 100 000 keys) has them in
 * the first second. Without this step the same route measured 8–10 % apart
 * by that accident alone, always against the variant with the larger heap.
 * Any server that runs for minutes has taken such collections, so all
 * variants are measured after them.
 */
function settle() {
  v8.setFlagsFromString('--expose-gc');
  const gc = /** @type {() => void} */ (vm.runInNewContext('gc'));
  let done = 0;
  const timer = setInterval(() => {
    gc();
    done += 1;
    if (done < SETTLE_COLLECTIONS) return;
    clearInterval(timer);
    /** @type {SettledMessage} */
    const reply = { type: 'settled', collections: done };
    process.send?.(reply);
  }, SETTLE_INTERVAL_MS);
}

/**
 * A ward middleware that only passes on: the cheapest possible chain, so its
 * figure is the adapter's own cost.
 *
 * @type {import('@ward/core').Middleware}
 */
export const passThrough = function passThrough(_ctx, next) {
  return next();
};
