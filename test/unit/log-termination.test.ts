// The termination flag table (spec §12.5.1): every pair the engines may set is documented once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CAUSE_MEANINGS,
  STATE_MEANINGS,
  TERMINATION_TABLE,
  Term,
  terminationInfo,
} from '../../src/log/termination.js';

test('every named pair is in the table, with a meaning, and the table has no duplicate', () => {
  const pairs = TERMINATION_TABLE.map((t) => t.pair);
  assert.equal(new Set(pairs).size, pairs.length);
  for (const pair of Object.values(Term)) {
    const info = terminationInfo(pair);
    assert.ok(info, pair);
    assert.ok(info.meaning.length > 10);
  }
  assert.equal(Object.keys(Term).length, TERMINATION_TABLE.length);
});

test('the pairs the issue lists are all there', () => {
  for (const pair of ['CD', 'cD', 'CR', 'cR', 'SC', 'sC', 'SH', 'sH', 'SD', 'sD', 'PR', 'PH', 'CQ', 'sQ', 'CC', 'IC', 'RC', 'PC', 'CH', '--']) {
    assert.ok(terminationInfo(pair), pair);
  }
  assert.equal(terminationInfo('XX'), undefined);
});

test('HTTP statuses that go with the pairs', () => {
  const rows: [string, number | undefined][] = [
    ['cR', 408],
    ['SC', 503],
    ['sC', 503],
    ['sQ', 503],
    ['SH', 502],
    ['sH', 504],
    ['PR', 403],
    ['PH', 502],
    ['CD', undefined],
    ['--', undefined],
  ];
  for (const [pair, status] of rows) assert.equal(terminationInfo(pair)?.httpStatus, status, pair);
});

test('each character of each pair has a documented meaning', () => {
  for (const t of TERMINATION_TABLE) {
    assert.ok(t.pair[0] in CAUSE_MEANINGS, t.pair);
    assert.ok(t.pair[1] in STATE_MEANINGS, t.pair);
  }
});

test('docs/logging.md lists every pair with the same meaning and status', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../../docs/logging.md', import.meta.url), 'utf8');
  for (const t of TERMINATION_TABLE) {
    const row = `| \`${t.pair}\` | ${t.meaning} |${t.httpStatus === undefined ? '' : ' ' + t.httpStatus} |`;
    assert.ok(doc.includes(row), `missing row: ${row}`);
  }
});
