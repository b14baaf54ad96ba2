/**
 * Node's test runner over the files given, in the order given: `node --test` sorts its files by
 * name, so the run's slowest files would start last. Arguments: how many files at a time, then the
 * files. Prints the spec reporter's output; exits 1 when a test failed.
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const [n, ...files] = process.argv.slice(2);
const stream = run({ files, concurrency: Number(n) });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.pipe(new spec()).pipe(process.stdout);
