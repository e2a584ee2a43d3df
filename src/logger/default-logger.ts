/**
 * The logger both logs use when none is given: one JSON-lines writer on
 * `process.stdout`, shared, so access and audit lines keep their order and
 * go out in the same writes.
 */
import { type JsonLinesLogger, jsonLinesLogger } from './json-lines.js';

let stdoutLogger: JsonLinesLogger | undefined;

/** The shared JSON-lines logger on `process.stdout`, created on first use. */
export function defaultLogger(): JsonLinesLogger {
  stdoutLogger ??= jsonLinesLogger();
  return stdoutLogger;
}
