// Every example configuration (the architecture guide's, verbatim, and their loopback twins)
// passes `bin/tsproxy -c -f` with exit 0.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, runTsproxy, STDERR_PREFIX } from '../support/config-cli.js';

const dirs = ['examples', join('examples', 'loopback')];
const files = dirs.flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.cfg')).map((f) => join(d, f)));

test('examples: the guide configurations and their twins are all there', () => {
  const names = new Set(files);
  for (const n of ['guide-1-cookie-insert', 'guide-2-cookie-prefix', 'guide-2.1-layer4', 'guide-2.2-tcp-relay', 'guide-3-https-offload',
    'guide-4.1-soft-stop-file', 'guide-4.2-backup-servers', 'guide-4.2.1-check-forwarder', 'guide-5-office-proxy',
    'guide-5-site-director', 'guide-5-local-lb', 'guide-6-source-balancing']) {
    assert.ok(names.has(join('examples', `${n}.cfg`)), n);
    assert.ok(names.has(join('examples', 'loopback', `${n}.cfg`)), `loopback ${n}`);
  }
  assert.ok(names.has(join('examples', 'demo.cfg')));
});

for (const file of files) {
  test(`tsproxy -c -f ${file} → valid, exit 0`, () => {
    const r = runTsproxy(['-c', '-V', '-f', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `Configuration file is valid : ${file}\n`);
    // Only warnings (e.g. the nameless listen), each in HAProxy's stderr format.
    for (const line of r.stderr.split('\n').filter((l) => l !== '')) {
      assert.match(line, STDERR_PREFIX);
      assert.ok(line.startsWith('[WARNING]'), line);
    }
  });
}

test('tsproxy -c on the quiet 4.2.1 daemon config prints nothing (as legacy did)', () => {
  const r = runTsproxy(['-c', '-f', join('examples', 'guide-4.2.1-check-forwarder.cfg')]);
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
});

test('tsproxy -c with every example at once (several -f)', () => {
  const some = files.filter((f) => f.includes('loopback') && !f.includes('4.2.1'));
  const r = runTsproxy(['-c', '-q', ...some.flatMap((f) => ['-f', f])]);
  // The loopback twins reuse 127.0.0.1:8080 but -c binds nothing: the check passes.
  assert.equal(r.status, 0, r.stderr);
});
