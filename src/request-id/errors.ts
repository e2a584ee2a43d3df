/**
 * The one error this package throws on a request: the configured generator
 * returned something that is not a safe id. A programmer error, reported
 * with the option's name and what was wrong, never with the value itself
 * (an unsafe id must not reach a log or a response either).
 */
import { WardError } from '@ward/core';
import { MAX_REQUEST_ID_LENGTH, firstUnsafeIndex } from './id.js';

const INVALID_GENERATED_ID = Symbol.for('ward.request-id.invalid-generated-id');

/**
 * `requestId({ generator })` returned a value that is not 1–128 characters
 * of `A–Z a–z 0–9 . _ : -`. Thrown from the middleware, so the request gets
 * the stack's 500 (recovery, or the adapter's unhandled-error answer) and the
 * error reaches its error reporting. Code: `REQUEST_ID_GENERATOR_INVALID`.
 *
 * @example
 * app.use(ward([requestId({ generator: () => `req ${n++}` })])); // a space: every request throws this
 */
export class InvalidGeneratedIdError extends WardError {
  override name = 'InvalidGeneratedIdError';
  /** `typeof` the generated value. */
  readonly valueType: string;
  /** Its length when it was a string, else `undefined`. */
  readonly length: number | undefined;
  readonly [INVALID_GENERATED_ID] = true;

  constructor(value: unknown) {
    super('REQUEST_ID_GENERATOR_INVALID', `requestId({ generator }) returned ${problemOf(value)}. ${RULE} Fix the generator.`);
    this.valueType = value === null ? 'null' : typeof value;
    this.length = typeof value === 'string' ? value.length : undefined;
  }
}

const RULE =
  `Ids must be 1–${MAX_REQUEST_ID_LENGTH} characters of A–Z a–z 0–9 . _ : - ` +
  '(the value is not shown, so that an unsafe id never reaches a log).';

/**
 * True for an {@link InvalidGeneratedIdError}, even from another copy of this package.
 *
 * @example
 * process.on('uncaughtException', (e) => { if (isInvalidGeneratedIdError(e)) alertOps(e.message); });
 */
export function isInvalidGeneratedIdError(value: unknown): value is InvalidGeneratedIdError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[INVALID_GENERATED_ID] === true;
}

function problemOf(value: unknown): string {
  if (typeof value !== 'string') return `${value === null ? 'null' : typeof value}, not a string`;
  if (value.length === 0) return 'an empty string';
  if (value.length > MAX_REQUEST_ID_LENGTH) return `a string of ${value.length} characters`;
  const at = firstUnsafeIndex(value);
  const code = value.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0');
  return `a string with the character U+${code} at index ${at}`;
}
