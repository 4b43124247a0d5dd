// The HAProxy command line (spec §2) normalised into Options (cli/args.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, UsageError, type Options } from '../../src/cli/args.js';

function opts(argv: string[]): Options {
  const r = parseArgs(argv);
  assert.equal(r.kind, 'run');
  return (r as { options: Options }).options;
}

test('args: defaults with only -f', () => {
  assert.deepEqual(opts(['-f', 'a.cfg']), {
    configFiles: ['a.cfg'], check: false, daemon: false, foreground: false, debug: false, quiet: false, verbose: false,
    noEpoll: false, noPoll: false, pidfile: undefined, maxconn: undefined, defaultMaxconn: undefined, memoryLimitMb: undefined,
    finishPids: [], terminatePids: [], masterWorker: false, systemd: false, logFormat: 'legacy',
  });
});

const CASES: readonly (readonly [string[], Partial<Options>])[] = [
  [['-f', 'a', '-f', 'b', '-f', 'c'], { configFiles: ['a', 'b', 'c'] }],
  [['-c', '-f', 'a'], { check: true }],
  [['-f', 'a', '-D'], { daemon: true, quiet: true }],
  [['-f', 'a', '-q'], { quiet: true }],
  [['-f', 'a', '-V'], { verbose: true }],
  [['-f', 'a', '-d'], { debug: true }],
  [['-f', 'a', '-dx'], { debug: true }],
  [['-f', 'a', '-db'], { foreground: true, debug: false }],
  [['-f', 'a', '-de', '-dp'], { noEpoll: true, noPoll: true }],
  [['-f', 'a', '-n', '5000', '-N', '100'], { maxconn: 5000, defaultMaxconn: 100 }],
  [['-f', 'a', '-p', '/run/t.pid'], { pidfile: '/run/t.pid' }],
  [['-f', 'a', '-m', '256'], { memoryLimitMb: 256 }],
  [['-f', 'a', '-sf', '12', '13'], { finishPids: [12, 13] }],
  [['-f', 'a', '-st', '99'], { terminatePids: [99] }],
  [['-sf', '12', '13', '-f', 'a'], { finishPids: [12, 13], configFiles: ['a'] }],
  [['-f', 'a', '-sf'], { finishPids: [] }],
  [['-f', 'a', '-W'], { masterWorker: true, systemd: false }],
  [['-f', 'a', '-Ws'], { masterWorker: true, systemd: true }],
  [['-f', 'a', '--log-format', 'json'], { logFormat: 'json' }],
  [['-f', 'a', '--log-format=json'], { logFormat: 'json' }],
  // legacy: the value always comes from the next argument; `-ffoo` ignores `foo`.
  [['-ffoo', 'a'], { configFiles: ['a'] }],
  [['-cq', '-f', 'a'], { check: true, quiet: false }],
  [['-qx', '-f', 'a'], { quiet: true }],
];

for (const [argv, want] of CASES) {
  test(`args: ${argv.join(' ')}`, () => {
    const o = opts(argv);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(o[k as keyof Options], v, k);
  });
}

test('args: -v and any flag starting with v print the version, at once', () => {
  for (const argv of [['-v'], ['-vv'], ['-version'], ['-v', '-x'], ['-f', 'a', '-v']]) {
    assert.equal(parseArgs(argv).kind, 'version', argv.join(' '));
  }
  assert.equal(parseArgs(['--help']).kind, 'help');
});

const USAGE: readonly (readonly [string[], RegExp])[] = [
  [[], /no configuration file given/],
  [['-c'], /no configuration file given/],
  [['-f'], /option '-f' needs a value/],
  [['-f', 'a', '-n'], /option '-n' needs a value/],
  [['-f', 'a', '-x'], /unknown option '-x'/],
  [['-f', 'a', '-s'], /unknown option '-s'/],
  [['-f', 'a', '-l'], /unknown option '-l'/],
  [['-f', 'a', '-h'], /unknown option '-h'/],
  [['-f', 'a', 'stray'], /unexpected argument 'stray'/],
  [['-f', 'a', '-'], /unexpected argument '-'/],
  [['-f', 'a', '--frob'], /unexpected argument '--frob'/],
  [['-f', 'a', '-n', 'many'], /'-n' argument 'many' is invalid/],
  [['-f', 'a', '-N', '0'], /'-N' argument '0' is invalid/],
  [['-f', 'a', '-m', '-1'], /option '-m' needs a value|'-m' argument/],
  [['-f', 'a', '-sf', '0'], /'-sf' argument '0' is invalid/],
  [['-f', 'a', '-st', 'abc'], /'-st' argument 'abc' is invalid/],
  [['-f', 'a', '--log-format', 'xml'], /'--log-format' argument 'xml' is invalid/],
  [['-f', 'a', '--log-format'], /'--log-format' needs a value/],
  // `-x v` consumes the next argument before failing, as legacy did: no version.
  [['-x', '-v'], /unknown option '-x'/],
];
for (const [argv, message] of USAGE) {
  test(`args usage error: ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message));
  });
}
