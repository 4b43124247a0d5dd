// One check on the wire against real loopback targets: TCP connect, httpchk request bytes and reply
// rule, timeouts, ssl-hello-chk against a small fake TLS responder (spec §8.2, §8.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startProbe, type ProbeResult, type ProbeSpec } from '../../src/checks/probe.js';
import { CheckTarget, freePort } from '../support/checks-targets.js';

function probe(spec: Partial<ProbeSpec> & { port: number }, timeoutMs = 2000): Promise<ProbeResult & { elapsedMs: number }> {
  const full: ProbeSpec = { kind: 'tcp', host: '127.0.0.1', localAddress: undefined, localPort: 0, httpRequest: undefined, ...spec };
  const t0 = performance.now();
  return new Promise((resolve) => startProbe(full, timeoutMs, (r) => resolve({ ...r, elapsedMs: performance.now() - t0 })));
}

const http = (request = 'OPTIONS / HTTP/1.0\r\n\r\n') => ({ kind: 'http' as const, httpRequest: Buffer.from(request, 'latin1') });

test('tcp check: connect succeeds, no byte is sent; refused fails', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  t.after(() => target.close());
  const ok = await probe({ port: target.port });
  assert.deepEqual([ok.ok, ok.status, ok.timedOut], [true, 'L4OK', false]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(target.arrivals.length, 1);
  assert.equal(target.arrivals[0]?.received.length, 0, 'a plain check sends nothing');
  const closedPort = await freePort();
  const refused = await probe({ port: closedPort });
  assert.deepEqual([refused.ok, refused.status], [false, 'L4CON']);
});

test('httpchk: exact request bytes on the wire, 200 is UP', async (t) => {
  const target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 200 OK\r\n\r\n', close: true }).listen();
  t.after(() => target.close());
  const r1 = await probe({ port: target.port, ...http() });
  assert.deepEqual([r1.ok, r1.status], [true, 'L7OK']);
  assert.equal(target.arrivals[0]?.received.toString('latin1'), 'OPTIONS / HTTP/1.0\r\n\r\n');
  const custom = 'HEAD /running HTTP/1.1\r\nHost: www\r\n\r\n';
  const r2 = await probe({ port: target.port, ...http(custom) });
  assert.equal(r2.ok, true);
  assert.equal(target.arrivals[1]?.received.toString('latin1'), custom);
});

const replies: { reply: string; ok: boolean; status: string }[] = [
  { reply: 'HTTP/1.0 302 Found\r\nLocation: /\r\n\r\n', ok: true, status: 'L7OK' },
  { reply: 'HTTP/1.0 2000', ok: true, status: 'L7OK' },
  { reply: 'HTTP/1.0 200', ok: false, status: 'L7RSP' },
  { reply: 'HTTP/1.0 404 Not Found\r\n\r\n', ok: false, status: 'L7STS' },
  { reply: 'HTTP/1.0 500 Oops\r\n\r\n', ok: false, status: 'L7STS' },
  { reply: 'XTTP/1.0 200 OK\r\n\r\n', ok: false, status: 'L7RSP' },
  { reply: 'HTTP/2.0 200 OK\r\n\r\n', ok: false, status: 'L7RSP' },
];
for (const row of replies) {
  for (const close of [false, true]) {
    test(`httpchk reply ${JSON.stringify(row.reply)} (${close ? 'then close' : 'kept open'}): ${row.ok ? 'UP' : 'DOWN'}`, async (t) => {
      const target = await new CheckTarget({ kind: 'reply', bytes: row.reply, close }).listen();
      t.after(() => target.close());
      const r = await probe({ port: target.port, ...http() });
      assert.deepEqual([r.ok, r.status, r.timedOut], [row.ok, row.status, false]);
    });
  }
}

test('httpchk: a target that closes without a byte, or resets, fails at once', async (t) => {
  const closer = await new CheckTarget({ kind: 'custom', onData: (s) => s.end() }).listen();
  const resetter = await new CheckTarget({ kind: 'reset' }).listen();
  t.after(() => Promise.all([closer.close(), resetter.close()]));
  const a = await probe({ port: closer.port, ...http() });
  assert.deepEqual([a.ok, a.timedOut], [false, false]);
  const b = await probe({ port: resetter.port, ...http() });
  assert.deepEqual([b.ok, b.timedOut], [false, false]);
});

test('httpchk: a target that accepts and never answers times out after the timeout (inter)', async (t) => {
  const target = await new CheckTarget({ kind: 'hang' }).listen();
  t.after(() => target.close());
  const r = await probe({ port: target.port, ...http() }, 300);
  assert.deepEqual([r.ok, r.status, r.timedOut], [false, 'L7TOUT', true]);
  assert.ok(r.elapsedMs >= 290, `timed out after ${r.elapsedMs} ms, not before 300`);
  assert.equal(target.arrivals[0]?.received.toString('latin1'), 'OPTIONS / HTTP/1.0\r\n\r\n');
});

test('check source address: the target sees the configured local address', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  t.after(() => target.close());
  const r = await probe({ port: target.port, localAddress: '127.0.0.3' });
  assert.equal(r.ok, true);
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(target.arrivals[0]?.remoteAddress, '127.0.0.3');
});

/** A fake TLS responder: answers a handshake record only to a hello of the legacy shape, else a non-TLS byte. */
function fakeTlsResponder(seen: Buffer[]): CheckTarget {
  return new CheckTarget({
    kind: 'custom',
    onData: (socket, received) => {
      if (received.length < 126) return; // wait for the whole hello
      seen.push(Buffer.from(received));
      const nowS = Math.floor(Date.now() / 1000);
      const shapeOk =
        received.length === 126 &&
        received[0] === 0x16 &&
        received.readUInt16BE(1) === 0x0300 &&
        received.readUInt16BE(3) === 121 &&
        received[5] === 0x01 &&
        received.readUIntBE(6, 3) === 117 &&
        received.readUInt16BE(9) === 0x0300 &&
        Math.abs(received.readUInt32BE(11) - nowS) <= 5 &&
        received.subarray(15, 43).toString('latin1') === 'HAPROXYSSLCHK\nHAPROXYSSLCHK\n' &&
        received[43] === 0 &&
        received.readUInt16BE(44) === 78 &&
        received[124] === 1 &&
        received[125] === 0;
      // ServerHello-like record header (handshake, SSL 3.0) or garbage
      socket.write(shapeOk ? Buffer.from([0x16, 0x03, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]) : Buffer.from('nope\n'));
      socket.end();
    },
  });
}

test('ssl-hello-chk: the responder gets a well-formed SSLv3 hello and its handshake reply is UP', async (t) => {
  const seen: Buffer[] = [];
  const target = await fakeTlsResponder(seen).listen();
  t.after(() => target.close());
  const r = await probe({ port: target.port, kind: 'ssl' });
  assert.deepEqual([r.ok, r.status], [true, 'L6OK']);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.length, 126);
});

test('ssl-hello-chk: an alert record is UP, an HTTP answer or a short reply is DOWN', async (t) => {
  const alert = await new CheckTarget({ kind: 'reply', bytes: Buffer.from([0x15, 0x03, 0x00, 0x00, 0x02, 0x02, 0x28]), close: true }).listen();
  const httpish = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 400 Bad Request\r\n\r\n', close: true }).listen();
  const short = await new CheckTarget({ kind: 'reply', bytes: Buffer.from([0x16, 0x03, 0x00, 0x00]), close: true }).listen();
  t.after(() => Promise.all([alert.close(), httpish.close(), short.close()]));
  assert.equal((await probe({ port: alert.port, kind: 'ssl' })).ok, true);
  assert.deepEqual((await probe({ port: httpish.port, kind: 'ssl' })).status, 'L6RSP');
  assert.equal((await probe({ port: short.port, kind: 'ssl' })).ok, false);
});

test('abort drops the probe without a report and closes the socket', async (t) => {
  const target = await new CheckTarget({ kind: 'hang' }).listen();
  t.after(() => target.close());
  let reported = false;
  const p = startProbe(
    { kind: 'http', host: '127.0.0.1', port: target.port, localAddress: undefined, localPort: 0, httpRequest: Buffer.from('X') },
    200,
    () => {
      reported = true;
    },
  );
  await new Promise((r) => setTimeout(r, 50));
  p.abort();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(reported, false);
  assert.equal(target.arrivals.length, 1);
});

test('a stalled event loop does not turn an established connection into a timeout', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  t.after(() => target.close());
  const result = new Promise<ProbeResult>((resolve) =>
    startProbe({ kind: 'tcp', host: '127.0.0.1', port: target.port, localAddress: undefined, localPort: 0, httpRequest: undefined }, 30, resolve),
  );
  // Once the connect() call is issued (Node issues it on the next tick), block the loop past the
  // timeout while the kernel completes the handshake.
  await new Promise((resolve) => setImmediate(resolve));
  const end = Date.now() + 120;
  while (Date.now() < end) {
    /* busy */
  }
  const r = await result;
  assert.deepEqual([r.ok, r.status], [true, 'L4OK']);
});
