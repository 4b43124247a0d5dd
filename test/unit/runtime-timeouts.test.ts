// The runtime's coarse timeouts (runtime/timeouts.ts): an armed entry fires once and never before
// its deadline, a disarmed one never fires, activity (refresh) postpones, re-arming after a
// disarm works, and buckets empty once everything has fired. Real timers, lower bounds only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CoarseTimeouts, RESOLUTION_MS, type Expiring } from '../../src/runtime/timeouts.js';

function entry(onFire: (at: number) => void): Expiring {
  return { deadlineMs: 0, timeoutSlot: -1, expired: () => onFire(performance.now()) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(2);
  }
}

test('an armed entry fires once, not before its deadline', async () => {
  const t = new CoarseTimeouts();
  const fired: number[] = [];
  const e = entry((at) => fired.push(at));
  const start = performance.now();
  t.arm(e, 35);
  await until(() => fired.length === 1);
  assert.ok(fired[0]! - start >= 35, `fired after ${fired[0]! - start} ms`);
  await sleep(3 * RESOLUTION_MS);
  assert.equal(fired.length, 1);
  assert.equal(e.deadlineMs, 0);
  assert.equal(t.size, 0);
});

test('a disarmed entry never fires; re-armed later, it fires from the new deadline', async () => {
  const t = new CoarseTimeouts();
  const fired: number[] = [];
  const e = entry((at) => fired.push(at));
  t.arm(e, 20);
  t.disarm(e);
  await sleep(20 + 4 * RESOLUTION_MS);
  assert.deepEqual(fired, []);
  const start = performance.now();
  t.arm(e, 25);
  await until(() => fired.length === 1);
  assert.ok(fired[0]! - start >= 25);
});

test('refresh postpones an armed entry and does not arm a disarmed one', async () => {
  const t = new CoarseTimeouts();
  const fired: number[] = [];
  const e = entry((at) => fired.push(at));
  const start = performance.now();
  t.arm(e, 40);
  await sleep(25);
  t.refresh(e, 40);
  const refreshedAt = performance.now();
  await until(() => fired.length === 1);
  assert.ok(fired[0]! - refreshedAt >= 40, `fired ${fired[0]! - refreshedAt} ms after the refresh`);
  assert.ok(fired[0]! - start >= 65);
  const idle = entry(() => assert.fail('a refreshed disarmed entry fired'));
  t.refresh(idle, 5);
  await sleep(5 + 3 * RESOLUTION_MS);
});

test('200 entries with spread deadlines: each fires once, none early, buckets empty after', async () => {
  const t = new CoarseTimeouts();
  const start = performance.now();
  const early: number[] = [];
  let count = 0;
  for (let i = 0; i < 200; i++) {
    const ms = 5 + (i % 50);
    const e = entry((at) => {
      count++;
      if (at - start < ms) early.push(i);
    });
    t.arm(e, ms);
    // every third one is disarmed and never fires
    if (i % 3 === 0) t.disarm(e);
  }
  const expected = 200 - Math.ceil(200 / 3);
  await until(() => count === expected && t.size === 0);
  await sleep(3 * RESOLUTION_MS);
  assert.equal(count, expected);
  assert.deepEqual(early, []);
});
