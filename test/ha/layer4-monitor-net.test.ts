// The guide's sections 2.1 and 2.2: two tsproxy nodes behind an external layer-4 balancer that
// checks them. This kernel has no IPVS, so a tsproxy in `mode tcp` with TCP checks plays the
// Alteon, in the namespace lab (test/support/netns-lab.ts).
//
// 2.2 (generic TCP relaying + monitor-net): the balancer checks each node from its monitoring
// address 10.213.0.252; the nodes say `monitor-net 10.213.0.252/31`, so those checks are closed at
// once: never forwarded to the TSE farm, never logged. An Alteon forwards client traffic with the
// client's own address; a proxy cannot, so the balancer forwards from a second address (.250) and
// only its checks leave from .252 (they go to a port kept for monitoring, `check port 3390`, and a
// policy route on that port picks the source address). Same split as the guide: monitoring
// systems on one small network, service traffic from elsewhere.
// 2.1 (HTTP nodes, TCP checks, dontlognull): the balancer's plain TCP checks on port 80 carry no
// data, so the nodes neither forward them (no request) nor log them (dontlognull). The guide's
// note on 2.1: HTTP checks from the balancer need `monitor-net` on the nodes, which then answer
// `HTTP/1.0 200 OK` themselves; shown by a third service checked with `option httpchk`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUnavailableReason, NetnsLab, TSPROXY_BIN, type LabProcess } from '../support/netns-lab.js';

const reason = labUnavailableReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NET = '10.213.0';
const VIP = `${NET}.1`;
const L4_SERVICE = `${NET}.250`;
const L4_MONITOR = `${NET}.252`;
const NODES = { lb1: `${NET}.3`, lb2: `${NET}.4` } as const;
const TSE_FARM = `${NET}.10`;
const WEB = { A: `${NET}.11`, B: `${NET}.12` } as const;
const LOGGER = `${NET}.200`;
const CLIENT = `${NET}.100`;
const MONITOR_PORT = 3390;
/** The monitoring port of the HTTP nodes, for the balancer's HTTP checks. */
const HTTP_MONITOR_PORT = 3391;
const L4_CHECK_URI = '/l4-check';

function nodeConfig(): string {
  return `# a node, as in the guide's sections 2.2 (tse-proxy) and 2.1 (webfarm)
listen tse-proxy
    bind :3389,:${MONITOR_PORT}
    mode tcp
    balance roundrobin
    log ${LOGGER} local0
    option tcplog
    contimeout 3000
    clitimeout 10000
    srvtimeout 10000
    server tse-farm ${TSE_FARM}:3389
    monitor-net ${L4_MONITOR}/31

listen webfarm 0.0.0.0:80
    bind :${HTTP_MONITOR_PORT}
    mode http
    monitor-net ${L4_MONITOR}/31
    balance roundrobin
    log ${LOGGER} local0
    cookie JSESSIONID prefix
    option httpclose
    option forwardfor
    option httplog
    option dontlognull
    option httpchk HEAD /index.html HTTP/1.0
    contimeout 3000
    clitimeout 10000
    srvtimeout 10000
    server webA ${WEB.A}:80 cookie A check inter 1000
    server webB ${WEB.B}:80 cookie B check inter 1000
`;
}

function balancerConfig(): string {
  const servers = (port: number, check: string) =>
    Object.entries(NODES)
      .map(([name, addr]) => `    server ${name} ${addr}:${port} check ${check}inter 500 fall 2 rise 1`)
      .join('\n');
  return `# the external layer-4 balancer (the guide's Alteon), played by tsproxy in mode tcp
listen l4-tse ${VIP}:3389
    mode tcp
    balance roundrobin
    log ${LOGGER} local0
    contimeout 2000
    clitimeout 10000
    srvtimeout 10000
${servers(3389, `port ${MONITOR_PORT} `)}

listen l4-web ${VIP}:80
    mode tcp
    balance roundrobin
    log ${LOGGER} local0
    contimeout 2000
    clitimeout 10000
    srvtimeout 10000
${servers(80, '')}

listen l4-web-httpchk ${VIP}:8080
    mode tcp
    balance roundrobin
    log ${LOGGER} local0
    option httpchk HEAD ${L4_CHECK_URI} HTTP/1.0
    contimeout 2000
    clitimeout 10000
    srvtimeout 10000
${servers(80, `port ${HTTP_MONITOR_PORT} `)}
`;
}

test('layer-4 balancer in front of two nodes: monitor-net and dontlognull keep its checks away', { skip: reason ? `HA namespace test skipped: ${reason}` : false, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-l4-'));
  const lab = NetnsLab.create('l');
  t.after(async () => {
    const problems = await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'the lab is torn down completely');
  });

  await lab.addHost('l4', [`${L4_SERVICE}/24`, `${L4_MONITOR}/24`, `${VIP}/24`]);
  // Checks (to the monitoring port) leave from .252; everything else from the primary .250.
  for (const argv of [
    ['ip', 'rule', 'add', 'pref', '100', 'ipproto', 'tcp', 'dport', `${MONITOR_PORT}-${HTTP_MONITOR_PORT}`, 'lookup', '100'],
    ['ip', 'route', 'add', `${NET}.0/24`, 'dev', 'eth0', 'src', L4_MONITOR, 'table', '100'],
  ]) {
    const r = lab.run('l4', argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
  assert.match(lab.run('l4', ['ip', 'route', 'get', NODES.lb1, 'ipproto', 'tcp', 'dport', String(MONITOR_PORT)]).stdout, new RegExp(`src ${L4_MONITOR.replace(/\./g, '\\.')} `));
  assert.match(lab.run('l4', ['ip', 'route', 'get', NODES.lb1, 'ipproto', 'tcp', 'dport', '3389']).stdout, new RegExp(`src ${L4_SERVICE.replace(/\./g, '\\.')} `));
  for (const [name, addr] of Object.entries(NODES)) await lab.addHost(name, [`${addr}/24`]);
  await lab.addHost('tse', [`${TSE_FARM}/24`]);
  for (const [letter, addr] of Object.entries(WEB)) await lab.addHost(`web${letter}`, [`${addr}/24`]);
  await lab.addHost('logger', [`${LOGGER}/24`]);
  await lab.addHost('client', [`${CLIENT}/24`]);

  const tse = await lab.agent('tse', 'tse-farm', ['tcp-backend', 'TSE', '3389']);
  const webs: Record<string, LabProcess> = {};
  for (const letter of Object.keys(WEB)) webs[letter] = await lab.agent(`web${letter}`, `web${letter}`, ['http-backend', letter, '80']);
  const syslog = await lab.agent('logger', 'syslog', ['syslog', '514']);
  const client = await lab.client('client');

  const nodeCfg = join(dir, 'node.cfg');
  const l4Cfg = join(dir, 'l4.cfg');
  writeFileSync(nodeCfg, nodeConfig());
  writeFileSync(l4Cfg, balancerConfig());
  const procs: LabProcess[] = [];
  const startProxy = async (host: string, cfg: string, ports: readonly string[]): Promise<LabProcess> => {
    const p = await lab.start(host, `tsproxy@${host}`, [process.execPath, TSPROXY_BIN, '-f', cfg]);
    procs.push(p);
    let ok = false;
    for (let i = 0; i < 100 && !ok && p.exit === null; i++) {
      const out = lab.run(host, ['ss', '-Htln']).stdout;
      ok = ports.every((port) => out.includes(port));
      if (!ok) await sleep(100);
    }
    assert.ok(ok, `tsproxy on ${host} listens on ${ports.join(', ')} (exit ${JSON.stringify(p.exit)}):\n${p.output}`);
    return p;
  };
  const nodes: Record<string, LabProcess> = {};
  for (const name of Object.keys(NODES)) nodes[name] = await startProxy(name, nodeCfg, [':3389', `:${MONITOR_PORT}`, ':80', `:${HTTP_MONITOR_PORT}`]);
  const l4 = await startProxy('l4', l4Cfg, [`${VIP}:3389`, `${VIP}:80`, `${VIP}:8080`]);
  const diagnostics = (): string => [...procs, syslog].map((p) => `--- ${p.label}\n${p.output.slice(-3000)}`).join('\n');

  // Let the balancer check each node a few times (inter 500 ms) before any client traffic.
  await sleep(2500);
  assert.ok(l4.alive() && nodes.lb1?.alive() && nodes.lb2?.alive(), diagnostics());
  const conns = (p: LabProcess, from?: string) => p.events.filter((e) => e.ev === 'conn' && (from === undefined || e.from === from)).length;
  const gets = () => Object.values(webs).reduce((n, w) => n + w.events.filter((e) => e.ev === 'req' && e.method === 'GET').length, 0);
  assert.equal(conns(tse), 0, 'no check of the balancer reached the TSE farm');
  assert.equal(gets(), 0, 'no check of the balancer reached a web server');
  const l4Lines = () => syslog.events.filter((e) => e.ev === 'syslog' && e.from === L4_SERVICE).map((e) => String(e.msg));
  // The balancer's HTTP checks got the nodes' monitor-net answer (HTTP/1.0 200 OK): no node went DOWN.
  assert.deepEqual(l4Lines().filter((l) => /is DOWN/.test(l)), [], 'the balancer sees both nodes healthy');
  const l4ChecksSeen = () => Object.values(webs).reduce((n, w) => n + w.events.filter((e) => e.ev === 'req' && e.url === L4_CHECK_URI).length, 0);
  assert.equal(l4ChecksSeen(), 0, 'the balancer\'s HTTP checks never reached a web server');

  // --- 2.2: TCP sessions through the balancer reach the farm through both nodes.
  for (let i = 0; i < 4; i++) {
    const r = await client.tcp(VIP, 3389, `ping-${i}\n`);
    assert.equal(r.data, `TSE\nping-${i}\n`, `session ${i} relayed: ${JSON.stringify(r)}\n${diagnostics()}`);
  }
  assert.equal(conns(tse), 4, 'exactly the four client sessions reached the farm');
  assert.equal(conns(tse, NODES.lb1) + conns(tse, NODES.lb2), 4);
  assert.ok(conns(tse, NODES.lb1) > 0 && conns(tse, NODES.lb2) > 0, 'the balancer spread them over both nodes');

  // --- 2.1: HTTP requests through the balancer; the nodes add X-Forwarded-For of their client (the balancer).
  for (let i = 0; i < 4; i++) {
    const r = await client.http(VIP, 80);
    assert.equal(r.status, 200, `request ${i}: ${JSON.stringify(r)}`);
  }
  assert.equal(gets(), 4, 'exactly the four client requests reached the web servers');
  for (const w of Object.values(webs)) {
    for (const e of w.events.filter((x) => x.ev === 'req' && x.method === 'GET')) assert.equal(e.xff, L4_SERVICE);
  }

  // --- the nodes' logs: one line per client session/request, none for the balancer's checks.
  const nodeLines = () => syslog.events.filter((e) => e.ev === 'syslog' && (e.from === NODES.lb1 || e.from === NODES.lb2)).map((e) => String(e.msg));
  // Traffic lines (tcplog/httplog) read `client:port [date] <proxy> <server> …`; other lines are events.
  const count = (name: string) => nodeLines().filter((l) => l.includes(`] ${name} `)).length;
  await syslog.until(() => count('tse-proxy') >= 4 && count('webfarm') >= 4, 5000);
  await sleep(1500); // more checks go by: none of them may add a line
  assert.equal(count('tse-proxy'), 4, `one tcplog line per session:\n${nodeLines().join('\n')}`);
  assert.equal(count('webfarm'), 4, `one httplog line per request:\n${nodeLines().join('\n')}`);
  for (const line of nodeLines()) assert.ok(!line.includes(`${NET}.252`) && !line.includes(`${NET}.253`), `no node logs the monitoring network: ${line}`);
  assert.equal(conns(tse), 4, 'still no check forwarded to the farm');

  // --- the balancer's checks do reach the nodes: a node whose tsproxy dies is taken out.
  nodes.lb1?.kill('SIGKILL');
  const down = await syslog.until(() => l4Lines().some((l) => /l4-tse\/lb1 is DOWN/.test(l)), 10_000);
  assert.ok(down, `the balancer saw lb1 DOWN:\n${l4Lines().join('\n')}\n${diagnostics()}`);
  const before = conns(tse, NODES.lb2);
  for (let i = 0; i < 4; i++) {
    const r = await client.tcp(VIP, 3389, `again-${i}\n`);
    assert.equal(r.data, `TSE\nagain-${i}\n`, `session ${i} after lb1 died: ${JSON.stringify(r)}`);
  }
  assert.equal(conns(tse, NODES.lb2) - before, 4, 'every new session went through lb2');
  assert.equal(conns(tse), 8, 'only client sessions ever reached the farm');
  // The HTTP-checked service also saw lb1 go, and its checks never reached a server.
  await syslog.until(() => l4Lines().some((l) => /l4-web-httpchk\/lb1 is DOWN/.test(l)), 10_000);
  assert.ok(l4Lines().some((l) => /l4-web-httpchk\/lb1 is DOWN/.test(l)), l4Lines().join('\n'));
  assert.ok(!l4Lines().some((l) => /lb2 is DOWN/.test(l)), 'lb2 stays UP for the balancer');
  assert.equal(l4ChecksSeen(), 0);
});
