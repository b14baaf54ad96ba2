/**
 * The CLI as `npm ci` ships it (bin/phoenix.mjs running the one-file build in dist/ with its code
 * cache; `npm test` builds it first): every command module still loads from it and renders the
 * help the program from source renders, and the code cache never hands V8 bytecode of a file that
 * changed since it was recorded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { CLI_BUNDLE, isCompiledFresh } from '../../bin/compiled.mjs';
import { buildProgram } from '../../src/cli/program.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CODE_CACHE = path.join(ROOT, 'bin', 'code-cache.mjs');

function node(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the compiled CLI', () => {
  it("renders every command's help from the one-file build as the source does, and bin runs it", async () => {
    assert.ok(isCompiledFresh(), 'dist/ must match src/ (npm test builds it)');
    const helps = async (p: { buildProgram(): Promise<Command> }): Promise<string[]> =>
      (await p.buildProgram()).commands.map((c) => `${c.name()}\n${c.helpInformation()}`);
    // One process loads every command module from the one file (a process per command would cost
    // the suite a second of CPU each).
    const r = await node([
      '-e',
      `require(${JSON.stringify(CLI_BUNDLE)}).buildProgram().then((p) => console.log(JSON.stringify(p.commands.map((c) => c.name() + '\\n' + c.helpInformation()))))`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout) as string[], await helps(await import('../../src/cli/program.js')));
    const status = await node([path.join(ROOT, 'bin', 'phoenix.mjs'), 'status', '--help']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stderr, '');
    assert.equal(status.stdout, (await buildProgram()).commands.find((c) => c.name() === 'status')!.helpInformation());
  });
});

describe('the code cache', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'phx-code-cache-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Requires `mod` in a fresh process, recording the cache or using it; prints what the module's
   * function returns, and how the cache served it.
   */
  async function load(mode: 'record' | 'use', mod: string, cache: string): Promise<string> {
    const body =
      mode === 'record'
        ? `const r = m.recordCodeCache(${JSON.stringify(cache)}); console.log(require(${JSON.stringify(mod)})()); r.save();`
        : `if (!m.useCodeCache(${JSON.stringify(cache)})) throw new Error('cache not in use');
           const out = require(${JSON.stringify(mod)})(); const s = m.codeCacheStats();
           console.log(out, 'hits', s.hits, 'misses', s.misses, 'rejected', s.rejected);`;
    const r = await node([
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(`${dir}/`)});
       const m = await import(${JSON.stringify(CODE_CACHE)}); ${body}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }

  it('runs a module from the cache, and from its source once it changed, even to the same size', async () => {
    const mod = path.join(dir, 'answer.cjs');
    const cache = path.join(dir, 'cache.bin');
    await writeFile(mod, "module.exports = () => 'first';\n");
    assert.equal(await load('record', mod, cache), 'first');
    assert.ok((await stat(cache)).size > 0);
    assert.equal(await load('use', mod, cache), 'first hits 1 misses 0 rejected 0');
    // Same length, so V8's own check (it compares only the source's length) would take the old bytecode.
    await writeFile(mod, "module.exports = () => 'again';\n");
    assert.equal(await load('use', mod, cache), 'again hits 0 misses 1 rejected 0');
  });
});
