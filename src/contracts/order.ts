/**
 * The order a contract run sends its cases in. File order is run order: runs of safe cases are
 * sent concurrently, each unsafe case alone, a case that captures values ends its batch (later
 * cases may use them), and a batch never spans two files (each file has its own setup and
 * teardown). Pure.
 */
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { LoadedCase } from './cases.js';

/**
 * Cases in file order, cut into batches: runs of safe cases (sent concurrently, at most
 * `maxSafe` per batch so progress is reported, and heartbeats sent, every few seconds) and each
 * unsafe case alone, so a stateful API sees its writes in the order the files give.
 */
export function batches(
  cases: readonly (Pick<LoadedCase, 'request'> & Partial<Pick<LoadedCase, 'file' | 'capture'>>)[],
  maxSafe = Infinity,
): number[][] {
  const out: number[][] = [];
  let safeRun: number[] | undefined;
  let file: string | undefined;
  cases.forEach((c, i) => {
    if (c.file !== file) safeRun = undefined;
    file = c.file;
    if (SAFE_METHODS.has(c.request.method)) {
      if (safeRun === undefined || safeRun.length >= maxSafe) out.push((safeRun = []));
      safeRun.push(i);
      if (c.capture && Object.keys(c.capture).length > 0) safeRun = undefined;
    } else {
      safeRun = undefined;
      out.push([i]);
    }
  });
  return out;
}
