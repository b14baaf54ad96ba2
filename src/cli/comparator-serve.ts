/**
 * `phoenix comparator --serve`: runs the shadow comparator nginx mirrors to, until a signal stops
 * it (see `src/comparator/server.ts` and docs/nginx.md).
 */
import { catchStopSignals } from '../lib/stop-signals.js';
import { loadPlan } from '../plan/index.js';
import { durationFlag } from './flags.js';
import { CliError, ExitCode } from './output.js';

/** The flags `--serve` takes. */
export interface ServeFlags {
  plan: string;
  port?: number;
  host: string;
  adminPort?: number;
  adminHost: string;
  queue?: number;
  concurrency?: number;
  allowUnsafe?: boolean;
  reorderWindow?: number;
  insecureAdmin?: boolean;
}

/** A whole number ≥ 1, for `--queue` and `--concurrency`. */
export function countFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError('PHX_ERR_CLI_BAD_FLAG', `expected a whole number ≥ 1, got "${value}"`, ExitCode.Usage);
  return n;
}

/** The longest `--reorder-window`: unsafe mirrors are held that long before they go to legacy. */
const MAX_REORDER_MS = 5000;

/** A duration up to 5 s, for `--reorder-window`. */
export function reorderWindowFlag(value: string): number {
  const ms = durationFlag(value);
  if (ms > MAX_REORDER_MS)
    throw new CliError('PHX_ERR_CLI_BAD_FLAG', `--reorder-window: at most 5s, got "${value}"`, ExitCode.Usage);
  return ms;
}

/** Starts the comparator and resolves once a signal has stopped it. */
export async function serveComparator(o: ServeFlags): Promise<void> {
  const signals = catchStopSignals();
  const plan = await loadPlan(o.plan);
  const { startComparator } = await import('../comparator/server.js');
  const comparator = await startComparator({
    plan,
    port: o.port,
    host: o.host,
    adminPort: o.adminPort,
    adminHost: o.adminHost,
    queue: o.queue,
    concurrency: o.concurrency,
    allowUnsafe: o.allowUnsafe,
    reorderMs: o.reorderWindow,
    insecureAdmin: o.insecureAdmin,
  });
  process.stdout.write(
    `comparator taking nginx's mirrors on ${comparator.url} (admin ${comparator.adminUrl}); Ctrl-C stops it\n`,
  );
  await signals.until(comparator);
}
