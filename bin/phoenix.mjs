#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx phoenix` works right after `npm ci`, with no build step.
import { fileURLToPath } from 'node:url';
import { followParent } from './follow-parent.mjs';
import { adoptLauncherChannel, relaunchTuned, wantsMallocTuning } from './malloc-tuning.mjs';

const args = process.argv.slice(2);
if (wantsMallocTuning(args)) {
  followParent();
  await relaunchTuned(fileURLToPath(import.meta.url), args);
}
// Under the launcher, the launcher's going away already stops this process (its IPC channel).
if (!adoptLauncherChannel()) followParent();

const { register } = await import('tsx/esm/api');
register();
await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
