// The `node:test` API of one unit test file that shares its process with other files
// (scripts/test-batches.ts; ts-hooks.mjs resolves the file's `node:test` import to a module that
// calls `scope`). Alone in its process, a file's top-level tests and hooks belong to the process's
// root: a top-level `before` would run before every batched file's tests, and an `after` (closing
// the file's servers) only when the whole batch ends. So the calls a file makes while its module
// is evaluated are kept, and made again inside a suite named for the file (test-batch.mjs), where
// its hooks apply to its own tests only; later calls (from inside its describes) go straight on.
// Plain JavaScript: it runs in every batch process, before any loader could help.
import * as nodeTest from 'node:test';

/**
 * The test API for one file. `trampolines[line - 1]` calls `f(...a)` from column 1 of that line of
 * a module whose URL is the file's, so Node's test runner, which takes a test's location from its
 * caller, still reports it at the line that registered it.
 * @param {Array<((f: Function, a: unknown[]) => unknown) | null>} trampolines
 */
export function scope(trampolines) {
  /** @type {Array<() => void>} */
  const kept = [];
  let replayed = false;

  /** @param {Function} fn */
  const through = (fn) => {
    /** @param {unknown[]} args */
    const wrapper = (...args) => {
      const line = callerLine(wrapper);
      const call = () => (trampolines[line - 1] ?? direct)(fn, args);
      if (replayed) return call();
      kept.push(call);
      // What `test()` returns inside a suite: its outcome is the suite's.
      return Promise.resolve();
    };
    return wrapper;
  };
  /** @param {Function & { skip: Function, todo: Function, only: Function }} fn */
  const withVariants = (fn) =>
    Object.assign(through(fn), { skip: through(fn.skip), todo: through(fn.todo), only: through(fn.only) });

  return {
    test: withVariants(nodeTest.test),
    it: withVariants(nodeTest.it),
    describe: withVariants(nodeTest.describe),
    suite: withVariants(nodeTest.suite),
    skip: through(nodeTest.skip),
    todo: through(nodeTest.todo),
    only: through(nodeTest.only),
    before: through(nodeTest.before),
    after: through(nodeTest.after),
    beforeEach: through(nodeTest.beforeEach),
    afterEach: through(nodeTest.afterEach),
    /** Makes the kept calls; called inside the file's suite, once its module has been evaluated. */
    replay() {
      replayed = true;
      for (const call of kept.splice(0)) call();
    },
  };
}

/** @param {Function} f @param {unknown[]} a */
const direct = (f, a) => f(...a);

/**
 * The source line (TypeScript's, through the source map) of the code that called `wrapper`; 0 when
 * the stack does not say.
 * @param {Function} wrapper
 */
function callerLine(wrapper) {
  const holder = { stack: '' };
  Error.captureStackTrace(holder, wrapper);
  const frame = holder.stack.split('\n', 2)[1] ?? '';
  const m = /:(\d+):\d+\)?$/.exec(frame);
  return m ? Number(m[1]) : 0;
}
