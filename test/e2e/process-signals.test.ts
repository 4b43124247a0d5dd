// The signals of spec §13 on a real foreground bin/tsproxy: SIGUSR1 soft stop (in-flight
// responses finish, grace keeps accepting), SIGTTOU/SIGTTIN pause and resume, SIGHUP dump,
// SIGTERM/SIGINT immediate stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { connectOutcome, isAlive, waitFor, waitForPort, writeConfig, type TsproxyProcess } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';

const { janitor, backend } = processSuite();

async function startProxy(extra = ''): Promise<{ p: TsproxyProcess; port: number }> {
  const dir = janitor.tempDir();
  const port = await freePort();
  const cfg = writeConfig(dir, 'sig.cfg', webConfig(port, backend.port, { timeoutMs: 20000, listen: extra, server: 'check inter 500' }));
  const p = janitor.start(['-f', cfg]);
  await waitForPort(port);
  return { p, port };
}

test('SIGUSR1: listeners close at once, a slow in-flight response still completes, exit 0', async () => {
  const { p, port } = await startProxy();
  const before = backend.received();
  const slow = get(port, '/slow?ms=1500');
  // the request is in flight at the backend before the signal
  await waitFor('request in flight', () => backend.received() > before);
  process.kill(p.pid, 'SIGUSR1');
  await p.waitStderr(/Proxy web stopped\./);
  assert.match(p.stderr(), /\[WARNING\] .* : Stopping proxy web in 0 ms\./);
  // no grace: new connections are refused while the old one runs
  assert.equal(await connectOutcome(port), 'ECONNREFUSED');
  assert.ok(isAlive(p.pid), 'process stays until its last session ends');
  const answer = await slow;
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'ok b1\n');
  const exit = await p.exited;
  assert.equal(exit.code, 0);
});

test('grace: after SIGUSR1 the proxy keeps accepting for `grace` ms, then stops', async () => {
  const { p, port } = await startProxy('    grace 1500\n');
  process.kill(p.pid, 'SIGUSR1');
  await p.waitStderr(/Stopping proxy web in 1500 ms\./);
  // still serving during the grace period
  for (let i = 0; i < 5; i++) assert.equal((await get(port)).status, 200);
  assert.doesNotMatch(p.stderr(), /Proxy web stopped\./);
  await p.waitStderr(/Proxy web stopped\./, 5000);
  assert.equal(await connectOutcome(port), 'ECONNREFUSED');
  const exit = await p.exited;
  assert.equal(exit.code, 0);
});

test('SIGTTOU pauses (port released, connections refused), SIGTTIN resumes', async () => {
  const { p, port } = await startProxy();
  assert.equal((await get(port)).status, 200);
  process.kill(p.pid, 'SIGTTOU');
  await p.waitStderr(/Pausing proxy web\./);
  await waitFor('port refused', async () => (await connectOutcome(port)) === 'ECONNREFUSED');
  assert.ok(isAlive(p.pid));
  process.kill(p.pid, 'SIGTTIN');
  await p.waitStderr(/Enabling proxy web\./);
  await waitForPort(port, 5000);
  assert.equal((await get(port)).status, 200);
  process.kill(p.pid, 'SIGUSR1');
  assert.equal((await p.exited).code, 0);
});

test('SIGHUP dumps every server state on stderr and keeps serving', async () => {
  const { p, port } = await startProxy();
  process.kill(p.pid, 'SIGHUP');
  await p.waitStderr(/SIGHUP: Proxy web has 1 active servers and 0 backup servers available\./);
  assert.match(p.stderr(), /SIGHUP received, dumping servers states for proxy web\./);
  assert.match(p.stderr(), /SIGHUP: Server web\/s1 is UP\. Conn: 0 act, 0 pend, \d+ tot\./);
  assert.equal((await get(port)).status, 200);
  process.kill(p.pid, 'SIGTERM');
  await p.exited;
});

test('SIGTERM and SIGINT: immediate stop, killed by the signal, a running session is cut', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { p, port } = await startProxy();
    const before = backend.received();
    const slow = get(port, '/slow?ms=3000').then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor('request in flight', () => backend.received() > before);
    process.kill(p.pid, signal);
    const exit = await p.exited;
    assert.equal(exit.signal, signal);
    assert.equal(await slow, 'cut');
    assert.equal(await connectOutcome(port), 'ECONNREFUSED');
  }
});

test('SIGUSR2 and SIGQUIT do not kill a lone process', async () => {
  const { p, port } = await startProxy();
  process.kill(p.pid, 'SIGUSR2');
  process.kill(p.pid, 'SIGQUIT');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(isAlive(p.pid));
  assert.equal((await get(port)).status, 200);
  process.kill(p.pid, 'SIGTERM');
  await p.exited;
});
