#!/usr/bin/env node
// Runs the CLI compiled into one file in dist/ (built by `npm ci`; see compiled.mjs), with the V8
// code cache of what it loads; when src/ has changed since, runs the TypeScript source through tsx
// instead, so a checkout being edited never runs stale code.
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

if (isCompiledFresh()) {
  useCodeCache(CODE_CACHE);
  createRequire(import.meta.url)(CLI_BUNDLE).main(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
}
