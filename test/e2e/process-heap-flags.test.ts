// The V8 young-generation flag every serving process runs with (src/cli/node-flags.ts): from the
// shebang when bin/tsproxy is executed, added to the processes we spawn ourselves (workers,
// daemon children, a detached master) when the user started `node bin/tsproxy` without it, and
// never over a flag the user chose. (Once running, a process's /proc cmdline shows only its
// title, so the spawned arguments are checked through withHeapFlags itself.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../support/ports.js';
import { BIN, ROOT, waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';
import { withHeapFlags, YOUNG_GENERATION_FLAG } from '../../src/cli/node-flags.js';

const { janitor, backend } = processSuite();

test('the shebang carries the flag, and bin/tsproxy executed through it starts and serves', async () => {
  const first = readFileSync(BIN, 'utf8').split('\n')[0]!;
  assert.equal(first, `#!/usr/bin/env -S node ${YOUNG_GENERATION_FLAG}`);
  const v = spawnSync(BIN, ['-v'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^tsproxy version /);
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'shebang.cfg', webConfig(port, backend.port));
  const child = spawn(BIN, ['-f', cfg, '-db'], { cwd: ROOT, stdio: 'ignore' });
  janitor.track(child.pid);
  await waitForPort(port);
  assert.equal((await get(port, '/')).status, 200);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});

test('withHeapFlags adds the flag once, keeps the user’s own value, and respects NODE_OPTIONS', () => {
  assert.deepEqual(withHeapFlags([]), [YOUNG_GENERATION_FLAG]);
  assert.deepEqual(withHeapFlags(['--max-old-space-size=64']), ['--max-old-space-size=64', YOUNG_GENERATION_FLAG]);
  assert.deepEqual(withHeapFlags([YOUNG_GENERATION_FLAG]), [YOUNG_GENERATION_FLAG]);
  assert.deepEqual(withHeapFlags(['--max-semi-space-size=8']), ['--max-semi-space-size=8']);
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = '--max-semi-space-size=16';
  try {
    assert.deepEqual(withHeapFlags([]), []);
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
});
