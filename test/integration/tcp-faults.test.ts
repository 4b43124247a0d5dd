// mode tcp under faults: inactivity timeouts on each side, backends that reset mid-stream,
// never answer or close at once, clients that reset; the proxy survives each and keeps
// serving. Also half-close, logasap and the default `Connect from` log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBackend, type Backend } from '../support/backend.js';
import { connectClient, sleep } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server, type ProxyOverrides } from '../support/runtime-config.js';
import { startRuntime, type StartedRuntime } from '../support/runtime-harness.js';

interface Setup {
  rt: StartedRuntime;
  port: number;
  healthyPort: number;
}

/** One proxy in front of `be`, and a second one in front of a healthy echo server. */
async function setup(t: { after(fn: () => unknown): void }, be: Backend, o: ProxyOverrides = {}): Promise<Setup> {
  const healthy = await startBackend({ kind: 'echo', greeting: 'ok\n' });
  t.after(() => healthy.close());
  t.after(() => be.close());
  const port = await freePort();
  const healthyPort = await freePort();
  const rt = await startRuntime([
    proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)], ...o, options: { tcplog: true, ...o.options } }),
    proxy('healthy', { binds: [bind('127.0.0.1', healthyPort)], servers: [server('h', '127.0.0.1', healthy.port)] }),
  ]);
  t.after(() => rt.stop());
  return { rt, port, healthyPort };
}

/** The proxy still works: a fresh session through both proxies. */
async function stillServing(s: Setup): Promise<void> {
  const c = await connectClient(s.healthyPort);
  await c.received(3);
  assert.equal(c.text(), 'ok\n');
  c.socket.destroy();
}

test('clitimeout: an idle client is cut, cD', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'silent' }), { clientTimeoutMs: 150 });
  const c = await connectClient(s.port);
  await c.ended(5000);
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, 'cD');
  await stillServing(s);
});

test('srvtimeout: a server that never answers is cut, sD', async (t) => {
  const be = await startBackend({ kind: 'silent' });
  const s = await setup(t, be, { serverTimeoutMs: 150 });
  const c = await connectClient(s.port);
  c.socket.write('hello?');
  await c.ended(5000);
  await s.rt.log('px').waitRecords(1);
  const r = s.rt.log('px').records[0]!;
  assert.equal(r.termination, 'sD');
  assert.equal(r.bytesFromClient, 6);
  assert.equal(Buffer.concat(be.connections[0]!.received).toString(), 'hello?');
  await stillServing(s);
});

test('no timeouts set: an idle session stays open', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'silent' }));
  const c = await connectClient(s.port);
  await sleep(300);
  assert.equal(c.gotEnd, false);
  assert.equal(s.rt.runtime.processSessions, 1);
  c.socket.destroy();
});

test('a backend that resets mid-stream: the client is closed, SD, the proxy survives', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'reset', afterBytes: 10 }));
  const c = await connectClient(s.port);
  c.socket.write('0123456789abcdef');
  await c.ended();
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, 'SD');
  await stillServing(s);
});

test('a backend that closes at once: the client gets the close, the proxy survives', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'close' }));
  const c = await connectClient(s.port);
  await c.ended();
  c.socket.end();
  await s.rt.log('px').waitRecords(1);
  assert.equal(c.text(), '');
  assert.ok(['--', 'SD'].includes(s.rt.log('px').records[0]!.termination));
  await stillServing(s);
});

test('a client that resets mid-stream: the server connection is closed, CD', async (t) => {
  const be = await startBackend({ kind: 'echo' });
  const s = await setup(t, be);
  const c = await connectClient(s.port);
  c.socket.write('abc');
  await c.received(3);
  c.socket.resetAndDestroy();
  await be.waitConnections(1);
  for (let i = 0; i < 200 && !be.connections[0]!.closed; i++) await sleep(5);
  assert.equal(be.connections[0]!.closed, true);
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, 'CD');
  await stillServing(s);
});

test('half-close: the client FIN reaches the server, whose answer still comes back', async (t) => {
  const be = await startBackend({ kind: 'reply-on-end', reply: (b) => `got ${b.length} bytes` });
  const s = await setup(t, be);
  const c = await connectClient(s.port);
  c.socket.write('x'.repeat(1000));
  c.socket.end();
  await c.ended();
  assert.equal(c.text(), 'got 1000 bytes');
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, '--');
  assert.equal(s.rt.log('px').records[0]!.bytesFromServer, 14);
});

test('server half-close: the server FIN reaches the client, which can still send', async (t) => {
  const be = await startBackend({ kind: 'source', bytes: 5 });
  const s = await setup(t, be);
  const c = await connectClient(s.port);
  await c.ended();
  assert.equal(c.data().length, 5);
  c.socket.write('late data');
  c.socket.end();
  for (let i = 0; i < 200 && be.connections[0]!.bytes < 9; i++) await sleep(5);
  assert.equal(Buffer.concat(be.connections[0]!.received).toString(), 'late data');
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, '--');
});

test('logasap: one record when connected, Tt marked, none at the end', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'echo' }), { options: { logasap: true } });
  const c = await connectClient(s.port);
  await s.rt.log('px').waitRecords(1);
  const r = s.rt.log('px').records[0]!;
  assert.equal(r.logasap, true);
  assert.equal(r.serverName, 's');
  assert.equal(r.proxyConnections, 1, 'the session is still counted');
  c.socket.end();
  await c.ended();
  await sleep(50);
  assert.equal(s.rt.log('px').records.length, 1);
});

test('without tcplog: the Connect from line at accept, no traffic record', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'echo' }), { options: { tcplog: false } });
  const c = await connectClient(s.port);
  c.socket.end();
  await c.ended();
  await sleep(30);
  const log = s.rt.log('px');
  assert.equal(log.connects.length, 1);
  assert.equal(log.connects[0]!.clientAddress, '127.0.0.1');
  assert.equal(log.connects[0]!.localPort, s.port);
  assert.equal(log.records.length, 0);
});

/** Reads everything, stalling `stallMs` after the first `afterBytes` bytes; resolves on close. */
function stallingReader(port: number, afterBytes: number, stallMs: number): Promise<{ received: number; error: string | undefined }> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    let stalled = false;
    let error: string | undefined;
    c.on('data', (d: Buffer) => {
      received += d.length;
      if (!stalled && received >= afterBytes) {
        stalled = true;
        c.pause();
        setTimeout(() => c.resume(), stallMs);
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    c.on('close', () => resolve({ received, error }));
  });
}

test('srvtimeout does not fire while the server side is paused for a slow client', async (t) => {
  const total = 16 * 1024 * 1024;
  const s = await setup(t, await startBackend({ kind: 'source', bytes: total }), { serverTimeoutMs: 150 });
  const r = await stallingReader(s.port, 1024 * 1024, 500);
  assert.equal(r.received, total);
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, '--');
});

test('clitimeout fires when the client stops reading what the proxy has to send, cD', async (t) => {
  const total = 64 * 1024 * 1024;
  const s = await setup(t, await startBackend({ kind: 'source', bytes: total }), { clientTimeoutMs: 150 });
  const r = await stallingReader(s.port, 1024 * 1024, 2000);
  assert.ok(r.received < total);
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, 'cD');
  await stillServing(s);
});

test('a download longer than clitimeout, the client never sending: not cut while bytes flow', async (t) => {
  const s = await setup(t, await startBackend({ kind: 'drip', chunks: 12, chunkBytes: 1000, intervalMs: 40 }), {
    clientTimeoutMs: 150,
    serverTimeoutMs: 150,
  });
  const c = await connectClient(s.port);
  await c.ended(5000);
  assert.equal(c.data().length, 12000);
  c.socket.end();
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, '--');
});

test('an upload longer than srvtimeout, the server never answering: not cut while bytes flow', async (t) => {
  const be = await startBackend({ kind: 'reply-on-end', reply: (b) => `${b.length}` });
  const s = await setup(t, be, { clientTimeoutMs: 150, serverTimeoutMs: 150 });
  const c = await connectClient(s.port);
  for (let i = 0; i < 12; i++) {
    c.socket.write(Buffer.alloc(1000, 65));
    await sleep(40);
  }
  c.socket.end();
  await c.ended(5000);
  assert.equal(c.text(), '12000');
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, '--');
});

test('abortonclose: a queued client that shuts its sending side is dropped (CQ); others get what they sent while waiting', async (t) => {
  const be = await startBackend({ kind: 'echo' });
  const s = await setup(t, be, { options: { abortonclose: true }, servers: [server('s', '127.0.0.1', be.port, { maxconn: 1 })] });
  const first = await connectClient(s.port);
  first.socket.write('1');
  await first.received(1);
  const quitter = await connectClient(s.port);
  const waiter = await connectClient(s.port);
  const waiterPort = waiter.socket.localPort;
  const px = s.rt.runtime.proxy('px')!;
  for (let i = 0; i < 200 && px.queueLength < 2; i++) await sleep(5);
  assert.equal(px.queueLength, 2);
  waiter.socket.write('sent while queued');
  quitter.socket.end();
  await quitter.ended();
  await s.rt.log('px').waitRecords(1);
  assert.equal(s.rt.log('px').records[0]!.termination, 'CQ');
  assert.equal(px.queueLength, 1);
  first.socket.end();
  await waiter.received(17);
  assert.equal(waiter.text(), 'sent while queued');
  waiter.socket.end();
  await waiter.ended();
  await s.rt.log('px').waitRecords(3);
  const last = s.rt.log('px').records.find((r) => r.clientPort === waiterPort)!;
  assert.equal(last.bytesFromClient, 17);
  assert.equal(be.connections.length, 2, 'the quitter never reached the server');
});
