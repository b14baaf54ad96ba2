/**
 * One backend's requests on the client path (legacy or new, whichever served the request):
 * how many, how many failed, and their latency. Pure.
 */
import { LatencyHistogram } from './histogram.js';
import type { BackendFigures } from './snapshot.js';

/** A backend's counts and latency histogram since the last reset. */
export class BackendTally {
  requests = 0;
  failures = 0;
  readonly latency = new LatencyHistogram();

  /** `failed` = 5xx, timeout or connection error; `ms` is the client-path time. */
  record(ms: number, failed: boolean): void {
    this.requests++;
    if (failed) this.failures++;
    this.latency.record(ms);
  }

  /** The counts, error rate and percentiles (ms) as a snapshot reports them. */
  figures(): BackendFigures {
    return {
      requests: this.requests,
      failures: this.failures,
      errorRate: this.requests === 0 ? 0 : this.failures / this.requests,
      p50: this.latency.percentile(0.5),
      p90: this.latency.percentile(0.9),
      p95: this.latency.percentile(0.95),
      p99: this.latency.percentile(0.99),
    };
  }
}
