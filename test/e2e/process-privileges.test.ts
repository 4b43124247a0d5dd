// Privilege drop and limits on the real bin/tsproxy (spec §4 uid/gid/user/group/chroot/ulimit-n):
// bind a privileged port as root, then serve as nobody; chroot and ulimit-n are never ignored
// silently. Skipped when the tests do not run as root (CI runs as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { childrenOf, isAlive, procGids, procUids, readPids, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';
import { freePort } from '../support/ports.js';

const { janitor, backend } = processSuite();
const asRoot = process.getuid?.() === 0;

/** A free port below 1024 (only root may bind it). */
async function privilegedPort(): Promise<number> {
  for (let port = 900; port < 1024; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free privileged port');
}

function config(port: number, global: string): string {
  return webConfig(port, backend.port, { global });
}

test('user/group: a privileged port is bound as root, then the daemon serves as nobody', { skip: !asRoot && 'needs root' }, async () => {
  const dir = janitor.tempDir();
  const port = await privilegedPort();
  const cfg = writeConfig(dir, 'u.cfg', config(port, '    daemon\n    user nobody\n    group nogroup\n'));
  const pidfile = join(dir, 'u.pid');
  const r = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(r.code, 0, r.stderr);
  const [pid] = readPids(pidfile);
  janitor.track(pid);
  assert.deepEqual(procUids(pid!), [65534, 65534, 65534, 65534]);
  assert.deepEqual(procGids(pid!), [65534, 65534, 65534, 65534]);
  assert.equal((await get(port)).status, 200);
  process.kill(pid!, 'SIGUSR1');
  await waitFor('exit', () => !isAlive(pid!));
});

test('numeric uid/gid in the foreground; master-worker workers drop, the master keeps root', { skip: !asRoot && 'needs root' }, async () => {
  const dir = janitor.tempDir();
  const port = await privilegedPort();
  const cfg = writeConfig(dir, 'n.cfg', config(port, '    uid 65534\n    gid 65534\n'));
  const fg = janitor.start(['-f', cfg]);
  await waitForPort(port);
  await waitFor('uid dropped', () => procUids(fg.pid)[0] === 65534);
  assert.deepEqual(procUids(fg.pid), [65534, 65534, 65534, 65534]);
  assert.equal((await get(port)).status, 200);
  process.kill(fg.pid, 'SIGTERM');
  await fg.exited;

  const port2 = await privilegedPort();
  const cfg2 = writeConfig(dir, 'w.cfg', config(port2, '    user nobody\n'));
  const master = janitor.start(['-W', '-f', cfg2]);
  await waitForPort(port2);
  const [worker] = childrenOf(master.pid);
  assert.ok(worker !== undefined);
  await waitFor('worker uid dropped', () => procUids(worker!)[0] === 65534);
  assert.equal(procUids(master.pid)[0], 0);
  assert.equal((await get(port2)).status, 200);
  process.kill(master.pid, 'SIGTERM');
  await master.exited;
});

test('an unknown user is a startup alert, exit 1', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'x.cfg', config(port, '    user no-such-user-here\n'));
  const r = await janitor.run(['-f', cfg]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ALERT\] .* : cannot find user id for 'no-such-user-here'\./);
});

test('chroot: an existing directory gets a clear warning (Node cannot chroot), a missing one is fatal', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'c.cfg', config(port, `    chroot ${dir}\n`));
  const p = janitor.start(['-f', cfg]);
  await waitForPort(port);
  assert.match(p.stderr(), /\[WARNING\] .* : chroot .* is not applied: Node\.js cannot chroot\(\)/);
  process.kill(p.pid, 'SIGTERM');
  await p.exited;

  const missing = writeConfig(dir, 'm.cfg', config(port, `    chroot ${join(dir, 'nope')}\n`));
  const r = await janitor.run(['-f', missing]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ALERT\] .* : \[tsproxy\.main\(\)\] Cannot chroot\(.*nope\)\./);
});

test('ulimit-n above what the process has: warning, startup goes on', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'l.cfg', config(port, '    ulimit-n 100000000\n'));
  const p = janitor.start(['-f', cfg]);
  await waitForPort(port);
  assert.match(p.stderr(), /\[WARNING\] .* : Cannot raise FD limit to 100000000\./);
  assert.match(p.stderr(), /LimitNOFILE=/);
  process.kill(p.pid, 'SIGTERM');
  await p.exited;
});
