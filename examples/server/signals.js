/**
 * Graceful shutdown on SIGINT (Ctrl-C) and SIGTERM (docker stop,
 * Kubernetes): stop accepting, let requests in flight finish, then exit.
 * A second signal exits at once.
 */

/**
 * @param {string} name shown in the log lines
 * @param {() => Promise<void>} shutdown stops the server; resolves when it is closed
 */
export function shutdownOnSignals(name, shutdown) {
  let stopping = false;
  /** @param {NodeJS.Signals} signal */
  const onSignal = (signal) => {
    if (stopping) {
      console.log(`${name}: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${name}: ${signal} received, finishing requests in flight…`);
    shutdown().then(
      () => {
        console.log(`${name}: stopped`);
        process.exit(0);
      },
      (error) => {
        console.error(`${name}: shutdown failed:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Closes a plain node server gracefully: idle keep-alive connections now,
 * busy ones when their request ends, all of them after `timeoutMs`.
 *
 * @param {import('node:http').Server} server
 * @param {number} [timeoutMs] Default: 10 000 ms.
 * @returns {Promise<void>}
 */
export function closeServer(server, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
