// The run path prints a bad configuration exactly as `-c` does (spec §3.4): warnings seen before
// the fatal line, every post-parse error, `Errors found …`, then `Error reading configuration file`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN } from '../support/process-harness.js';

function runWith(text: string): { status: number | null; stderr: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-cfgerr-'));
  const file = join(dir, 'bad.cfg');
  writeFileSync(file, text);
  try {
    const r = spawnSync(process.execPath, [BIN, '-f', file], { encoding: 'utf8', timeout: 20000 });
    return { status: r.status, stderr: r.stderr, file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('run: a warning before the fatal line is printed as a warning, then the alert and the closing line', () => {
  const r = runWith('listen x 127.0.0.1:1\n  mode tcp\n  transparent\n  balance roundrobin\n  frobnicate\n');
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0]!, /^\[WARNING\] \d{3}\/\d{6} \(\d+\) : parsing \[.*bad\.cfg:3\] : 'transparent'/);
  assert.match(lines[1]!, /^\[ALERT\] .* : parsing \[.*bad\.cfg:5\] : unknown keyword 'frobnicate' in 'listen' section$/);
  assert.equal(lines[2]!.replace(/^\[ALERT\] \d{3}\/\d{6} \(\d+\) : /, ''), `Error reading configuration file : ${r.file}`);
  assert.equal(lines.length, 3);
});

test('run: every post-parse error is reported, then "Errors found in configuration file, aborting."', () => {
  const r = runWith('listen x 127.0.0.1:1\n  mode http\nlisten y 127.0.0.1:2\n  mode http\n');
  assert.equal(r.status, 1);
  const msgs = r.stderr.trim().split('\n').map((l) => l.replace(/^\[ALERT\] \d{3}\/\d{6} \(\d+\) : /, ''));
  assert.deepEqual(msgs, [
    `parsing ${r.file} : listener x has no dispatch address and is not in transparent or balance mode.`,
    `parsing ${r.file} : listener y has no dispatch address and is not in transparent or balance mode.`,
    'Errors found in configuration file, aborting.',
    `Error reading configuration file : ${r.file}`,
  ]);
});
