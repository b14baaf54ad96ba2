// The CLI runs from JavaScript compiled out of src/ (dist/), so a command starts without
// transpiling TypeScript first. `npm ci` builds it (the `prepare` script), `npm test` rebuilds it when stale,
// and `npm run build` does it by hand. Whenever src/ has changed since the last build, the CLI
// runs from source through tsx instead, so it never runs stale code.
//
// dist/ holds two builds of src/: every module on its own (dist/<path>.js: the router's shadow
// thread and the worker's workflow bundle load files from there), and the CLI as one CommonJS
// file (dist/phoenix-cli.cjs) that `bin/phoenix.mjs` loads with a V8 code cache (code-cache.mjs).
import { readdirSync, statSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
/** Where the compiled CLI lives. */
export const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.source-stamp');
/** The CLI in one file: src/cli/program.ts and every module it imports, packages excepted. */
export const CLI_BUNDLE = path.join(DIST, 'phoenix-cli.cjs');
/** The V8 code cache of the CommonJS modules the CLI loads (bin/code-cache.mjs). */
export const CODE_CACHE = path.join(DIST, '.code-cache');

/** Changed whenever what buildCompiled writes changes, so a dist/ of an older layout counts as stale. */
const LAYOUT = 'layout 2: per-module files, phoenix-cli.cjs, .code-cache';

/**
 * What the compiled output was built from: the layout, and each source file's path, size and
 * modification time.
 */
function sourceStamp() {
  const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  // Checked at every start of the CLI: a slice, not path.relative, which cost as much as the stats.
  const parts = files.map((f) => {
    const s = statSync(f);
    return `${f.slice(SRC.length + 1)}:${s.size}:${Math.trunc(s.mtimeMs)}`;
  });
  return { files, stamp: [LAYOUT, ...parts].join('\n') };
}

/** Whether dist/ holds the compiled form of src/ as it is now. */
export function isCompiledFresh() {
  try {
    return readFileSync(STAMP, 'utf8') === sourceStamp().stamp;
  } catch {
    return false;
  }
}

/**
 * In the one-file CLI, `import.meta` of each module is that of its own copy in dist/, so the
 * files it finds next to itself (the shadow thread, the workflows, help.txt, scripts/) are the
 * same as when it runs on its own.
 */
const importMetaOfOwnCopy = {
  name: 'import-meta-of-own-copy',
  setup(b) {
    b.onLoad({ filter: /\.m?[jt]s$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      // A module of src/ has its copy in dist/; one from elsewhere (bin/) is its own file.
      const own = args.path.startsWith(SRC + path.sep)
        ? path.join(DIST, path.relative(SRC, args.path).replace(/\.ts$/, '.js'))
        : args.path;
      const rel = JSON.stringify(path.relative(DIST, own).split(path.sep).join('/'));
      const file = `require("node:path").join(__dirname, ${rel})`;
      const meta =
        `({ url: require("node:url").pathToFileURL(${file}).href, filename: ${file}, ` +
        `dirname: require("node:path").dirname(${file}), ` +
        `resolve: (s) => require("node:url").pathToFileURL(require.resolve(s)).href })`;
      return { contents: text.replaceAll('import.meta', meta), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

/**
 * The packages the one-file CLI loads from node_modules: all of them but the ES-module-only ones
 * (`require` of those warns on Node 20), which are bundled into it.
 */
function externalPackages() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((name) => name !== '@observablehq/plot')
    .flatMap((name) => [name, `${name}/*`]);
}

/** Compiles every module of src/ to dist/, one file each, and the CLI into one file (esbuild: no type check). */
export async function buildCompiled() {
  const { build } = await import('esbuild');
  const { files, stamp } = sourceStamp();
  rmSync(DIST, { recursive: true, force: true });
  const common = { platform: 'node', target: 'node20.18', sourcemap: 'linked', logLevel: 'warning' };
  await Promise.all([
    build({ ...common, entryPoints: files, outbase: SRC, outdir: DIST, format: 'esm' }),
    build({
      ...common,
      entryPoints: [path.join(SRC, 'cli', 'program.ts')],
      outfile: CLI_BUNDLE,
      bundle: true,
      format: 'cjs',
      external: externalPackages(),
      plugins: [importMetaOfOwnCopy],
    }),
  ]);
  // A dynamic import of a package becomes a require: code compiled with a code cache cannot import()
  // on Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and every ES-module-only package is bundled.
  const bundled = readFileSync(CLI_BUNDLE, 'utf8');
  writeFileSync(
    CLI_BUNDLE,
    bundled.replace(/\bimport\((["'])([^"'`$]+)\1\)/g, 'Promise.resolve().then(() => __toESM(require("$2"), 1))'),
  );
  // The top-level help text and the code cache, from a process that has loaded nothing else.
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'record-code-cache.mjs')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(STAMP, stamp);
}
