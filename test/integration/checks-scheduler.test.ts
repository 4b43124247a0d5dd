// The check scheduler against real loopback targets: request bytes, first-check spread, rise/fall
// with a target that stops and starts answering, `port`/`addr`, hung checks, maintenance, stop().
// Timing assertions are coarse lower bounds or orderings only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startChecks } from '../../src/checks/scheduler.js';
import { LOG_ALERT, LOG_EMERG, LOG_NOTICE } from '../../src/log/types.js';
import { httpCheck, proxyConfig, serverConfig, TestProxy } from '../support/checks-fakes.js';
import { CheckTarget, freePort, sleep, waitFor } from '../support/checks-targets.js';

const at = (port: number, host = '127.0.0.1') => ({ host, family: 4 as const, port: { kind: 'absolute' as const, port } });

test('httpchk sends exactly the configured bytes, every inter, one connection per check', async (t) => {
  const target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 200 OK\r\n\r\n', close: true }).listen();
  const px = new TestProxy(
    proxyConfig('webfarm', [serverConfig('webA', { address: at(target.port), interMs: 100 })], {
      httpCheck: httpCheck('HEAD', '/running', 'HTTP/1.0'),
    }),
  );
  const checks = startChecks(px);
  t.after(async () => {
    checks.stop();
    await target.close();
  });
  assert.ok(await waitFor(() => target.arrivals.length >= 3, 3000), 'three checks within 3 s');
  for (const a of target.arrivals.slice(0, 3)) assert.equal(a.received.toString('latin1'), 'HEAD /running HTTP/1.0\r\n\r\n');
  assert.equal(px.servers[0]?.state, 'UP');
  assert.ok(px.servers[0]?.statuses.every((s) => s === 'L7OK'));
  assert.deepEqual(px.lines, [], 'no state change, nothing logged');
});

test('first checks are spread: inter + mininter*pos/nbchk, in declaration order', async (t) => {
  const targets = await Promise.all([0, 1, 2, 3].map(() => new CheckTarget({ kind: 'accept' }).listen()));
  const servers = targets.map((tg, i) => serverConfig(`s${i}`, { address: at(tg.port), interMs: 400 }));
  const px = new TestProxy(proxyConfig('spread', servers));
  const t0 = performance.now();
  const checks = startChecks(px);
  t.after(async () => {
    checks.stop();
    await Promise.all(targets.map((tg) => tg.close()));
  });
  assert.ok(await waitFor(() => targets.every((tg) => tg.arrivals.length >= 1), 3000));
  const firsts = targets.map((tg) => (tg.arrivals[0]?.atMs ?? 0) - t0);
  console.log(`first check arrivals (ms after start; expected 400, 500, 600, 700): ${firsts.map((f) => f.toFixed(0)).join(', ')}`);
  // legacy 1.1 fired all first checks at once at startup: the first one must wait at least inter.
  assert.ok(firsts[0]! >= 390, `first check after ${firsts[0]} ms, not before inter`);
  for (let i = 1; i < 4; i++) {
    assert.ok(firsts[i]! > firsts[i - 1]!, 'declaration order');
    assert.ok(firsts[i]! - firsts[0]! >= 100 * i - 10, `server ${i} at least ${100 * i} ms after the first`);
  }
});

test('rise/fall: a fresh server falls at the first failure; later fall failures and rise successes', async (t) => {
  const port = await freePort();
  let target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 200 OK\r\n\r\n', close: true }).listen('127.0.0.1', port);
  const px = new TestProxy(
    proxyConfig('webfarm', [serverConfig('webA', { address: at(port), interMs: 60, rise: 2, fall: 3 }), serverConfig('webB', { check: false })], {
      httpCheck: httpCheck(),
    }),
  );
  const webA = px.servers[0]!;
  const checks = startChecks(px);
  t.after(async () => {
    checks.stop();
    await target.close();
  });
  assert.ok(await waitFor(() => webA.statuses.length >= 3, 3000));
  assert.equal(webA.state, 'UP');

  // Stop answering: refused. Healthy server → exactly `fall` failures to go DOWN.
  await target.close();
  assert.ok(await waitFor(() => webA.state === 'DOWN', 3000), 'DOWN after the target stopped');
  const okBefore = webA.statuses.lastIndexOf('L7OK');
  assert.equal(webA.statuses.length - 1 - okBefore, 3, `fall 3: ${webA.statuses.join(',')}`);
  const down = 'Server webfarm/webA is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  assert.deepEqual(px.lines, [
    { via: 'stderr-warning', level: undefined, text: down },
    { via: 'syslog', level: LOG_ALERT, text: down },
  ]);

  // Answer 404 for a while: still DOWN (an HTTP answer that is not 2xx/3xx is a failure).
  target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 404 Not Found\r\n\r\n', close: true }).listen('127.0.0.1', port);
  assert.ok(await waitFor(() => webA.statuses.filter((s) => s === 'L7STS').length >= 3, 3000));
  assert.equal(webA.state, 'DOWN');
  await target.close();

  // Answer again: `rise` consecutive successes bring it UP.
  target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 200 OK\r\n\r\n', close: true }).listen('127.0.0.1', port);
  const before = webA.statuses.length;
  assert.ok(await waitFor(() => webA.state === 'UP', 3000), 'UP again');
  assert.deepEqual(webA.statuses.slice(before), ['L7OK', 'L7OK'], 'rise 2');
  const up = 'Server webfarm/webA is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.';
  assert.deepEqual(px.lines.slice(2), [
    { via: 'stderr-warning', level: undefined, text: up },
    { via: 'syslog', level: LOG_NOTICE, text: up },
  ]);
});

test('a fresh server whose target is dead goes DOWN at its first check; the last one raises the emergency', async (t) => {
  const deadPort = await freePort();
  const px = new TestProxy(
    proxyConfig('lonely', [
      serverConfig('web', { address: at(deadPort), interMs: 50, fall: 3 }),
      serverConfig('bkp', { address: at(deadPort), interMs: 50, backup: true }),
    ]),
  );
  const checks = startChecks(px);
  t.after(() => checks.stop());
  assert.ok(await waitFor(() => px.servers.every((s) => s.state === 'DOWN'), 3000));
  assert.deepEqual(px.servers.map((s) => s.statuses.indexOf('L4CON')), [0, 0], 'DOWN at the first failure');
  assert.deepEqual(px.texts('syslog'), [
    'Server lonely/web is DOWN. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.',
    'Backup Server lonely/bkp is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    'Proxy lonely has no server available !',
  ]);
  assert.deepEqual(px.lines.filter((l) => l.via === 'syslog').map((l) => l.level), [LOG_ALERT, LOG_ALERT, LOG_EMERG]);
  assert.deepEqual(px.texts('stderr-alert'), ['Proxy lonely has no server available !']);
});

test('port and addr redirect the check away from the service address', async (t) => {
  const servicePort = await freePort(); // nothing listens on the service port
  const onPort = await new CheckTarget({ kind: 'accept' }).listen('127.0.0.1');
  const onAddr = await new CheckTarget({ kind: 'accept' }).listen('127.0.0.2');
  const px = new TestProxy(
    proxyConfig('redir', [
      serverConfig('byPort', { address: at(servicePort), checkPort: onPort.port, interMs: 50 }),
      serverConfig('byAddr', { address: at(servicePort, '127.0.0.1'), checkAddr: '127.0.0.2', checkPort: onAddr.port, interMs: 50 }),
      serverConfig('mapped', { address: { host: '127.0.0.1', family: 4, port: { kind: 'mapped', offset: 0 } }, checkPort: onPort.port, interMs: 50 }),
    ]),
  );
  const checks = startChecks(px);
  t.after(async () => {
    checks.stop();
    await Promise.all([onPort.close(), onAddr.close()]);
  });
  assert.ok(await waitFor(() => px.servers.every((s) => s.statuses.length >= 3), 3000));
  assert.deepEqual(px.servers.map((s) => s.state), ['UP', 'UP', 'UP']);
  assert.ok(px.servers.every((s) => s.statuses.every((st) => st === 'L4OK')));
  assert.ok(onAddr.arrivals.length >= 3, 'addr: the check went to 127.0.0.2');
  assert.ok(onPort.arrivals.length >= 6, 'port: both port-redirected servers were checked there');
});

test('a hung check times out after inter, the next one starts inter later, never two at once', async (t) => {
  const target = await new CheckTarget({ kind: 'hang' }).listen();
  let open = 0;
  let maxOpen = 0;
  const px = new TestProxy(proxyConfig('hang', [serverConfig('s', { address: at(target.port), interMs: 150 })], { httpCheck: httpCheck() }));
  const checks = startChecks(px);
  // Count open check connections from the checker's side: an arrival stays open until the probe closes it.
  const timer = setInterval(() => {
    open = target.arrivals.length - px.servers[0]!.statuses.length;
    maxOpen = Math.max(maxOpen, open);
  }, 5);
  t.after(async () => {
    clearInterval(timer);
    checks.stop();
    await target.close();
  });
  assert.ok(await waitFor(() => target.arrivals.length >= 3, 5000));
  const s = px.servers[0]!;
  assert.equal(s.state, 'DOWN');
  assert.ok(s.statuses.every((st) => st === 'L7TOUT'), s.statuses.join(','));
  const gaps = target.arrivals.slice(1, 3).map((a, i) => a.atMs - target.arrivals[i]!.atMs);
  console.log(`hung-check spacing (ms, inter 150, expected ~300): ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  assert.ok(gaps.every((g) => g >= 2 * 150 - 10), 'timeout (inter) + inter between check starts');
  assert.ok(maxOpen <= 1, `at most one check in flight, saw ${maxOpen}`);
});

test('servers in maintenance are not checked; checks resume when it ends', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  const px = new TestProxy(proxyConfig('maint', [serverConfig('s', { address: at(target.port), interMs: 40 })]));
  px.servers[0]!.setMaintenance(true);
  const checks = startChecks(px);
  t.after(async () => {
    checks.stop();
    await target.close();
  });
  await sleep(300);
  assert.equal(target.arrivals.length, 0);
  px.servers[0]!.setMaintenance(false);
  assert.ok(await waitFor(() => target.arrivals.length >= 2, 2000));
});

test('stop() clears every timer and aborts the check in flight; a disabled proxy gets no checks', async (t) => {
  const target = await new CheckTarget({ kind: 'hang' }).listen();
  t.after(() => target.close());
  const px = new TestProxy(proxyConfig('stop', [serverConfig('s', { address: at(target.port), interMs: 60 })], { httpCheck: httpCheck() }));
  const checks = startChecks(px);
  assert.ok(await waitFor(() => target.arrivals.length >= 1, 2000));
  checks.stop();
  checks.stop(); // idempotent
  const n = target.arrivals.length;
  const statuses = px.servers[0]!.statuses.length;
  await sleep(300);
  assert.equal(target.arrivals.length, n, 'no check after stop');
  assert.equal(px.servers[0]!.statuses.length, statuses, 'the aborted check reported nothing');

  const disabled = new TestProxy(proxyConfig('off', [serverConfig('s', { address: at(target.port), interMs: 20 })], { enabled: false }));
  const none = startChecks(disabled);
  await sleep(150);
  none.stop();
  assert.equal(target.arrivals.length, n);
});

test('two schedulers (a reload) share nothing: stopping the old one leaves the new one running', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  const cfg = proxyConfig('reload', [serverConfig('s', { address: at(target.port), interMs: 40 })]);
  const oldPx = new TestProxy(cfg);
  const newPx = new TestProxy(cfg);
  const oldChecks = startChecks(oldPx);
  const newChecks = startChecks(newPx);
  t.after(async () => {
    oldChecks.stop();
    newChecks.stop();
    await target.close();
  });
  assert.ok(await waitFor(() => oldPx.servers[0]!.statuses.length >= 1 && newPx.servers[0]!.statuses.length >= 1, 2000));
  oldChecks.stop();
  const oldCount = oldPx.servers[0]!.statuses.length;
  const newCount = newPx.servers[0]!.statuses.length;
  await sleep(250);
  assert.equal(oldPx.servers[0]!.statuses.length, oldCount);
  assert.ok(newPx.servers[0]!.statuses.length >= newCount + 2);
});
