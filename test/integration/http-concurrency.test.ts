// Many keep-alive clients at once, with and without persistence cookies, pipelined and not:
// every client gets exactly its own answers in order (no cross-talk through reused server
// connections), and the cookie-directed ones reach their server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { exchange, okReply, startHttpBackend, startHttpProxy } from '../support/http-harness.js';

test('60 concurrent keep-alive clients × 15 requests: each answer belongs to its request, in order', async (t) => {
  const servers = await Promise.all(['A', 'B', 'C'].map((n) => startHttpBackend(n, (req) => okReply(n, req, '', '1.1'))));
  t.after(() => Promise.all(servers.map((s) => s.close())));
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n cookie SERVERID insert indirect\n option forwardfor\n clitimeout 10000\n srvtimeout 10000\n` +
      servers.map((s, i) => ` server s${i} 127.0.0.1:${s.port} cookie ${s.name}\n`).join(''),
  );
  t.after(() => px.stop());
  const clients = Array.from({ length: 60 }, async (_, c) => {
    const cookie = c % 4 === 3 ? undefined : ['A', 'B', 'C'][c % 3]!;
    const pipelined = c % 2 === 0;
    const reqs = Array.from({ length: 15 }, (_, k) => {
      const last = k === 14 ? 'Connection: close\r\n' : '';
      return `GET /c${c}/r${k} HTTP/1.1\r\nHost: x\r\n${cookie === undefined ? '' : `Cookie: SERVERID=${cookie}; n=${k}\r\n`}${last}\r\n`;
    });
    const r = await exchange(port, pipelined ? reqs.join('') : reqs, { timeoutMs: 20000 });
    const bodies = [...r.text.matchAll(/\r\n\r\n([ABC]):(\/c\d+\/r\d+)\n/g)].map((m) => [m[1], m[2]]);
    assert.equal(bodies.length, 15, `client ${c}: ${JSON.stringify(r.text.slice(0, 300))}`);
    bodies.forEach(([srv, path], k) => {
      assert.equal(path, `/c${c}/r${k}`, `client ${c} answer ${k}`);
      if (cookie !== undefined) assert.equal(srv, cookie, `client ${c} answer ${k} went to ${srv}`);
    });
    assert.equal(r.closed, true);
  });
  await Promise.all(clients);
  // the servers never saw our cookie
  for (const s of servers) for (const q of s.requests) assert.ok(!q.head.includes('SERVERID'), q.head);
  const total = servers.reduce((n, s) => n + s.requests.length, 0);
  assert.equal(total, 60 * 15);
});
