// `npm run build` (and `prepare`, which `npm ci` runs): compiles src/ to dist/ for the CLI.
import { buildCompiled, DIST } from '../bin/compiled.mjs';

const started = Date.now();
await buildCompiled();
process.stdout.write(`compiled src/ to ${DIST} in ${Date.now() - started} ms\n`);
