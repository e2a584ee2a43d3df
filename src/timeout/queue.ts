/**
 * One timer for all the requests of one `timeout()`: they share a budget,
 * so their deadlines come in the order the requests arrived. They wait in a
 * FIFO (a doubly linked list: O(1) to add and to remove), and a single timer
 * is armed for the oldest. A request that finishes is only unlinked — no
 * timer call per request — and when the queue empties the timer is cleared,
 * so no timer outlives the requests it watches.
 *
 * The order holds as long as the clock does not go backwards; if it does
 * (an injected wall clock stepped back), a later request waits behind the
 * head for at most the size of the step.
 */
import { AsyncResource } from 'node:async_hooks';
import type { TimeoutTimers } from './options.js';

/** What the queue holds: a deadline, its links, and what to do when it passes. */
export interface Queued {
  /** Epoch milliseconds. */
  readonly deadline: number;
  prev: Queued | undefined;
  next: Queued | undefined;
  queued: boolean;
  /** The deadline passed; the entry is already out of the queue. */
  fire(): void;
}

export class DeadlineQueue {
  readonly #now: () => number;
  readonly #timers: TimeoutTimers | undefined;
  #head: Queued | undefined = undefined;
  #tail: Queued | undefined = undefined;
  /** The timer armed for the head's deadline (undefined while the queue is empty). */
  #timer: unknown = undefined;
  /**
   * The async context the timer is armed in: the queue's own (made with the
   * `timeout()`, outside any request), never that of the request that
   * happened to arm it — else its AsyncLocalStorage values (request id,
   * trace) would reach other requests' expiries, and the timer would keep
   * that finished request alive for as long as the queue never empties.
   */
  readonly #scope = new AsyncResource('WardTimeoutQueue');

  constructor(now: () => number, timers: TimeoutTimers | undefined) {
    this.#now = now;
    this.#timers = timers;
  }

  /** Appends an entry; arms the timer when the queue was empty. */
  add(entry: Queued, delayMs: number): void {
    entry.queued = true;
    entry.prev = this.#tail;
    entry.next = undefined;
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    if (this.#timer === undefined) this.#arm(delayMs);
  }

  /** Unlinks an entry that finished; clears the timer when the queue is empty. */
  remove(entry: Queued): void {
    if (!entry.queued) return;
    entry.queued = false;
    const { prev, next } = entry;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
    if (this.#head === undefined && this.#timer !== undefined) {
      const timers = this.#timers;
      if (timers === undefined) clearTimeout(this.#timer as NodeJS.Timeout);
      else timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The timer fired: every entry whose deadline has passed fires; the timer is re-armed for the next one. */
  expire(): void {
    this.#timer = undefined;
    const now = this.#now();
    let entry = this.#head;
    while (entry !== undefined && entry.deadline <= now) {
      this.remove(entry);
      entry.fire();
      entry = this.#head;
    }
    if (entry !== undefined && this.#timer === undefined) this.#arm(entry.deadline - now);
  }

  #arm(delayMs: number): void {
    // node fires a delay below 1 ms after 1 ms anyway.
    const delay = delayMs > 1 ? delayMs : 1;
    this.#timer = this.#scope.runInAsyncScope(armTimer, undefined, this, this.#timers, delay);
  }
}

function armTimer(queue: DeadlineQueue, timers: TimeoutTimers | undefined, delay: number): unknown {
  return timers === undefined ? setTimeout(expireQueue, delay, queue) : timers.setTimeout(() => queue.expire(), delay);
}

/** The callback of the default timers: no closure per arming. */
function expireQueue(queue: DeadlineQueue): void {
  queue.expire();
}
