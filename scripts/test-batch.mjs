// Runs in a process that holds a batch of unit test files (scripts/test-batches.ts writes its entry
// module): each file's tests and hooks run inside a suite named for the file, and at exit the CPU
// log gets each file's own CPU (from its suite's start to its end) and, apart, what the process
// spent outside them: Node's start, the TypeScript loader and loading modules, once per batch.
import { after, before, describe } from 'node:test';
import { cpuSeconds, logCpu } from './test-cpu-log.mjs';

/** @type {Array<{ file: string, user: number, sys: number }>} */
const spent = [];

/**
 * The suite of one batched file: `replay` makes the test and hook calls the file made when its
 * module was evaluated (test-batch-scope.mjs).
 * @param {string} root the checkout, which the CPU log's paths are under
 * @param {string} file the test file, relative to `root`
 * @param {() => void} replay
 */
export function batchFile(root, file, replay) {
  /** @type {NodeJS.CpuUsage} */
  let start;
  describe(file, () => {
    before(() => {
      start = process.cpuUsage();
    });
    replay();
    // Registered last, so it runs after the file's own `after` hooks.
    after(() => {
      const d = process.cpuUsage(start);
      spent.push({ file: `${root}/${file}`, user: d.user / 1e6, sys: d.system / 1e6 });
    });
  });
}

/**
 * Logs the batch's CPU at exit, under `label` for what no file's suite spent.
 * @param {string} label
 */
export function logBatchCpu(label) {
  process.on('exit', () => {
    const total = cpuSeconds();
    for (const s of spent) logCpu({ ...s, childUser: 0, childSys: 0 });
    const sum = (/** @type {'user' | 'sys'} */ k) => spent.reduce((n, s) => n + s[k], 0);
    logCpu({
      file: label,
      startup: label,
      user: Math.max(0, total.user - sum('user')),
      sys: Math.max(0, total.sys - sum('sys')),
      childUser: total.childUser,
      childSys: total.childSys,
    });
  });
}
