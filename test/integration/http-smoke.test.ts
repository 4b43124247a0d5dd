// First end-to-end smoke test of the HTTP engine: cookie insert, direct requests, keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { exchange, startHttpBackend, startHttpProxy, template } from '../support/http-harness.js';

test('http smoke: guide section 1 insert indirect', async (t) => {
  const a = await startHttpBackend('A');
  const b = await startHttpBackend('B');
  t.after(() => a.close());
  t.after(() => b.close());
  const port = await freePort();
  const px = await startHttpProxy(
    template(
      `listen webfarm 127.0.0.1:{P}
   mode http
   balance roundrobin
   cookie SERVERID insert indirect
   option httplog
   log 127.0.0.1:9 local0
   server webA 127.0.0.1:{A} cookie A
   server webB 127.0.0.1:{B} cookie B
`,
      { P: port, A: a.port, B: b.port },
    ),
  );
  t.after(() => px.stop());
  const r1 = await exchange(port, 'GET /URI1 HTTP/1.0\r\n\r\n');
  console.log(JSON.stringify(r1.text));
  console.log(JSON.stringify(a.requests));
  const r2 = await exchange(port, 'GET /URI2 HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
  console.log(JSON.stringify(r2.text));
  console.log(JSON.stringify(a.requests.map((r) => r.head)));
  const r3 = await exchange(port, 'GET /k1 HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=B; x=1\r\n\r\nGET /k2 HTTP/1.1\r\nHost: x\r\nCookie: x=2; SERVERID=B\r\nConnection: close\r\n\r\n');
  console.log(JSON.stringify(r3.text));
  console.log(JSON.stringify(b.requests.map((r) => [r.connection, r.head])));
  console.log(px.log('webfarm').records.map((r) => JSON.stringify(r)).join('\n'));
  assert.ok(true);
});
