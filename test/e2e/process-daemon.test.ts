// Daemon mode, pidfile and startup failures of the real bin/tsproxy (spec §2, §13.5, §13.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { canConnect, childrenOf, connectOutcome, isAlive, procComm, readPids, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';

const { janitor, backend } = processSuite();

function config(port: number, global = 'daemon\n'): string {
  return webConfig(port, backend.port, { global });
}

test('daemon launch exits 0 once bound; the pidfile holds the live pid; comm is tsproxy', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'd.cfg', config(port, 'daemon\n'));
  const pidfile = join(dir, 'tsproxy.pid');
  const r = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(r.code, 0, r.stderr);
  const pids = readPids(pidfile);
  for (const pid of pids) janitor.track(pid);
  assert.equal(pids.length, 1);
  const pid = pids[0]!;
  assert.ok(isAlive(pid));
  assert.equal(procComm(pid), 'tsproxy');
  // the launcher only exits once the listener is bound: the port answers at once
  const answer = await get(port);
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'ok b1\n');
  // quiet: a daemon prints nothing on success
  assert.equal(r.stderr, '');
  // kill $(<pidfile): the guide §4.2.1 stop; the file goes with the process
  process.kill(pid, 'SIGTERM');
  await waitFor('daemon exit', () => !isAlive(pid));
  await waitFor('pidfile removed', () => !existsSync(pidfile));
});

test('-D on the command line with nbproc 2: two children, both listed, both tsproxy', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'n.cfg', config(port, 'nbproc 2\n'));
  const pidfile = join(dir, 'n.pid');
  const r = await janitor.run(['-D', '-f', cfg, '-p', pidfile]);
  assert.equal(r.code, 0, r.stderr);
  const pids = readPids(pidfile);
  for (const pid of pids) janitor.track(pid);
  assert.equal(pids.length, 2);
  for (const pid of pids) {
    assert.ok(isAlive(pid));
    assert.equal(procComm(pid), 'tsproxy');
  }
  for (let i = 0; i < 10; i++) assert.equal((await get(port)).status, 200);
  // SIGUSR1 to both: each finishes and exits 0; the last one removes the pidfile
  for (const pid of pids) process.kill(pid, 'SIGUSR1');
  await waitFor('children exit', () => pids.every((p) => !isAlive(p)));
  await waitFor('pidfile removed', () => !existsSync(pidfile));
});

test('bind failure: the launcher exits 1 with the alert, no daemon is left', async () => {
  const dir = janitor.tempDir();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const cfg = writeConfig(dir, 'b.cfg', config(port, 'daemon\n'));
    const pidfile = join(dir, 'b.pid');
    const r = await janitor.run(['-f', cfg, '-p', pidfile]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\[ALERT\] \d{3}\/\d{6} \(\d+\) : Starting proxy web: cannot bind socket/m);
    assert.equal(existsSync(pidfile), false);
  } finally {
    blocker.close();
  }
});

test('foreground bind failure: exit 1 with the alert', async () => {
  const dir = janitor.tempDir();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const cfg = writeConfig(dir, 'f.cfg', config(port, ''));
    const r = await janitor.run(['-f', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ALERT\] .* : Starting proxy web: cannot bind socket \[127\.0\.0\.1:\d+\]/);
  } finally {
    blocker.close();
  }
});

test('a bad configuration: the parse alert, then "Error reading configuration file", exit 1', async () => {
  const dir = janitor.tempDir();
  const cfg = writeConfig(dir, 'bad.cfg', 'global\n    daemon\nlisten web\n    bind 127.0.0.1:1\n    frobnicate yes\n');
  const r = await janitor.run(['-f', cfg]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ALERT\] .* : parsing \[.*bad\.cfg:5\]/);
  assert.match(r.stderr, /\[ALERT\] .* : Error reading configuration file : .*bad\.cfg/);
});

test('-db keeps a daemon configuration in the foreground', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'db.cfg', config(port, 'daemon\nquiet\nnbproc 2\n'));
  const p = janitor.start(['-db', '-f', cfg]);
  await waitForPort(port);
  assert.ok(isAlive(p.pid));
  assert.equal((await get(port)).status, 200);
  process.kill(p.pid, 'SIGUSR1');
  const exit = await p.exited;
  assert.equal(exit.code, 0);
  // -db cancels quiet: the soft-stop warnings reach stderr
  assert.match(p.stderr(), /Stopping proxy web in 0 ms\./);
});

test('a daemon child that cannot start (setuid fails): its alert reaches the launcher, exit 1, nothing left', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'u.cfg', config(port, 'daemon\nnbproc 2\nuid 4294967295\n'));
  const pidfile = join(dir, 'u.pid');
  const r = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ALERT\] .* : \[tsproxy\.main\(\)\] Cannot set uid 4294967295\./);
  assert.equal(existsSync(pidfile), false);
  // -W -D: worker → detached master → launcher
  const r2 = await janitor.run(['-W', '-D', '-f', cfg, '-p', pidfile]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /Cannot set uid 4294967295\./);
  assert.equal(existsSync(pidfile), false);
  await waitFor('port free', async () => !(await canConnect(port)));
});

test('a launcher killed while its children start leaves no orphan daemon behind', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'o.cfg', config(port, 'daemon\nnbproc 2\n'));
  const launcher = janitor.start(['-f', cfg, '-p', join(dir, 'o.pid')]);
  const kids = await waitFor('children spawned', () => {
    const c = childrenOf(launcher.pid);
    return c.length === 2 ? c : undefined;
  }, 20000, 5);
  kids.forEach((k) => janitor.track(k));
  process.kill(launcher.pid, 'SIGKILL');
  await waitFor('children gone', () => kids.every((k) => !isAlive(k)));
  // (the last descriptor closes as the process is torn down: allow the kernel a moment)
  await waitFor('port closed', async () => (await connectOutcome(port)) === 'ECONNREFUSED', 5000);
});

test('a pidfile that cannot be created: the legacy alert, exit 1, the children are stopped', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'p.cfg', config(port, 'daemon\n'));
  const pidfile = join(dir, 'no-such-dir', 'x.pid');
  const r = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ALERT\] .* : \[tsproxy\.main\(\)\] Cannot create pidfile .*no-such-dir\/x\.pid/);
  await waitFor('port closed', async () => (await connectOutcome(port)) === 'ECONNREFUSED');
});
