/**
 * A deadline on a store call: the promise, or a rejection after `ms`,
 * whichever comes first (the timer is cleared either way). Used where a
 * shared store (Redis) is asked something on a request's path, so
 * ioredis's offline queue or a frozen server cannot hold the request.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
