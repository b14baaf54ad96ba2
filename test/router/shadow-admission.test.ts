import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admission } from '../../src/router/shadow/admission.js';

/** Keeps this thread's event loop busy for `ms`, as a saturated router thread is. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Polls `ok` every 20 ms until it holds, or fails after `ms`. */
async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) assert.fail(`${what} within ${ms} ms`);
    await sleep(20);
  }
}

describe('shadow admission judges the router thread over its busy window', () => {
  const admissions: Admission[] = [];
  after(() => admissions.forEach((a) => a.close()));
  const make = (busyWindowMs: number): Admission => {
    const a = new Admission({
      families: 2,
      slots: 1000,
      maxBusy: 0.5,
      busyWindowMs,
      counters: new Int32Array(new SharedArrayBuffer(4)),
    });
    admissions.push(a);
    return a;
  };

  it('a thread busy for the whole window lets only one sample per family through, then admits again once idle', async () => {
    const a = make(500);
    // Busy in steps, yielding so the utilization timer runs, for more than a window.
    for (let i = 0; i < 8; i++) {
      spin(90);
      await sleep(1);
    }
    assert.equal(a.allows(0), true, 'the first sample of a family is the trickle');
    assert.equal(a.allows(0), false, 'a second one in the same 200 ms is shed');
    assert.equal(a.allows(1), true, 'another family has its own trickle');
    await until(() => a.allows(0) && a.allows(0), 3000, 'admits every sample again once the thread is idle');
  });

  it('a stall shorter than the window does not shed samples', async () => {
    const a = make(2000);
    await sleep(600); // a quiet start: most of the window idle
    spin(250);
    await sleep(5); // the overdue reading, which covers the stall
    assert.equal(a.allows(0) && a.allows(0) && a.allows(0), true, 'utilization over 2 s stays under 0.5');
  });
});
