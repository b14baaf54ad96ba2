// The CLI runs from JavaScript compiled out of src/ (dist/), so a command starts without
// transpiling TypeScript first. `npm ci` builds it (the `prepare` script), `npm test` rebuilds it when stale,
// and `npm run build` does it by hand. Whenever src/ has changed since the last build, the CLI
// runs from source through tsx instead, so it never runs stale code.
import { readdirSync, statSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
/** Where the compiled CLI lives. */
export const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.source-stamp');

/** What the compiled output was built from: each source file's path, size and modification time. */
function sourceStamp() {
  const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  const parts = files.map((f) => {
    const s = statSync(f);
    return `${path.relative(SRC, f)}:${s.size}:${Math.trunc(s.mtimeMs)}`;
  });
  return { files, stamp: parts.join('\n') };
}

/** Whether dist/ holds the compiled form of src/ as it is now. */
export function isCompiledFresh() {
  try {
    return readFileSync(STAMP, 'utf8') === sourceStamp().stamp;
  } catch {
    return false;
  }
}

/** Compiles every module of src/ to dist/, one file each (esbuild: no type check, no bundling). */
export async function buildCompiled() {
  const { build } = await import('esbuild');
  const { files, stamp } = sourceStamp();
  rmSync(DIST, { recursive: true, force: true });
  await build({
    entryPoints: files,
    outbase: SRC,
    outdir: DIST,
    format: 'esm',
    platform: 'node',
    target: 'node20.18',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // `phoenix --help` prints this instead of loading every command to render it.
  const { buildProgram, TOP_HELP } = await import(pathToFileURL(path.join(DIST, 'cli', 'program.js')).href);
  writeFileSync(TOP_HELP, (await buildProgram()).helpInformation());
  writeFileSync(STAMP, stamp);
}
