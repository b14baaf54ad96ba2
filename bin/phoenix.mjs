#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx phoenix` works right after `npm ci`, with no build step.
import { fileURLToPath } from 'node:url';
import { adoptLauncherChannel, relaunchTuned, wantsMallocTuning } from './malloc-tuning.mjs';

const args = process.argv.slice(2);
if (wantsMallocTuning(args)) await relaunchTuned(fileURLToPath(import.meta.url), args);
adoptLauncherChannel();

const { register } = await import('tsx/esm/api');
register();
await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
