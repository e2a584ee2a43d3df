/**
 * @ward/timeout — request deadlines: on expiry a 503 (or 504) problem+json
 * answer, `ctx.signal` aborted with a `TimeoutError`, and whatever the
 * handler writes later dropped. The remaining budget is readable
 * (`ctx.state.deadline`, `remainingMs(ctx)`) so outbound calls can pass it on.
 *
 * @example
 * import { timeout } from '@ward/timeout';
 * engine.use(timeout({ timeoutMs: 5_000 }));
 */
export { timeout, TIMEOUT_TITLE } from './middleware.js';
export { remainingMs } from './deadline.js';
export { isTimeoutError, TIMEOUT_CODE, TimeoutError } from './errors.js';
export { MAX_TIMEOUT_MS, type TimeoutOptions, type TimeoutStatus, type TimeoutTimers } from './options.js';
