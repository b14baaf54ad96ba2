#!/usr/bin/env node
// Runs the CLI compiled into dist/ (built by `npm ci`); when src/ has changed since, runs the
// TypeScript source through tsx instead, so a checkout being edited never runs stale code.
import { fileURLToPath } from 'node:url';
import { isCompiledFresh } from './compiled.mjs';
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
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
}
