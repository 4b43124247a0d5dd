// Bodies and special exchanges through the real Runtime: chunked both ways, 100-continue,
// Upgrade tunnel, bodiless responses followed by another request, large download with
// backpressure, aborts and resets, timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '../support/ports.js';
import { exchange, okReply, startHttpBackend, startHttpProxy, statusLines, type Reply, type ReceivedRequest } from '../support/http-harness.js';
import { within } from '../support/http-harness.js';

async function single(t: { after: (fn: () => unknown) => void }, handler: (req: ReceivedRequest) => Reply, extra = '') {
  const be = await startHttpBackend('A', handler);
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n cookie SERVERID insert indirect\n${extra}\n server a 127.0.0.1:${be.port} cookie A\n`,
  );
  t.after(() => px.stop());
  return { be, port, px };
}

test('chunked request body forwarded chunked, chunked response relayed, then the next request', async (t) => {
  const { be, port } = await single(t, (req) =>
    req.path === '/up'
      ? `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n`
      : okReply('A', req, '', '1.1'),
  );
  const r = await exchange(
    port,
    ['POST /up HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', '6\nworld!\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\n'],
    { until: (s) => s.includes('A:/next\n') },
  );
  assert.equal(
    r.text,
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nA:/next\n',
  );
  assert.equal(be.requests[0]!.head, 'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.equal(be.requests[0]!.body.toString(), '5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n');
  assert.equal(be.requests[1]!.head, 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(be.requests[1]!.connection, 0);
});

test('Expect: 100-continue: the interim response passes untouched, the cookie goes on the final one', async (t) => {
  const { be, port } = await single(t, (req) => okReply('A', req, '', '1.1'));
  const c = net.connect(port, '127.0.0.1');
  t.after(() => c.destroy());
  let got = '';
  const waitFor = (s: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(s)} in ${JSON.stringify(got)}`)), 5000);
      const check = () => {
        if (got.includes(s)) {
          clearTimeout(timer);
          c.off('data', onData);
          resolve();
        }
      };
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        check();
      };
      c.on('data', onData);
      check();
    });
  c.write('POST /form HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
  await waitFor('HTTP/1.1 100 Continue\r\n\r\n');
  assert.equal(got, 'HTTP/1.1 100 Continue\r\n\r\n');
  c.write('data');
  await waitFor('A:/form\n');
  assert.equal(got, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\nA:/form\n');
  assert.equal(be.requests[0]!.body.toString(), 'data');
});

test('Upgrade: 101 gets the cookie, then the connection is a byte tunnel both ways (echo)', async (t) => {
  const { be, port } = await single(t, () => ({
    kind: 'custom',
    fn: (socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
      socket.on('end', () => socket.end());
    },
  }), ' option httpclose');
  const r = await exchange(port, ['GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'], {
    until: (s) => s.includes('\r\n\r\n'),
  });
  assert.equal(r.text, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\n');
  // the backend saw Connection: Upgrade intact despite httpclose
  assert.equal(be.requests[0]!.head, 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  // now a real tunnel: frames after the 101 echo back (bytes that are not HTTP)
  const tunnel = await exchange(
    port,
    ['GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello\x00\xff'],
    { until: (s) => s.includes('echo:') && s.endsWith('\x00\xff') },
  );
  assert.ok(tunnel.text.endsWith('\r\n\r\necho:\x81\x05hello\x00\xff'), JSON.stringify(tunnel.text));
});

test('HEAD, 204 and 304 have no body whatever their headers say; the next request follows', async (t) => {
  const { port } = await single(t, (req) => {
    if (req.method === 'HEAD') return 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n';
    if (req.path === '/204') return 'HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n';
    if (req.path === '/304') return 'HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n';
    return okReply('A', req, '', '1.1');
  });
  const r = await exchange(
    port,
    'HEAD /h HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\n',
    { until: (s) => s.includes('A:/last\n') },
  );
  assert.equal(
    r.text,
    'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nA:/last\n',
  );
});

test('50 MB download to a slow client: delivered intact, proxy memory stays bounded', async (t) => {
  const total = 50 * 1024 * 1024;
  const { port } = await single(t, () => ({
    kind: 'custom',
    fn: (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += block.length;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    },
  }));
  const before = process.memoryUsage().rss;
  let peak = before;
  const c = net.connect(port, '127.0.0.1');
  t.after(() => c.destroy());
  let received = 0;
  let headerSeen = false;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received} bytes`)), 60000);
    c.on('data', (d: Buffer) => {
      received += d.length;
      if (!headerSeen && received > 40) headerSeen = true;
      peak = Math.max(peak, process.memoryUsage().rss);
      // a slow reader: pause a little every ~2 MB so the proxy must hold the server back
      if (received % (2 * 1024 * 1024) < d.length) {
        c.pause();
        setTimeout(() => c.resume(), 20);
      }
      if (received >= total + 38) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  c.write('GET /big HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\n');
  await done;
  assert.equal(received, total + `HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`.length);
  // the whole body never sat in memory: growth far below 50 MB
  assert.ok(peak - before < 40 * 1024 * 1024, `rss grew by ${peak - before}`);
});

test('client abort mid-upload closes the server connection at once (decision 16)', async (t) => {
  let serverClosed: () => void = () => {};
  const closed = new Promise<void>((r) => (serverClosed = r));
  const be = await startHttpBackend('A');
  t.after(() => be.close());
  const raw = net.createServer((s) => {
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => serverClosed());
    s.on('end', () => serverClosed());
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
  t.after(() => raw.close());
  const rawPort = (raw.address() as net.AddressInfo).port;
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n server a 127.0.0.1:${rawPort}\n`);
  t.after(() => px.stop());
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  c.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(1000));
  await new Promise((r) => setTimeout(r, 100));
  c.destroy();
  await within(closed, 3000, 'server connection not closed');
  const log = px.log('p');
  await log.waitRecords(1);
  // legacy: the client side was in its data state
  assert.equal(log.records[0]!.termination, 'CD');
});

test('server reset mid-body: client connection cut, logged SD', async (t) => {
  const { port, px } = await single(t, () => ({
    kind: 'custom',
    fn: (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
      setTimeout(() => socket.resetAndDestroy(), 50);
    },
  }));
  const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\n');
  assert.equal(r.closed, true);
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
  const log = px.log('p');
  await log.waitRecords(1);
  assert.equal(log.records[0]!.termination, 'SD');
});

test('server reset before the response head: 502 page (SH)', async (t) => {
  const { port, px } = await single(t, () => ({ kind: 'reset' }));
  const r = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.0 502 Bad Gateway\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n');
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'SH');
  assert.equal(px.log('p').records[0]!.status, 502);
});

test('server closing without a byte, or answering garbage: 502 (decision 7)', async (t) => {
  const { port } = await single(t, (req) => (req.path === '/garbage' ? { kind: 'close', data: 'NOT HTTP AT ALL\r\n\r\n' } : { kind: 'close', data: '' }));
  for (const path of ['/empty', '/garbage']) {
    const r = await exchange(port, `GET ${path} HTTP/1.0\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.0 502 Bad Gateway\r\n/);
  }
});

test('srvtimeout before the response head: 504 (sH)', async (t) => {
  const { port, px } = await single(t, () => ({ kind: 'silent' }), ' srvtimeout 300');
  const r = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.0 504 Gateway Time-out\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html><body><h1>504 Gateway Time-out</h1>\nThe server didn\'t respond in time.\n</body></html>\n');
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'sH');
});

test('slowloris: a byte at a time still gets 408 when clitimeout expires (decision 12)', async (t) => {
  const { be, port, px } = await single(t, (req) => okReply('A', req), ' clitimeout 600');
  const c = net.connect(port, '127.0.0.1');
  t.after(() => c.destroy());
  let got = '';
  c.on('data', (d: Buffer) => (got += d.toString('latin1')));
  c.on('error', () => {});
  const ended = new Promise<void>((r) => c.on('close', () => r()));
  const text = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(100);
  let i = 0;
  const timer = setInterval(() => {
    if (i < text.length && !c.destroyed) c.write(text[i++]!);
  }, 50);
  t.after(() => clearInterval(timer));
  await within(ended, 5000, 'no close');
  clearInterval(timer);
  assert.equal(got, 'HTTP/1.0 408 Request Time-out\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn\'t send a complete request in time.\n</body></html>\n');
  assert.ok(i < text.length, 'the client was cut before finishing');
  assert.equal(be.requests.length, 0);
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'cR');
});

test('idle keep-alive connection closed silently on clitimeout (decision 14)', async (t) => {
  const { port, px } = await single(t, (req) => okReply('A', req, '', '1.1'), ' clitimeout 300');
  const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 3000 });
  assert.equal(r.closed, true);
  assert.equal(statusLines(r.text).length, 1);
  assert.ok(!r.text.includes('408'));
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(px.log('p').records.length, 1);
});

test('no server: 503 page, SC; reqdeny: 403; oversized head: 400 (PR)', async (t) => {
  const port = await freePort();
  const dead = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option httplog\n log 127.0.0.1:9 local0\n retries 1\n reqideny ^X-Evil:\n server a 127.0.0.1:${dead}\n`,
  );
  t.after(() => px.stop());
  const r503 = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.match(r503.text, /^HTTP\/1\.0 503 Service Unavailable\r\n/);
  assert.equal(r503.text.length, 187);
  const r403 = await exchange(port, 'GET / HTTP/1.0\r\nx-evil: 1\r\n\r\n');
  assert.match(r403.text, /^HTTP\/1\.0 403 Forbidden\r\n/);
  const r400 = await exchange(port, 'GET / HTTP/1.0\r\nX: ' + 'a'.repeat(9000) + '\r\n\r\n');
  assert.match(r400.text, /^HTTP\/1\.0 400 Bad request\r\n/);
  assert.equal(r400.text.length, 162);
  const log = px.log('p');
  await log.waitRecords(3);
  assert.deepEqual(log.records.map((x) => [x.status, x.termination]), [[503, 'SC'], [403, 'PR'], [400, 'PR']]);
});

test('monitor-uri answered locally, not forwarded, not logged', async (t) => {
  const { be, port, px } = await single(t, (req) => okReply('A', req), ' monitor-uri /alive');
  const r = await exchange(port, 'GET /alive HTTP/1.0\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nHAProxy: service ready.\n</body></html>\n');
  const other = await exchange(port, 'GET /alive/x HTTP/1.0\r\n\r\n');
  assert.match(other.text, /A:\/alive\/x/);
  assert.equal(be.requests.length, 1);
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records.length, 1);
});

test('a slow reader does not trip srvtimeout while the server is held back (no sD)', async (t) => {
  const total = 8 * 1024 * 1024;
  const { port, px } = await single(t, () => ({
    kind: 'custom',
    fn: (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 0x62);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += block.length;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    },
  }), ' srvtimeout 300\n clitimeout 5000');
  const c = net.connect(port, '127.0.0.1');
  t.after(() => c.destroy());
  let received = 0;
  let paused = false;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received} bytes`)), 20000);
    c.on('close', () => reject(new Error(`closed after ${received} bytes`)));
    c.on('data', (d: Buffer) => {
      received += d.length;
      if (!paused && received > 1024 * 1024) {
        // stop reading for longer than srvtimeout
        paused = true;
        c.pause();
        setTimeout(() => c.resume(), 1000);
      }
      if (received >= total + 40) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  c.write('GET /big HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\nConnection: close\r\n\r\n');
  await done;
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, '--');
});

test('a keep-alive request head left unfinished gets 408 when clitimeout expires (not a silent close)', async (t) => {
  const { port, px } = await single(t, (req) => okReply('A', req, '', '1.1'), ' clitimeout 300');
  const r = await exchange(port, ['GET /1 HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /2 HTTP/1.1\r\nHo'], { timeoutMs: 3000 });
  assert.equal(r.closed, true);
  assert.match(r.text, /A:\/1\nHTTP\/1\.0 408 Request Time-out\r\n/);
  await px.log('p').waitRecords(2);
  const rec = px.log('p').records[1]!;
  assert.equal(rec.termination, 'cR');
  assert.equal(rec.requestLine, 'GET /2 HTTP/1.1');
  assert.equal(rec.bytesFromClient, 'GET /2 HTTP/1.1\r\nHo'.length);
});

test('CONNECT answered 2xx becomes a tunnel', async (t) => {
  const { be, port } = await single(t, () => ({
    kind: 'custom',
    fn: (socket) => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    },
  }));
  const r = await exchange(port, ['CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n\x16\x03\x01binary'], {
    until: (s) => s.endsWith('echo:\x16\x03\x01binary'),
  });
  // the 2xx is the final response: it gets the persistence cookie like a 101 does
  assert.equal(r.text, 'HTTP/1.1 200 Connection established\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\necho:\x16\x03\x01binary');
  assert.equal(be.requests[0]!.head, 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
});

test('30 MB upload to a slow server: delivered intact with bounded proxy memory', async (t) => {
  const total = 30 * 1024 * 1024;
  let bodyGot = 0;
  let headLeft = -1;
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let head = '';
    s.on('data', (d: Buffer) => {
      let chunk = d;
      if (headLeft < 0) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        headLeft = 0;
        chunk = Buffer.from(head.slice(end + 4), 'latin1');
      }
      bodyGot += chunk.length;
      // a slow reader: pause now and then
      if (bodyGot % (4 * 1024 * 1024) < chunk.length) {
        s.pause();
        setTimeout(() => s.resume(), 30);
      }
      if (bodyGot >= total) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => server.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n server a 127.0.0.1:${(server.address() as net.AddressInfo).port}\n`);
  t.after(() => px.stop());
  const before = process.memoryUsage().rss;
  let peak = before;
  const c = net.connect(port, '127.0.0.1');
  t.after(() => c.destroy());
  let answer = '';
  c.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  c.on('error', () => {});
  const closed = new Promise<void>((r) => c.on('close', () => r()));
  c.write(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
  const block = Buffer.alloc(256 * 1024, 0x63);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < total) {
        sent += block.length;
        peak = Math.max(peak, process.memoryUsage().rss);
        if (!c.write(block)) {
          c.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  await within(closed, 30000, `server got ${bodyGot}`);
  assert.match(answer, /\r\n\r\nok$/);
  assert.equal(bodyGot, total);
  assert.ok(peak - before < 40 * 1024 * 1024, `rss grew by ${peak - before}`);
});

test('a server stalling mid-body: what came is relayed, then both closed on srvtimeout (sD)', async (t) => {
  const { port, px } = await single(t, () => ({
    kind: 'custom',
    fn: (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part'),
  }), ' srvtimeout 300');
  const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A\r\n\r\n', { timeoutMs: 3000 });
  assert.equal(r.closed, true);
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part');
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'sD');
});

test('a client stalling mid-upload is cut after clitimeout (cD), its server connection closed', async (t) => {
  const { be, port, px } = await single(t, (req) => okReply('A', req), ' clitimeout 300');
  const r = await exchange(port, 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this', { timeoutMs: 3000 });
  assert.equal(r.closed, true);
  assert.equal(r.text, '');
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'cD');
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(be.requests.length, 0);
});

test('a client gone while waiting for the response head is logged CH; the server connection is closed', async (t) => {
  const { be, port, px } = await single(t, () => ({ kind: 'silent' }));
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  c.write('GET /wait HTTP/1.1\r\nHost: x\r\n\r\n');
  await be.waitRequests(1);
  c.resetAndDestroy();
  await px.log('p').waitRecords(1);
  assert.equal(px.log('p').records[0]!.termination, 'CH');
});
