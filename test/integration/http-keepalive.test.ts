// Keep-alive and pipelining through the real Runtime: every request is analysed (decision 3),
// answered in order, and the backend sees the exact rewritten bytes of each one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { exchange, okReply, startHttpBackend, startHttpProxy, statusLines, template } from '../support/http-harness.js';
import { within } from '../support/http-harness.js';

async function setup(t: { after: (fn: () => unknown) => void }, extra: string) {
  const a = await startHttpBackend('A', (req) => okReply('A', req, '', '1.1'));
  const b = await startHttpBackend('B', (req) => okReply('B', req, '', '1.1'));
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
   clitimeout 5000
   srvtimeout 5000
   contimeout 5000
${extra}
   server webA 127.0.0.1:{A} cookie A
   server webB 127.0.0.1:{B} cookie B
`,
      { P: port, A: a.port, B: b.port },
    ),
  );
  t.after(() => px.stop());
  return { a, b, port, px };
}

test('pipelined requests: each one rewritten, balanced and logged on its own, answered in order', async (t) => {
  const { a, b, port, px } = await setup(t, '   option forwardfor');
  const r = await exchange(
    port,
    'GET /1 HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /2 HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=B; k=2\r\n\r\n' +
      'GET /3 HTTP/1.1\r\nHost: x\r\nCookie: k=3; SERVERID=B\r\n\r\n',
    { until: (s) => s.includes('B:/3\n') },
  );
  assert.equal(
    r.text,
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\nA:/1\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nB:/2\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nB:/3\n',
  );
  assert.deepEqual(
    a.requests.map((q) => q.head),
    ['GET /1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n'],
  );
  assert.deepEqual(
    b.requests.map((q) => q.head),
    [
      'GET /2 HTTP/1.1\r\nHost: x\r\nCookie: k=2\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n',
      'GET /3 HTTP/1.1\r\nHost: x\r\nCookie: k=3\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n',
    ],
  );
  // reuse rule: /3 carries B's cookie and reuses the connection /2 opened to B
  assert.deepEqual(b.requests.map((q) => q.connection), [0, 0]);
  const log = px.log('webfarm');
  await log.waitRecords(3);
  assert.deepEqual(log.records.map((x) => [x.requestLine, x.serverName, x.cookieFlags, x.status]), [
    ['GET /1 HTTP/1.1', 'webA', 'NI', 200],
    ['GET /2 HTTP/1.1', 'webB', 'VN', 200],
    ['GET /3 HTTP/1.1', 'webB', 'VN', 200],
  ]);
});

test('keep-alive: requests without cookie are balanced each time (round robin moves)', async (t) => {
  const { a, b, port } = await setup(t, '');
  const r = await exchange(port, ['GET /1 HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  assert.equal(r.closed, true);
  assert.equal(statusLines(r.text).length, 3);
  assert.deepEqual(a.requests.map((q) => q.path), ['/1', '/3']);
  assert.deepEqual(b.requests.map((q) => q.path), ['/2']);
  assert.match(r.text, /A:\/1\n.*B:\/2\n.*A:\/3\n$/s);
  // Connection: close is forwarded as sent
  assert.equal(a.requests[1]!.head, 'GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
});

test('option httpclose: Connection: close both ways and the connection closes after the response', async (t) => {
  const { a, port } = await setup(t, '   option httpclose');
  const r = await exchange(port, 'GET /1 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(r.closed, true);
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\nA:/1\n');
  assert.deepEqual(a.requests.map((q) => q.head), ['GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
});

test('HTTP/1.0 client with keep-alive stays open only if the response says keep-alive', async (t) => {
  const a = await startHttpBackend('A', (req) =>
    req.path === '/ka' ? okReply('A', req, 'Connection: keep-alive\r\n', '1.1') : okReply('A', req, '', '1.1'),
  );
  t.after(() => a.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n server a 127.0.0.1:${a.port}\n`);
  t.after(() => px.stop());
  const r = await exchange(port, 'GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /never HTTP/1.0\r\n\r\n');
  assert.equal(r.closed, true);
  assert.deepEqual(a.requests.map((q) => q.path), ['/ka', '/plain']);
  assert.equal(statusLines(r.text).length, 2);
});

test('soft stop: a busy keep-alive connection gets Connection: close on its response, then closes', async (t) => {
  const a = await startHttpBackend('A', (req) => ({
    kind: 'custom',
    fn: (socket) => setTimeout(() => socket.write(okReply('A', req, '', '1.1')), 300),
  }));
  t.after(() => a.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n clitimeout 10000\n server a 127.0.0.1:${a.port}\n`);
  t.after(() => px.stop());
  const pending = exchange(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 5000 });
  await a.waitRequests(1);
  const stopped = px.runtime.softStop();
  const r = await pending;
  assert.equal(r.closed, true);
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nA:/slow\n');
  await within(stopped, 3000, 'soft stop did not finish');
});

test('soft stop: an idle keep-alive connection may bring one last request (answered with close), else closes within 1 s', async (t) => {
  const a = await startHttpBackend('A', (req) => okReply('A', req, '', '1.1'));
  t.after(() => a.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n clitimeout 20000\n server a 127.0.0.1:${a.port}\n`);
  t.after(() => px.stop());
  assert.equal(typeof (px.runtime.proxies[0] as { onSoftStop?: unknown }).onSoftStop, 'function', 'the runtime provides onSoftStop');
  const net = await import('node:net');
  // two idle keep-alive clients: one sends a last request just after the stop began
  const open = (): Promise<{ socket: import('node:net').Socket; text: () => string; closed: Promise<void> }> =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => {});
      const closed = new Promise<void>((r) => socket.on('close', () => r()));
      socket.on('connect', () => resolve({ socket, text: () => got, closed }));
    });
  const late = await open();
  const quiet = await open();
  t.after(() => late.socket.destroy());
  t.after(() => quiet.socket.destroy());
  late.socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
  quiet.socket.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
  await a.waitRequests(2);
  await new Promise((r) => setTimeout(r, 100));
  const stopped = px.runtime.softStop();
  late.socket.write('GET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
  await within(stopped, 3000, 'idle connection held the soft stop');
  await late.closed;
  await quiet.closed;
  assert.match(late.text(), /A:\/1\nHTTP\/1\.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nA:\/3\n$/);
  assert.equal(statusLines(quiet.text()).length, 1);
});

test('balanced keep-alive requests reuse the server connection when the balancer picks its server (needs ProxyRuntime.pickServer)', async (t) => {
  const a = await startHttpBackend('A', (req) => okReply('A', req, '', '1.1'));
  t.after(() => a.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n server a 127.0.0.1:${a.port}\n`);
  t.after(() => px.stop());
  assert.equal(typeof (px.runtime.proxies[0] as { pickServer?: unknown }).pickServer, 'function', 'the runtime provides pickServer');
  const r = await exchange(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(statusLines(r.text).length, 3);
  assert.deepEqual(a.requests.map((q) => q.connection), [0, 0, 0]);
});

test('pipelined requests followed by a half-close: every request is answered, then the connection closes', async (t) => {
  const a = await startHttpBackend('A', (req) => okReply('A', req, '', '1.1'));
  t.after(() => a.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n server a 127.0.0.1:${a.port}\n`);
  t.after(() => px.stop());
  const r = await exchange(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n', { endAfterWrite: true });
  assert.equal(r.closed, true);
  assert.match(r.text, /A:\/1\n.*A:\/2\n.*A:\/3\n$/s);
  await px.log('p').waitRecords(3);
  await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual(px.log('p').records.map((x) => [x.requestLine, x.termination]), [
    ['GET /1 HTTP/1.1', '--'],
    ['GET /2 HTTP/1.1', '--'],
    ['GET /3 HTTP/1.1', '--'],
  ]);
});
