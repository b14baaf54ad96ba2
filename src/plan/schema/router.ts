/** The router's settings in a plan: its URLs, state file, shadow limits and trusted proxies. */
import { z } from 'zod';
import { cidr, duration, url } from './primitives.js';

/** How many recent records the router keeps per family (oldest dropped first). */
const recordsSchema = z.strictObject({
  /** Mismatch records kept per family. @default 100 */
  mismatches: z.number().int().min(1).max(100_000).default(100),
  /** Sampled requests kept per family. @default 200 */
  samples: z.number().int().min(1).max(100_000).default(200),
});

/** The plan's `router` section; every field has a default, so the section may be left out. */
export const routerSettingsSchema = z.strictObject({
  /** Admin API the control plane uses. @default http://127.0.0.1:9090 */
  adminUrl: url.default('http://127.0.0.1:9090'),
  /** Public URL of the router (used by reports and the demo). @default http://127.0.0.1:8080 */
  publicUrl: url.default('http://127.0.0.1:8080'),
  /** Where the router keeps flag state. @default .phoenix/router-state.json */
  stateFile: z.string().default('.phoenix/router-state.json'),
  /** Shadow mirror queue bound; mirrors beyond it are dropped and counted. @default 1000 */
  mirrorQueue: z.number().int().min(1).default(1000),
  /** Mirrors in flight at once. @default 32 */
  mirrorConcurrency: z.number().int().min(1).default(32),
  /** Largest body buffered for a shadow comparison; larger ones are not compared. @default 1048576 (bytes) */
  maxCompareBytes: z.number().int().min(1024).default(1_048_576),
  /**
   * How long legacy may take to send its answer's headers, and at most between two chunks of its
   * body (duration). Past it the client gets 504 `PHX_ERR_UPSTREAM_TIMEOUT` instead of waiting
   * on a hung legacy; the same as nginx's `proxy_read_timeout` default. new's limit is each
   * family's `guard.timeout`. @default 60s
   */
  legacyTimeout: duration.default(60_000),
  /**
   * How long the router keeps an idle client connection open (duration, 1s–1h). Keep it longer
   * than the idle timeout of any load balancer in front (AWS ALB's default is 60 s): a balancer
   * that sends on a connection the router is closing answers its client 502. A host's own
   * setting, left out of the fleet's plan digest. @default 75s (nginx's `keepalive_timeout`)
   */
  clientKeepAlive: duration
    .pipe(z.number().min(1000, 'expected at least 1s').max(3_600_000, 'expected at most 1h'))
    .default(75_000),
  /**
   * Largest new-service answer the router buffers to apply a response adapter (bytes). A larger
   * answer is not sent unadapted: a safe request is answered by legacy, any other gets 502
   * `PHX_ERR_ADAPTER_BODY_TOO_LARGE`. @default 8388608 (bytes, 8 MiB)
   */
  maxAdaptBytes: z.number().int().min(1024).default(8_388_608),
  /**
   * Scheduling priority (nice) of the thread that mirrors and compares: 19 lets it use only
   * CPU the proxy leaves idle, so under saturation samples are dropped instead of slowing
   * clients; 0 gives it the proxy's own priority. @default 19
   */
  shadowNice: z.number().int().min(0).max(19).default(19),
  /**
   * Share of time the router's own thread may be busy before new shadow samples are dropped:
   * mirrors are sent from that thread, so they only use the headroom below this. Measured
   * over the last `shadowBusyWindowMs`; 1 never drops for load. @default 0.9
   */
  shadowMaxBusy: z.number().gt(0).max(1).default(0.9),
  /**
   * The window `shadowMaxBusy` is measured over (ms), sliding every 100 ms. Shorter sheds
   * samples on brief stalls at moderate load; longer reacts later when load rises.
   * @default 1000
   */
  shadowBusyWindowMs: z.number().int().min(100).max(10_000).default(1000),
  /**
   * Proxies (CIDRs, IPv4 or IPv6) whose `X-Forwarded-For` / `Forwarded: for=` the router
   * believes: from such a peer, the canary's client address is the rightmost forwarded
   * address that is not itself a trusted proxy. From any other peer the headers are ignored.
   * @default [] (the socket's address is the client address)
   */
  trustedProxies: z.array(cidr).default([]),
  /** How many recent records the router keeps per family. @default { mismatches: 100, samples: 200 } */
  records: recordsSchema.default(recordsSchema.parse({})),
});
