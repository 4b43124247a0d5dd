// The command line of the real executable: -v, usage errors (exit 1, usage on stderr), --help.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTsproxy } from '../support/config-cli.js';

test('tsproxy -v prints the version banner and exits 0', () => {
  for (const flag of ['-v', '-vv']) {
    const r = runTsproxy([flag]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^tsproxy version \d+\.\d+\.\d+ \d{4}\/\d{2}\/\d{2}\nCopyright .*\n\n$/);
    assert.equal(r.stderr, '');
  }
});

const USAGE: readonly (readonly [string[], RegExp])[] = [
  [[], /no configuration file given/],
  [['-c'], /no configuration file given/],
  [['-f'], /option '-f' needs a value/],
  [['-x', '-f', 'a.cfg'], /unknown option '-x'/],
  [['-f', 'a.cfg', '-s'], /unknown option '-s'/],
  [['-f', 'a.cfg', '-l'], /unknown option '-l'/],
  [['-f', 'a.cfg', 'extra'], /unexpected argument 'extra'/],
  [['-f', 'a.cfg', '-n', 'x'], /'-n' argument 'x' is invalid/],
  [['-f', 'a.cfg', '-sf', '0'], /'-sf' argument '0' is invalid/],
  [['-f', 'a.cfg', '--log-format', 'xml'], /'--log-format' argument 'xml' is invalid/],
];
for (const [argv, message] of USAGE) {
  test(`tsproxy ${argv.join(' ') || '(no argument)'} → usage on stderr, exit 1`, () => {
    const r = runTsproxy(argv);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage : tsproxy -f <cfgfile>/);
  });
}

test('tsproxy --help prints the usage on stdout, exit 0', () => {
  const r = runTsproxy(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage : tsproxy -f <cfgfile>/);
  assert.match(r.stdout, /-sf\/-st \[pid \]\*/);
});
