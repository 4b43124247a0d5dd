// Table tests of the health-check counter (spec §8.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCheckResult, initialHealth, isHealthUp } from '../../src/checks/state.js';

/** Runs a sequence of results ('+' success, '-' failure) from a fresh server; returns states and transitions. */
function run(rise: number, fall: number, results: string): { states: string; transitions: string[] } {
  let health = initialHealth(rise);
  let states = '';
  const transitions: string[] = [];
  for (const r of results) {
    const step = applyCheckResult(health, r === '+', rise, fall);
    health = step.health;
    states += isHealthUp(health, rise) ? 'U' : 'D';
    if (step.transition) transitions.push(step.transition);
  }
  return { states, transitions };
}

test('a fresh server starts UP with health = rise', () => {
  assert.equal(initialHealth(2), 2);
  assert.equal(isHealthUp(initialHealth(2), 2), true);
  assert.equal(isHealthUp(initialHealth(1), 1), true);
});

const table: { rise: number; fall: number; results: string; states: string; transitions: string[]; why: string }[] = [
  { rise: 2, fall: 3, results: '-', states: 'D', transitions: ['down'], why: 'first failure after start marks a fresh server DOWN' },
  { rise: 2, fall: 3, results: '+---', states: 'UUUD', transitions: ['down'], why: 'after one success, fall failures are needed' },
  { rise: 2, fall: 3, results: '+--+--', states: 'UUUUUU', transitions: [], why: 'a success in between refills the counter' },
  { rise: 2, fall: 3, results: '-++', states: 'DDU', transitions: ['down', 'up'], why: 'rise successes bring it back' },
  { rise: 2, fall: 3, results: '-+-++', states: 'DDDDU', transitions: ['down', 'up'], why: 'successes must be consecutive' },
  { rise: 2, fall: 3, results: '-++---', states: 'DDUUUD', transitions: ['down', 'up', 'down'], why: 'back UP, then fall again' },
  { rise: 2, fall: 3, results: '------', states: 'DDDDDD', transitions: ['down'], why: 'DOWN is reported once' },
  { rise: 2, fall: 3, results: '++++', states: 'UUUU', transitions: [], why: 'a healthy server never transitions' },
  { rise: 2, fall: 2, results: '+--', states: 'UUD', transitions: ['down'], why: 'guide 4.1: fall 2 = two failures' },
  { rise: 1, fall: 1, results: '-+-+', states: 'DUDU', transitions: ['down', 'up', 'down', 'up'], why: 'rise 1 / fall 1 flips on each result' },
  { rise: 3, fall: 1, results: '+-+++', states: 'UDDDU', transitions: ['down', 'up'], why: 'fall 1 means the first failure' },
  { rise: 5, fall: 2, results: '-++++-+++++', states: 'DDDDDDDDDDU', transitions: ['down', 'up'], why: 'a failure resets the rise count' },
  { rise: 2, fall: 5, results: '+----+-----', states: 'UUUUUUUUUUD', transitions: ['down'], why: 'fall 5 needs 5 in a row once healthy' },
];

for (const row of table) {
  test(`rise ${row.rise} fall ${row.fall} '${row.results}': ${row.why}`, () => {
    const got = run(row.rise, row.fall, row.results);
    assert.equal(got.states, row.states);
    assert.deepEqual(got.transitions, row.transitions);
  });
}

test('counter values follow spec §8.1 exactly', () => {
  // rise 2, fall 3: range 0..4, UP at >= 2, top = 4.
  assert.deepEqual(applyCheckResult(2, true, 2, 3), { health: 4, transition: undefined });
  assert.deepEqual(applyCheckResult(4, true, 2, 3), { health: 4, transition: undefined });
  assert.deepEqual(applyCheckResult(4, false, 2, 3), { health: 3, transition: undefined });
  assert.deepEqual(applyCheckResult(3, false, 2, 3), { health: 2, transition: undefined });
  assert.deepEqual(applyCheckResult(2, false, 2, 3), { health: 0, transition: 'down' });
  assert.deepEqual(applyCheckResult(0, false, 2, 3), { health: 0, transition: undefined });
  assert.deepEqual(applyCheckResult(0, true, 2, 3), { health: 1, transition: undefined });
  assert.deepEqual(applyCheckResult(1, true, 2, 3), { health: 4, transition: 'up' });
  assert.deepEqual(applyCheckResult(1, false, 2, 3), { health: 0, transition: undefined });
});
