// The guide's section 2 for real: two load balancers running tsproxy and keepalived (VRRP)
// share a virtual address in front of three web servers, all in network namespaces joined by a
// bridge in a namespace of its own (test/support/netns-lab.ts). Each load balancer also has its
// own PID namespace, so keepalived's `killall -0 tsproxy` sees only its own host's tsproxy.
// Shown: the backup binds the VIP before holding it (net.ipv4.ip_nonlocal_bind=1); the VIP
// answers through the master; killing the master's tsproxy, unplugging the master, or stopping
// its keepalived moves the VIP to the backup within seconds; a -sf reload of the master does not;
// and a client holding a SERVERID cookie (section 1's insert mode, port 80) or a prefixed
// application cookie (section 2's `cookie JSESSIONID prefix`, port 81) stays on its web server
// across every failover (persistence lives in the cookie, not in the balancer).
// Linux + root + iproute2 + keepalived + psmisc; skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT, labUnavailableReason, NetnsLab, TSPROXY_BIN, type LabClient, type LabProcess } from '../support/netns-lab.js';
import { adaptKeepalivedConf, keepalivedSource } from '../support/netns-keepalived.js';

const reason = labUnavailableReason(['keepalived', 'killall']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NET = '10.213.0';
const VIP = `${NET}.1`;
const LB = { lb1: `${NET}.3`, lb2: `${NET}.4` } as const;
const WEB = { A: `${NET}.11`, B: `${NET}.12`, C: `${NET}.13` } as const;
const CLIENT = `${NET}.100`;
/** Every wait for keepalived is bounded by this; the measured times are reported. */
const FAILOVER_LIMIT_MS = 15_000;

function tsproxyConfig(): string {
  // The guide's section 2 flavour with the cookie of section 1 (SERVERID insert), on the lab's addresses.
  const servers = Object.entries(WEB)
    .map(([letter, addr]) => `    server web${letter} ${addr}:80 cookie ${letter} check inter 1000`)
    .join('\n');
  // Port 81: the guide's section 2 exactly, the application's JSESSIONID prefixed with the server.
  return `listen webfarm ${VIP}:80
    mode http
    balance roundrobin
    cookie SERVERID insert indirect
    option httpclose
    option forwardfor
    option httpchk HEAD /index.html HTTP/1.0
    contimeout 3000
    clitimeout 10000
    srvtimeout 10000
${servers}

listen appfarm ${VIP}:81
    mode http
    balance roundrobin
    cookie JSESSIONID prefix
    option httpclose
    option forwardfor
    option httpchk HEAD /index.html HTTP/1.0
    contimeout 3000
    clitimeout 10000
    srvtimeout 10000
${servers}
`;
}

test('keepalived pair: VIP on the master, failover to the backup, cookie persistence across it', { skip: reason ? `HA namespace test skipped: ${reason}` : false, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-ha-'));
  const lab = NetnsLab.create('v');
  t.after(async () => {
    const problems = await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'the lab is torn down completely');
  });
  const timings: Record<string, number> = {};

  // --- the network: lb1, lb2 (own PID namespaces), three web servers, a client.
  await lab.addHost('lb1', [`${LB.lb1}/24`], { pidNamespace: true, sysctls: { 'net.ipv4.ip_nonlocal_bind': '1' } });
  await lab.addHost('lb2', [`${LB.lb2}/24`], { pidNamespace: true });
  for (const [letter, addr] of Object.entries(WEB)) await lab.addHost(`web${letter}`, [`${addr}/24`]);
  await lab.addHost('client', [`${CLIENT}/24`]);
  const webs: Record<string, LabProcess> = {};
  for (const letter of Object.keys(WEB)) webs[letter] = await lab.agent(`web${letter}`, `web${letter}`, ['http-backend', letter, '80']);
  const client: LabClient = await lab.client('client');

  // --- ip_nonlocal_bind: without it the backup cannot bind an address it does not hold.
  const probe = await lab.start('lb2', 'bind-probe@lb2', [process.execPath, AGENT, 'bind-probe', VIP, '80']);
  await probe.until(() => probe.events.some((e) => e.ev === 'bind'), 10_000);
  assert.deepEqual(probe.events.find((e) => e.ev === 'bind'), { ev: 'bind', ok: false, code: 'EADDRNOTAVAIL' }, 'without ip_nonlocal_bind the VIP cannot be bound');
  const cfg = join(dir, 'webfarm.cfg');
  writeFileSync(cfg, tsproxyConfig());
  // What an operator sees when the sysctl is missing (the after-reboot trap): tsproxy refuses to start.
  const refused = await lab.start('lb2', 'tsproxy-without-sysctl@lb2', [process.execPath, TSPROXY_BIN, '-f', cfg]);
  await refused.until(() => refused.exit !== null, 10_000);
  assert.equal(refused.exit?.code, 1, `tsproxy exits 1 when it cannot bind the VIP:\n${refused.output}`);
  assert.match(refused.stderr, /cannot bind socket \[10\.213\.0\.1:80\]/);
  assert.equal(lab.run('lb2', ['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']).code, 0);

  // --- tsproxy on both load balancers, both bound to the VIP that neither holds yet.
  const proxies: Record<string, LabProcess> = {};
  const startProxy = async (lb: 'lb1' | 'lb2'): Promise<LabProcess> => {
    const p = await lab.start(lb, `tsproxy@${lb}`, [process.execPath, TSPROXY_BIN, '-f', cfg]);
    let listening = false;
    for (let i = 0; i < 100 && !listening && p.exit === null; i++) {
      const out = lab.run(lb, ['ss', '-Htln']).stdout;
      listening = out.includes(`${VIP}:80`) && out.includes(`${VIP}:81`);
      if (!listening) await sleep(100);
    }
    assert.ok(listening, `tsproxy on ${lb} listens on ${VIP}:80 and :81 (exit ${JSON.stringify(p.exit)}):\n${p.output}`);
    return p;
  };
  proxies.lb1 = await startProxy('lb1');
  proxies.lb2 = await startProxy('lb2');
  assert.ok(!lab.hasAddress('lb2', VIP) && !lab.hasAddress('lb1', VIP), 'the VIP is bound before anyone holds it');

  // --- keepalived on both, from the shipped example adapted to the lab.
  const source = keepalivedSource();
  t.diagnostic(`keepalived configuration from ${source.path}`);
  const keepalived: Record<string, LabProcess> = {};
  const startKeepalived = async (lb: 'lb1' | 'lb2'): Promise<LabProcess> => {
    const self = LB[lb];
    const peer = lb === 'lb1' ? LB.lb2 : LB.lb1;
    const conf = join(dir, `keepalived-${lb}.conf`);
    writeFileSync(conf, adaptKeepalivedConf(source.text, { state: lb === 'lb1' ? 'MASTER' : 'BACKUP', priority: lb === 'lb1' ? 101 : 100, iface: 'eth0', vip: `${VIP}/24`, selfAddress: self, peerAddresses: [peer] }));
    // -n foreground, -l log to stdout, -P VRRP only, -G no syslog; pidfiles of its own (two instances, one /run).
    return lab.start(lb, `keepalived@${lb}`, ['keepalived', '-n', '-l', '-D', '-P', '-G', '-f', conf, '-p', join(dir, `${lb}.pid`), '-r', join(dir, `${lb}-vrrp.pid`)]);
  };
  const logsOnFailure = (): string => [...Object.values(keepalived), ...Object.values(proxies)].map((p) => `--- ${p.label}\n${p.output.slice(-4000)}`).join('\n');
  const waitFor = async (what: string, check: () => boolean): Promise<number> => {
    const start = Date.now();
    for (let i = 0; i < FAILOVER_LIMIT_MS / 100 && !check(); i++) await sleep(100);
    assert.ok(check(), `${what}: not within ${FAILOVER_LIMIT_MS} ms\n${logsOnFailure()}`);
    return Date.now() - start;
  };
  const holder = (): string => (lab.hasAddress('lb1', VIP) ? 'lb1' : '') + (lab.hasAddress('lb2', VIP) ? 'lb2' : '');

  keepalived.lb1 = await startKeepalived('lb1');
  keepalived.lb2 = await startKeepalived('lb2');
  timings['first election'] = await waitFor('lb1 becomes master', () => holder() === 'lb1');

  // Which web server got a request, and from which load balancer (the address it came from).
  const getsOf = (web: LabProcess) => web.events.filter((e) => e.ev === 'req' && e.method === 'GET');
  const getThroughVip = async (cookie?: string, port = 80, path = '/') => {
    const before = Object.fromEntries(Object.entries(webs).map(([l, w]) => [l, getsOf(w).length]));
    const answer = await client.http(VIP, port, cookie ? { Cookie: cookie } : {}, 2000, path);
    let seen = null as { server: string; from: string } | null;
    let request = null as Record<string, unknown> | null;
    for (let i = 0; i < 300 && !seen && answer.status === 200; i++) {
      for (const [l, w] of Object.entries(webs)) {
        const list = getsOf(w);
        if (list.length > (before[l] ?? 0)) {
          request = list[list.length - 1] ?? null;
          seen = { server: l, from: String(request?.from) };
        }
      }
      if (!seen) await sleep(10);
    }
    return { answer, seen, request };
  };
  /** Retries (bounded) until the VIP answers 200 again; returns the time it took. */
  const untilServed = async (cookie: string): Promise<{ ms: number; answer: Awaited<ReturnType<typeof getThroughVip>> }> => {
    const start = Date.now();
    for (let i = 0; i < 60; i++) {
      const r = await getThroughVip(cookie);
      if (r.answer.status === 200) return { ms: Date.now() - start, answer: r };
      if (Date.now() - start > FAILOVER_LIMIT_MS) break;
      await sleep(100);
    }
    assert.fail(`the VIP did not answer again within ${FAILOVER_LIMIT_MS} ms\n${logsOnFailure()}`);
  };

  // --- the VIP answers through the master; the first answer carries the SERVERID cookie.
  const first = await getThroughVip();
  assert.equal(first.answer.status, 200, `VIP answers: ${JSON.stringify(first.answer)}\n${logsOnFailure()}`);
  const setCookie = ([] as string[]).concat(first.answer.headers?.['set-cookie'] ?? []);
  const letter = /^SERVERID=([ABC])/.exec(setCookie[0] ?? '')?.[1];
  assert.ok(letter, `tsproxy inserted SERVERID: ${JSON.stringify(first.answer.headers)}`);
  const cookie = `SERVERID=${letter}`;
  assert.deepEqual(first.seen, { server: letter, from: LB.lb1 }, 'served by the cookie\'s server, through the master lb1');

  const checkPersistence = (r: Awaited<ReturnType<typeof getThroughVip>>, via: string, when: string): void => {
    const expected = r.answer.status === 200 && r.answer.headers?.['x-served-by'] === letter && r.answer.headers?.['set-cookie'] === undefined && r.seen?.server === letter && r.seen?.from === via;
    if (!expected) t.diagnostic(`${when}: unexpected ${JSON.stringify(r)}\n${logsOnFailure()}`);
    assert.equal(r.answer.status, 200, when);
    assert.equal(r.answer.headers?.['x-served-by'], letter, `${when}: the client stays on web${letter}`);
    assert.equal(r.answer.headers?.['set-cookie'], undefined, `${when}: no new cookie`);
    assert.deepEqual(r.seen, { server: letter, from: via }, `${when}: forwarded by ${via}`);
  };

  // The guide's section 2 on port 81: the application sets JSESSIONID, tsproxy prefixes it with
  // the server's cookie value; the client sends it back prefixed, the server gets its own value back.
  const app = await getThroughVip(undefined, 81, '/app');
  assert.equal(app.answer.status, 200, `appfarm answers: ${JSON.stringify(app.answer)}`);
  const appCookie = /^JSESSIONID=([ABC])~([^;]+)/.exec(([] as string[]).concat(app.answer.headers?.['set-cookie'] ?? [])[0] ?? '');
  assert.ok(appCookie, `JSESSIONID prefixed with the server: ${JSON.stringify(app.answer.headers)}`);
  const [, appLetter, appSession] = appCookie;
  assert.deepEqual(app.seen, { server: appLetter, from: LB.lb1 });
  const checkApp = async (via: string, when: string): Promise<void> => {
    const r = await getThroughVip(`JSESSIONID=${appLetter}~${appSession}`, 81, '/app');
    assert.equal(r.answer.status, 200, `${when} (JSESSIONID): ${JSON.stringify(r.answer)}`);
    assert.equal(r.answer.headers?.['x-served-by'], appLetter, `${when}: the application session stays on web${appLetter}`);
    assert.equal(r.answer.headers?.['set-cookie'], undefined, `${when}: no new session`);
    assert.deepEqual(r.seen, { server: appLetter, from: via }, `${when}: forwarded by ${via}`);
    assert.equal(r.request?.cookie, `JSESSIONID=${appSession}`, `${when}: the server gets its own cookie back, without the prefix`);
    assert.equal(r.request?.xff, CLIENT, `${when}: X-Forwarded-For names the client`);
  };
  await checkApp(LB.lb1, 'before any failover');

  // --- 0. a hot reload of the master (-sf) is not a failover: a tsproxy runs at every moment.
  const oldProxy = proxies.lb1;
  const reloaded = await lab.start('lb1', 'tsproxy(reloaded)@lb1', [process.execPath, TSPROXY_BIN, '-f', cfg, '-sf', String(NetnsLab.pidInside(oldProxy.pid))]);
  let moves = 0;
  let gaps = 0; // samples where keepalived's `killall -0 tsproxy` would have found nothing
  for (let i = 0; i < 80 && oldProxy.exit === null; i++) {
    if (holder() !== 'lb1') moves++;
    if (lab.pidsInHost('lb1', 'tsproxy').length === 0) gaps++;
    await sleep(50);
  }
  assert.ok(oldProxy.exit !== null, `the old tsproxy finished after -sf:\n${reloaded.output}\n${oldProxy.output}`);
  for (let i = 0; i < 25; i++) {
    // keepalived's check interval and a few adverts: the VIP must not move.
    if (holder() !== 'lb1') moves++;
    await sleep(100);
  }
  assert.equal(gaps, 0, 'a tsproxy process ran on lb1 at every moment of the reload');
  assert.equal(moves, 0, 'the VIP stayed on lb1 during the reload');
  assert.ok(reloaded.alive(), `the new tsproxy runs:\n${reloaded.output}`);
  proxies.lb1 = reloaded;
  checkPersistence((await untilServed(cookie)).answer, LB.lb1, 'after a reload of lb1');
  await checkApp(LB.lb1, 'after a reload of lb1');

  // --- 1. kill the master's tsproxy: the vrrp_script fails, the backup takes the VIP.
  const lb1Pids = lab.pidsInHost('lb1', 'tsproxy');
  assert.deepEqual(lb1Pids, [proxies.lb1.pid], 'lb1 runs one tsproxy (named so in the kernel), and killall -0 sees it');
  assert.equal(lab.run('lb1', ['killall', '-0', 'tsproxy']).code, 0);
  proxies.lb1.kill('SIGKILL');
  await proxies.lb1.exited;
  assert.notEqual(lab.run('lb1', ['killall', '-0', 'tsproxy']).code, 0, 'lb1\'s killall no longer finds a tsproxy (lb2\'s is invisible to it)');
  timings['tsproxy killed: VIP on lb2'] = await waitFor('VIP moves to lb2 after tsproxy dies on lb1', () => holder() === 'lb2');
  const afterKill = await untilServed(cookie);
  checkPersistence(afterKill.answer, LB.lb2, 'after lb1\'s tsproxy died');
  await checkApp(LB.lb2, 'after lb1\'s tsproxy died');

  // Back to normal: tsproxy again on lb1, which takes the VIP back (higher priority, preemption).
  proxies.lb1 = await startProxy('lb1');
  timings['tsproxy restarted: VIP back on lb1'] = await waitFor('VIP back on lb1', () => holder() === 'lb1');
  checkPersistence((await untilServed(cookie)).answer, LB.lb1, 'back on lb1');
  await checkApp(LB.lb1, 'back on lb1');

  // --- 2. unplug the master: lb2 stops hearing adverts and takes over.
  lab.setLink('lb1', false);
  timings['lb1 unplugged: VIP on lb2'] = await waitFor('VIP on lb2 after lb1 vanished', () => lab.hasAddress('lb2', VIP));
  const afterUnplug = await untilServed(cookie);
  checkPersistence(afterUnplug.answer, LB.lb2, 'after lb1 vanished');
  await checkApp(LB.lb2, 'after lb1 vanished');
  lab.setLink('lb1', true);
  timings['lb1 plugged back: VIP back on lb1'] = await waitFor('VIP only on lb1 again', () => holder() === 'lb1');
  checkPersistence((await untilServed(cookie)).answer, LB.lb1, 'lb1 back on the network');
  await checkApp(LB.lb1, 'lb1 back on the network');

  // --- 3. stop the master's keepalived: it hands over at once (priority 0 advert).
  keepalived.lb1.kill('SIGTERM');
  await keepalived.lb1.until(() => keepalived.lb1?.exit !== null, 10_000);
  timings['keepalived stopped: VIP on lb2'] = await waitFor('VIP on lb2 after keepalived stopped on lb1', () => holder() === 'lb2');
  checkPersistence((await untilServed(cookie)).answer, LB.lb2, 'after lb1\'s keepalived stopped');
  await checkApp(LB.lb2, 'after lb1\'s keepalived stopped');

  const report = Object.entries(timings).map(([k, v]) => `${k}: ${v} ms`).join('; ');
  t.diagnostic(`measured: ${report}; first answers after failover: ${afterKill.ms} ms (tsproxy killed), ${afterUnplug.ms} ms (unplugged)`);
});
