// Architecture guide sections 1, 2, 2.1 and 3, end to end against the real bin/tsproxy: the
// guide's configurations with loopback addresses, and every flow it draws, byte for byte at the
// client and at the servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { exchange, okReply } from '../support/http-harness.js';
import { freePort } from '../support/ports.js';
import { startSyslogReceiver } from '../support/syslog.js';
import { startFarm, startTsproxy } from '../support/http-guide.js';

const servers = (port: number, extra = '') =>
  ['A', 'B', 'C', 'D'].map((l, i) => `       server web${l} 127.0.0.1${i + 1}:${port} cookie ${l} check${extra}`).join('\n');

test('guide 1: cookie insertion — flows URI1/URI2/URI3, keep-alive analysed, dead server gets a new cookie', async (t) => {
  // servers answer in the version they were asked in
  const farm = await startFarm((l, req) => okReply(l, req, '', / HTTP\/1\.1\r\n/.test(req.head) ? '1.1' : '1.0'));
  t.after(() => farm.close());
  const port = await freePort();
  const lb = await startTsproxy(
    `    listen webfarm 127.0.0.1:${port}
       mode http
       balance roundrobin
       cookie SERVERID insert indirect
       option httpchk HEAD /index.html HTTP/1.0
${servers(farm.port)}
`,
    port,
  );
  t.after(() => lb.stop());
  // >-- GET /URI1: no cookie, load-balanced; the proxy adds the server cookie in return
  const r1 = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n');
  assert.equal(r1.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\nA:/URI1\n');
  assert.deepEqual(farm.traffic(0).map((r) => r.head), ['GET /URI1 HTTP/1.0\r\n\r\n']);
  // >-- GET /URI2 with Cookie: SERVERID=A: forwarded to A without the cookie, no cookie in return
  const r2 = await exchange(port, 'GET /URI2 HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
  assert.equal(r2.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nA:/URI2\n');
  const r3 = await exchange(port, 'GET /URI3 HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
  assert.equal(r3.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nA:/URI3\n');
  assert.deepEqual(farm.traffic(0).map((r) => r.head), ['GET /URI1 HTTP/1.0\r\n\r\n', 'GET /URI2 HTTP/1.0\r\n\r\n', 'GET /URI3 HTTP/1.0\r\n\r\n']);
  // direct requests did not advance the round robin: the next new client goes to B
  const rb = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n');
  assert.match(rb.text, /Set-Cookie: SERVERID=B; path=\/\r\n\r\nB:\/URI1\n$/);
  // "Limits": with keep-alive every request is analysed here (decision 3): the cookie is removed
  // from the second request too
  const ka = await exchange(port, 'GET /URI4 HTTP/1.1\r\nHost: h\r\nCookie: SERVERID=C; sid=1\r\n\r\nGET /URI5 HTTP/1.1\r\nHost: h\r\nCookie: SERVERID=C; sid=2\r\nConnection: close\r\n\r\n', {
    until: (s) => s.includes('C:/URI5'),
  });
  assert.match(ka.text, /C:\/URI4\n.*C:\/URI5\n$/s);
  assert.deepEqual(farm.traffic(2).map((r) => r.head), [
    'GET /URI4 HTTP/1.1\r\nHost: h\r\nCookie: sid=1\r\n\r\n',
    'GET /URI5 HTTP/1.1\r\nHost: h\r\nCookie: sid=2\r\nConnection: close\r\n\r\n',
  ]);
  // "if server webA dies, the requests will be sent to another valid server and a cookie will be
  // reassigned": once its check fails it is DOWN and cookie A is balanced with a new cookie
  await farm.servers[0]!.close();
  let moved = '';
  for (let i = 0; i < 40 && !/Set-Cookie: SERVERID=[BCD]/.test(moved); i++) {
    const r = await exchange(port, 'GET /URI6 HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
    moved = r.text;
    if (!/Set-Cookie: SERVERID=[BCD]/.test(moved)) await new Promise((res) => setTimeout(res, 250));
  }
  assert.match(moved, /^HTTP\/1\.0 200 OK\r\nContent-Length: 8\r\nSet-Cookie: SERVERID=([BCD]); path=\/\r\n\r\n\1:\/URI6\n$/);
});

test('guide 1 limits: option httpclose + option forwardfor', async (t) => {
  const farm = await startFarm((l, req) => okReply(l, req, 'Connection: keep-alive\r\n', '1.1'));
  t.after(() => farm.close());
  const port = await freePort();
  const lb = await startTsproxy(
    `    listen webfarm 127.0.0.1:${port}
       mode http
       balance roundrobin
       cookie SERVERID insert indirect
       option httpclose
       option forwardfor
${servers(farm.port)}
`,
    port,
  );
  t.after(() => lb.stop());
  const r = await exchange(port, 'GET /URI1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n', { localAddress: '127.0.0.5' });
  assert.equal(r.closed, true);
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\nA:/URI1\n');
  assert.deepEqual(farm.traffic(0).map((q) => q.head), ['GET /URI1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Forwarded-For: 127.0.0.5\r\n\r\n']);
});

function section2Farm() {
  // the application sets JSESSIONID on /URI2 only
  return startFarm((l, req) => (req.path === '/URI2' ? okReply(l, req, 'Set-Cookie: JSESSIONID=123\r\n') : okReply(l, req)));
}

const section2Config = (port: number, farmPort: number, extra = '') => `    listen webfarm 127.0.0.1:${port}
       mode http
       balance roundrobin
       cookie JSESSIONID prefix
       option httpclose
       option forwardfor
${extra}       option httpchk HEAD /index.html HTTP/1.0
${servers(farmPort)}
`;

async function section2Flows(port: number, farm: Awaited<ReturnType<typeof startFarm>>) {
  // >-- GET /URI1: no cookie, X-Forwarded-For added, "no cookie, nothing changed"
  const r1 = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n', { localAddress: '127.0.0.5' });
  assert.equal(r1.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nA:/URI1\n');
  assert.deepEqual(farm.traffic(0).map((q) => q.head), ['GET /URI1 HTTP/1.0\r\nConnection: close\r\nX-Forwarded-For: 127.0.0.5\r\n\r\n']);
  // >-- GET /URI2: possibly another server; its JSESSIONID is prefixed with the server name
  const r2 = await exchange(port, 'GET /URI2 HTTP/1.0\r\n\r\n', { localAddress: '127.0.0.5' });
  assert.equal(r2.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nSet-Cookie: JSESSIONID=B~123\r\nConnection: close\r\n\r\nB:/URI2\n');
  // >-- GET /URI3 with Cookie: JSESSIONID=B~123: to B, which sees its own cookie again
  const r3 = await exchange(port, 'GET /URI3 HTTP/1.0\r\nCookie: JSESSIONID=B~123\r\n\r\n', { localAddress: '127.0.0.5' });
  assert.equal(r3.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nB:/URI3\n');
  assert.deepEqual(farm.traffic(1).map((q) => q.head), [
    'GET /URI2 HTTP/1.0\r\nConnection: close\r\nX-Forwarded-For: 127.0.0.5\r\n\r\n',
    'GET /URI3 HTTP/1.0\r\nCookie: JSESSIONID=123\r\nConnection: close\r\nX-Forwarded-For: 127.0.0.5\r\n\r\n',
  ]);
}

test('guide 2: cookie prefixing with httpclose and forwardfor — flows URI1/URI2/URI3', async (t) => {
  const farm = await section2Farm();
  t.after(() => farm.close());
  const port = await freePort();
  const lb = await startTsproxy(section2Config(port, farm.port), port);
  t.after(() => lb.stop());
  await section2Flows(port, farm);
  // keep-alive clients: every request is rewritten (decision 3), unlike legacy
  const ka = await exchange(port, 'GET /URI4 HTTP/1.1\r\nHost: h\r\nCookie: JSESSIONID=C~9\r\n\r\n');
  assert.match(ka.text, /C:\/URI4\n$/);
  assert.deepEqual(farm.traffic(2).map((q) => q.head), ['GET /URI4 HTTP/1.1\r\nHost: h\r\nCookie: JSESSIONID=9\r\nConnection: close\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n']);
});

test('guide 2.1: behind a layer-4 balancer — httplog, dontlognull (TCP health checks not logged)', async (t) => {
  const farm = await section2Farm();
  t.after(() => farm.close());
  const syslog = await startSyslogReceiver();
  t.after(() => syslog.close());
  const port = await freePort();
  // the guide binds 0.0.0.0:80; the loopback twin binds 0.0.0.0:<port>
  const cfg = section2Config(port, farm.port, '       option httplog\n       option dontlognull\n       log 127.0.0.1:' + syslog.port + ' local0\n').replace(
    `listen webfarm 127.0.0.1:${port}`,
    `listen webfarm 0.0.0.0:${port}`,
  );
  const lb = await startTsproxy(cfg, port);
  t.after(() => lb.stop());
  await syslog.settle(300, 3000);
  syslog.clear();
  // the Alteon's "health tcp": connect and close, no data → not logged
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
  }
  await section2Flows(port, farm);
  const lines = (await syslog.waitFor(3, 5000)).filter((m) => m.includes('"GET '));
  assert.equal(lines.length, 3, lines.join('\n'));
  const re = (srv: string, flags: string, uri: string) =>
    new RegExp(`^<134>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d [^ ]+\\[\\d+\\]: 127\\.0\\.0\\.5:\\d+ \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{3})?\\] webfarm ${srv} \\d+/\\d+/\\d+/\\d+/\\d+ 200 \\d+ - - ${flags} \\d+/\\d+/\\d+ 0/0 "GET ${uri} HTTP/1\\.0"\\n$`);
  assert.match(lines[0]!, re('webA', '--NN', '/URI1'));
  assert.match(lines[1]!, re('webB', '--NR', '/URI2'));
  assert.match(lines[2]!, re('webB', '--VN', '/URI3'));
  await syslog.settle(300, 3000);
  assert.equal(syslog.messages().filter((m) => m.includes('webfarm')).length, 3, 'the TCP health checks were not logged');
});

test('guide 2.1 note: an HTTP health check from a monitor-net address is answered without forwarding nor logging', async (t) => {
  const farm = await section2Farm();
  t.after(() => farm.close());
  const syslog = await startSyslogReceiver();
  t.after(() => syslog.close());
  const port = await freePort();
  const cfg = section2Config(port, farm.port, `       option httplog\n       option dontlognull\n       monitor-net 127.0.0.8/31\n       log 127.0.0.1:${syslog.port} local0\n`);
  const lb = await startTsproxy(cfg, port);
  t.after(() => lb.stop());
  await syslog.settle(300, 3000);
  syslog.clear();
  for (const from of ['127.0.0.8', '127.0.0.9']) {
    const r = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n', { localAddress: from });
    assert.equal(r.text, 'HTTP/1.0 200 OK\r\n\r\n');
  }
  assert.equal(farm.traffic(0).length + farm.traffic(1).length + farm.traffic(2).length + farm.traffic(3).length, 0);
  // 127.0.0.10 is outside the /31 and is served normally
  const served = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n', { localAddress: '127.0.0.10' });
  assert.match(served.text, /A:\/URI1\n$/);
  const lines = await syslog.waitFor(1, 3000);
  await syslog.settle(300, 3000);
  assert.equal(syslog.messages().filter((m) => m.includes('webfarm')).length, 1, lines.join('\n'));
  assert.match(syslog.messages()[0]!, /127\.0\.0\.10:\d+ .* "GET \/URI1 HTTP\/1\.0"/);
});

test('guide 3: HTTPS offload in front — nameless listen, insert indirect nocache', async (t) => {
  const farm = await startFarm((l, req) => okReply(l, req, 'Cache-Control: public\r\n'));
  t.after(() => farm.close());
  const port = await freePort();
  const lb = await startTsproxy(
    `    listen 127.0.0.1:${port}
       mode http
       balance roundrobin
       cookie SERVERID insert indirect nocache
       option httpchk HEAD /index.html HTTP/1.0
${servers(farm.port)}
`,
    port,
  );
  t.after(() => lb.stop());
  // (apache) >-- GET /URI1: the cookie and "Cache-control: private" come back
  const r1 = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n');
  assert.equal(r1.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nCache-Control: public\r\nSet-Cookie: SERVERID=A; path=/\r\nCache-control: private\r\n\r\nA:/URI1\n');
  const r2 = await exchange(port, 'GET /URI2 HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
  assert.equal(r2.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nCache-Control: public\r\n\r\nA:/URI2\n');
  const r3 = await exchange(port, 'GET /URI3 HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
  assert.equal(r3.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nCache-Control: public\r\n\r\nA:/URI3\n');
  assert.deepEqual(farm.traffic(0).map((q) => q.head), ['GET /URI1 HTTP/1.0\r\n\r\n', 'GET /URI2 HTTP/1.0\r\n\r\n', 'GET /URI3 HTTP/1.0\r\n\r\n']);
});
