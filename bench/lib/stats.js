/**
 * Small statistics for benchmark rounds: medians and spreads. Medians, not
 * means: on shared machines one slow round (a neighbour's build, a GC storm)
 * should not move the figure.
 */

/**
 * The median of a list of finite numbers (mean of the two middle values for
 * an even count).
 *
 * @param {readonly number[]} values
 * @returns {number} NaN for an empty list
 */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

/**
 * Smallest and largest value.
 *
 * @param {readonly number[]} values
 * @returns {{ min: number, max: number }}
 */
export function spread(values) {
  if (values.length === 0) return { min: Number.NaN, max: Number.NaN };
  return { min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Paired ratios `a[i] / b[i]`, one per round: interleaved rounds share the
 * machine's state, so the pair is a fairer comparison than two medians alone.
 *
 * @param {readonly number[]} a
 * @param {readonly number[]} b
 * @returns {number[]}
 */
export function pairedRatios(a, b) {
  const n = Math.min(a.length, b.length);
  /** @type {number[]} */
  const out = [];
  for (let i = 0; i < n; i++) out.push(/** @type {number} */ (a[i]) / /** @type {number} */ (b[i]));
  return out;
}

/**
 * Reads a positive number from the environment, refusing anything else with
 * a message that names the variable.
 *
 * @param {string} name environment variable
 * @param {number} fallback used when the variable is unset or empty
 * @param {{ integer?: boolean, min?: number, max?: number }} [bounds]
 * @returns {number}
 */
export function envNumber(name, fallback, bounds = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  const { integer = false, min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new RangeError(
      `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}. ` +
        `Unset it to use the default (${fallback}).`,
    );
  }
  return value;
}
