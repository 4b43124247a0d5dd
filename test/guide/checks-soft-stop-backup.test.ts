// Architecture guide 4.2 "Soft-stop using backup servers" with 4.2.1's forwarder, end to end:
// four web servers on 127.0.0.11-14 (the guide's 192.168.1.11-14) share one port (its port 80);
// the load balancer checks the standard servers on a second port (its port 81) that a small
// `mode tcp` tsproxy with `dispatch` forwards to the web server, started as a daemon exactly as
// 4.2.1 does, and the backup twins on the real port. `inter` is 200 ms instead of 2000 for speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, waitFor } from '../support/checks-targets.js';
import {
  get,
  GuideWebServer,
  isAlive,
  killPid,
  setCookieValue,
  startDaemon,
  TsproxyProcess,
  waitForListening,
  type GuideResponse,
} from '../support/checks-guide.js';

const LETTERS = ['A', 'B', 'C', 'D'] as const;
const HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];
const INTER_MS = 200;

/** Four web servers on the same port of four loopback addresses. */
async function startWebServers(): Promise<{ servers: GuideWebServer[]; port: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(HOSTS[0]);
    const servers: GuideWebServer[] = [];
    try {
      for (let i = 0; i < 4; i++) servers.push(await new GuideWebServer(`web${LETTERS[i]}`, undefined).listen(HOSTS[i]!, port));
      return { servers, port };
    } catch {
      await Promise.all(servers.map((s) => s.close()));
    }
  }
  throw new Error('no common free port on 127.0.0.11-14');
}

interface Sample {
  readonly cookie: string | undefined;
  readonly afterDown: boolean;
  readonly res: GuideResponse | Error;
}

test('guide 4.2 + 4.2.1: backup twins, port-81 forwarders, soft-stop without a lost request', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-guide42-'));
  const { servers, port: webPort } = await startWebServers();
  const checkPort = await freePort(HOSTS[0]);
  const lbPort = await freePort();
  const px = `127.0.0.1:${lbPort}`;
  const lbCfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    lbCfg,
    [
      `listen ${px}`,
      '   mode http',
      '   balance roundrobin',
      '   redispatch',
      '   cookie SERVERID insert indirect',
      '   option httpchk HEAD / HTTP/1.0',
      ...LETTERS.map((l, i) => `   server web${l} ${HOSTS[i]}:${webPort} cookie ${l} check port ${checkPort} inter ${INTER_MS}`),
      '',
      ...LETTERS.map((l, i) => `   server bkp${l} ${HOSTS[i]}:${webPort} cookie ${l} check port ${webPort} inter ${INTER_MS} backup`),
      '',
    ].join('\n'),
  );
  const forwarderPids = new Map<string, number>();
  const lb = TsproxyProcess.start(['-f', lbCfg]);
  t.after(async () => {
    await lb.stop();
    for (const pid of forwarderPids.values()) await killPid(pid);
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(await waitForListening('127.0.0.1', lbPort, 5000), `tsproxy listens; stderr: ${lb.stderrLines.join('\n')}`);
  const msgs = (prefix: string) => lb.messages().filter((m) => m.startsWith(prefix));

  // "When the web servers are started, only the backup servers are seen as available."
  const allStdDown = await lb.waitForMessage(() => LETTERS.every((l) => msgs(`Server ${px}/web${l} is DOWN.`).length === 1), 4 * INTER_MS + 3000);
  assert.ok(allStdDown, `standard servers DOWN at their first check; stderr:\n${lb.stderrLines.join('\n')}`);
  assert.deepEqual(msgs(`Server ${px}/webD is DOWN.`), [
    `Server ${px}/webD is DOWN. 0 active and 4 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.`,
  ]);
  // Only the first backup takes cookie-less clients (1.2.9+), and sets the cookie it shares with webA.
  for (let i = 0; i < 3; i++) {
    const res = await get('127.0.0.1', lbPort, '/');
    assert.equal(res.status, 200);
    assert.equal(res.body.trim(), 'webA');
    assert.equal(setCookieValue(res, 'SERVERID'), 'A');
  }

  // 4.2.1: a forwarder per web server, `haproxy -f /etc/haproxy/haproxy-checks.cfg` as a daemon.
  for (let i = 0; i < 4; i++) {
    const l = LETTERS[i]!;
    const pidfile = join(dir, `haproxy-checks-${l}.pid`);
    const cfg = join(dir, `haproxy-checks-${l}.cfg`);
    writeFileSync(
      cfg,
      [
        'global',
        '    daemon',
        '    quiet',
        `    pidfile ${pidfile}`,
        `listen ${HOSTS[i]}:${checkPort}`,
        '    mode tcp',
        `    dispatch ${HOSTS[i]}:${webPort}`,
        '    contimeout 1000',
        '    clitimeout 10000',
        '    srvtimeout 10000',
        '',
      ].join('\n'),
    );
    const started = await startDaemon(cfg, pidfile);
    assert.equal(started.launcherCode, 0, `forwarder ${l} launcher exit status; stderr: ${started.launcherStderr}`);
    assert.equal(started.launcherStderr, '', 'quiet daemon prints nothing');
    assert.ok(isAlive(started.pid), `forwarder ${l} runs as pid ${started.pid}`);
    forwarderPids.set(l, started.pid);
  }
  // "A few seconds later, the standard server is seen up."
  const allUp = await lb.waitForMessage(() => LETTERS.every((l) => msgs(`Server ${px}/web${l} is UP.`).length === 1), 6 * INTER_MS + 5000);
  assert.ok(allUp, `standard servers UP through the forwarders; stderr:\n${lb.stderrLines.join('\n')}`);
  assert.ok(servers.every((s) => s.checks('/').length > 0), 'checks reached the real web servers through port 81');

  // New users are balanced over the standard servers, each with its cookie.
  const firstRound = new Map<string, string | undefined>();
  for (let i = 0; i < 8; i++) {
    const res = await get('127.0.0.1', lbPort, '/');
    assert.equal(res.status, 200);
    firstRound.set(res.body.trim(), setCookieValue(res, 'SERVERID'));
  }
  assert.deepEqual([...firstRound.keys()].sort(), ['webA', 'webB', 'webC', 'webD']);

  // Maintenance of server B: stop its forwarder ("kill $(</var/run/haproxy-checks.pid)") while
  // clients with cookie B and new clients keep coming. Nobody may see an error.
  const samples: Sample[] = [];
  let downSeen = false;
  let loadDone = false;
  const load = (async () => {
    for (let i = 0; !loadDone && i < 2000; i++) {
      const cookie = i % 2 === 0 ? 'SERVERID=B' : undefined;
      const afterDown = downSeen;
      try {
        samples.push({ cookie, afterDown, res: await get('127.0.0.1', lbPort, '/', cookie) });
      } catch (err) {
        samples.push({ cookie, afterDown, res: err as Error });
      }
      await sleep(5);
    }
  })();
  await sleep(300);
  assert.ok(await killPid(forwarderPids.get('B')!), 'forwarder B stopped by SIGTERM');
  forwarderPids.delete('B');
  await lb.waitForMessage(() => msgs(`Server ${px}/webB is DOWN.`).length === 2, 6 * INTER_MS + 3000);
  const down = msgs(`Server ${px}/webB is DOWN.`)[1];
  downSeen = true;
  // Keep the load going until both kinds of clients were served a few times after the DOWN.
  const afterDownCount = (withCookie: boolean) => samples.filter((x) => x.afterDown && (x.cookie !== undefined) === withCookie).length;
  await waitFor(() => afterDownCount(true) >= 10 && afterDownCount(false) >= 10, 8000);
  loadDone = true;
  await load;
  // Sessions of the load may be running on webB at that moment: their number varies.
  assert.match(down ?? '', new RegExp(`^Server ${px.replace(/\./g, '\\.')}/webB is DOWN\\. 3 active and 4 backup servers left\\. \\d+ sessions active, 0 requeued, 0 remaining in queue\\.$`));

  const failed = samples.filter((s) => s.res instanceof Error || s.res.status !== 200);
  assert.equal(failed.length, 0, `no lost request: ${JSON.stringify(failed.slice(0, 3))}`);
  const ok = samples.map((s) => ({ ...s, res: s.res as GuideResponse }));
  const withCookie = ok.filter((s) => s.cookie !== undefined);
  const newUsersAfter = ok.filter((s) => s.cookie === undefined && s.afterDown);
  console.log(`guide 4.2 drain: ${samples.length} requests during the soft-stop, ${withCookie.length} with cookie B, ${newUsersAfter.length} new users after DOWN`);
  assert.ok(withCookie.length >= 10 && newUsersAfter.length >= 10, 'enough traffic on both sides of the DOWN');
  assert.ok(withCookie.every((s) => s.res.body.trim() === 'webB'), 'cookie-B clients stay on server B (webB, then its backup twin)');
  assert.ok(withCookie.filter((s) => s.afterDown).every((s) => setCookieValue(s.res, 'SERVERID') === undefined), 'and keep their cookie');
  assert.ok(newUsersAfter.every((s) => s.res.body.trim() !== 'webB'), 'new users avoid the soft-stopped server');

  // "/etc/init.d/httpd stop" on B: its backup twin fails too, and cookie-B clients are
  // redispatched to another server with a new cookie.
  const b = servers[1]!;
  await b.close();
  const moved = await get('127.0.0.1', lbPort, '/', 'SERVERID=B');
  assert.equal(moved.status, 200, 'redispatched, not a 503');
  assert.notEqual(moved.body.trim(), 'webB');
  const newCookie = setCookieValue(moved, 'SERVERID');
  assert.equal(`web${newCookie}`, moved.body.trim(), 'the new server sets its own cookie');
  const bkpDown = await lb.waitForMessage((m) => m.startsWith(`Backup Server ${px}/bkpB is DOWN.`), 6 * INTER_MS + 3000);
  assert.equal(bkpDown, `Backup Server ${px}/bkpB is DOWN. 3 active and 3 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`);
});
