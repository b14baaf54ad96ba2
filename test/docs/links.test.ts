/**
 * Every relative link in the README and docs/ reaches a file of the repo, and every `#anchor` a
 * heading of its page (GitHub's rule: lower case, punctuation dropped, spaces to hyphens, `-1`…
 * for repeats), so a renamed section or a moved page cannot leave a dead link behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PAGES = [
  'README.md',
  'ARCHITECTURE.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((f) => existsSync(path.join(ROOT, f)));

/** A page's text without fenced code, where `](…)` and `#` lines are not Markdown. */
function prose(page: string): string {
  return readFileSync(path.join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
}

function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(page: string): Set<string> {
  let found = anchorCache.get(page);
  if (found) return found;
  found = new Set();
  const seen = new Map<string, number>();
  for (const m of prose(page).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const s = slug(m[1]!);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    found.add(n === 0 ? s : `${s}-${n}`);
  }
  anchorCache.set(page, found);
  return found;
}

test('relative links in the README and docs/ reach a file and, with an anchor, a heading of it', () => {
  assert.ok(PAGES.length >= 10, `pages found: ${PAGES.join(', ')}`);
  const dead: string[] = [];
  for (const page of PAGES)
    for (const m of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
      const [file = '', anchor] = href.split('#');
      const target = file === '' ? page : path.normalize(path.join(path.dirname(page), file));
      if (!existsSync(path.join(ROOT, target))) dead.push(`${page}: ${href} (no file ${target})`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor))
        dead.push(`${page}: ${href} (no heading #${anchor} in ${target})`);
    }
  assert.deepEqual(dead, []);
});
