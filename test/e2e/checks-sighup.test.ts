// bin/tsproxy as a real process: state changes on stderr in HAProxy's line format, silenced by
// `quiet` but still sent to syslog; SIGHUP dumps every server's state to stderr and syslog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckTarget, freePort, sleep } from '../support/checks-targets.js';
import { TsproxyProcess, waitForListening } from '../support/checks-guide.js';
import { startSyslogReceiver } from '../support/syslog.js';

test('stderr state lines, then a SIGHUP dump on stderr and syslog (notice)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-sighup-'));
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  const syslog = await startSyslogReceiver();
  const deadPort = await freePort();
  const lbPort = await freePort();
  const cfg = join(dir, 'hup.cfg');
  writeFileSync(
    cfg,
    `
listen web 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    log 127.0.0.1:${syslog.port} local0
    server alive 127.0.0.1:${target.port} check inter 50
    server dead 127.0.0.1:${deadPort} check inter 50
    server spare 127.0.0.1:${target.port} check inter 50 backup
`,
  );
  const lb = TsproxyProcess.start(['-f', cfg]);
  t.after(async () => {
    await lb.stop();
    await target.close();
    await syslog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(await waitForListening('127.0.0.1', lbPort, 5000), lb.stderrLines.join('\n'));
  const down = 'Server web/dead is DOWN. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  assert.equal(await lb.waitForMessage((m) => m === down, 3000), down);
  const line = lb.stderrLines.find((l) => l.endsWith(down));
  assert.match(line ?? '', new RegExp(`^\\[WARNING\\] \\d{3}/\\d{6} \\(${lb.child.pid}\\) : Server web/dead is DOWN\\.`));

  await sleep(100); // let the good checks land too
  lb.child.kill('SIGHUP');
  // The readiness probe above was one session: `tot` counts may be 0 or 1.
  const dump = [
    /^SIGHUP received, dumping servers states for proxy web\.$/,
    /^SIGHUP: Server web\/alive is UP\. Conn: 0 act, 0 pend, [01] tot\.$/,
    /^SIGHUP: Server web\/dead is DOWN\. Conn: 0 act, 0 pend, 0 tot\.$/,
    /^SIGHUP: Server web\/spare is UP\. Conn: 0 act, 0 pend, [01] tot\.$/,
    /^SIGHUP: Proxy web has 1 active servers and 1 backup servers available\. Conn: 0 act, 0 pend \(0 unass\), 1 tot\.$/,
  ];
  const summary = dump[4]!;
  assert.ok(await lb.waitForMessage((m) => summary.test(m), 3000), lb.stderrLines.join('\n'));
  const messages = lb.messages();
  const at = messages.findIndex((m) => dump[0]!.test(m));
  assert.ok(at >= 0);
  dump.forEach((re, i) => assert.match(messages[at + i] ?? '', re));
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && !syslog.messages().some((m) => m.includes('SIGHUP: Proxy web'))) await sleep(20);
  for (const re of dump) {
    const m = syslog.messages().find((x) => re.test(x.slice(x.indexOf(': ') + 2).replace(/\n$/, '')));
    assert.ok(m?.startsWith('<133>'), `syslog notice (local0) for ${re}: ${m}`);
  }
  assert.ok(syslog.messages().some((m) => m.startsWith('<129>') && m.endsWith(`: ${down}\n`)), 'DOWN at alert in syslog');
  assert.equal(lb.child.exitCode, null, 'SIGHUP does not stop the process');
});

test('quiet: no state line on stderr, syslog still gets it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-quiet-'));
  const syslog = await startSyslogReceiver();
  const deadPort = await freePort();
  const lbPort = await freePort();
  const cfg = join(dir, 'quiet.cfg');
  writeFileSync(
    cfg,
    `
global
    quiet
listen web 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    log 127.0.0.1:${syslog.port} local0
    server dead 127.0.0.1:${deadPort} check inter 50
`,
  );
  const lb = TsproxyProcess.start(['-f', cfg]);
  t.after(async () => {
    await lb.stop();
    await syslog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(await waitForListening('127.0.0.1', lbPort, 5000), lb.stderrLines.join('\n'));
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && !syslog.messages().some((m) => m.includes('has no server available'))) await sleep(20);
  assert.ok(syslog.messages().some((m) => m.startsWith('<129>') && m.includes('Server web/dead is DOWN.')));
  assert.ok(syslog.messages().some((m) => m.startsWith('<128>') && m.endsWith(': Proxy web has no server available !\n')));
  await sleep(100);
  assert.deepEqual(lb.messages().filter((m) => m.includes('web/dead') || m.includes('no server')), [], 'quiet: nothing on stderr');
});
