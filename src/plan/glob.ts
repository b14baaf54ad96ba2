/**
 * Minimal file globbing for contract case paths (`contracts/users/*.yaml`, `contracts/**\/*.yml`),
 * because Node 20 has no `fs.glob`. Supports `*`, `**`, `?` and `{a,b}`.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Converts a glob (with "/" separators) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map(escape)
          .join('|')})`;
        i = end;
      }
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** Expands globs relative to `dir` into sorted, de-duplicated absolute file paths. */
export async function expandGlobs(globs: readonly string[], dir: string): Promise<string[]> {
  const out = new Set<string>();
  for (const g of globs) {
    const abs = path.resolve(dir, g).split(path.sep).join('/');
    const magic = abs.search(/[*?{]/);
    if (magic < 0) {
      const st = await stat(abs).catch(() => undefined);
      if (st?.isFile()) out.add(abs);
      continue;
    }
    const base = abs.slice(0, abs.lastIndexOf('/', magic));
    const re = globToRegExp(abs.slice(base.length + 1));
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const full = path
        .join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)
        .split(path.sep)
        .join('/');
      if (re.test(full.slice(base.length + 1))) out.add(full);
    }
  }
  return [...out].sort();
}
