import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeButtonValue } from '../../src/slack/blocks.js';
import { ROLLBACK_ACTION, ROLLBACK_STEP, rollbackBlocks } from '../../src/slack/rollback-blocks.js';

describe('the decommission message', () => {
  test('carries a signed, confirmed Rollback button for the whole migration', () => {
    const blocks = rollbackBlocks(
      { workflowId: 'phoenix-users', family: 'users', text: '*users*: 100% of traffic on the new service' },
      'secret',
    ) as unknown as {
      type: string;
      text?: { text: string };
      elements?: { action_id: string; value: string; style: string; confirm?: unknown }[];
    }[];
    assert.equal(blocks[0]!.text!.text, '*users*: 100% of traffic on the new service');
    const button = blocks.find((b) => b.type === 'actions')!.elements![0]!;
    assert.equal(button.action_id, ROLLBACK_ACTION);
    assert.equal(button.style, 'danger');
    assert.ok(button.confirm, 'a click asks for confirmation first');
    assert.deepEqual(decodeButtonValue(button.value, 'secret'), {
      workflowId: 'phoenix-users',
      family: 'users',
      step: ROLLBACK_STEP,
    });
    assert.equal(decodeButtonValue(button.value, 'another secret'), undefined, 'a forged signature is refused');
  });

  test('long notice text is clipped to Block Kit limits', () => {
    const blocks = rollbackBlocks({
      workflowId: 'phoenix-users',
      family: 'users',
      text: 'x'.repeat(5000),
    }) as unknown as {
      text?: { text: string };
    }[];
    assert.equal(blocks[0]!.text!.text.length, 3000);
  });
});
