/**
 * The test run's promise that it writes nothing into the checkout: a listing of the checkout's
 * files (size and modification time) taken before the run and compared after it. Tests write
 * reports, logs, state and plans under the OS temp folder instead.
 *
 * Left out: the dependency and tool caches a run may fill on a fresh clone (`node_modules`,
 * `.tools` with the Temporal CLI, `.phoenix/venv` with the example apps' Python), the compiled CLI
 * the runner rebuilds (`dist/`), `.git`, and
 * files git tracks (edited by hand while the suite runs; a test that changed one would show in
 * `git status` anyway).
 */
import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** Paths (relative, `/`-separated) not listed, with everything under them. */
const CACHES = new Set(['.git', 'node_modules', 'bench/node_modules', '.tools', '.phoenix/venv', 'dist']);

/** Relative path → "size:mtime" of every file and symlink in the checkout outside the caches. */
export type CheckoutListing = Map<string, string>;

export async function listCheckout(root: string): Promise<CheckoutListing> {
  const out: CheckoutListing = new Map();
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return; // removed meanwhile
    }
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (CACHES.has(child)) continue;
      if (e.isDirectory()) await walk(child);
      else {
        const s = await lstat(path.join(root, child)).catch(() => undefined);
        if (s) out.set(child, `${s.size}:${s.mtimeMs}`);
      }
    }
  };
  await walk('');
  return out;
}

async function trackedFiles(root: string): Promise<Set<string>> {
  try {
    const { stdout } = await promisify(execFile)('git', ['ls-files', '-z'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    return new Set(stdout.split('\0').filter(Boolean));
  } catch {
    return new Set(); // not a git checkout: every change counts
  }
}

/** What appeared, changed or went away in the checkout since `before`, as "created path" etc. */
export async function checkoutWrites(root: string, before: CheckoutListing): Promise<string[]> {
  const after = await listCheckout(root);
  const tracked = await trackedFiles(root);
  const out: string[] = [];
  for (const [p, v] of after) {
    if (tracked.has(p)) continue;
    const was = before.get(p);
    if (was === undefined) out.push(`created ${p}`);
    else if (was !== v) out.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p) && !tracked.has(p)) out.push(`removed ${p}`);
  return out.sort((a, b) => a.slice(a.indexOf(' ')).localeCompare(b.slice(b.indexOf(' '))));
}
