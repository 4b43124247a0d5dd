// Server selection and connection through a real Runtime on loopback: retries, redispatch,
// no server, connect timeout, backups, balance source, per-server maxconn queues, dispatch,
// mapped ports and source addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend, startBlackhole, type Backend } from '../support/backend.js';
import { connectClient, sleep } from '../support/client.js';
import { freePort, freePorts } from '../support/ports.js';
import { addr, bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';

async function named(name: string, host = '127.0.0.1', port = 0): Promise<Backend> {
  return startBackend({ kind: 'echo', greeting: `${name}\n` }, host, port);
}

/** Connects, reads the backend's greeting line (or '' if closed without one), closes. */
async function whoAnswers(port: number, o: { localAddress?: string } = {}): Promise<string> {
  const c = await connectClient(port, '127.0.0.1', o);
  await Promise.race([c.received(1), c.ended()]);
  const deadline = Date.now() + 3000;
  while (!c.text().includes('\n') && !c.gotEnd && Date.now() < deadline) await sleep(5);
  c.socket.destroy();
  await c.closed();
  return c.text().split('\n')[0]!;
}

test('retries then redispatch: the last attempt goes to another server', async (t) => {
  const good = await named('good');
  t.after(() => good.close());
  const [refusing, port] = await freePorts(2);
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port!)],
      retries: 2,
      options: { redispatch: true, tcplog: true },
      servers: [server('bad', '127.0.0.1', refusing), server('good', '127.0.0.1', good.port)],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port!), 'good');
  const bad = rt.runtime.proxy('px')!.servers[0]!;
  assert.equal(bad.retries, 2);
  assert.equal(bad.redispatches, 1);
  assert.equal(bad.connectErrors, 0);
  const log = rt.log('px');
  await log.waitRecords(1);
  assert.equal(log.records[0]!.serverName, 'good');
  assert.equal(bad.currentSessions, 0, 'the failed server\'s slot was released');
});

test('retries without redispatch: refused on every attempt closes the client, SC', async (t) => {
  const [refusing, port] = await freePorts(2);
  const good = await named('good');
  t.after(() => good.close());
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port!)],
      retries: 3,
      options: { tcplog: true },
      servers: [server('bad', '127.0.0.1', refusing), server('good', '127.0.0.1', good.port)],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port!), '', 'tcp mode: plain close');
  const bad = rt.runtime.proxy('px')!.servers[0]!;
  assert.equal(bad.retries, 3);
  assert.equal(bad.connectErrors, 1);
  const log = rt.log('px');
  await log.waitRecords(1);
  assert.equal(log.records[0]!.termination, 'SC');
  assert.equal(log.records[0]!.serverName, 'bad');
  assert.equal(log.records[0]!.tc, -1);
  // the proxy keeps serving: the next client goes to the next server
  assert.equal(await whoAnswers(port!), 'good');
});

test('no usable server: closed at once without a network attempt, sC', async (t) => {
  const be = await named('a');
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', { binds: [bind('127.0.0.1', port)], options: { tcplog: true }, servers: [server('a', '127.0.0.1', be.port)] }),
  ]);
  t.after(() => rt.stop());
  rt.runtime.proxy('px')!.servers[0]!.setDown();
  assert.equal(await whoAnswers(port), '');
  assert.equal(be.connections.length, 0);
  await rt.log('px').waitRecords(1);
  assert.equal(rt.log('px').records[0]!.termination, 'sC');
  assert.equal(rt.log('px').records[0]!.serverName, undefined);
  rt.runtime.proxy('px')!.servers[0]!.setUp();
  assert.equal(await whoAnswers(port), 'a');
});

test('connect timeout: contimeout per attempt, then sC', async (t) => {
  const hole = await startBlackhole();
  t.after(() => hole.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      connectTimeoutMs: 150,
      retries: 1,
      options: { tcplog: true },
      servers: [server('hole', '127.0.0.1', hole.port)],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port), '');
  await rt.log('px').waitRecords(1);
  const r = rt.log('px').records[0]!;
  assert.equal(r.termination, 'sC');
  assert.ok(r.tt >= 250, `two attempts of 150 ms, Tt=${r.tt}`);
  assert.equal(rt.runtime.proxy('px')!.servers[0]!.retries, 1);
});

test('backups: used only when no active server; first backup only unless allbackups', async (t) => {
  const bes = await Promise.all(['a', 'k1', 'k2'].map((n) => named(n)));
  t.after(() => Promise.all(bes.map((b) => b.close())));
  const [p1, p2] = await freePorts(2);
  const servers = [
    server('a', '127.0.0.1', bes[0]!.port),
    server('k1', '127.0.0.1', bes[1]!.port, { backup: true }),
    server('k2', '127.0.0.1', bes[2]!.port, { backup: true }),
  ];
  const rt = await startRuntime([
    proxy('first', { binds: [bind('127.0.0.1', p1!)], servers }),
    proxy('all', { binds: [bind('127.0.0.1', p2!)], servers, options: { allbackups: true } }),
  ]);
  t.after(() => rt.stop());
  const seq = async (port: number, n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await whoAnswers(port));
    return out;
  };
  assert.deepEqual(await seq(p1!, 3), ['a', 'a', 'a']);
  rt.runtime.proxy('first')!.servers[0]!.setDown();
  rt.runtime.proxy('all')!.servers[0]!.setDown();
  assert.deepEqual(await seq(p1!, 3), ['k1', 'k1', 'k1']);
  assert.deepEqual((await seq(p2!, 4)).sort(), ['k1', 'k1', 'k2', 'k2']);
  rt.runtime.proxy('first')!.servers[1]!.setDown();
  assert.deepEqual(await seq(p1!, 2), ['k2', 'k2']);
  rt.runtime.proxy('first')!.servers[0]!.setUp();
  assert.deepEqual(await seq(p1!, 2), ['a', 'a']);
});

test('redispatch with no other active server goes to a backup (decision 8)', async (t) => {
  const k = await named('k');
  t.after(() => k.close());
  const [refusing, port] = await freePorts(2);
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port!)],
      retries: 1,
      options: { redispatch: true },
      servers: [server('a', '127.0.0.1', refusing), server('k', '127.0.0.1', k.port, { backup: true })],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port!), 'k');
});

test('balance source: a client address always reaches the same server', async (t) => {
  const bes = await Promise.all(['a', 'b', 'c'].map((n) => named(n)));
  t.after(() => Promise.all(bes.map((b) => b.close())));
  const port = await freePort('0.0.0.0');
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('0.0.0.0', port)],
      balance: 'source',
      servers: bes.map((b, i) => server(['a', 'b', 'c'][i]!, '127.0.0.1', b.port)),
    }),
  ]);
  t.after(() => rt.stop());
  const seen = new Set<string>();
  for (const src of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) {
    const first = await whoAnswers(port, { localAddress: src });
    seen.add(first);
    for (let i = 0; i < 3; i++) assert.equal(await whoAnswers(port, { localAddress: src }), first, src);
  }
  // 127.0.0.1..4 hash to consecutive values modulo 3: more than one server is used
  assert.ok(seen.size > 1);
});

test('per-server maxconn: extra sessions wait in the queue and proceed when a slot frees', async (t) => {
  const be = await named('a');
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      options: { tcplog: true },
      servers: [server('a', '127.0.0.1', be.port, { maxconn: 1 })],
    }),
  ]);
  t.after(() => rt.stop());
  const c1 = await connectClient(port);
  await c1.received(2);
  const c2 = await connectClient(port);
  const px = rt.runtime.proxy('px')!;
  for (let i = 0; i < 200 && px.queueLength === 0; i++) await sleep(5);
  assert.equal(px.queueLength, 1, 'second session queued in the proxy queue');
  assert.equal(be.connections.length, 1, 'no second server connection yet');
  assert.equal(px.servers[0]!.currentSessions, 1);
  assert.equal(px.servers[0]!.sessionLimit, 1);
  c1.socket.end();
  await c1.closed();
  await c2.received(2);
  assert.equal(c2.text(), 'a\n');
  assert.equal(px.queueLength, 0);
  assert.equal(px.servers[0]!.maxSessions, 1, 'peak concurrent sessions never passed the limit');
  assert.equal(px.servers[0]!.totalSessions, 2);
  c2.socket.end();
  await c2.closed();
  await rt.log('px').waitRecords(2);
  assert.ok(rt.log('px').records[1]!.tw >= 0);
});

test('queue timeout: contimeout bounds the wait, sQ', async (t) => {
  const be = await named('a');
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      connectTimeoutMs: 200,
      options: { tcplog: true },
      servers: [server('a', '127.0.0.1', be.port, { maxconn: 1 })],
    }),
  ]);
  t.after(() => rt.stop());
  const c1 = await connectClient(port);
  await c1.received(2);
  const c2 = await connectClient(port);
  await c2.ended();
  assert.equal(c2.text(), '');
  await rt.log('px').waitRecords(1);
  assert.equal(rt.log('px').records[0]!.termination, 'sQ');
  assert.ok(rt.log('px').records[0]!.tw >= 150);
  c1.socket.destroy();
});

test('dispatch (guide §4.2.1): no balance, every connection to the dispatch address, <NOSRV>', async (t) => {
  const be = await named('web');
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('checks', {
      binds: [bind('127.0.0.1', port)],
      balance: undefined,
      dispatch: addr('127.0.0.1', be.port),
      connectTimeoutMs: 1000,
      clientTimeoutMs: 10000,
      serverTimeoutMs: 10000,
      options: { tcplog: true },
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port), 'web');
  assert.equal(await whoAnswers(port), 'web');
  await rt.log('checks').waitRecords(2);
  assert.equal(rt.log('checks').records[0]!.serverName, undefined);
});

test('a server with no port connects to the port the client used (guide §2.2); +N offsets', async (t) => {
  const [p1, p2] = await freePorts(2);
  // the "farm" listens on 127.0.0.10 on the same ports the proxy binds on 127.0.0.1
  const f1 = await named('farm1', '127.0.0.10', p1!);
  const f2 = await named('farm2', '127.0.0.10', p2!);
  const off = await named('offset', '127.0.0.10', 0);
  t.after(() => Promise.all([f1.close(), f2.close(), off.close()]));
  const p3 = await freePort();
  const rt = await startRuntime([
    proxy('tse', { binds: [bind('127.0.0.1', p1!), bind('127.0.0.1', p2!)], servers: [server('tse-farm', '127.0.0.10')] }),
    proxy('shift', {
      binds: [bind('127.0.0.1', p3)],
      servers: [server('s', '127.0.0.10', { offset: off.port - p3 })],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(p1!), 'farm1');
  assert.equal(await whoAnswers(p2!), 'farm2');
  assert.equal(f1.connections[0]!.localPort, p1);
  assert.equal(await whoAnswers(p3), 'offset');
});

test('source: outgoing connections bound to the proxy source, the server source wins', async (t) => {
  const a = await named('a');
  const b = await named('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      source: { host: '127.0.0.7', family: 4, port: 0 },
      servers: [
        server('a', '127.0.0.1', a.port),
        server('b', '127.0.0.1', b.port, { source: { host: '127.0.0.8', family: 4, port: 0 } }),
      ],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port), 'a');
  assert.equal(await whoAnswers(port), 'b');
  assert.equal(a.connections[0]!.remoteAddress, '127.0.0.7');
  assert.equal(b.connections[0]!.remoteAddress, '127.0.0.8');
});

test('connect() API: a cookie-directed request goes to that server; cancel() leaves no slot behind', async (t) => {
  const a = await named('a');
  const b = await named('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      servers: [server('a', '127.0.0.1', a.port, { cookie: 'A' }), server('b', '127.0.0.1', b.port, { cookie: 'B', maxconn: 1 })],
    }),
  ]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  const direct = px.findServerByCookie('B').server;
  assert.equal(direct?.config.name, 'b');
  const req = { clientAddress: '127.0.0.1', clientPort: 1, frontendPort: port, direct };
  const r1 = await new Promise<Parameters<Parameters<typeof px.connect>[1]>[0]>((res) => px.connect(req, res));
  assert.equal(r1.ok, true);
  assert.equal(r1.server?.config.name, 'b');
  // b is full: a second request waits in b's queue; cancelling it leaves nothing behind
  let called = false;
  const pending = px.connect(req, () => (called = true));
  for (let i = 0; i < 100 && px.servers[1]!.queueLength === 0; i++) await sleep(2);
  assert.equal(px.servers[1]!.queueLength, 1);
  pending.cancel();
  assert.equal(px.servers[1]!.queueLength, 0);
  if (r1.ok) {
    r1.socket.destroy();
    r1.release();
    r1.release();
  }
  assert.equal(px.servers[1]!.currentSessions, 0);
  await sleep(20);
  assert.equal(called, false);
});

test('a source address that is not local: the legacy emerg message, the client closed, SC', async (t) => {
  const a = await named('a');
  t.after(() => a.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      retries: 0,
      options: { tcplog: true },
      servers: [server('a', '127.0.0.1', a.port, { source: { host: '192.0.2.77', family: 4, port: 0 } })],
    }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await whoAnswers(port), '');
  assert.equal(a.connections.length, 0);
  await rt.log('px').waitRecords(1);
  assert.equal(rt.log('px').records[0]!.termination, 'SC');
  // legacy: an emerg syslog message only, nothing on stderr
  assert.equal(rt.processLog.messages().includes('Cannot bind to source address before connect() for server px/a.'), false);
  assert.deepEqual(rt.log('px').sent.at(-1), { level: 0, message: 'Cannot bind to source address before connect() for server px/a.' });
});

type Result = Parameters<Parameters<import('../../src/runtime/types.js').ProxyRuntime['connect']>[1]>[0];

test('queues: a freed slot serves the server queue before the proxy queue', async (t) => {
  const a = await named('a');
  t.after(() => a.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('a', '127.0.0.1', a.port, { cookie: 'A', maxconn: 1 })] }),
  ]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  const base = { clientAddress: '127.0.0.1', clientPort: 1, frontendPort: port };
  const first = await new Promise<Result>((res) => px.connect({ ...base, direct: undefined }, res));
  assert.equal(first.ok, true);
  const order: string[] = [];
  const results: Result[] = [];
  px.connect({ ...base, direct: undefined }, (r) => (order.push('balanced'), results.push(r)));
  await sleep(10);
  px.connect({ ...base, direct: px.servers[0] }, (r) => (order.push('direct'), results.push(r)));
  for (let i = 0; i < 100 && (px.queueLength === 0 || px.servers[0]!.queueLength === 0); i++) await sleep(2);
  assert.equal(px.queueLength, 1);
  assert.equal(px.servers[0]!.queueLength, 1);
  if (first.ok) {
    first.socket.destroy();
    first.release();
  }
  for (let i = 0; i < 200 && order.length < 1; i++) await sleep(5);
  assert.deepEqual(order, ['direct']);
  const r = results[0]!;
  if (r.ok) {
    assert.ok(r.queueMs >= 0);
    r.socket.destroy();
    r.release();
  }
  for (let i = 0; i < 200 && order.length < 2; i++) await sleep(5);
  assert.deepEqual(order, ['direct', 'balanced']);
  for (const x of results) if (x.ok) (x.socket.destroy(), x.release());
  assert.equal(px.servers[0]!.currentSessions, 0);
});

test('a server going DOWN hands its queue to the others with redispatch', async (t) => {
  const a = await named('a');
  const b = await named('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      options: { redispatch: true },
      servers: [server('a', '127.0.0.1', a.port, { cookie: 'A', maxconn: 1 }), server('b', '127.0.0.1', b.port)],
    }),
  ]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  const req = { clientAddress: '127.0.0.1', clientPort: 1, frontendPort: port, direct: px.servers[0] };
  const held = await new Promise<Result>((res) => px.connect(req, res));
  const queued = new Promise<Result>((res) => px.connect(req, res));
  for (let i = 0; i < 100 && px.servers[0]!.queueLength === 0; i++) await sleep(2);
  assert.equal(px.servers[0]!.queueLength, 1);
  const counts = px.servers[0]!.setDown();
  assert.equal(counts.requeued, 1);
  assert.equal(counts.remainingInQueue, 0);
  assert.equal(counts.sessionsActive, 1);
  const r = await queued;
  assert.equal(r.ok && r.server?.config.name, 'b');
  for (const x of [held, r]) if (x.ok) (x.socket.destroy(), x.release());
});
