#!/usr/bin/env node
// Runs the CLI compiled into one file in dist/ (built by `npm ci`; see compiled.mjs), with the V8
// code cache of what it loads; when src/ has changed since, runs the TypeScript source through tsx
// instead, so a checkout being edited never runs stale code.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { useCodeCache } from './code-cache.mjs';
import { CLI_BUNDLE, CODE_CACHE, isCompiledFresh } from './compiled.mjs';
import { followParent } from './follow-parent.mjs';
import { adoptLauncherChannel, relaunchTuned, wantsMallocTuning } from './malloc-tuning.mjs';

const args = process.argv.slice(2);
if (wantsMallocTuning(args)) {
  followParent();
  await relaunchTuned(fileURLToPath(import.meta.url), args);
}
// Under the launcher, the launcher's going away already stops this process (its IPC channel).
if (!adoptLauncherChannel()) followParent();

const fresh = isCompiledFresh();
// The top-level help (rendered at build time) and the version need none of the CLI: printed here,
// as `run` in src/cli/program.ts would print them, without loading it.
if (fresh && args.length === 1 && ['--help', '-h', 'help'].includes(args[0])) {
  process.stdout.write(readFileSync(new URL('../dist/cli/help.txt', import.meta.url), 'utf8'));
} else if (fresh && args.length === 1 && ['--version', '-V'].includes(args[0])) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (fresh) {
  useCodeCache(CODE_CACHE);
  createRequire(import.meta.url)(CLI_BUNDLE).main(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
}
