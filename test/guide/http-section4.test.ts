// Architecture guide sections 4.1 and 4.2 (soft stop), the HTTP side end to end against the
// real bin/tsproxy with the guide's configurations (loopback addresses, default timers): the
// exact requests the servers get and the exact answers (cookies) the clients get while a server
// is soft-stopped and then stopped. The check-state side is covered by checks-soft-stop-*.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, okReply, startHttpBackend, type HttpBackend } from '../support/http-harness.js';
import { freePort } from '../support/ports.js';
import { startFarm, startTsproxy, WEB_HOSTS } from '../support/http-guide.js';

const answer = (cookie?: string) => `GET /URI HTTP/1.0\r\n${cookie === undefined ? '' : `Cookie: SERVERID=${cookie}\r\n`}\r\n`;
const ok = (l: string, setCookie?: string) =>
  `HTTP/1.0 200 OK\r\nContent-Length: 7\r\n${setCookie === undefined ? '' : `Set-Cookie: SERVERID=${setCookie}; path=/\r\n`}\r\n${l}:/URI\n`;

test('guide 4.1: soft-stop with a file — persist keeps cookie holders, a stopped server redispatches them', async (t) => {
  const running = new Set(['A', 'B', 'C', 'D']);
  const farm = await startFarm(
    (l, req) => okReply(l, req),
    (l, req) => (req.path === '/running' && running.has(l) ? 'HTTP/1.0 200 OK\r\n\r\n' : 'HTTP/1.0 404 Not Found\r\n\r\n'),
  );
  t.after(() => farm.close());
  const port = await freePort();
  const lb = await startTsproxy(
    `    listen 127.0.0.1:${port}
       mode http
       balance roundrobin
       cookie SERVERID insert indirect
       option httpchk HEAD /running HTTP/1.0
${['A', 'B', 'C', 'D'].map((l, i) => `       server web${l} ${WEB_HOSTS[i]}:${farm.port} cookie ${l} check inter 2000 rise 2 fall 2`).join('\n')}
       option persist
       redispatch
       contimeout 5000
`,
    port,
  );
  t.after(() => lb.stop());
  // a new client goes to A and learns its cookie
  assert.equal((await exchange(port, answer())).text, ok('A', 'A'));
  // "rm -f /home/httpd/www/running": webA fails its checks and goes DOWN
  running.delete('A');
  await lb.process.waitStderr(/webA is DOWN/, 15000);
  // persist: the cookie holder still reaches webA, without a new cookie, its cookie hidden
  const before = farm.traffic(0).length;
  assert.equal((await exchange(port, answer('A'))).text, ok('A'));
  assert.equal(farm.traffic(0).length, before + 1);
  assert.equal(farm.traffic(0).at(-1)!.head, 'GET /URI HTTP/1.0\r\n\r\n');
  // new clients avoid the soft-stopped server
  for (let i = 0; i < 6; i++) {
    const r = await exchange(port, answer());
    assert.match(r.text, /Set-Cookie: SERVERID=([BCD]); path=\/\r\n\r\n\1:\/URI\n$/);
  }
  assert.equal(farm.traffic(0).length, before + 1);
  // "/etc/init.d/httpd stop": connections refused, the cookie holder is redispatched (decision 8)
  await farm.servers[0]!.close();
  const moved = await exchange(port, answer('A'));
  assert.match(moved.text, /^HTTP\/1\.0 200 OK\r\nContent-Length: 7\r\nSet-Cookie: SERVERID=([BCD]); path=\/\r\n\r\n\1:\/URI\n$/);
});

test('guide 4.2: backup twins sharing cookies — maintenance via the check port, then full stop', async (t) => {
  const farm = await startFarm();
  t.after(() => farm.close());
  // "port 81 redirected to port 80": one check responder per server on a common second port
  let checkPort = 0;
  let checkers: HttpBackend[] = [];
  for (let attempt = 0; attempt < 10 && checkers.length < 4; attempt++) {
    checkPort = await freePort(WEB_HOSTS[0]);
    checkers = [];
    try {
      for (const h of WEB_HOSTS) checkers.push(await startHttpBackend(`check-${h}`, () => 'HTTP/1.0 200 OK\r\n\r\n', { host: h, port: checkPort }));
    } catch {
      await Promise.all(checkers.map((c) => c.close()));
      checkers = [];
    }
  }
  assert.equal(checkers.length, 4);
  t.after(() => Promise.all(checkers.map((c) => c.close())));
  const port = await freePort();
  const lb = await startTsproxy(
    `    listen 127.0.0.1:${port}
       mode http
       balance roundrobin
       redispatch
       cookie SERVERID insert indirect
       option httpchk HEAD / HTTP/1.0
${['A', 'B', 'C', 'D'].map((l, i) => `       server web${l} ${WEB_HOSTS[i]}:${farm.port} cookie ${l} check port ${checkPort} inter 2000`).join('\n')}

${['A', 'B', 'C', 'D'].map((l, i) => `       server bkp${l} ${WEB_HOSTS[i]}:${farm.port} cookie ${l} check port ${farm.port} inter 2000 backup`).join('\n')}
`,
    port,
  );
  t.after(() => lb.stop());
  // standard servers take the new clients and set their cookies
  assert.equal((await exchange(port, answer())).text, ok('A', 'A'));
  assert.equal((await exchange(port, answer())).text, ok('B', 'B'));
  // maintenance: webA's check port stops answering → webA DOWN, bkpA (same server) still UP
  await checkers[0]!.close();
  await lb.process.waitStderr(/webA is DOWN/, 20000);
  // old clients with cookie A still reach server A through bkpA, no new cookie, cookie hidden
  const before = farm.traffic(0).length;
  assert.equal((await exchange(port, answer('A'))).text, ok('A'));
  assert.equal(farm.traffic(0).at(-1)!.head, 'GET /URI HTTP/1.0\r\n\r\n');
  // new clients go to B, C, D only
  for (let i = 0; i < 6; i++) assert.match((await exchange(port, answer())).text, /Set-Cookie: SERVERID=([BCD]); path=\/\r\n\r\n\1:\/URI\n$/);
  assert.equal(farm.traffic(0).length, before + 1);
  // "httpd stop": server A refuses; its clients are redispatched with a new cookie
  await farm.servers[0]!.close();
  const moved = await exchange(port, answer('A'));
  assert.match(moved.text, /^HTTP\/1\.0 200 OK\r\nContent-Length: 7\r\nSet-Cookie: SERVERID=([BCD]); path=\/\r\n\r\n\1:\/URI\n$/);
  // clients of B are untouched throughout
  assert.equal((await exchange(port, answer('B'))).text, ok('B'));
});
