// Signals that reach bin/tsproxy while it is still starting, and what stopping a launcher or a
// master does to the processes it started. Node reserves SIGUSR1 for its inspector: without a
// handler of ours, a SIGUSR1 during startup opened a debugger on 127.0.0.1:9229 and the soft stop
// was lost. A daemon launcher or a master that dies of SIGTERM must not leave its children behind,
// even for a moment, with init (pid 1) as their parent.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { childrenOf, isAlive, ProcessJanitor, procComm, readPids, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';

const janitor = new ProcessJanitor();
after(() => janitor.killAll());

async function tcpConfig(dir: string, global = ''): Promise<{ cfg: string; port: number }> {
  const port = await freePort();
  const cfg = writeConfig(
    dir,
    'early.cfg',
    `global
${global}listen web
    bind 127.0.0.1:${port}
    mode tcp
    balance roundrobin
    server s1 127.0.0.1:1
`,
  );
  return { cfg, port };
}

/** The comm turns to "tsproxy" in bin/tsproxy's first statement, before the program loads. */
function titled(pid: number): boolean {
  try {
    return procComm(pid) === 'tsproxy';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

for (const flag of ['-d', '-db']) {
  test(`${flag}: a SIGUSR1 while the program loads is a soft stop once started (no inspector, no lost signal)`, async () => {
    const dir = janitor.tempDir();
    const { cfg } = await tcpConfig(dir);
    const p = janitor.start([flag, '-f', cfg]);
    await waitFor('process title', () => titled(p.pid), 10000, 1);
    process.kill(p.pid, 'SIGUSR1');
    const exit = await Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10000))]);
    assert.doesNotMatch(p.stderr(), /Debugger listening|inspector/);
    assert.deepEqual(exit, { code: 0, signal: null }, p.stderr());
    assert.match(p.stderr(), /Stopping proxy web in 0 ms\./);
  });
}

test('daemon launcher killed by SIGTERM while its children start: they are gone before it is', async () => {
  const dir = janitor.tempDir();
  const { cfg } = await tcpConfig(dir, '    daemon\n    nbproc 2\n');
  const pidfile = join(dir, 'early.pid');
  const launcher = janitor.start(['-f', cfg, '-p', pidfile]);
  const children = await waitFor('two children', () => (childrenOf(launcher.pid).length === 2 ? childrenOf(launcher.pid) : undefined), 10000, 1);
  children.forEach((c) => janitor.track(c));
  process.kill(launcher.pid, 'SIGTERM');
  const exit = await launcher.exited;
  const orphans = children.filter((c) => isAlive(c));
  assert.deepEqual(orphans.map((c) => [c, parentOf(c)]), [], 'children alive after their launcher died');
  assert.equal(exit.signal, 'SIGTERM');
  assert.deepEqual(readPids(pidfile), []);
});

test('daemon launcher: a SIGUSR1 while its children start soft-stops them once they serve', async () => {
  const dir = janitor.tempDir();
  const { cfg, port } = await tcpConfig(dir, '    daemon\n');
  const pidfile = join(dir, 'early.pid');
  const launcher = janitor.start(['-f', cfg, '-p', pidfile]);
  const [child] = await waitFor('a child', () => (childrenOf(launcher.pid).length === 1 ? childrenOf(launcher.pid) : undefined), 10000, 1);
  janitor.track(child);
  process.kill(launcher.pid, 'SIGUSR1');
  const exit = await launcher.exited;
  assert.doesNotMatch(launcher.stderr(), /Debugger listening|inspector/);
  assert.equal(exit.code, 0, launcher.stderr());
  await waitFor('the child to finish', () => !isAlive(child!), 10000);
  await waitFor('the port to close', async () => {
    try {
      await waitForPort(port, 50);
      return false;
    } catch {
      return true;
    }
  });
});

test('master-worker: SIGTERM to the master ends every worker before the master exits', async () => {
  const dir = janitor.tempDir();
  const { cfg, port } = await tcpConfig(dir, '    nbproc 2\n');
  const pidfile = join(dir, 'mw.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('master ready', () => readPids(pidfile).length === 1);
  await waitForPort(port);
  const workers = childrenOf(master.pid);
  workers.forEach((w) => janitor.track(w));
  assert.equal(workers.length, 2);
  process.kill(master.pid, 'SIGTERM');
  const exit = await master.exited;
  assert.equal(exit.signal, 'SIGTERM');
  assert.deepEqual(workers.filter((w) => isAlive(w)).map((w) => [w, parentOf(w)]), [], 'workers alive after the master died');
});
