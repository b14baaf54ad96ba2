// Module hooks that run this repository's TypeScript as the test runner needs it and no more: a
// relative `./x.js` import resolves to `./x.ts` when that exists, and `.ts` files are stripped of
// their types by esbuild (cached on disk by content). Everything else goes straight to Node's own
// loader. tsx does much more per module (for CommonJS too), which cost every test process 0.3–1 s
// of CPU; registered by ts-register.mjs.
//
// A unit test file imported as `<file>?phx-batch` shares its process with other files (see
// scripts/test-batches.ts): its `node:test` import then resolves to `<file>?phx-test-scope`, a
// module of its own (see scopeModule) that scopes its tests and hooks to the file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = path.join(os.tmpdir(), `phx-ts-cache-${process.getuid?.() ?? 'user'}`);
const BATCH = '?phx-batch';
const SCOPE = '?phx-test-scope';
const SCOPE_API = new URL('./test-batch-scope.mjs', import.meta.url).href;
/** @type {typeof import('esbuild') | undefined} */
let esbuild;

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (specifier.endsWith(BATCH) || specifier.endsWith(SCOPE))
    return { url: specifier, format: 'module', shortCircuit: true };
  if (specifier === 'node:test' && parent?.endsWith(BATCH))
    return { url: `${parent.slice(0, -BATCH.length)}${SCOPE}`, format: 'module', shortCircuit: true };
  if (
    parent?.startsWith('file:') &&
    !parent.includes('/node_modules/') &&
    specifier.endsWith('.js') &&
    (specifier.startsWith('./') || specifier.startsWith('../'))
  ) {
    const ts = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(ts)) return { url: ts.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, next) {
  if (url.endsWith(SCOPE)) {
    const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n').length;
    return { format: 'module', source: scopeModule(lines), shortCircuit: true };
  }
  if (url.endsWith(BATCH)) url = url.slice(0, -BATCH.length);
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha1').update(file).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    code = esbuild.transformSync(source, {
      loader: 'ts',
      format: 'esm',
      target: `node${process.versions.node}`,
      sourcemap: 'inline',
      sourcefile: file,
    }).code;
    // Test files load side by side: write aside, then rename, so no process reads half a file.
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  }
  return { format: 'module', source: code, shortCircuit: true };
}

/**
 * The `node:test` a batched file of `lines` lines imports: test-batch-scope.mjs's API, given one
 * trampoline per line whose call `f(...a)` sits at column 1 of that line. Node's test runner takes
 * a test's location from the function that called `test()`, and this module's URL is the test
 * file's (with a query Node drops), so a test registered through the trampoline of its own line is
 * reported at `<file>:<line>:1`, as it is when the file runs alone.
 */
function scopeModule(lines) {
  const text = ['const T = [null,'];
  for (let line = 2; line <= lines; line++) {
    text[text.length - 1] += ' (f, a) =>';
    text.push('f(...a),');
  }
  return `${text.join('\n')}];
import { scope } from ${JSON.stringify(SCOPE_API)};
export * from 'node:test';
export const { test, it, describe, suite, skip, todo, only, before, after, beforeEach, afterEach, replay } = scope(T);
export default test;
`;
}
