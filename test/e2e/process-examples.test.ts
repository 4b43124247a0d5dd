// The shipped service files, run for real where this machine allows: the SysV init script drives
// a daemon through start, reload (-sf, under load), status, graceful-stop; keepalived accepts the
// example configuration; the systemd unit keeps its essential lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { BIN, isAlive, readPids, ROOT, waitFor, writeConfig } from '../support/process-harness.js';
import { processSuite } from '../support/process-suite.js';
import { get, runLoad } from '../support/process-load.js';

const { janitor, backend } = processSuite();

function sh(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('/bin/sh', [script, ...args], { env: { ...process.env, ...env }, timeout: 30000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    janitor.track(child.pid);
  });
}

test('examples/init.d/tsproxy: start, reload under load, status, graceful-stop', async () => {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(
    dir,
    'tsproxy.cfg',
    `listen web\n    bind 127.0.0.1:${port}\n    mode tcp\n    balance roundrobin\n    contimeout 2000\n    clitimeout 10000\n    srvtimeout 10000\n    server s1 127.0.0.1:${backend.port}\n`,
  );
  const pidfile = join(dir, 'tsproxy.pid');
  // the script runs `$DAEMON` directly: a wrapper with this Node
  const daemon = writeConfig(dir, 'tsproxy', `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await new Promise<void>((r) => execFile('chmod', ['+x', daemon], () => r()));
  const script = join(ROOT, 'examples', 'init.d', 'tsproxy');
  const env = { DAEMON: daemon, CONFIG: cfg, PIDFILE: pidfile };

  const start = await sh(script, ['start'], env);
  assert.equal(start.code, 0, start.stderr);
  const first = readPids(pidfile);
  first.forEach((p) => janitor.track(p));
  assert.equal(first.length, 1);
  assert.equal((await get(port)).status, 200);

  const load = runLoad(port, { maxRequests: 200000, concurrency: 4, expectBodyPrefix: 'ok b1' });
  let reload;
  try {
    await waitFor('load running', () => load.completed() > 100);
    reload = await sh(script, ['reload'], env);
    readPids(pidfile).forEach((p) => janitor.track(p));
    const target = load.completed() + 200;
    await waitFor('load after reload', () => load.completed() >= target);
  } finally {
    load.stop();
  }
  assert.equal(reload.code, 0, reload.stderr);
  const result = await load.done;
  assert.deepEqual(result.errors, []);
  const second = readPids(pidfile);
  assert.notDeepEqual(second, first);
  await waitFor('old daemon gone', () => first.every((p) => !isAlive(p)));

  const status = await sh(script, ['status'], env);
  assert.equal(status.code, 0);
  assert.match(status.stdout, new RegExp(`tsproxy is running: ${second[0]}`));

  // a broken file: reload refuses, the daemon keeps serving
  writeConfig(dir, 'tsproxy.cfg', 'listen web\n    nonsense here\n');
  const bad = await sh(script, ['reload'], env);
  assert.notEqual(bad.code, 0);
  assert.deepEqual(readPids(pidfile), second);
  assert.equal((await get(port)).status, 200);

  const stop = await sh(script, ['graceful-stop'], env);
  assert.equal(stop.code, 0);
  await waitFor('daemon gone', () => second.every((p) => !isAlive(p)));
  await waitFor('pidfile removed', () => !existsSync(pidfile));
  const after = await sh(script, ['status'], env);
  assert.equal(after.code, 3);
});

test('examples/keepalived/keepalived.conf passes keepalived --config-test', { skip: !existsSync('/usr/sbin/keepalived') && 'keepalived not installed' }, async () => {
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile('/usr/sbin/keepalived', ['--config-test', '-f', join(ROOT, 'examples', 'keepalived', 'keepalived.conf')], (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, out: stdout + stderr }),
    ),
  );
  assert.equal(r.code, 0, r.out);
  assert.match(readFileSync(join(ROOT, 'examples', 'keepalived', 'keepalived.conf'), 'utf8'), /script "\/usr\/bin\/killall -0 tsproxy"/);
});

test('examples/systemd/tsproxy.service: check before start and reload, SIGUSR2 reload, restart, clean SIGTERM', () => {
  const unit = readFileSync(join(ROOT, 'examples', 'systemd', 'tsproxy.service'), 'utf8');
  const lines = unit.split('\n').filter((l) => !l.startsWith('#'));
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), String(re));
  has(/^ExecStartPre=\/usr\/bin\/tsproxy -f \$\{CONFIG\} -c -q$/);
  has(/^ExecStart=\/usr\/bin\/tsproxy -W -f \$\{CONFIG\} -p \$\{PIDFILE\}/);
  has(/^ExecReload=\/usr\/bin\/tsproxy -f \$\{CONFIG\} -c -q$/);
  has(/^ExecReload=\/bin\/kill -USR2 \$MAINPID$/);
  has(/^Restart=always$/);
  has(/^SuccessExitStatus=143$/);
  has(/^KillMode=mixed$/);
  has(/^LimitNOFILE=\d+$/);
  // the reload check must come before the signal
  const check = lines.findIndex((l) => l.startsWith('ExecReload=') && l.includes('-c'));
  const usr2 = lines.findIndex((l) => l.includes('-USR2'));
  assert.ok(check >= 0 && check < usr2);
});
