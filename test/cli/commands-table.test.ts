/**
 * The table a command line is dispatched through (`COMMANDS` in src/cli/program.ts) says, for each
 * module, which top-level commands it adds; a command whose module is listed under another name
 * would be unknown when typed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { buildProgram, COMMANDS, run } from '../../src/cli/program.js';

describe('the command table', () => {
  test('each module adds exactly the commands listed for it, and every command is listed once', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('phoenix');
      (await entry.load()).register(program);
      assert.deepEqual(
        program.commands.map((c) => c.name()),
        [...entry.names],
      );
    }
    const listed = COMMANDS.flatMap((c) => c.names);
    assert.equal(new Set(listed).size, listed.length, `a command is listed twice: ${listed.join(', ')}`);
    const all = (await buildProgram()).commands.map((c) => c.name());
    assert.deepEqual([...all].sort(), [...listed].sort());
  });

  test('the compiled CLI prints the top-level help the program itself renders (npm test builds it first)', async () => {
    const compiled = await readFile(new URL('../../dist/cli/help.txt', import.meta.url), 'utf8');
    assert.equal(compiled, (await buildProgram()).helpInformation());
  });

  test('an unknown command is still answered with the closest known ones', async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    };
    try {
      assert.equal(await run(['node', 'phoenix', 'stat']), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(written.join(''), /^PHX_ERR_USAGE_UNKNOWN_COMMAND: unknown command 'stat' \(did you mean status\?\)/);
  });
});
