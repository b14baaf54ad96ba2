// `node --import ./scripts/ts-register.mjs`: the test runner's TypeScript loader (ts-hooks.mjs),
// with stack traces mapped back to the TypeScript lines as tsx maps them.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register(new URL('./ts-hooks.mjs', import.meta.url));
