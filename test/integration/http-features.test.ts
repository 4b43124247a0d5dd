// Proxy features end to end through the real Runtime: errorloc, captures and logasap in the
// log record, checkcache, rspdeny, appsession, the interceptor hook, server-side reuse retry,
// the deletion cookie for a server without cookie, postonly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { createHttpSessionHandler } from '../../src/http/session.js';
import { freePort } from '../support/ports.js';
import { RecordingProxyLogger } from '../support/runtime-harness.js';
import { runtimeOptions } from '../support/runtime-config.js';
import { exchange, okReply, startHttpBackend, startHttpProxy, type ReceivedRequest, type Reply } from '../support/http-harness.js';

async function single(t: { after: (fn: () => unknown) => void }, extra: string, handler: (req: ReceivedRequest) => Reply = (req) => okReply('A', req)) {
  const be = await startHttpBackend('A', handler);
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n${extra}\n server a 127.0.0.1:${be.port} cookie A\n`,
  );
  t.after(() => px.stop());
  return { be, port, px };
}

test('errorloc302/303 replace the generated pages; the log keeps the original status', async (t) => {
  const port = await freePort();
  const dead = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n retries 0\n errorloc 503 http://sorry.example/\n errorloc303 403 /denied\n reqdeny ^X-No:\n server a 127.0.0.1:${dead}\n`,
  );
  t.after(() => px.stop());
  const r = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.0 302 Found\r\nCache-Control: no-cache\r\nConnection: close\r\nLocation: http://sorry.example/\r\n\r\n');
  const d = await exchange(port, 'GET / HTTP/1.0\r\nX-No: 1\r\n\r\n');
  assert.equal(d.text, 'HTTP/1.0 303 See Other\r\nCache-Control: no-cache\r\nConnection: close\r\nLocation: /denied\r\n\r\n');
  await px.log('p').waitRecords(2);
  assert.deepEqual(px.log('p').records.map((x) => [x.status, x.bytesFromServer]), [[503, 0], [403, 0]]);
});

test('captures and cookie capture reach the log record; request line logged before rewriting', async (t) => {
  const { px, port, be } = await single(
    t,
    ' capture request header Host len 20\n capture request header X-Missing len 5\n capture response header Server len 3\n capture cookie JSESS len 20\n reqrep ^GET\\ /old(.*) GET\\ /new\\1',
    (req) => okReply('A', req, 'Server: Apache\r\nSet-Cookie: JSESSIONID=xyz\r\n'),
  );
  await exchange(port, 'GET /old/page HTTP/1.0\r\nHost: www.example\r\nCookie: JSESSIONID=abc\r\n\r\n');
  assert.equal(be.requests[0]!.path, '/new/page');
  await px.log('p').waitRecords(1);
  const r = px.log('p').records[0]!;
  assert.equal(r.requestLine, 'GET /old/page HTTP/1.0');
  assert.deepEqual(r.requestHeaders, ['www.example', '']);
  assert.deepEqual(r.responseHeaders, ['Apa']);
  assert.equal(r.capturedRequestCookie, 'JSESSIONID=abc');
  assert.equal(r.capturedResponseCookie, 'JSESSIONID=xyz');
  assert.equal(r.cookieFlags, '--');
  assert.equal(r.serverName, 'a');
  assert.ok(r.tq >= 0 && r.tw >= 0 && r.tc >= 0 && r.tr >= 0 && r.tt >= r.tq);
});

test('option logasap logs at the response head with header bytes', async (t) => {
  const { px, port } = await single(t, ' option logasap');
  await exchange(port, 'GET /x HTTP/1.0\r\n\r\n');
  await px.log('p').waitRecords(1);
  const r = px.log('p').records[0]!;
  assert.equal(r.logasap, true);
  assert.equal(r.bytesFromServer, 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n'.length);
  assert.equal(px.log('p').records.length, 1);
});

test('option checkcache blocks a cacheable response with a cookie: 502 PH and an alert', async (t) => {
  const { px, port } = await single(t, ' option checkcache', (req) =>
    req.path === '/private' ? okReply('A', req, 'Cache-Control: private\r\nSet-Cookie: a=1\r\n') : okReply('A', req, 'Set-Cookie: a=1\r\n'),
  );
  const r = await exchange(port, 'GET /x HTTP/1.0\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.0 502 Bad Gateway\r\n/);
  const ok = await exchange(port, 'GET /private HTTP/1.0\r\n\r\n');
  assert.match(ok.text, /A:\/private\n$/);
  await px.log('p').waitRecords(2);
  assert.equal(px.log('p').records[0]!.termination, 'PH');
  assert.equal(px.log('p').records[0]!.status, 502);
  assert.ok(px.log('p').sent.some((m) => m.level === 1 && m.message === 'Blocking cacheable cookie in response from instance p, server a.'));
  assert.ok(px.processLog.messages().includes('Blocking cacheable cookie in response from instance p, server a.'));
});

test('rspdeny gives 502 PH; rspadd lines in reverse order', async (t) => {
  const { px, port } = await single(t, ' rspideny ^x-internal:\n rspadd X-One:\\ 1\n rspadd X-Two:\\ 2', (req) =>
    req.path === '/leak' ? okReply('A', req, 'X-Internal: secret\r\n') : okReply('A', req),
  );
  const r = await exchange(port, 'GET /leak HTTP/1.0\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.0 502 Bad Gateway\r\n/);
  assert.ok(!r.text.includes('secret'));
  const ok = await exchange(port, 'GET /fine HTTP/1.0\r\n\r\n');
  assert.equal(ok.text, 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\nX-Two: 2\r\nX-One: 1\r\n\r\nA:/fine\n');
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'PH');
});

test('insert mode: a server without cookie gets the deletion cookie; postonly inserts on POST only', async (t) => {
  const be = await startHttpBackend('A');
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n cookie SERVERID insert postonly\n server a 127.0.0.1:${be.port}\n`);
  t.after(() => px.stop());
  const get = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(get.text, 'HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nA:/\n');
  const post = await exchange(port, 'POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi');
  assert.equal(post.text, 'HTTP/1.0 200 OK\r\nContent-Length: 4\r\nSet-Cookie: SERVERID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/\r\n\r\nA:/\n');
});

test('appsession: the session id learnt from a Set-Cookie routes later requests', async (t) => {
  const a = await startHttpBackend('A', (req) => okReply('A', req, req.path === '/login' ? 'Set-Cookie: JSESSIONID=abcdef123456; path=/\r\n' : ''));
  const b = await startHttpBackend('B', (req) => okReply('B', req));
  t.after(() => a.close());
  t.after(() => b.close());
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n appsession JSESSIONID len 8 timeout 60000\n server a 127.0.0.1:${a.port}\n server b 127.0.0.1:${b.port}\n`,
  );
  t.after(() => px.stop());
  await exchange(port, 'GET /login HTTP/1.0\r\n\r\n');
  for (let i = 0; i < 3; i++) {
    const r = await exchange(port, 'GET /page HTTP/1.0\r\nCookie: JSESSIONID=abcdef123456\r\n\r\n');
    assert.match(r.text, /A:\/page\n$/);
    const u = await exchange(port, 'GET /page;JSESSIONID=abcdef12xyz HTTP/1.0\r\n\r\n');
    assert.match(u.text, /A:\/page;JSESSIONID=abcdef12xyz\n$/);
  }
  const other = await exchange(port, 'GET /x HTTP/1.0\r\n\r\n');
  assert.match(other.text, /B:\/x\n$/);
});

test('interceptor hook answers locally after the deny rules (stats page entry point)', async (t) => {
  const be = await startHttpBackend('A');
  t.after(() => be.close());
  const port = await freePort();
  const { config } = parseConfigText(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n reqdeny ^X-No:\n server a 127.0.0.1:${be.port}\n`, 't.cfg');
  const logger = new RecordingProxyLogger();
  const handler = createHttpSessionHandler({
    intercept: (_proxy, req) =>
      req.uri.startsWith('/haproxy?stats') ? { response: Buffer.from('HTTP/1.0 200 OK\r\n\r\nstats'), status: 200, serverName: '<STATS>', termination: 'PR' } : undefined,
  });
  const runtime = new Runtime(config, runtimeOptions(), {
    proxyLogger: () => logger,
    handlers: { http: (proxy, socket, ms) => { socket.resume(); handler(proxy, socket, ms); } },
  });
  await runtime.start();
  t.after(() => runtime.stop());
  const r = await exchange(port, 'GET /haproxy?stats HTTP/1.0\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.0 200 OK\r\n\r\nstats');
  const denied = await exchange(port, 'GET /haproxy?stats HTTP/1.0\r\nX-No: 1\r\n\r\n');
  assert.match(denied.text, /^HTTP\/1\.0 403 Forbidden/);
  const passed = await exchange(port, 'GET /other HTTP/1.0\r\n\r\n');
  assert.match(passed.text, /A:\/other\n$/);
  await logger.waitRecords(3);
  assert.deepEqual(logger.records.map((x) => [x.serverName, x.termination, x.status]), [['<STATS>', 'PR', 200], [undefined, 'PR', 403], ['a', '--', 200]]);
  assert.equal(be.requests.length, 1);
});

test('a kept server connection closed by the server under a reused request is retried once', async (t) => {
  const perConn = new Map<number, number>();
  const { be, port } = await single(t, ' cookie SERVERID insert indirect', (req) => {
    const n = (perConn.get(req.connection) ?? 0) + 1;
    perConn.set(req.connection, n);
    if (n === 2) return { kind: 'close', data: '' }; // the keep-alive race: closed, no answer
    return okReply('A', req, '', '1.1');
  });
  const r = await exchange(port, ['GET /1 HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\nConnection: close\r\n\r\n']);
  assert.match(r.text, /A:\/1\n.*A:\/2\n$/s);
  assert.deepEqual(be.requests.map((q) => [q.connection, q.path]), [[0, '/1'], [0, '/2'], [1, '/2']]);
});

test('abortonclose: a queued client that half-closes is aborted; without it, it waits its turn', async (t) => {
  for (const abort of [true, false]) {
    const be = await startHttpBackend('A', (req) => (req.path === '/hold' ? { kind: 'silent' } : okReply('A', req)));
    t.after(() => be.close());
    const port = await freePort();
    const px = await startHttpProxy(
      `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n contimeout 3000\n srvtimeout 400\n${abort ? ' option abortonclose\n' : ''} server a 127.0.0.1:${be.port} maxconn 1\n`,
    );
    t.after(() => px.stop());
    const holder = exchange(port, 'GET /hold HTTP/1.0\r\n\r\n');
    await be.waitRequests(1);
    // the server's only slot is taken: this request queues, then its client half-closes
    const queued = await exchange(port, 'GET /queued HTTP/1.0\r\n\r\n', { endAfterWrite: true, timeoutMs: 3000 });
    await holder;
    await px.log('p').waitRecords(2);
    const rec = px.log('p').records.find((x) => x.requestLine === 'GET /queued HTTP/1.0')!;
    if (abort) {
      assert.equal(queued.text, '');
      assert.match(rec.termination, /^C[CQ]$/);
      assert.deepEqual(be.requests.map((q) => q.path), ['/hold']);
    } else {
      // served once the holder's srvtimeout freed the slot
      assert.match(queued.text, /A:\/queued\n$/);
      assert.equal(rec.termination, '--');
    }
  }
});

test('dispatch mode: cookie holders go to their server, others to the dispatch address (<NOSRV>, no cookie)', async (t) => {
  const be = await startHttpBackend('D');
  const a = await startHttpBackend('A');
  t.after(() => be.close());
  t.after(() => a.close());
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n option httplog\n log 127.0.0.1:9 local0\n cookie SERVERID insert\n dispatch 127.0.0.1:${be.port}\n server a 127.0.0.1:${a.port} cookie A\n`,
  );
  t.after(() => px.stop());
  const r = await exchange(port, 'GET /x HTTP/1.0\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nD:/x\n');
  const c = await exchange(port, 'GET /y HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n');
  assert.equal(c.text, 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nA:/y\n');
  await px.log('p').waitRecords(2);
  assert.deepEqual(px.log('p').records.map((x) => [x.serverName, x.cookieFlags]), [[undefined, 'NN'], ['a', 'VN']]);
});

test('option forceclose: Connection: close both ways, the server write side is shut after the response head', async (t) => {
  let sawEnd = false;
  const be = await startHttpBackend('A', (req) => ({
    kind: 'custom',
    fn: (socket) => {
      socket.on('end', () => {
        sawEnd = true;
        socket.end();
      });
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n');
      setTimeout(() => socket.write(`body of ${req.path}`), 100);
    },
  }));
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option forceclose\n server a 127.0.0.1:${be.port}\n`);
  t.after(() => px.stop());
  const r = await exchange(port, 'GET /f HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(r.closed, true);
  assert.ok(r.text.startsWith('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n'), r.text);
  assert.equal(be.requests[0]!.head, 'GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(sawEnd, true);
});

test('errorfile sends the file as written instead of the built-in page', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-errorfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const page = 'HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nback soon\n';
  writeFileSync(join(dir, '503.http'), page);
  const port = await freePort();
  const dead = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n retries 0\n errorfile 503 ${join(dir, '503.http')}\n server a 127.0.0.1:${dead}\n`);
  t.after(() => px.stop());
  const r = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(r.text, page);
});

test('an exception inside a session (here a throwing interceptor) ends that session only, with an alert', async (t) => {
  const be = await startHttpBackend('A');
  t.after(() => be.close());
  const port = await freePort();
  const { config } = parseConfigText(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n server a 127.0.0.1:${be.port}\n`, 't.cfg');
  const handler = createHttpSessionHandler({
    intercept: (_proxy, req) => {
      if (req.uri === '/boom') throw new Error('interceptor exploded');
      return undefined;
    },
  });
  const opts = runtimeOptions();
  const runtime = new Runtime(config, opts, {
    handlers: { http: (proxy, socket, ms) => { socket.resume(); handler(proxy, socket, ms); } },
  });
  await runtime.start();
  t.after(() => runtime.stop());
  const r = await exchange(port, 'GET /boom HTTP/1.0\r\n\r\n');
  assert.equal(r.closed, true);
  assert.equal(r.text, '');
  assert.ok(opts.processLog.messages().some((m) => m.includes('internal error in an HTTP session, closed: interceptor exploded')));
  const ok = await exchange(port, 'GET /fine HTTP/1.0\r\n\r\n');
  assert.match(ok.text, /A:\/fine\n$/);
});

test('IPv6 client: X-Forwarded-For carries the IPv6 text form', async (t) => {
  const be = await startHttpBackend('A');
  t.after(() => be.close());
  const net = await import('node:net');
  const port = await freePort('::1').catch(() => 0);
  if (port === 0) {
    t.skip('no IPv6 loopback');
    return;
  }
  const px = await startHttpProxy(`listen p [::1]:${port}\n mode http\n balance roundrobin\n option forwardfor\n server a 127.0.0.1:${be.port}\n`);
  t.after(() => px.stop());
  const text = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ host: '::1', port });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.write('GET /v6 HTTP/1.0\r\n\r\n');
  });
  assert.match(text, /A:\/v6\n$/);
  assert.equal(be.requests[0]!.head, 'GET /v6 HTTP/1.0\r\nX-Forwarded-For: ::1\r\n\r\n');
});
