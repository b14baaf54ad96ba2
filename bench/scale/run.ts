/**
 * `npm run bench:scale [-- --families N]`: N family migrations at once on one worker (see
 * scale.ts); prints the figures and writes bench/results/scale.json.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runScale } from './scale.js';

process.env.PHOENIX_LOG_LEVEL ??= 'warn';

const { values } = parseArgs({ options: { families: { type: 'string', default: '100' } } });
const families = Number(values.families);
if (!Number.isInteger(families) || families < 1) {
  process.stderr.write(`--families: expected a whole number ≥ 1, got "${values.families}"\n`);
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const result = await runScale({
  families,
  workerLog: path.join(root, '.phoenix', 'logs', 'bench-scale-worker.log'),
  log: (l) => process.stderr.write(`${l}\n`),
});
const out = path.join(root, 'bench', 'results', 'scale.json');
await writeFile(
  out,
  `${JSON.stringify({ measuredAt: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, ...result }, null, 2)}\n`,
);
process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${path.relative(process.cwd(), out)}\n`);
process.exit(result.completed === result.families ? 0 : 1);
