/**
 * Options and per-request reads the access and audit logs share: who the
 * user is, how long a logged value may be, the identifiers of the request.
 */
import type { Context } from '@ward/core';
import type { WardMetricsOptions } from '@ward/metrics';
import { describeValue } from '@ward/core';
import { safeText } from './sanitize.js';
import type { FailureCounter } from './sink.js';
import type { StructuredLogger } from './types.js';

/** Options both logs accept. */
export interface CommonLogOptions {
  /**
   * Where records go: any pino-compatible logger (`info/warn/error` with the
   * record first), e.g. a pino instance. Default: a {@link jsonLinesLogger}
   * writing JSON lines to `process.stdout`.
   */
  logger?: StructuredLogger;
  /**
   * Who the user is. Default: `ctx.state.user?.id` (the key `@ward/auth`
   * sets), read defensively: a string or a finite number, else `null`.
   * A hook that throws is counted (`stage="user_id"`) and logs `null`.
   */
  userId?: (ctx: Context) => string | number | null | undefined;
  /**
   * Longest string taken from the request into a record (path, user agent,
   * header, query, parameter, user id), in characters; longer values are
   * cut and end with `…`. Default: 1024.
   */
  maxFieldChars?: number;
  /** Where `ward_logger_errors_total` goes. Default: prom-client's global registry, prefix `ward_`. */
  metrics?: WardMetricsOptions;
}

/** Default for `maxFieldChars`. */
export const DEFAULT_MAX_FIELD_CHARS = 1024;

/** Validates `maxFieldChars`. */
export function checkMaxFieldChars(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_MAX_FIELD_CHARS;
  if (typeof value !== 'number') throw new TypeError(`${where} must be a number of characters such as 1024, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || value < 16) throw new RangeError(`${where} must be an integer of at least 16, got ${value}`);
  return value;
}

/** Validates an optional function option. */
export function checkFunction<F>(value: unknown, where: string, shape: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${where} must be a function ${shape}, got ${describeValue(value)}`);
  return value as F;
}

/** Validates an optional boolean option. */
export function checkBoolean(value: unknown, fallback: boolean, where: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${where} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** Checks that `options` is an object (or absent). */
export function checkOptionsObject(options: unknown, where: string): void {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`${where} must be an object, got ${describeValue(options)}`);
  }
}

/** Reads the user id: the hook, or `ctx.state.user?.id`. Never throws. */
export function readUserId(
  ctx: Context,
  hook: ((ctx: Context) => string | number | null | undefined) | undefined,
  maxChars: number,
  failures: FailureCounter,
): string | null {
  let id: unknown;
  if (hook === undefined) {
    // `user` is declared by @ward/auth; read it without depending on it.
    const user = (ctx.state as { user?: unknown }).user;
    if (typeof user !== 'object' || user === null) return null;
    id = (user as { id?: unknown }).id;
  } else {
    try {
      id = hook(ctx);
    } catch {
      failures.inc('user_id');
      return null;
    }
  }
  if (typeof id === 'string') return safeText(id, maxChars);
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return null;
}
