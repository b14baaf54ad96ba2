/**
 * Entry of the shadow thread. It runs at the lowest scheduling priority, so comparisons and noise
 * learning use only CPU the proxy's own thread leaves idle: under saturation they fall behind,
 * the router thread drops new samples (and counts them), and clients never pay for them.
 * Messages in: batches of compare jobs, `drain`, `close`. Messages out: reports, and each batch's
 * buffer once its jobs are done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MirrorQueue } from './mirror-queue.js';
import { upstreamPools } from '../pools.js';
import { judge } from './judge.js';
import { emptyReport, type FamilyReport } from './report.js';
import { ShadowFamily } from './shadow-family.js';
import { lowerThreadPriority } from '../thread-priority.js';
import { fromWire, SLOT, type ShadowInbox, type ShadowOutbox, type ShadowWorkerData } from './protocol.js';

/** Reports are sent at most this often, ms: the router thread merges a batch at a time. */
const REPORT_EVERY_MS = 20;

const data = workerData as ShadowWorkerData;
const port = parentPort!;
const counters = new Int32Array(data.counters);

// Second legacy requests only, at most `concurrency` at once.
const pools = upstreamPools(data.concurrency);
const families = data.families.map((f) => new ShadowFamily(f, pools.pool));
// Slots are bounded by the router thread; this only limits second legacy requests under way.
const queue = new MirrorQueue(Number.MAX_SAFE_INTEGER, data.concurrency);
let reports = new Map<number, FamilyReport>();
let timer: NodeJS.Timeout | undefined;

function reportFor(family: number): FamilyReport {
  let r = reports.get(family);
  if (!r) reports.set(family, (r = emptyReport()));
  return r;
}

function send(): void {
  timer = undefined;
  for (const [i, f] of families.entries()) {
    if (!f.noiseChanged) continue;
    f.noiseChanged = false;
    reportFor(i).noise = f.noise.snapshot();
  }
  if (reports.size === 0) return;
  const out: ShadowOutbox = { type: 'report', families: [...reports] };
  reports = new Map();
  port.postMessage(out);
}

port.on('message', (msg: ShadowInbox) => {
  switch (msg.type) {
    case 'jobs': {
      // Nothing a job leaves behind (reports, noise, samples) points into the buffer, so it can go back once all are done.
      let left = msg.jobs.length;
      for (const wire of msg.jobs) {
        const job = fromWire(wire);
        queue.push(async () => {
          try {
            const fam = families[job.family];
            if (fam) await judge(fam, job, () => reportFor(job.family), data.maxCompareBytes);
          } finally {
            Atomics.add(counters, SLOT.done, 1);
            reportFor(job.family).finished++;
            timer ??= setTimeout(send, REPORT_EVERY_MS);
            if (--left === 0)
              port.postMessage({ type: 'recycle', buffer: msg.buffer } satisfies ShadowOutbox, [msg.buffer]);
          }
        });
      }
      return;
    }
    case 'latency': {
      const fam = families[msg.family];
      if (fam) fam.slowRoutes = new Map(msg.routes.map((r) => [r.route, r]));
      return;
    }
    case 'drain':
      void queue.drained().then(() => {
        if (timer) clearTimeout(timer);
        send();
        port.postMessage({ type: 'drained', id: msg.id } satisfies ShadowOutbox);
      });
      return;
    case 'close':
      void queue
        .drained()
        .then(() => pools.close())
        .then(() => port.close());
      return;
  }
});

void lowerThreadPriority(data.nice).then((warning) =>
  port.postMessage({ type: 'ready', ...(warning ? { warning } : {}) } satisfies ShadowOutbox),
);
