// The check scheduler inside the real runtime, against real loopback targets: request bytes,
// first-check spread, rise/fall with a target that stops and starts answering, `port`/`addr`,
// hung checks, maintenance, stop and reload. Timing assertions are coarse lower bounds or orderings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { LOG_ALERT, LOG_EMERG, LOG_NOTICE } from '../../src/log/types.js';
import { CheckTarget, freePort, sleep, waitFor } from '../support/checks-targets.js';
import { startCheckedRuntime } from '../support/checks-runtime.js';

const ok200 = { kind: 'reply' as const, bytes: 'HTTP/1.0 200 OK\r\n\r\n', close: true };

test('httpchk sends exactly the configured bytes (escapes included), every inter, nothing logged while healthy', async (t) => {
  const target = await new CheckTarget(ok200).listen();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen webfarm 127.0.0.1:${lbPort}
    mode http
    balance roundrobin
    option httpchk HEAD /running HTTP/1.1\\r\\nHost:\\ www
    server webA 127.0.0.1:${target.port} check inter 100
`);
  t.after(async () => {
    rt.stop();
    await target.close();
  });
  // a check connection is recorded on accept; its bytes follow: wait for the fourth connection so
  // that the first three have had their request written in full
  assert.ok(await waitFor(() => target.arrivals.length >= 4, 3000), 'four checks within 3 s');
  for (const a of target.arrivals.slice(0, 3)) assert.equal(a.received.toString('latin1'), 'HEAD /running HTTP/1.1\r\nHost: www\r\n\r\n');
  const s = rt.runtime.proxy('webfarm')!.servers[0]!;
  assert.deepEqual([s.state, s.checkStatus], ['UP', 'L7OK']);
  assert.deepEqual(rt.stderrLines(), [], 'no state change, nothing on stderr');
});

test('first checks are spread: inter + mininter*pos/nbchk, in declaration order (backups included)', async (t) => {
  const targets = await Promise.all([0, 1, 2, 3].map(() => new CheckTarget({ kind: 'accept' }).listen()));
  const lbPort = await freePort();
  const t0 = performance.now();
  const rt = await startCheckedRuntime(`
listen spread 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    server s0 127.0.0.1:${targets[0]!.port} check inter 400
    server s1 127.0.0.1:${targets[1]!.port} check inter 400
    server nocheck 127.0.0.1:1
    server s2 127.0.0.1:${targets[2]!.port} check inter 400
    server s3 127.0.0.1:${targets[3]!.port} check inter 400 backup
`);
  t.after(async () => {
    rt.stop();
    await Promise.all(targets.map((tg) => tg.close()));
  });
  assert.ok(await waitFor(() => targets.every((tg) => tg.arrivals.length >= 1), 3000));
  const firsts = targets.map((tg) => tg.arrivals[0]!.atMs - t0);
  console.log(`first check arrivals (ms after start; expected 400, 500, 600, 700): ${firsts.map((f) => f.toFixed(0)).join(', ')}`);
  // Timers never fire early: each first check arrives no sooner than inter + 100*pos (legacy 1.1
  // fired every first check at once at startup), in declaration order.
  for (let i = 0; i < 4; i++) {
    assert.ok(firsts[i]! >= 400 + 100 * i - 5, `server ${i} first checked after ${firsts[i]} ms, not before ${400 + 100 * i}`);
    if (i > 0) assert.ok(firsts[i]! > firsts[i - 1]!, 'declaration order');
  }
});

test('rise/fall: fall consecutive failures take a healthy server DOWN, rise successes bring it UP', async (t) => {
  const target = await new CheckTarget(ok200).listen();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen webfarm 127.0.0.1:${lbPort}
    mode http
    balance roundrobin
    option httpchk
    server webA 127.0.0.1:${target.port} check inter 80 rise 2 fall 3
    server webB 127.0.0.1:1
`);
  t.after(async () => {
    rt.stop();
    await target.close();
  });
  const webA = rt.runtime.proxy('webfarm')!.servers[0]!;
  assert.ok(await waitFor(() => target.arrivals.length >= 2, 3000));
  assert.equal(webA.state, 'UP');

  // The target starts answering 404: exactly `fall` failed checks, then DOWN.
  target.behaviour = { kind: 'reply', bytes: 'HTTP/1.0 404 Not Found\r\n\r\n', close: true };
  const before = target.arrivals.length;
  assert.ok(await waitFor(() => webA.state === 'DOWN', 3000), 'DOWN');
  assert.equal(webA.checkStatus, 'L7STS');
  const down = 'Server webfarm/webA is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  const checksBefore = (message: string, from: number) =>
    target.arrivals.slice(from).filter((a) => a.atMs < (rt.processLog.timesMs.get(message) ?? Infinity)).length;
  assert.equal(checksBefore(down, before), 3, 'fall 3: three failed checks, then DOWN');
  assert.deepEqual(rt.stderrLines(), [{ via: 'stderr-warning', level: undefined, text: down }]);
  assert.deepEqual(rt.sent.filter((l) => l.message.startsWith('Server')), [{ proxy: 'webfarm', level: LOG_ALERT, message: down }]);

  // A success between failures does not bring it back (rise 2 needs two in a row).
  let n = 0;
  target.behaviour = {
    kind: 'custom',
    onData: (s) => {
      s.end(n++ % 2 === 0 ? 'HTTP/1.0 200 OK\r\n\r\n' : 'HTTP/1.0 500 Oops\r\n\r\n');
    },
  };
  assert.ok(await waitFor(() => n >= 5, 3000));
  assert.equal(webA.state, 'DOWN', 'alternating results never reach rise 2');

  // Then two failures (counter back to 0), then healthy again: `rise` successes, then UP.
  target.behaviour = { kind: 'reply', bytes: 'HTTP/1.0 503 Busy\r\n\r\n', close: true };
  const beforeFails = target.arrivals.length;
  assert.ok(await waitFor(() => target.arrivals.length >= beforeFails + 2, 3000));
  target.behaviour = ok200;
  const beforeUp = target.arrivals.length;
  assert.ok(await waitFor(() => webA.state === 'UP', 3000), 'UP again');
  const up = 'Server webfarm/webA is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.';
  assert.equal(checksBefore(up, beforeUp), 2, 'rise 2: two good checks, then UP');
  assert.deepEqual(rt.stderrLines().slice(1), [{ via: 'stderr-warning', level: undefined, text: up }]);
  assert.deepEqual(rt.sent.filter((l) => l.message.startsWith('Server'))[1], { proxy: 'webfarm', level: LOG_NOTICE, message: up });
});

test('a fresh server goes DOWN at its first failed check, whatever fall says', async (t) => {
  const target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 404 Not Found\r\n\r\n', close: true }).listen();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen fresh 127.0.0.1:${lbPort}
    mode http
    balance roundrobin
    option httpchk
    server s 127.0.0.1:${target.port} check inter 300 fall 3
    server other 127.0.0.1:1
`);
  t.after(async () => {
    rt.stop();
    await target.close();
  });
  const s = rt.runtime.proxy('fresh')!.servers[0]!;
  assert.ok(await waitFor(() => s.state === 'DOWN', 3000));
  const down = 'Server fresh/s is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  assert.deepEqual(rt.stderr('warning'), [down]);
  const downAt = rt.processLog.timesMs.get(down)!;
  assert.equal(target.arrivals.filter((a) => a.atMs < downAt).length, 1, 'one failed check was enough');
});

test('a fresh server whose target is dead goes DOWN at its first check; the last one raises the emergency', async (t) => {
  const deadPort = await freePort();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen lonely 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    server web 127.0.0.1:${deadPort} check inter 50 fall 3
    server bkp 127.0.0.1:${deadPort} check inter 50 backup
`);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('lonely')!;
  assert.ok(await waitFor(() => px.servers.every((s) => s.state === 'DOWN'), 3000));
  assert.deepEqual(px.servers.map((s) => s.checkStatus), ['L4CON', 'L4CON']);
  const syslog = rt.sent.filter((l) => !l.message.endsWith('started.'));
  assert.deepEqual(syslog, [
    { proxy: 'lonely', level: LOG_ALERT, message: 'Server lonely/web is DOWN. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.' },
    { proxy: 'lonely', level: LOG_ALERT, message: 'Backup Server lonely/bkp is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.' },
    { proxy: 'lonely', level: LOG_EMERG, message: 'Proxy lonely has no server available !' },
  ]);
  assert.deepEqual(rt.stderr('alert'), ['Proxy lonely has no server available !']);
  assert.deepEqual(rt.stderr('warning'), syslog.slice(0, 2).map((l) => l.message));
});

test('port and addr redirect the check away from the service address; source sets its origin', async (t) => {
  const servicePort = await freePort(); // nothing listens on the service port
  const onPort = await new CheckTarget({ kind: 'accept' }).listen('127.0.0.1');
  const onAddr = await new CheckTarget({ kind: 'accept' }).listen('127.0.0.2');
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen redir 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    source 127.0.0.7
    server byPort 127.0.0.1:${servicePort} check port ${onPort.port} inter 50
    server byAddr 127.0.0.1:${servicePort} check addr 127.0.0.2 port ${onAddr.port} inter 50 source 127.0.0.5
    server mapped 127.0.0.1 check port ${onPort.port} inter 50
`);
  t.after(async () => {
    rt.stop();
    await Promise.all([onPort.close(), onAddr.close()]);
  });
  assert.ok(await waitFor(() => onAddr.arrivals.length >= 3 && onPort.arrivals.length >= 6, 3000));
  const px = rt.runtime.proxy('redir')!;
  assert.deepEqual(px.servers.map((s) => [s.state, s.checkStatus]), [['UP', 'L4OK'], ['UP', 'L4OK'], ['UP', 'L4OK']]);
  assert.ok(onAddr.arrivals.every((a) => a.remoteAddress === '127.0.0.5'), 'server source wins');
  assert.ok(onPort.arrivals.every((a) => a.remoteAddress === '127.0.0.7'), 'else the proxy source');
  assert.deepEqual(rt.stderrLines(), []);
});

test('a hung check times out after inter, the next starts inter later, never two at once', async (t) => {
  const target = await new CheckTarget({ kind: 'hang' }).listen();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen hang 127.0.0.1:${lbPort}
    mode http
    balance roundrobin
    option httpchk
    server s 127.0.0.1:${target.port} check inter 150
`);
  t.after(async () => {
    rt.stop();
    await target.close();
  });
  assert.ok(await waitFor(() => target.arrivals.length >= 3, 5000));
  const s = rt.runtime.proxy('hang')!.servers[0]!;
  assert.deepEqual([s.state, s.checkStatus], ['DOWN', 'L7TOUT']);
  const gaps = target.arrivals.slice(1, 3).map((a, i) => a.atMs - target.arrivals[i]!.atMs);
  console.log(`hung-check spacing (ms, inter 150, expected ~300): ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  assert.ok(gaps.every((g) => g >= 2 * 150 - 10), 'timeout (inter) + inter between check starts');
  assert.equal(target.maxOpen, 1, 'at most one check connection open at a time');
});

test('servers in maintenance are not checked; checks resume when it ends', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen maint 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    server s 127.0.0.1:${target.port} check inter 40
`);
  t.after(async () => {
    rt.stop();
    await target.close();
  });
  const s = rt.runtime.proxy('maint')!.servers[0]!;
  s.setMaintenance(true); // before the first check (due after inter)
  await sleep(300);
  assert.equal(target.arrivals.length, 0);
  s.setMaintenance(false);
  assert.ok(await waitFor(() => target.arrivals.length >= 2, 2000));
});

test('stop() aborts the check in flight; a disabled proxy gets no checks; old and new runtimes share nothing', async (t) => {
  const target = await new CheckTarget({ kind: 'hang' }).listen();
  t.after(() => target.close());
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const cfg = (port: number, name: string, extra = '') => `
listen ${name} 127.0.0.1:${port}
    mode http
    balance roundrobin
    option httpchk
    ${extra}
    server s 127.0.0.1:${target.port} check inter 60
`;
  const old = await startCheckedRuntime(cfg(p1, 'old'));
  const off = await startCheckedRuntime(cfg(p3, 'off', 'disabled'));
  assert.ok(await waitFor(() => target.arrivals.length >= 1 && target.openNow === 1, 2000));
  const fresh = await startCheckedRuntime(cfg(p2, 'fresh'));
  t.after(() => {
    old.stop();
    fresh.stop();
    off.stop();
  });
  old.stop();
  assert.ok(await waitFor(() => target.openNow === 0, 1000), 'the in-flight check of the stopped runtime was closed');
  const oldLines = old.stderrLines().length;
  const arrivals = target.arrivals.length;
  assert.ok(await waitFor(() => target.arrivals.length >= arrivals + 2, 3000), 'the new runtime keeps checking');
  assert.equal(old.stderrLines().length, oldLines, 'the stopped runtime reports nothing more');
  assert.equal(fresh.runtime.proxy('fresh')!.servers[0]!.state, 'DOWN');
  assert.equal(off.runtime.proxies.length, 0, 'a disabled proxy is not built, hence not checked');
});
