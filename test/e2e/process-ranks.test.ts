// With nbproc, each serving process knows its rank (1..N): the stats socket's `show info`
// (Process_num) and the CSV `pid` column differ per process, in daemon mode and in master-worker
// mode, as HAProxy's relative process numbers did.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { childrenOf, ProcessJanitor, readPids, waitFor, writeConfig } from '../support/process-harness.js';
import { socketCommand } from '../support/stats-helpers.js';

const janitor = new ProcessJanitor();
after(() => janitor.killAll());

async function rankConfig(dir: string, daemon: boolean): Promise<{ cfg: string; sock: string }> {
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const cfg = writeConfig(
    dir,
    'ranks.cfg',
    `global
${daemon ? '    daemon\n' : ''}    nbproc 2
    stats socket ${sock} level admin
listen web
    bind 127.0.0.1:${port}
    mode tcp
    balance roundrobin
    server s1 127.0.0.1:1
`,
  );
  return { cfg, sock };
}

/** Process_num of show info and the CSV pid column of the `web` frontend row, per process. */
async function ranks(sock: string, pids: readonly number[]): Promise<{ info: number; csv: string }[]> {
  const out: { info: number; csv: string }[] = [];
  for (const pid of pids) {
    const info = await socketCommand(`${sock}.${pid}`, 'show info\n');
    const csv = (await socketCommand(`${sock}.${pid}`, 'show stat\n')).split('\n');
    const header = csv[0]!.replace(/^# /, '').split(',');
    const row = csv.find((l) => l.startsWith('web,FRONTEND,'))!.split(',');
    out.push({ info: Number(/^Process_num: (\d+)$/m.exec(info)?.[1]), csv: row[header.indexOf('pid')]! });
  }
  return out;
}

test('daemon nbproc 2: the children are process 1 and 2', async () => {
  const dir = janitor.tempDir();
  const { cfg, sock } = await rankConfig(dir, true);
  const pidfile = join(dir, 'ranks.pid');
  const run = await janitor.run(['-f', cfg, '-p', pidfile]);
  assert.equal(run.code, 0, run.stderr);
  const pids = readPids(pidfile);
  pids.forEach((p) => janitor.track(p));
  assert.equal(pids.length, 2);
  // the pidfile lists the children in start order: rank 1 first
  assert.deepEqual(await ranks(sock, pids), [
    { info: 1, csv: '1' },
    { info: 2, csv: '2' },
  ]);
});

test('master-worker nbproc 2: the workers are process 1 and 2, and so is the next generation', async () => {
  const dir = janitor.tempDir();
  const { cfg, sock } = await rankConfig(dir, false);
  const pidfile = join(dir, 'ranks.pid');
  const master = janitor.start(['-W', '-f', cfg, '-p', pidfile]);
  await waitFor('master ready', () => readPids(pidfile).length === 1);
  const sorted = (r: { info: number; csv: string }[]) => r.map((x) => `${x.info}/${x.csv}`).sort();
  const workers = await waitFor('two workers', () => (childrenOf(master.pid).length === 2 ? childrenOf(master.pid) : undefined));
  await waitFor('worker sockets', async () => (await ranks(sock, workers).catch(() => undefined)) !== undefined);
  assert.deepEqual(sorted(await ranks(sock, workers)), ['1/1', '2/2']);
  process.kill(master.pid, 'SIGUSR2');
  await master.waitStderr(/Reload complete: new workers (\d+) (\d+)\./);
  const next = /Reload complete: new workers (\d+) (\d+)\./.exec(master.stderr())!.slice(1).map(Number);
  await waitFor('new worker sockets', async () => (await ranks(sock, next).catch(() => undefined)) !== undefined);
  assert.deepEqual(sorted(await ranks(sock, next)), ['1/1', '2/2']);
  process.kill(master.pid, 'SIGTERM');
  await master.exited;
});
