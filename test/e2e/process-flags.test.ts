// Run-time command-line flags of the real bin/tsproxy (spec §2): -N/-n reach the runtime, -q and
// `quiet`, -V, -m on daemon children, -de/-dp accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { isAlive, readPids, sleep, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';

const { janitor, backend } = processSuite();

function config(port: number, global = '', listenExtra = ''): string {
  return webConfig(port, backend.port, { global, listen: listenExtra });
}

test('-N 1: the default per-proxy maxconn reaches the runtime (a second client waits for the first)', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'n.cfg', config(port));
  const p = janitor.start(['-f', cfg, '-N', '1', '-de', '-dp']);
  await waitForPort(port);
  const before = backend.received();
  const first = get(port, '/slow?ms=1500');
  await waitFor('first in flight', () => backend.received() === before + 1);
  const second = get(port, '/');
  await sleep(500);
  // held by the proxy, not sent to the server, while the first session runs
  assert.equal(backend.received(), before + 1);
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
  assert.equal(backend.received(), before + 2);
  process.kill(p.pid, 'SIGTERM');
  await p.exited;
});

test('quiet in the configuration hides warnings, -V shows them again', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'q.cfg', config(port, '    quiet\n'));
  const quiet = janitor.start(['-f', cfg]);
  await waitForPort(port);
  process.kill(quiet.pid, 'SIGUSR1');
  assert.equal((await quiet.exited).code, 0);
  assert.equal(quiet.stderr(), '');

  const verbose = janitor.start(['-f', cfg, '-V']);
  await waitForPort(port);
  process.kill(verbose.pid, 'SIGUSR1');
  assert.equal((await verbose.exited).code, 0);
  assert.match(verbose.stderr(), /Stopping proxy web in 0 ms\./);

  const q = janitor.start(['-q', '-f', writeConfig(dir, 'q2.cfg', config(port))]);
  await waitForPort(port);
  process.kill(q.pid, 'SIGUSR1');
  assert.equal((await q.exited).code, 0);
  assert.equal(q.stderr(), '');
});

test('-m: accepted by a daemon (the children get a V8 heap limit); a foreground process says it cannot apply it', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'm.cfg', config(port, '    daemon\n    nbproc 2\n'));
  const pidfile = join(dir, 'm.pid');
  const r = await janitor.run(['-f', cfg, '-p', pidfile, '-m', '256']);
  assert.equal(r.code, 0, r.stderr);
  const pids = readPids(pidfile);
  pids.forEach((pid) => janitor.track(pid));
  assert.equal(pids.length, 2);
  assert.equal((await get(port)).status, 200);
  for (const pid of pids) process.kill(pid, 'SIGUSR1');
  await waitFor('children exit', () => pids.every((pid) => !isAlive(pid)));

  const fg = janitor.start(['-f', writeConfig(dir, 'm2.cfg', config(port)), '-m', '256']);
  await waitForPort(port);
  assert.match(fg.stderr(), /\[WARNING\] .* : -m 256: Node\.js cannot set RLIMIT_AS on itself/);
  process.kill(fg.pid, 'SIGTERM');
  await fg.exited;
});
