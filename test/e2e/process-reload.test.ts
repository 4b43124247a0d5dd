// Reloads under load of the real bin/tsproxy: legacy `-sf`/`-st` (spec §13.6) with daemons,
// master-worker SIGUSR2, a broken configuration, the guide's §4.3 script, and the failure path
// (old processes resumed with SIGTTIN). The client loop mixes keep-alive and new connections and
// must see zero errors across the reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { BIN, childrenOf, isAlive, readPids, sleep, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get, runLoad } from '../support/process-load.js';

const { janitor, backend } = processSuite();

function config(port: number, global: string, extraListen = '', mode: 'tcp' | 'http' = 'tcp'): string {
  return webConfig(port, backend.port, { global, mode, timeoutMs: 30000, after: extraListen });
}

async function progress(load: { completed: () => number }, more: number): Promise<void> {
  const target = load.completed() + more;
  await waitFor(`${more} more requests`, () => load.completed() >= target, 20000);
}

test('-sf under load: three daemon reloads, zero failed requests, old processes finish', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'sf.cfg', config(port, '    daemon\n'));
  const pidfile = join(dir, 'sf.pid');
  const first = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(first.code, 0, first.stderr);
  const generations: number[][] = [readPids(pidfile)];
  generations[0]!.forEach((p) => janitor.track(p));
  const load = runLoad(port, { maxRequests: 200000, concurrency: 6, expectBodyPrefix: 'ok b1' });
  try {
    await progress(load, 300);
    for (let i = 0; i < 3; i++) {
      const old = readPids(pidfile);
      const r = await janitor.run(['-f', cfg, '-p', pidfile, '-sf', ...old.map(String)]);
      assert.equal(r.code, 0, r.stderr);
      const now = readPids(pidfile);
      now.forEach((p) => janitor.track(p));
      assert.equal(now.length, 1);
      assert.notDeepEqual(now, old);
      generations.push(now);
      await progress(load, 300);
    }
  } finally {
    load.stop();
  }
  const result = await load.done;
  assert.deepEqual(result.errors, []);
  assert.ok(result.ok >= 1200, `only ${result.ok} requests`);
  assert.ok(result.keepAliveOk > 0);
  // every old generation exits once its keep-alive clients are gone; the last one serves on
  for (const gen of generations.slice(0, -1)) await waitFor('old generation exit', () => gen.every((p) => !isAlive(p)));
  const last = generations[generations.length - 1]!;
  assert.ok(last.every(isAlive));
  assert.equal((await get(port)).status, 200);
});

test('-st: the new process takes over, the old one is terminated at once', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'st.cfg', config(port, '    daemon\n'));
  const pidfile = join(dir, 'st.pid');
  assert.equal((await janitor.run(['-f', cfg, '-p', pidfile])).code, 0);
  const old = readPids(pidfile);
  old.forEach((p) => janitor.track(p));
  const before = backend.received();
  const slow = get(port, '/slow?ms=5000').then(
    () => 'answered',
    () => 'cut',
  );
  await waitFor('slow request in flight', () => backend.received() > before);
  const r = await janitor.run(['-f', cfg, '-p', pidfile, '-st', ...old.map(String)]);
  assert.equal(r.code, 0, r.stderr);
  readPids(pidfile).forEach((p) => janitor.track(p));
  assert.equal(await slow, 'cut');
  await waitFor('old exit', () => old.every((p) => !isAlive(p)), 5000);
  assert.equal((await get(port)).status, 200);
});

test('-sf that cannot bind: exit 1 with the alert, the old process is resumed and serves', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as net.AddressInfo).port;
  try {
    const cfg = writeConfig(dir, 'f.cfg', config(port, '    daemon\n'));
    const pidfile = join(dir, 'f.pid');
    assert.equal((await janitor.run(['-f', cfg, '-p', pidfile])).code, 0);
    const old = readPids(pidfile);
    old.forEach((p) => janitor.track(p));
    // the new configuration also wants a port someone else holds
    const bad = writeConfig(dir, 'f2.cfg', config(port, '    daemon\n', `listen other\n    bind 127.0.0.1:${taken}\n    mode tcp\n    balance roundrobin\n    server s 127.0.0.1:${backend.port}\n`));
    const r = await janitor.run(['-f', bad, '-p', pidfile, '-sf', ...old.map(String)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ALERT\] .* : Starting proxy other: cannot bind socket/);
    assert.deepEqual(readPids(pidfile), old);
    assert.ok(old.every(isAlive));
    await waitForPort(port, 5000);
    assert.equal((await get(port)).status, 200);
  } finally {
    blocker.close();
  }
});

test('master-worker: SIGUSR2 reloads under load with zero failed requests; a broken file keeps serving', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const good = config(port, '    nbproc 2\n');
  const cfg = writeConfig(dir, 'mw.cfg', good);
  const pidfile = join(dir, 'mw.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('pidfile', () => readPids(pidfile).length === 1);
  assert.deepEqual(readPids(pidfile), [master.pid]);
  await waitForPort(port);
  const workers0 = childrenOf(master.pid);
  assert.equal(workers0.length, 2);
  const load = runLoad(port, { maxRequests: 200000, concurrency: 6, expectBodyPrefix: 'ok b1' });
  const allWorkers = new Set(workers0);
  try {
    await progress(load, 300);
    for (let i = 1; i <= 3; i++) {
      process.kill(master.pid, 'SIGUSR2');
      await waitFor(`reload ${i}`, () => (master.stderr().match(/Reload complete/g) ?? []).length >= i, 15000);
      childrenOf(master.pid).forEach((p) => allWorkers.add(p));
      await progress(load, 300);
    }
    // a broken file: alert, the running workers stay
    const before = childrenOf(master.pid).sort();
    writeFileSync(cfg, good + '    bogus-keyword here\n');
    process.kill(master.pid, 'SIGUSR2');
    await master.waitStderr(/Reload aborted/);
    assert.match(master.stderr(), /\[ALERT\] .* : parsing \[.*mw\.cfg:\d+\]/);
    await progress(load, 300);
    assert.deepEqual(
      childrenOf(master.pid).filter((p) => before.includes(p)).sort(),
      before.filter((p) => isAlive(p)).sort(),
    );
    writeFileSync(cfg, good);
  } finally {
    load.stop();
  }
  const result = await load.done;
  assert.deepEqual(result.errors, []);
  assert.ok(result.ok >= 1200, `only ${result.ok} requests`);
  // old workers drain and exit; two current workers remain
  await waitFor('old workers gone', () => childrenOf(master.pid).length === 2, 15000);
  // SIGUSR1 to the master: every worker finishes, the master exits 0 and removes its pidfile
  process.kill(master.pid, 'SIGUSR1');
  const exit = await master.exited;
  assert.equal(exit.code, 0);
  assert.deepEqual(readPids(pidfile), []);
  for (const p of allWorkers) assert.ok(!isAlive(p));
});

test("the guide's §4.3 hot-reconfiguration script works as written", async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const etc = dir;
  writeConfig(dir, 'config', config(port, '    daemon\n'));
  writeConfig(dir, 'config.new', config(port, '    daemon\n'));
  const pidfile = join(dir, 'haproxy.pid');
  assert.equal((await janitor.run(['-p', pidfile, '-f', join(etc, 'config')])).code, 0);
  const old = readPids(pidfile);
  old.forEach((p) => janitor.track(p));
  // The script of the guide, with its paths under our temp dir and `haproxy` being tsproxy.
  const script = `
haproxy() { "${process.execPath}" "${BIN}" "$@"; }
# save previous state
mv ${etc}/config ${etc}/config.old
mv ${pidfile} ${pidfile}.old

mv ${etc}/config.new ${etc}/config
kill -TTOU $(cat ${pidfile}.old)
if haproxy -p ${pidfile} -f ${etc}/config; then
  echo "New instance successfully loaded, stopping previous one."
  kill -USR1 $(cat ${pidfile}.old)
  rm -f ${pidfile}.old
  exit 1
else
  echo "New instance failed to start, resuming previous one."
  kill -TTIN $(cat ${pidfile}.old)
  rm -f ${pidfile}
  mv ${pidfile}.old ${pidfile}
  mv ${etc}/config ${etc}/config.bad
  mv ${etc}/config.old ${etc}/config
  exit 0
fi
`;
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = execFile('/bin/sh', ['-c', script], { timeout: 20000 }, (err, stdout) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) : 0, stdout });
    });
    janitor.track(child.pid);
  });
  // (sic) the guide's script exits 1 on success
  assert.match(out.stdout, /New instance successfully loaded, stopping previous one\./);
  const now = readPids(pidfile);
  now.forEach((p) => janitor.track(p));
  assert.equal(now.length, 1);
  assert.notDeepEqual(now, old);
  await waitFor('old instance exit', () => old.every((p) => !isAlive(p)));
  assert.equal((await get(port)).status, 200);
});

test('mode http with keep-alive clients: -sf reloads and master-worker SIGUSR2 reloads, zero failed requests', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'h.cfg', config(port, '    daemon\n', '', 'http'));
  const pidfile = join(dir, 'h.pid');
  assert.equal((await janitor.run(['-f', cfg, '-p', pidfile])).code, 0);
  readPids(pidfile).forEach((p) => janitor.track(p));
  const load = runLoad(port, { maxRequests: 200000, concurrency: 6, expectBodyPrefix: 'ok b1' });
  try {
    await progress(load, 300);
    for (let i = 0; i < 2; i++) {
      const r = await janitor.run(['-f', cfg, '-p', pidfile, '-sf', ...readPids(pidfile).map(String)]);
      assert.equal(r.code, 0, r.stderr);
      readPids(pidfile).forEach((p) => janitor.track(p));
      await progress(load, 300);
    }
  } finally {
    load.stop();
  }
  const result = await load.done;
  assert.deepEqual(result.errors, []);
  assert.ok(result.keepAliveOk > 0);
  for (const pid of readPids(pidfile)) process.kill(pid, 'SIGTERM');

  const port2 = await freePort();
  const cfg2 = writeConfig(dir, 'h2.cfg', config(port2, '    nbproc 2\n', '', 'http'));
  const pidfile2 = join(dir, 'h2.pid');
  const master = janitor.start(['-W', '-f', cfg2, '-p', pidfile2]);
  await waitFor('master ready', () => readPids(pidfile2).length === 1);
  const load2 = runLoad(port2, { maxRequests: 200000, concurrency: 6, expectBodyPrefix: 'ok b1' });
  try {
    await progress(load2, 300);
    for (let i = 1; i <= 2; i++) {
      process.kill(master.pid, 'SIGUSR2');
      await waitFor(`reload ${i}`, () => (master.stderr().match(/Reload complete/g) ?? []).length >= i, 15000);
      await progress(load2, 300);
    }
  } finally {
    load2.stop();
  }
  const result2 = await load2.done;
  assert.deepEqual(result2.errors, []);
  assert.ok(result2.keepAliveOk > 0);
  process.kill(master.pid, 'SIGTERM');
  await master.exited;
});

test('-sf between foreground processes: the new one takes the sockets over, the old one finishes (exit 0)', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'fg.cfg', config(port, ''));
  const old = janitor.start(['-f', cfg]);
  await waitForPort(port);
  const load = runLoad(port, { maxRequests: 200000, concurrency: 4, expectBodyPrefix: 'ok b1' });
  let next;
  try {
    await progress(load, 200);
    next = janitor.start(['-f', cfg, '-sf', String(old.pid)]);
    // the old one stops listening once the new one serves; its keep-alive sessions go on
    await old.waitStderr(/Proxy web stopped\./);
    await progress(load, 300);
  } finally {
    load.stop();
  }
  const result = await load.done;
  assert.deepEqual(result.errors, []);
  // its last sessions gone (the load's keep-alive clients), the old process exits 0
  const exit = await old.exited;
  assert.equal(exit.code, 0, old.stderr());
  // the hand-over happened: the old process was never paused
  assert.doesNotMatch(old.stderr(), /Pausing proxy/);
  assert.match(old.stderr(), /Stopping proxy web in 0 ms\./);
  assert.ok(isAlive(next.pid));
  process.kill(next.pid, 'SIGTERM');
  await next.exited;
});

test(
  '-sf takes over from a running HAProxy (the legacy SIGTTOU dance): only a short refusal window, nothing reset',
  { skip: !existsSync('/usr/sbin/haproxy') && 'haproxy not installed' },
  async (t) => {
    const dir = janitor.tempDir();
    const port = await freePort();
    const hapCfg = writeConfig(
      dir,
      'haproxy.cfg',
      `global\n    daemon\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\nlisten web\n    bind 127.0.0.1:${port}\n    server s1 127.0.0.1:${backend.port}\n`,
    );
    const pidfile = join(dir, 'lb.pid');
    const hap = await new Promise<number | null>((resolve) => {
      const child = execFile('/usr/sbin/haproxy', ['-f', hapCfg, '-p', pidfile], { timeout: 20000 }, (err) => resolve(err ? 1 : 0));
      janitor.track(child.pid);
    });
    assert.equal(hap, 0);
    const old = readPids(pidfile);
    old.forEach((p) => janitor.track(p));
    await waitForPort(port);
    const cfg = writeConfig(dir, 'tsproxy.cfg', config(port, '    daemon\n'));
    const load = runLoad(port, { maxRequests: 200000, concurrency: 4, expectBodyPrefix: 'ok b1' });
    try {
      await progress(load, 200);
      const r = await janitor.run(['-f', cfg, '-p', pidfile, '-sf', ...old.map(String)]);
      assert.equal(r.code, 0, r.stderr);
      readPids(pidfile).forEach((p) => janitor.track(p));
      await progress(load, 300);
    } finally {
      load.stop();
    }
    const result = await load.done;
    // HAProxy cannot hand its sockets over: the dance leaves a window of a few ms in which a
    // connection can be refused; the daemon launcher listens before its children start, so the
    // window is only the time between HAProxy's pause and our bind.
    t.diagnostic(`failed requests during the takeover: ${result.errors.length} of ${result.ok + result.errors.length} (${result.errors.join(', ')})`);
    // Only new connections may be refused in that window (clients retry a refusal at once, so
    // the count follows the machine's load): no established connection is reset or lost, and
    // the count stays far below the thousands seen when the launcher did not listen first.
    assert.ok(result.errors.every((e) => e === 'new connection: ECONNREFUSED'), result.errors.join(', '));
    assert.ok(result.errors.length <= 300, `${result.errors.length} refused`);
    await waitFor('haproxy gone', () => old.every((p) => !isAlive(p)));
    assert.equal((await get(port)).status, 200);
  },
);

test(
  'a reload at maxconn: a connection the old worker holds unread is served, not reset',
  async () => {
    const dir = janitor.tempDir();
    const port = await freePort();
    const cfg = writeConfig(dir, 'held.cfg', config(port, '', '').replace('    mode tcp\n', '    mode http\n    maxconn 1\n'));
    const pidfile = join(dir, 'held.pid');
    const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
    await waitFor('master ready', () => readPids(pidfile).length === 1);
    const before = backend.received();
    const slow = get(port, '/slow?ms=1500').then((r) => `${r.status}`, (e: NodeJS.ErrnoException) => e.code ?? 'error');
    await waitFor('slow in flight', () => backend.received() > before);
    const held = get(port, '/').then((r) => `${r.status}`, (e: NodeJS.ErrnoException) => e.code ?? 'error');
    await sleep(300);
    process.kill(master.pid, 'SIGUSR2');
    assert.equal(await slow, '200');
    assert.equal(await held, '200');
    process.kill(master.pid, 'SIGTERM');
    await master.exited;
  },
);
