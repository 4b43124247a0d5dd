// Master-worker mode (-W) of the real bin/tsproxy: detached master with -D, process names,
// pause/resume through the master, SIGTERM, and a worker that dies on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { childrenOf, connectOutcome, isAlive, procComm, readPids, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';

const { janitor, backend } = processSuite();

function config(port: number, global: string): string {
  return webConfig(port, backend.port, { global });
}

test('-W with daemon: the launcher exits 0, the pidfile holds the master, master and workers are all "tsproxy"', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'd.cfg', config(port, '    daemon\n    nbproc 2\n'));
  const pidfile = join(dir, 'm.pid');
  const r = await janitor.run(['-W', '-f', cfg, '-p', pidfile]);
  assert.equal(r.code, 0, r.stderr);
  const [master] = readPids(pidfile);
  janitor.track(master);
  assert.ok(master !== undefined && isAlive(master));
  const workers = childrenOf(master!);
  assert.equal(workers.length, 2);
  // keepalived's `killall -0 tsproxy` / `pgrep -x tsproxy` match the kernel comm of each
  for (const pid of [master!, ...workers]) assert.equal(procComm(pid), 'tsproxy');
  assert.equal((await get(port)).status, 200);
  process.kill(master!, 'SIGUSR1');
  await waitFor('master exit', () => !isAlive(master!));
  for (const w of workers) assert.ok(!isAlive(w));
});

test('SIGTTOU to the master releases the port, SIGTTIN brings new workers back', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'p.cfg', config(port, ''));
  const pidfile = join(dir, 'p.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('master ready', () => readPids(pidfile).length === 1);
  // the first generation must be serving before it is counted (the pidfile can precede the worker)
  await waitForPort(port);
  const before = await waitFor('first worker', () => {
    const c = childrenOf(master.pid);
    return c.length === 1 ? c : undefined;
  });
  process.kill(master.pid, 'SIGTTOU');
  await waitFor('port refused', async () => (await connectOutcome(port)) === 'ECONNREFUSED');
  process.kill(master.pid, 'SIGTTIN');
  await waitForPort(port);
  assert.equal((await get(port)).status, 200);
  // the paused generation drains away, a new one serves
  await waitFor('paused workers gone', () => before.every((p) => !isAlive(p)));
  // exactly one new worker serves (reaping the old one may lag its exit by a moment)
  await waitFor('one worker left', () => childrenOf(master.pid).length === 1, 5000);
  assert.notDeepEqual(childrenOf(master.pid), before);
  process.kill(master.pid, 'SIGTERM');
  const exit = await master.exited;
  assert.equal(exit.signal, 'SIGTERM');
});

test('SIGTERM to the master: workers and master gone, killed by the signal', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 't.cfg', config(port, '    nbproc 2\n'));
  const pidfile = join(dir, 't.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('master ready', () => readPids(pidfile).length === 1);
  const workers = childrenOf(master.pid);
  assert.equal(workers.length, 2);
  process.kill(master.pid, 'SIGTERM');
  const exit = await master.exited;
  assert.equal(exit.signal, 'SIGTERM');
  await waitFor('workers gone', () => workers.every((p) => !isAlive(p)));
  await waitFor('port closed', async () => (await connectOutcome(port)) === 'ECONNREFUSED');
  assert.deepEqual(readPids(pidfile), []);
});

test('a worker killed from outside: the master logs the alert and exits non-zero (a supervisor restarts it)', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'k.cfg', config(port, '    nbproc 2\n'));
  const pidfile = join(dir, 'k.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('master ready', () => readPids(pidfile).length === 1);
  const workers = childrenOf(master.pid);
  process.kill(workers[0]!, 'SIGKILL');
  const exit = await master.exited;
  assert.notEqual(exit.code, 0);
  assert.match(master.stderr(), /\[ALERT\] .* : Current worker \d+ exited with SIGKILL/);
  await waitFor('other worker gone', () => workers.every((p) => !isAlive(p)));
});

test('SIGUSR2 with an address added, then removed: the new port serves, then closes', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const port2 = await freePort();
  const base = config(port, '');
  const cfg = writeConfig(dir, 'a.cfg', base);
  const pidfile = join(dir, 'a.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('master ready', () => readPids(pidfile).length === 1);
  assert.equal(await connectOutcome(port2), 'ECONNREFUSED');
  writeConfig(dir, 'a.cfg', base + `listen extra\n    bind 127.0.0.1:${port2}\n    mode http\n    balance roundrobin\n    server s1 127.0.0.1:${backend.port}\n`);
  process.kill(master.pid, 'SIGUSR2');
  await master.waitStderr(/Reload complete/);
  assert.equal((await get(port2)).status, 200);
  assert.equal((await get(port)).status, 200);
  writeConfig(dir, 'a.cfg', base);
  process.kill(master.pid, 'SIGUSR2');
  await waitFor('second reload', () => (master.stderr().match(/Reload complete/g) ?? []).length === 2);
  await waitFor('extra port closed', async () => (await connectOutcome(port2)) === 'ECONNREFUSED');
  assert.equal((await get(port)).status, 200);
  process.kill(master.pid, 'SIGTERM');
  await master.exited;
});
