// Run by buildCompiled (bin/compiled.mjs) in a process of its own, right after compiling: loads
// the one-file CLI and every command module in it, writes the top-level help text (`phoenix
// --help` prints it instead of loading them), and saves the V8 code cache of the CommonJS code
// they loaded (bin/code-cache.mjs). A Temporal client is built on a lazy connection (it never
// connects) so the code every Temporal command runs first is in the cache too.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { recordCodeCache } from './code-cache.mjs';
import { CLI_BUNDLE, CODE_CACHE } from './compiled.mjs';

const require = createRequire(import.meta.url);
const recorder = recordCodeCache(CODE_CACHE);
const { buildProgram, TOP_HELP } = require(CLI_BUNDLE);
writeFileSync(TOP_HELP, (await buildProgram()).helpInformation());
try {
  const { Client, Connection } = require('@temporalio/client');
  const connection = Connection.lazy({ address: '127.0.0.1:7233' });
  new Client({ connection, namespace: 'default' }).workflow.getHandle('phoenix-code-cache');
  await connection.close();
} catch {
  // Only a warm-up: the cache is as valid without it.
}
const { modules, bytes } = recorder.save();
process.stdout.write(`code cache: ${modules} modules, ${Math.round(bytes / 1024)} KB\n`);
