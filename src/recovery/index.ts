/**
 * @ward/recovery — panic-style recovery: whatever the chain throws becomes
 * one problem+json answer (500 unless an `HttpError`), server faults are
 * reported to `onError` hooks with secrets redacted, a broken stream cuts
 * the connection, a client that left is neither answered nor reported, and
 * an optional process guard reports uncaught exceptions and rejections.
 */
export { recovery } from './recovery.js';
export { DEFAULT_MAX_STACK_CHARS, reportServerFaults, type RecoveryOptions } from './options.js';
export type { RecoveryKind } from './classify.js';
export { ALWAYS_REDACTED_HEADERS, REDACTED, type ProcessErrorReport, type RecoveryReport } from './report.js';
export { jsonReporter, type AnyReport, type ErrorLogger, type RecoveryReporter } from './reporters.js';
export { ThrownValueError } from './normalize.js';
export { installProcessGuard, type ProcessGuardOptions } from './process-guard.js';
