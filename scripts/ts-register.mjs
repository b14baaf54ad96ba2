// `node --import ./scripts/ts-register.mjs`: the test runner's TypeScript loader (ts-hooks.mjs),
// with stack traces mapped back to the TypeScript lines as tsx maps them.
import Module, { register } from 'node:module';
import { sep } from 'node:path';

process.setSourceMapsEnabled(true);
register(new URL('./ts-hooks.mjs', import.meta.url));

// With source maps on, Node reads and parses the map of every module that names one, as it loads.
// Dependencies ship thousands (rxjs alone, under Temporal's worker, several hundred), which cost
// each test process a large share of its start-up for stack frames inside libraries that nobody
// reads. So CommonJS modules under node_modules load without their map comment: their frames show
// the published JavaScript, and this repository's TypeScript stays mapped.
const MAP_COMMENT = '//# sourceMappingURL=';
const DEPENDENCY = `${sep}node_modules${sep}`;
const compile = Module.prototype._compile;
Module.prototype._compile = function compileWithoutDependencyMap(content, filename) {
  if (typeof content === 'string' && filename.includes(DEPENDENCY)) {
    const at = content.lastIndexOf(MAP_COMMENT);
    // Only the trailing comment: a line of its own at the very end.
    if (at !== -1 && (at === 0 || content[at - 1] === '\n') && !/\S\s*\n\s*\S/.test(content.slice(at)))
      content = content.slice(0, at);
  }
  return compile.call(this, content, filename);
};
