// The pure parts of process management: mode resolution from flags + global section (spec §2,
// §4), pidfile format, user/group lookup, fd-limit warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlobalSettings } from '../../src/config/model.js';
import { resolveMode } from '../../src/cli/mode.js';
import type { RunOptions } from '../../src/cli/run-options.js';
import { formatPidfile, parsePidfile, removePidfileIfOurs, writePidfile } from '../../src/cli/pidfile.js';
import { currentFdLimit, fdLimitWarnings, getentId, lookupId, resolveIdentity } from '../../src/cli/privileges.js';
import { DEFAULT_GLOBAL } from '../support/config-model.js';

// the parser's own defaults for an empty global section
const global0: GlobalSettings = DEFAULT_GLOBAL;

const options0: RunOptions = {
  configFiles: ['x.cfg'],
  daemon: false,
  foreground: false,
  debug: false,
  quiet: false,
  verbose: false,
  pidfile: undefined,
  maxconn: undefined,
  defaultMaxconn: undefined,
  memoryLimitMb: undefined,
  finishPids: [],
  terminatePids: [],
  masterWorker: false,
};

test('mode: flags and global section combine as legacy did', () => {
  const cases: { name: string; o?: Partial<RunOptions>; g?: Partial<GlobalSettings>; kind: string; quiet: boolean; nbproc: number; warnings: RegExp[] }[] = [
    { name: 'plain', kind: 'foreground', quiet: false, nbproc: 1, warnings: [] },
    { name: '-D', o: { daemon: true, quiet: true }, kind: 'daemon', quiet: true, nbproc: 1, warnings: [] },
    { name: 'global daemon implies quiet', g: { daemon: true }, kind: 'daemon', quiet: true, nbproc: 1, warnings: [] },
    { name: '-V beats quiet', o: { verbose: true }, g: { daemon: true, quiet: true }, kind: 'daemon', quiet: false, nbproc: 1, warnings: [] },
    {
      name: 'nbproc without daemon',
      g: { nbproc: 4 },
      kind: 'foreground',
      quiet: false,
      nbproc: 1,
      warnings: [/^<nbproc> is only meaningful in daemon mode\. Setting limit to 1 process\.$/],
    },
    { name: 'nbproc with daemon', g: { nbproc: 4, daemon: true }, kind: 'daemon', quiet: true, nbproc: 4, warnings: [] },
    { name: '-db cancels daemon, quiet, nbproc silently', o: { foreground: true }, g: { nbproc: 4, daemon: true, quiet: true }, kind: 'foreground', quiet: false, nbproc: 1, warnings: [] },
    // -d cancels the configuration's daemon/quiet silently (1.2 code); from the command line, warned
    { name: '-d with daemon and quiet in the file', o: { debug: true }, g: { daemon: true, quiet: true, nbproc: 2 }, kind: 'foreground', quiet: false, nbproc: 1, warnings: [] },
    {
      name: '-d -D',
      o: { debug: true, daemon: true, quiet: true },
      kind: 'foreground',
      quiet: false,
      nbproc: 1,
      warnings: [/^<debug> mode incompatible with <quiet> and <daemon>\. Keeping <debug> only\.$/],
    },
    {
      name: 'debug and quiet both in the file',
      g: { debug: true, quiet: true },
      kind: 'foreground',
      quiet: false,
      nbproc: 1,
      warnings: [/^<debug> mode incompatible with <quiet> and <daemon>\. Keeping <debug> only\.$/],
    },
    { name: '-db -q stays quiet', o: { foreground: true, quiet: true }, g: { daemon: true }, kind: 'foreground', quiet: true, nbproc: 1, warnings: [] },
    { name: '-W', o: { masterWorker: true }, g: { nbproc: 3 }, kind: 'master', quiet: false, nbproc: 3, warnings: [] },
  ];
  for (const c of cases) {
    const mode = resolveMode({ ...options0, ...c.o }, { ...global0, ...c.g });
    assert.equal(mode.kind, c.kind, c.name);
    assert.equal(mode.quiet, c.quiet, c.name);
    assert.equal(mode.nbproc, c.nbproc, c.name);
    assert.equal(mode.warnings.length, c.warnings.length, `${c.name}: ${mode.warnings.join(' | ')}`);
    c.warnings.forEach((w, i) => assert.match(mode.warnings[i]!, w, c.name));
  }
});

test('mode: -n/-N/-p and -sf/-st', () => {
  const m = resolveMode({ ...options0, maxconn: 10, defaultMaxconn: 20, pidfile: '/a', finishPids: [3, 4] }, { ...global0, maxconn: 99, pidfile: '/b' });
  assert.equal(m.globalMaxconn, 10);
  assert.equal(m.defaultProxyMaxconn, 20);
  assert.equal(m.pidfile, '/a');
  assert.deepEqual(m.oldPids, [3, 4]);
  assert.equal(m.oldPidsHow, 'finish');
  const d = resolveMode({ ...options0, terminatePids: [5] }, { ...global0, maxconn: 99, pidfile: '/b' });
  assert.equal(d.globalMaxconn, 99);
  assert.equal(d.defaultProxyMaxconn, 2000);
  assert.equal(d.pidfile, '/b');
  assert.deepEqual(d.oldPids, [5]);
  assert.equal(d.oldPidsHow, 'terminate');
  assert.equal(resolveMode(options0, global0).globalMaxconn, 2000);
});

test('pidfile: one decimal pid per line, 0644, removed only by its own processes', async () => {
  assert.equal(formatPidfile([12, 345]), '12\n345\n');
  assert.deepEqual(parsePidfile('12\n345\n\njunk\n'), [12, 345]);
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-pidfile-'));
  try {
    const path = join(dir, 'p.pid');
    writeFileSync(path, 'old content that is longer than the new one\n');
    writePidfile(path, [process.pid]);
    assert.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
    assert.equal(statSync(path).mode & 0o777, 0o644);
    // a pidfile rewritten by a successor is left alone
    writeFileSync(path, '999999999\n');
    assert.equal(await removePidfileIfOurs(path), false);
    assert.ok(existsSync(path));
    // a live sibling (pid 1) keeps it, without our line; with only dead siblings it goes
    writeFileSync(path, `${process.pid}\n1\n`);
    assert.equal(await removePidfileIfOurs(path, 50), false);
    assert.equal(readFileSync(path, 'utf8'), '1\n');
    writeFileSync(path, `${process.pid}\n999999999\n`);
    assert.equal(await removePidfileIfOurs(path), true);
    assert.ok(!existsSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user/group names resolve from passwd/group files; numeric ids win', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
  assert.equal(lookupId(passwd, 'nobody'), 65534);
  assert.equal(lookupId(passwd, 'root'), 0);
  assert.equal(lookupId(passwd, 'nob'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-ids-'));
  try {
    const p = join(dir, 'passwd');
    const g = join(dir, 'group');
    writeFileSync(p, passwd);
    writeFileSync(g, 'nogroup:x:65534:\nhaproxy:x:120:\n');
    assert.deepEqual(resolveIdentity({ ...global0, user: 'nobody', group: 'haproxy' }, p, g), { uid: 65534, gid: 120 });
    assert.deepEqual(resolveIdentity({ ...global0, uid: 33, user: 'nobody' }, p, g), { uid: 33, gid: undefined });
    assert.deepEqual(resolveIdentity({ ...global0, uid: 0, gid: 0 }, p, g), { uid: undefined, gid: undefined });
    assert.throws(() => resolveIdentity({ ...global0, user: 'ghost' }, p, g), /cannot find user id for 'ghost'\./);
    assert.throws(() => resolveIdentity({ ...global0, group: 'ghost' }, p, g), /cannot find group id for 'ghost'\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user/group: NSS names (getent) are found at start as they are by -c', { skip: spawnSyncGetent() ? false : 'getent not available' }, () => {
  assert.equal(getentId('passwd', 'root'), 0);
  assert.equal(getentId('group', 'root'), 0);
  assert.equal(getentId('passwd', 'no-such-user-tsproxy'), undefined);
});

function spawnSyncGetent(): boolean {
  return spawnSync('getent', ['passwd', 'root'], { encoding: 'utf8' }).status === 0;
}

test('fd limit: /proc/self/limits parsing and the legacy warnings', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \n';
  assert.equal(currentFdLimit(limits), 1024);
  assert.equal(currentFdLimit('Max open files            unlimited            unlimited            files\n'), Number.POSITIVE_INFINITY);
  assert.equal(currentFdLimit('nothing here'), undefined);
  assert.ok(typeof currentFdLimit() === 'number');
  assert.deepEqual(fdLimitWarnings(undefined, 100, 1, 0, 1024), []);
  const w = fdLimitWarnings(undefined, 2000, 1, 2, 1024);
  assert.equal(w.length, 1);
  assert.equal(w[0], "[tsproxy.main()] FD limit (1024) too low for maxconn=2000/maxsock=4013. Please raise 'ulimit-n' to 4013 or more to avoid any trouble.");
  const u = fdLimitWarnings(65536, 100, 1, 0, 1024);
  assert.equal(u[0], 'Cannot raise FD limit to 65536.');
  assert.match(u[1]!, /LimitNOFILE=65536/);
});
