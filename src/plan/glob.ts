/**
 * Contract case paths in a plan (`contracts/users/*.yaml`, `contracts/**\/*.{yml,yaml}`), expanded
 * with tinyglobby because Node 20 has no `fs.glob`: `*`, `**`, `?`, `[ab]` and `{a,b}`, relative to
 * the plan's folder (or absolute).
 */
import path from 'node:path';
import { glob } from 'tinyglobby';

/** Expands globs relative to `dir` into sorted, de-duplicated absolute file paths; folders are not listed. */
export async function expandGlobs(globs: readonly string[], dir: string): Promise<string[]> {
  if (globs.length === 0) return [];
  const files = await glob([...globs], { cwd: dir, absolute: true, onlyFiles: true, expandDirectories: false });
  return [...new Set(files.map((f) => path.resolve(f)))].sort();
}
