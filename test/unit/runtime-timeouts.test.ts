// The runtime's coarse timeouts (runtime/timeouts.ts): an armed entry fires once and never before
// its deadline, a disarmed one never fires, activity (refresh) postpones, re-arming after a
// disarm works, and buckets empty once everything has fired. Real timers, lower bounds only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CoarseTimeouts, RESOLUTION_MS, type Expiring } from '../../src/runtime/timeouts.js';

function entry(onFire: (at: number) => void): Expiring {
  return { deadlineMs: 0, timeoutSlot: -1, timeoutIndex: 0, expired: () => onFire(performance.now()) };
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

test('disarming takes the entry out at once: a finished session is not kept by its old deadline', () => {
  const t = new CoarseTimeouts();
  const entries = Array.from({ length: 50 }, () => entry(() => assert.fail('disarmed entry fired')));
  entries.forEach((e, i) => t.arm(e, 30000 + i));
  assert.equal(t.size, 50);
  // out of order, so swaps inside a bucket are exercised
  for (let i = 0; i < 50; i += 2) t.disarm(entries[i]!);
  for (let i = 49; i > 0; i -= 2) t.disarm(entries[i]!);
  assert.equal(t.size, 0);
});

test('an expiring entry may disarm another one of the same bucket: that one never fires', async () => {
  const t = new CoarseTimeouts();
  const fired: string[] = [];
  const b = entry(() => fired.push('b'));
  const a = entry(() => {
    fired.push('a');
    t.disarm(b);
  });
  const c = entry(() => {
    fired.push('c');
    t.disarm(a);
  });
  t.arm(c, 20);
  t.arm(a, 20);
  t.arm(b, 20);
  await until(() => fired.length > 0);
  await sleep(4 * RESOLUTION_MS);
  // whichever of c/a runs first disarms the other's target: b never fires after a ran
  assert.ok(!(fired.includes('a') && fired.includes('b') && fired.indexOf('a') < fired.indexOf('b')), fired.join());
  assert.equal(t.size, 0);
});
