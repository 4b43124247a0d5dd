// The runtime socket with real bin/tsproxy processes: a `-sf` reload hands the socket path to the
// new process (the old one leaves it in place when it stops), and with `nbproc 2` each process
// answers for its own counters on `<path>.<pid>` while the bare path reaches one of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { isAlive, ProcessJanitor, readPids, waitFor, writeConfig } from '../support/process-harness.js';
import { startHttpBackend, type HttpBackend } from '../support/http-harness.js';
import { httpGet, socketCommand } from '../support/stats-helpers.js';

const janitor = new ProcessJanitor();
let backend: HttpBackend;

before(async () => {
  backend = await startHttpBackend('b1');
});
after(async () => {
  janitor.killAll();
  await backend.close();
});

function config(port: number, sock: string, nbproc: number): string {
  return `global
    daemon
    nbproc ${nbproc}
    stats socket ${sock} level admin
listen web
    bind 127.0.0.1:${port}
    mode http
    balance roundrobin
    contimeout 2000
    clitimeout 10000
    srvtimeout 10000
    server s1 127.0.0.1:${backend.port}
`;
}

const pidOf = (info: string): number => Number(/^Pid: (\d+)$/m.exec(info)?.[1] ?? -1);

test('-sf reload: the new process takes the socket path over, the old one leaves it there', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const cfg = writeConfig(dir, 'reload.cfg', config(port, sock, 1));
  const pidfile = join(dir, 'reload.pid');
  const first = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(first.code, 0, first.stderr);
  const [oldPid] = readPids(pidfile);
  janitor.track(oldPid);
  assert.equal(pidOf(await socketCommand(sock, 'show info\n')), oldPid);
  const second = await janitor.run(['-f', cfg, '-p', pidfile, '-sf', String(oldPid)]);
  assert.equal(second.code, 0, second.stderr);
  const [newPid] = readPids(pidfile);
  janitor.track(newPid);
  assert.notEqual(newPid, oldPid);
  await waitFor('old process exit', () => !isAlive(oldPid!));
  assert.ok(existsSync(sock), 'the path survives the old process');
  assert.equal(pidOf(await socketCommand(sock, 'show info\n')), newPid);
  assert.equal((await httpGet(port, '/')).status, 200);
});

test('nbproc 2: each process on <path>.<pid> reports its own counters', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const cfg = writeConfig(dir, 'nbproc.cfg', config(port, sock, 2));
  const pidfile = join(dir, 'nbproc.pid');
  const run = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(run.code, 0, run.stderr);
  const pids = readPids(pidfile);
  pids.forEach((p) => janitor.track(p));
  assert.equal(pids.length, 2);
  for (const pid of pids) {
    const info = await socketCommand(`${sock}.${pid}`, 'show info\n');
    assert.equal(pidOf(info), pid);
    assert.match(info, /^Nbproc: 2$/m);
  }
  assert.ok(pids.includes(pidOf(await socketCommand(sock, 'show info\n'))));
  // traffic is counted only by the process that served it: the totals add up
  const N = 8;
  for (let i = 0; i < N; i++) assert.equal((await httpGet(port, `/r${i}`)).status, 200);
  let total = 0;
  for (const pid of pids) {
    const csv = await socketCommand(`${sock}.${pid}`, 'show stat\n');
    total += Number(csv.split('\n').find((l) => l.startsWith('web,s1,'))!.split(',')[7]);
  }
  assert.equal(total, N);
});
