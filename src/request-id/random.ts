/**
 * Random hex ids (trace ids, span ids) from a pool of random bytes, refilled
 * in one call every 64 requests or so: one `randomFillSync` per pool instead
 * of one `randomBytes` (a native call and a Buffer) per id. The same idea as
 * node's own cache behind `crypto.randomUUID()`.
 */

/** Fills `target` completely with random bytes (`crypto.randomFillSync` by default). */
export type RandomFill = (target: Uint8Array) => unknown;

const POOL_BYTES = 1536;

export class RandomHex {
  readonly #fill: RandomFill;
  readonly #pool = Buffer.alloc(POOL_BYTES);
  #offset = POOL_BYTES;

  constructor(fill: RandomFill) {
    this.#fill = fill;
  }

  /**
   * `bytes` random bytes as lowercase hex, never all zeros (W3C Trace
   * Context §3.2.2.3/§3.2.2.4 forbid all-zero ids): an all-zero draw, which
   * real randomness gives once in 2^64 span ids at worst, ends in `1`.
   */
  next(bytes: number): string {
    if (this.#offset + bytes > POOL_BYTES) {
      this.#fill(this.#pool);
      this.#offset = 0;
    }
    const start = this.#offset;
    this.#offset = start + bytes;
    const pool = this.#pool;
    let zero = true;
    for (let i = start; i < start + bytes; i++) {
      if (pool[i] !== 0) {
        zero = false;
        break;
      }
    }
    const hex = pool.toString('hex', start, start + bytes);
    return zero ? `${hex.slice(0, -1)}1` : hex;
  }
}
