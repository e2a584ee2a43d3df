/**
 * The metrics of one response cache, registered once per (registry, name)
 * through @ward/metrics. The per-request series are hot counters (a plain
 * addition per request, handed to prom-client when scraped):
 * - `ward_cache_requests_total{cache, result}`: hit, miss, stale, bypass
 * - `ward_cache_bypasses_total{cache, reason}`: request-body, store-error
 * - `ward_cache_not_stored_total{cache, reason}`: why a handler's answer was not kept
 * - `ward_cache_collapsed_total{cache}`: requests served by another request's handler run
 * - `ward_cache_refreshes_total{cache, outcome}`: background refreshes (stale-while-revalidate)
 * - `ward_cache_stale_if_error_total{cache}`: stale answers standing in for a failing handler
 * - `ward_cache_store_errors_total{cache, store, operation}`
 * - `ward_cache_stored_bytes{cache, store}` (stores that know their size) and
 *   `ward_cache_written_bytes_total{cache, store}`
 */
import { type HotCounter, type MetricsRegistry, hotCounter, wardCounter, wardGauge } from '@ward/metrics';
import { BYPASS_REASONS, type BypassReason } from './cache-status.js';
import { NOT_STORED_REASONS, type NotStoredReason } from './freshness.js';

export type Result = 'hit' | 'miss' | 'stale' | 'bypass';
export type StoreOperation = 'get' | 'set' | 'delete' | 'lock';
export type RefreshOutcome = 'stored' | 'not-stored' | 'failed';

export interface CacheMetrics {
  readonly result: Readonly<Record<Result, HotCounter>>;
  readonly bypass: Readonly<Record<BypassReason, HotCounter>>;
  readonly notStored: Readonly<Record<NotStoredReason, HotCounter>>;
  readonly collapsed: HotCounter;
  readonly staleIfError: HotCounter;
  refresh(outcome: RefreshOutcome): void;
  storeError(operation: StoreOperation): void;
  written(bytes: number, sizeBytes: number | undefined): void;
}

export function cacheMetrics(registry: MetricsRegistry, prefix: string, cache: string, store: string): CacheMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => wardCounter<L>(registry, { prefix, name, help, labelNames });
  const requests = counter('cache_requests_total', 'Requests a response cache answered or passed on, by result (hit, miss, stale, bypass).', ['cache', 'result']);
  const bypasses = counter('cache_bypasses_total', 'Requests that went past a response cache, by reason.', ['cache', 'reason']);
  const notStored = counter('cache_not_stored_total', "Handler answers a response cache did not keep, by reason (RFC 9111's rules and ward's).", ['cache', 'reason']);
  const collapsed = counter('cache_collapsed_total', "Requests served by another request's run of the handler (single-flight).", ['cache']);
  const refreshes = counter('cache_refreshes_total', 'Background refreshes of stale entries (stale-while-revalidate), by outcome.', ['cache', 'outcome']);
  const sie = counter('cache_stale_if_error_total', 'Stale answers served because the handler failed (stale-if-error).', ['cache']);
  const errors = counter('cache_store_errors_total', 'Cache store calls that failed or timed out, by operation.', ['cache', 'store', 'operation']);
  const written = counter('cache_written_bytes_total', 'Bytes of responses written to a cache store.', ['cache', 'store']);
  const size = wardGauge(registry, { prefix, name: 'cache_stored_bytes', help: 'Bytes a cache store holds, where it knows (the memory store).', labelNames: ['cache', 'store'] });

  const each = <K extends string>(keys: readonly K[], make: (key: K) => HotCounter): Record<K, HotCounter> =>
    Object.fromEntries(keys.map((key) => [key, make(key)])) as Record<K, HotCounter>;
  const refreshSeries = each<RefreshOutcome>(['stored', 'not-stored', 'failed'], (outcome) => hotCounter(refreshes, { cache, outcome }));
  const errorSeries = each<StoreOperation>(['get', 'set', 'delete', 'lock'], (operation) => hotCounter(errors, { cache, store, operation }));
  const writtenSeries = hotCounter(written, { cache, store });
  const sizeSeries = size.labels({ cache, store });
  sizeSeries.set(0);
  return {
    result: each<Result>(['hit', 'miss', 'stale', 'bypass'], (result) => hotCounter(requests, { cache, result })),
    bypass: each(BYPASS_REASONS, (reason) => hotCounter(bypasses, { cache, reason })),
    notStored: each(NOT_STORED_REASONS, (reason) => hotCounter(notStored, { cache, reason })),
    collapsed: hotCounter(collapsed, { cache }),
    staleIfError: hotCounter(sie, { cache }),
    refresh: (outcome) => refreshSeries[outcome].inc(),
    storeError: (operation) => errorSeries[operation].inc(),
    written: (bytes, sizeBytes) => {
      writtenSeries.inc(bytes);
      if (sizeBytes !== undefined) sizeSeries.set(sizeBytes);
    },
  };
}
