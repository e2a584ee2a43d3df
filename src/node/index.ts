/**
 * @ward/node — a ward chain as a plain `node:http` request listener, around
 * an optional final handler written against node's own `(req, res)`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { wardListener } from '@ward/node';
 * createServer(wardListener([requestId()], (req, res) => res.end('hi'))).listen(3000);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AdapterOptions,
  answerUnhandled,
  commitContext,
  compose,
  contextSettings,
  createContext,
  isServerFault,
  type Context,
  type Middleware,
  type NodeContext,
  ResponseCapture,
} from '@ward/core';

/** A final handler in node's own shape; it may return a promise. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Options of {@link wardListener}. */
export interface NodeAdapterOptions extends AdapterOptions {
  /**
   * Called with every error no middleware handled that is a server fault
   * (not a 4xx, not a client that left). The client gets a 500 problem+json.
   * Default: writes the stack to stderr.
   */
  onError?: (error: unknown, ctx: Context) => void;
  /** Bytes of a final handler's body held for deferred commit before it streams. Default: 1 MiB. */
  bufferLimitBytes?: number;
}

function printError(error: unknown): void {
  console.error('[ward] unhandled error:', error);
}

/**
 * Makes a `node:http` request listener that runs `middleware` and then
 * `handler`. Without a handler, a chain that answers nothing is a 404
 * problem+json.
 */
export function wardListener(
  middleware: readonly Middleware[],
  handler?: NodeHandler,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  if (handler !== undefined && typeof handler !== 'function') {
    throw new TypeError(`wardListener(middleware, handler): handler must be a function (req, res), got ${typeof handler}`);
  }
  const settings = contextSettings('node', options);
  const chain = compose(middleware);
  const onError = options.onError ?? printError;
  if (typeof onError !== 'function') throw new TypeError(`onError must be a function, got ${typeof onError}`);
  const bufferLimitBytes = options.bufferLimitBytes;
  if (bufferLimitBytes !== undefined && (!Number.isSafeInteger(bufferLimitBytes) || bufferLimitBytes < 0)) {
    throw new RangeError(`bufferLimitBytes must be a non-negative integer of bytes, got ${String(bufferLimitBytes)}`);
  }
  const captureOptions = { bufferLimitBytes };

  return function wardRequestListener(req: IncomingMessage, res: ServerResponse): void {
    const ctx = createContext(req, res, settings);
    let capture: ResponseCapture | undefined;
    const runHandler =
      handler === undefined
        ? undefined
        : (): Promise<void> => {
            capture = new ResponseCapture(ctx, captureOptions).install();
            try {
              const result = handler(req, res) as PromiseLike<unknown> | undefined;
              if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
                result.then(undefined, (error: unknown) => capture!.fail(error));
              }
            } catch (error) {
              capture.fail(error);
            }
            return capture.done;
          };
    chain(ctx, runHandler).then(
      () => commitContext(ctx, capture),
      (error: unknown) => fail(ctx, error, capture, onError),
    );
  };
}

function fail(ctx: NodeContext, error: unknown, capture: ResponseCapture | undefined, onError: (error: unknown, ctx: Context) => void): void {
  if (isServerFault(error)) {
    try {
      onError(error, ctx);
    } catch {
      // A reporter that throws must not break the answer.
    }
  }
  answerUnhandled(ctx, error, capture);
}
