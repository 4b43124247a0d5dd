// RawSocket (src/io/raw-socket.ts) with real loopback sockets: the node:net behaviour the engines
// rely on (connect, errors, half-close, destroy/reset, flow control, timeouts, counters, names,
// data that arrives before a 'data' listener), and the shared read buffer: a shared chunk is
// valid only inside its 'data' handler, so every path that keeps one (held while connecting,
// corked, queued by the kernel) must copy it — relays through RawSockets are checked byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawSocket, type SocketSink, acceptRaw, own } from '../../src/io/raw-socket.js';
import {
  closedPort,
  collect,
  listenNet,
  listenRaw,
  netConnect,
  next,
  nonLocalAddress,
  pattern,
  PatternCheck,
  readToEnd,
  sleep,
  turns,
  until,
  within,
} from '../support/raw-socket-peers.js';

type Cleanup = { after: (fn: () => unknown) => void };

/** A RawSocket.connect() that the test cleans up. */
function rawConnect(t: Cleanup, opts: Parameters<typeof RawSocket.connect>[0]): RawSocket {
  const s = RawSocket.connect(opts);
  t.after(() => s.destroy());
  return s;
}

/** Counts 'close' events; `settled()` waits for the first and a few more loop turns. */
function closeCounter(s: RawSocket): { count: () => number; hadError: () => boolean | undefined; settled: () => Promise<void> } {
  let n = 0;
  let hadError: boolean | undefined;
  s.on('close', (e: boolean) => {
    n++;
    hadError = e;
  });
  return {
    count: () => n,
    hadError: () => hadError,
    settled: async () => {
      await until(() => n > 0, 5000, "'close'");
      await turns(10);
      await sleep(20);
    },
  };
}

/** A connected pair: a RawSocket.connect() client and the node:net socket it reached. */
async function connectedPair(t: Cleanup): Promise<{ raw: RawSocket; peer: net.Socket; port: number }> {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  const [peer] = await Promise.all([srv.next(), next(raw, 'connect')]);
  return { raw, peer, port: srv.port };
}

/** A connected pair: a node:net client and the RawSocket its connection was accepted as (paused). */
async function acceptedPair(t: Cleanup): Promise<{ raw: RawSocket; peer: net.Socket; port: number }> {
  const l = await listenRaw();
  t.after(() => l.close());
  const peer = await netConnect(l.port);
  t.after(() => peer.destroy());
  const raw = await l.next();
  return { raw, peer, port: l.port };
}

// ---- connecting ---------------------------------------------------------------------------------

test('connect: pending until the connect event, then data both ways', async (t) => {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  assert.equal(raw.pending, true);
  const events: string[] = [];
  raw.on('connect', () => events.push('connect'));
  const [peer] = await Promise.all([srv.next(), next(raw, 'connect')]);
  assert.equal(raw.pending, false);
  assert.deepEqual(events, ['connect']);
  const fromPeer = collect(raw);
  const atPeer = collect(peer);
  raw.write('ping');
  peer.write('pong');
  assert.equal((await atPeer.wait(4)).toString(), 'ping');
  assert.equal((await fromPeer.wait(4)).toString(), 'pong');
});

test('connect to ::1 (connect6): IPv6 names and data', async (t) => {
  let srv;
  try {
    srv = await listenNet(undefined, '::1');
  } catch {
    t.skip('no IPv6 loopback');
    return;
  }
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '::1', port: srv.port });
  const [peer] = await Promise.all([srv.next(), next(raw, 'connect')]);
  assert.equal(raw.remoteAddress, '::1');
  assert.equal(raw.remoteFamily, 'IPv6');
  assert.equal(raw.remotePort, srv.port);
  assert.equal(raw.localPort, peer.remotePort);
  const got = collect(peer);
  raw.write('six');
  assert.equal((await got.wait(3)).toString(), 'six');
});

test('connect to a closed port: ECONNREFUSED then close(true), never synchronously', async (t) => {
  const port = await closedPort();
  const raw = rawConnect(t, { host: '127.0.0.1', port });
  // listeners attached after connect() returned: a synchronous error would be missed (and time out)
  const events: string[] = [];
  let err: NodeJS.ErrnoException | undefined;
  raw.on('error', (e: NodeJS.ErrnoException) => {
    err = e;
    events.push('error');
  });
  raw.on('connect', () => events.push('connect'));
  const closes = closeCounter(raw);
  raw.on('close', () => events.push('close'));
  await closes.settled();
  assert.deepEqual(events, ['error', 'close']);
  assert.equal(err?.code, 'ECONNREFUSED');
  assert.equal(err?.syscall, 'connect');
  assert.equal(closes.count(), 1);
  assert.equal(closes.hadError(), true);
  assert.equal(raw.destroyed, true);
});

test('connect from a local address this host does not have: EADDRNOTAVAIL then close(true)', async (t) => {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port, localAddress: nonLocalAddress() });
  let err: NodeJS.ErrnoException | undefined;
  raw.on('error', (e: NodeJS.ErrnoException) => (err = e));
  const closes = closeCounter(raw);
  await closes.settled();
  assert.equal(err?.code, 'EADDRNOTAVAIL');
  assert.equal(err?.syscall, 'bind');
  assert.equal(closes.count(), 1);
  assert.equal(closes.hadError(), true);
  assert.equal(srv.sockets.length, 0);
});

test('connect from a chosen local address: the peer sees it', async (t) => {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port, localAddress: '127.0.0.2' });
  const [peer] = await Promise.all([srv.next(), next(raw, 'connect')]);
  assert.equal(peer.remoteAddress, '127.0.0.2');
  assert.equal(raw.localAddress, '127.0.0.2');
});

test('writes and end() before connect are held, then delivered in order, then FIN', async (t) => {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  const big = pattern(7, 0, 300 * 1024);
  const cbs: string[] = [];
  raw.write('first,', () => cbs.push('1'));
  raw.write(Buffer.from('second,'), () => cbs.push('2'));
  raw.write(big, () => cbs.push('3'));
  raw.write('last');
  assert.equal(raw.bytesWritten, 6 + 7 + big.length + 4, 'bytesWritten counts held writes (as node:net)');
  assert.ok(raw.writableLength >= 6 + 7 + big.length + 4);
  raw.end();
  assert.equal(raw.pending, true);
  const peer = await srv.next();
  const got = await readToEnd(peer);
  assert.ok(got.equals(Buffer.concat([Buffer.from('first,second,'), big, Buffer.from('last')])), 'bytes in order');
  await until(() => cbs.length === 3, 2000, 'write callbacks');
  assert.deepEqual(cbs, ['1', '2', '3']);
});

test('connect from a local port already in use: EADDRINUSE then close(true)', async (t) => {
  const { raw: first, port } = await connectedPair(t);
  const raw = rawConnect(t, { host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: first.localPort });
  let err: NodeJS.ErrnoException | undefined;
  raw.on('error', (e: NodeJS.ErrnoException) => (err = e));
  const closes = closeCounter(raw);
  await closes.settled();
  assert.equal(err?.code, 'EADDRINUSE');
  assert.equal(closes.hadError(), true);
});

test("end() inside a 'connect' handler: what the handler wrote arrives, then the FIN, no error", async (t) => {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  let err: Error | undefined;
  raw.on('error', (e: Error) => (err = e));
  raw.on('connect', () => {
    raw.write(pattern(21, 0, 5000));
    raw.end();
  });
  const peer = await srv.next();
  assert.ok((await readToEnd(peer)).equals(pattern(21, 0, 5000)));
  peer.end();
  const closes = closeCounter(raw);
  await closes.settled();
  assert.equal(err, undefined);
  assert.equal(closes.hadError(), false);
});

test("write() before connect answers false past 16 KiB; 'drain' follows the connect", async (t) => {
  const srv = await listenNet();
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  assert.equal(raw.write(pattern(8, 0, 1000)), true);
  assert.equal(raw.write(pattern(8, 1000, 20_000)), false, 'held bytes past the high-water mark');
  await next(raw, 'drain');
  assert.equal(raw.writableLength, 0);
  const peer = await srv.next();
  raw.end();
  assert.ok((await readToEnd(peer)).equals(pattern(8, 0, 21_000)));
});

test(
  "writes held while connecting: 'connect' comes before 'drain' (as node:net)",
  async (t) => {
    const srv = await listenNet((s) => s.resume());
    t.after(() => srv.close());
    const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
    const events: string[] = [];
    raw.on('connect', () => events.push('connect'));
    raw.on('drain', () => events.push('drain'));
    assert.equal(raw.write(pattern(8, 0, 20_000)), false);
    await until(() => events.length === 2, 5000, "'connect' and 'drain'");
    assert.deepEqual(events, ['connect', 'drain']);
  },
);

test("corked writes answer false past 16 KiB; 'drain' follows the uncork", async (t) => {
  const { raw, peer } = await connectedPair(t);
  const got = collect(peer);
  raw.cork();
  assert.equal(raw.write(pattern(9, 0, 10_000)), true);
  assert.equal(raw.write(pattern(9, 10_000, 10_000)), false);
  const drained = next(raw, 'drain');
  raw.uncork();
  await drained;
  assert.ok((await got.wait(20_000)).equals(pattern(9, 0, 20_000)));
});

test(
  'destroy() while connecting: the held writes\' callbacks get an error and writableLength drops to 0 (as node:net)',
  async (t) => {
    const srv = await listenNet();
    t.after(() => srv.close());
    const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
    let cbErr: unknown = 'not called';
    raw.write('abc', (e) => (cbErr = e));
    assert.equal(raw.writableLength, 3);
    raw.destroy();
    await next(raw, 'close');
    await turns(5);
    assert.equal(raw.writableLength, 0);
    assert.ok(cbErr instanceof Error, `write callback: ${String(cbErr)}`);
  },
);

// ---- writing ------------------------------------------------------------------------------------

test('cork/uncork: small writes leave together, in order, on uncork', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const chunks: Buffer[] = [];
  peer.on('data', (d: Buffer) => chunks.push(d));
  raw.cork();
  raw.write('alpha ');
  raw.write(Buffer.from('beta '));
  raw.write('gamma');
  assert.equal(raw.writableLength, 16, 'held while corked');
  raw.uncork();
  await until(() => Buffer.concat(chunks).length >= 16, 5000, '16 bytes');
  assert.equal(Buffer.concat(chunks).toString(), 'alpha beta gamma');
  // one write (one segment on loopback): the first read holds more than the first write
  assert.ok(chunks[0]!.length > 6, `first chunk ${JSON.stringify(chunks[0]!.toString())}`);
});

test('cork/uncork: nested corks, writes beyond one slab and a large write keep their order', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const got = collect(peer);
  const parts: Buffer[] = [];
  const cbs: number[] = [];
  raw.cork();
  raw.cork();
  // 40 × 4 KiB = 160 KiB: more than one 128 KiB slab holds
  for (let i = 0; i < 40; i++) parts.push(pattern(i, i * 4096, 4096));
  parts.push(pattern(99, 0, 200 * 1024)); // larger than a slab on its own
  parts.push(Buffer.from('tail'));
  parts.forEach((p, i) => raw.write(p, () => cbs.push(i)));
  raw.uncork();
  const total = parts.reduce((n, p) => n + p.length, 0);
  assert.equal(raw.writableLength, total, 'still corked once');
  raw.uncork();
  const bytes = await got.wait(total);
  assert.ok(bytes.subarray(0, total).equals(Buffer.concat(parts)), 'bytes in order');
  await until(() => cbs.length === parts.length, 2000, 'write callbacks');
});

test('end() while corked flushes the held writes before the FIN', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const done = readToEnd(peer);
  raw.cork();
  raw.write('held ');
  raw.write('bytes');
  raw.end();
  assert.equal((await done).toString(), 'held bytes');
});

test('writableLength grows while the peer does not read; drain once it does; every byte arrives', async (t) => {
  const { raw, peer } = await connectedPair(t);
  peer.pause();
  const check = new PatternCheck(3);
  const chunk = 1024 * 1024;
  let offset = 0;
  let refused = false;
  for (let i = 0; i < 64 && !refused; i++) {
    refused = !raw.write(pattern(3, offset, chunk));
    offset += chunk;
  }
  assert.ok(refused, 'write() answered false before 64 MiB');
  assert.ok(raw.writableLength > 0, `writableLength ${raw.writableLength}`);
  // keep writing past the refusal: it is advisory, the bytes are still taken
  raw.write(pattern(3, offset, chunk));
  offset += chunk;
  const drained = next(raw, 'drain', 10000);
  const ended = new Promise<void>((resolve) => peer.on('end', resolve));
  peer.on('data', (d: Buffer) => check.feed(d));
  peer.resume();
  await drained;
  assert.equal(raw.writableLength, 0);
  raw.end();
  await within(ended, 10000, 'peer end');
  assert.equal(check.mismatchAt, -1, `first bad byte at ${check.mismatchAt}`);
  assert.equal(check.offset, offset);
  assert.equal(raw.bytesWritten, offset);
});

test('write callbacks run once the bytes were handed to the kernel, in order', async (t) => {
  const { raw, peer } = await connectedPair(t);
  peer.pause();
  const order: number[] = [];
  for (let i = 0; i < 8; i++) raw.write(pattern(i, 0, 512 * 1024), () => order.push(i));
  peer.resume();
  peer.on('data', () => {});
  await until(() => order.length === 8, 10000, 'eight callbacks');
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
});

// ---- ending and closing -------------------------------------------------------------------------

test('end(): the peer reads EOF, finish is emitted, the socket stays open for reading', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const closes = closeCounter(raw);
  const finished = next(raw, 'finish');
  raw.write('bye');
  raw.end();
  assert.equal(raw.writableEnded, true);
  assert.equal((await readToEnd(peer)).toString(), 'bye');
  await finished;
  assert.equal(raw.writableFinished, true);
  assert.equal(closes.count(), 0, 'half-closed, not closed');
  // still readable after our FIN
  const got = collect(raw);
  peer.write('still here');
  assert.equal((await got.wait(10)).toString(), 'still here');
  assert.equal(raw.write('late'), false, 'write after end');
  peer.end();
  await closes.settled();
  assert.equal(closes.count(), 1);
  assert.equal(closes.hadError(), false);
});

test("the peer's FIN: 'end', readableEnded, we can still write; our end() then closes once", async (t) => {
  const { raw, peer } = await connectedPair(t);
  const closes = closeCounter(raw);
  const got = collect(raw);
  const ended = next(raw, 'end');
  peer.end('last words');
  await ended;
  assert.equal(got.bytes().toString(), 'last words', "data before 'end'");
  assert.equal(raw.readableEnded, true);
  assert.equal(raw.destroyed, false);
  const atPeer = readToEnd(peer);
  raw.write('answer');
  raw.end();
  assert.equal((await atPeer).toString(), 'answer');
  await closes.settled();
  assert.equal(closes.count(), 1);
});

test('half-close both ways on an accepted socket: close once, nothing lost', async (t) => {
  const { raw, peer } = await acceptedPair(t);
  const closes = closeCounter(raw);
  const got = collect(raw);
  const ended = next(raw, 'end');
  raw.resume();
  const atPeer = readToEnd(peer);
  raw.end('from raw');
  peer.end('from peer');
  await ended;
  assert.equal((await atPeer).toString(), 'from raw');
  assert.equal(got.bytes().toString(), 'from peer');
  await closes.settled();
  assert.equal(closes.count(), 1);
  assert.equal(closes.hadError(), false);
});

test('destroy(): close once (no error), later writes answer false and do not throw', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const closes = closeCounter(raw);
  const peerEnd = readToEnd(peer);
  let errored = false;
  raw.on('error', () => (errored = true));
  raw.destroy();
  assert.equal(raw.destroyed, true);
  let cbErr: unknown;
  assert.equal(
    raw.write('x', (e) => (cbErr = e)),
    false,
  );
  raw.end('y');
  raw.destroy();
  raw.resetAndDestroy();
  raw.destroySoon();
  raw.pause();
  raw.resume();
  raw.setTimeout(10);
  raw.setNoDelay(false);
  raw.setKeepAlive(true, 1000);
  await closes.settled();
  assert.equal(closes.count(), 1);
  assert.equal(closes.hadError(), false);
  assert.equal(errored, false);
  assert.ok(cbErr instanceof Error, 'the write callback gets an error');
  assert.equal((await peerEnd).length, 0);
});

test('destroy(err): error then close(true)', async (t) => {
  const { raw } = await connectedPair(t);
  const events: string[] = [];
  raw.on('error', (e: Error) => events.push(`error:${e.message}`));
  raw.on('close', (h: boolean) => events.push(`close:${h}`));
  raw.destroy(new Error('boom'));
  assert.deepEqual(events, [], 'nothing synchronously');
  await until(() => events.length === 2, 5000, 'error and close');
  assert.deepEqual(events, ['error:boom', 'close:true']);
});

test('destroySoon(): queued bytes leave first, then FIN, finish and close', async (t) => {
  const { raw, peer } = await connectedPair(t);
  peer.pause();
  const big = pattern(11, 0, 3 * 1024 * 1024);
  raw.write(big);
  const closes = closeCounter(raw);
  const finished = next(raw, 'finish', 10000);
  raw.destroySoon();
  assert.equal(closes.count(), 0);
  const got = readToEnd(peer, 10000);
  peer.resume();
  assert.ok((await got).equals(big));
  await finished;
  await closes.settled();
  assert.equal(closes.count(), 1);
});

test('resetAndDestroy(): the peer sees ECONNRESET', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const closes = closeCounter(raw);
  const peerErr = next(peer, 'error');
  peer.on('data', () => {});
  raw.resetAndDestroy();
  const [e] = (await peerErr) as [NodeJS.ErrnoException];
  assert.equal(e.code, 'ECONNRESET');
  await closes.settled();
  assert.equal(closes.count(), 1);
});

test('resetAndDestroy() on an accepted socket: the client sees ECONNRESET', async (t) => {
  const { raw, peer } = await acceptedPair(t);
  const peerErr = next(peer, 'error');
  peer.on('data', () => {});
  raw.resetAndDestroy();
  const [e] = (await peerErr) as [NodeJS.ErrnoException];
  assert.equal(e.code, 'ECONNRESET');
});

test('a reset by the peer: error ECONNRESET (read) then close(true)', async (t) => {
  const { raw, peer } = await connectedPair(t);
  let err: NodeJS.ErrnoException | undefined;
  raw.on('error', (e: NodeJS.ErrnoException) => (err = e));
  raw.on('data', () => {});
  const closes = closeCounter(raw);
  peer.resetAndDestroy();
  await closes.settled();
  assert.equal(err?.code, 'ECONNRESET');
  assert.equal(closes.count(), 1);
  assert.equal(closes.hadError(), true);
});

test('a reset by the peer with no error listener: no crash, close(true)', async (t) => {
  const { raw, peer } = await connectedPair(t);
  raw.on('data', () => {});
  const closes = closeCounter(raw);
  peer.resetAndDestroy();
  // an 'error' emitted without a listener would throw from a nextTick: an uncaught exception here
  await closes.settled();
  assert.equal(closes.hadError(), true);
  assert.equal(raw.listenerCount('error'), 0);
});

// ---- reading ------------------------------------------------------------------------------------

test('an accepted socket emits nothing until resume()', async (t) => {
  const { raw, peer } = await acceptedPair(t);
  const got = collect(raw);
  let ended = false;
  raw.on('end', () => (ended = true));
  assert.equal(raw.isPaused(), true);
  peer.end('early bytes');
  await sleep(60);
  assert.equal(got.bytes().length, 0, 'nothing read before resume()');
  assert.equal(ended, false);
  raw.resume();
  assert.equal((await got.wait(11)).toString(), 'early bytes');
  await until(() => ended, 5000, "'end'");
});

test('pause() stops data, resume() delivers what came meanwhile', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const got = collect(raw);
  peer.write('a');
  await got.wait(1);
  raw.pause();
  assert.equal(raw.isPaused(), true);
  peer.write('b');
  await sleep(60);
  assert.equal(got.bytes().toString(), 'a', 'paused: nothing delivered');
  raw.resume();
  assert.equal(raw.isPaused(), false);
  assert.equal((await got.wait(2)).toString(), 'ab');
});

test("data (and FIN) arriving before any 'data' listener is delivered, in order, once one is attached", async (t) => {
  const payload = Buffer.concat([Buffer.from('greeting\r\n'), pattern(5, 0, 200 * 1024)]);
  const srv = await listenNet((s) => s.end(payload));
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  await next(raw, 'connect');
  await srv.next();
  await sleep(50); // the greeting is read with nobody listening
  const done = readToEnd(raw);
  assert.ok((await done).equals(payload));
  assert.equal(raw.readableEnded, true);
});

test("data read before the 'data' listener is kept even when the shared buffer is reused meanwhile", async (t) => {
  // a server connection that shares reads gets its greeting before the engine listens; other
  // shared-read sockets read into the same buffer before the listener attaches
  const greeting = pattern(21, 0, 30 * 1024);
  const srv = await listenNet((s) => s.write(greeting));
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  raw.shareReads();
  await next(raw, 'connect');
  const peer = await srv.next();
  await sleep(40);
  // another shared-read socket reads different bytes into the shared buffer
  const other = await connectedPair(t);
  other.raw.shareReads();
  const otherGot = collect(other.raw);
  other.peer.write(pattern(99, 0, 60 * 1024));
  await otherGot.wait(60 * 1024);
  const got = collect(raw);
  peer.end();
  await until(() => raw.readableEnded, 5000, "'end'");
  assert.ok(got.bytes().equals(greeting), 'the early bytes were copied, not kept as a view');
});

test('bytesRead / bytesWritten count both ways and survive destroy', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const atPeer = collect(peer);
  const got = collect(raw);
  raw.write(pattern(1, 0, 1000));
  raw.write('12345');
  peer.write(pattern(2, 0, 777));
  await atPeer.wait(1005);
  await got.wait(777);
  assert.equal(raw.bytesWritten, 1005);
  assert.equal(raw.bytesRead, 777);
  raw.destroy();
  await next(raw, 'close');
  assert.equal(raw.bytesWritten, 1005);
  assert.equal(raw.bytesRead, 777);
});

test('names: remote/local address and port of accepted and connected sockets', async (t) => {
  const a = await acceptedPair(t);
  assert.equal(a.raw.remoteAddress, '127.0.0.1');
  assert.equal(a.raw.remoteFamily, 'IPv4');
  assert.equal(a.raw.remotePort, a.peer.localPort);
  assert.equal(a.raw.localAddress, '127.0.0.1');
  assert.equal(a.raw.localPort, a.port);
  const c = await connectedPair(t);
  assert.equal(c.raw.remoteAddress, '127.0.0.1');
  assert.equal(c.raw.remotePort, c.port);
  assert.equal(c.raw.localPort, c.peer.remotePort);
  assert.equal(c.raw.localAddress, '127.0.0.1');
  // still known after close (log lines are written after it)
  c.raw.destroy();
  assert.equal(c.raw.remotePort, c.port);
});

test('names of a connection accepted on a wildcard listener: the real local address', async (t) => {
  const l = await listenRaw('0.0.0.0');
  t.after(() => l.close());
  const peer = await netConnect(l.port, '127.0.0.1');
  t.after(() => peer.destroy());
  const raw = await l.next();
  assert.equal(raw.localAddress, '127.0.0.1');
  assert.equal(raw.localPort, l.port);
  assert.equal(raw.remotePort, peer.localPort);
});

test('names of a connection accepted on ::1', async (t) => {
  let l;
  try {
    l = await listenRaw('::1');
  } catch {
    t.skip('no IPv6 loopback');
    return;
  }
  t.after(() => l.close());
  const peer = await netConnect(l.port, '::1');
  t.after(() => peer.destroy());
  const raw = await l.next();
  assert.equal(raw.remoteAddress, '::1');
  assert.equal(raw.remoteFamily, 'IPv6');
  assert.equal(raw.remotePort, peer.localPort);
  assert.equal(raw.localAddress, '::1');
  assert.equal(raw.localPort, l.port);
  const got = collect(raw);
  raw.resume();
  peer.write('over six');
  assert.equal((await got.wait(8)).toString(), 'over six');
});

test('acceptRaw refuses a server that is not listening', () => {
  const server = net.createServer();
  assert.equal(
    acceptRaw(server as unknown as { _handle?: unknown }, true, () => {}, () => {}),
    false,
  );
});

// ---- timeouts -----------------------------------------------------------------------------------

test("setTimeout(ms): 'timeout' after inactivity, the socket stays open; callback form too", async (t) => {
  const { raw } = await connectedPair(t);
  let cb = 0;
  raw.setTimeout(30, () => cb++);
  assert.equal(raw.timeout, 30);
  await next(raw, 'timeout', 3000);
  assert.equal(cb, 1);
  assert.equal(raw.destroyed, false);
});

test('setTimeout(0) cancels the timeout', async (t) => {
  const { raw } = await connectedPair(t);
  let fired = 0;
  raw.on('timeout', () => fired++);
  raw.setTimeout(20);
  raw.setTimeout(0);
  await sleep(150);
  assert.equal(fired, 0);
});

test(
  "setTimeout(ms): after a 'timeout', activity re-arms it and it fires again (as node:net)",
  async (t) => {
    const { raw, peer } = await connectedPair(t);
    let fired = 0;
    raw.on('timeout', () => fired++);
    raw.on('data', () => {});
    raw.setTimeout(30);
    await until(() => fired === 1, 3000, 'the first timeout');
    peer.write('activity');
    await until(() => fired === 2, 1000, 'a second timeout after activity');
  },
);

// ---- shared reads -------------------------------------------------------------------------------

const sharedReads = process.env.TSPROXY_SHARED_READS !== '0';

test('shared reads: a chunk is a view valid only inside its handler; own() copies it', { skip: !sharedReads && 'TSPROXY_SHARED_READS=0' }, async (t) => {
  const a = await connectedPair(t);
  const b = await connectedPair(t);
  a.raw.shareReads();
  b.raw.shareReads();
  let kept: Buffer | undefined;
  let owned: Buffer | undefined;
  a.raw.on('data', (d: Buffer) => {
    kept = d;
    owned = own(d);
  });
  a.peer.write('AAAAAAAA');
  await until(() => kept !== undefined, 5000, "a's chunk");
  assert.notEqual(owned, kept);
  assert.equal(owned!.toString(), 'AAAAAAAA');
  const bGot = collect(b.raw);
  b.peer.write('BBBBBBBB');
  await bGot.wait(8);
  // the premise of every shared-read test: the view now shows b's bytes
  assert.equal(kept!.toString(), 'BBBBBBBB', 'reads of both sockets land in one buffer');
  assert.equal(owned!.toString(), 'AAAAAAAA', 'the copy is unaffected');
  const plain = Buffer.from('x');
  assert.equal(own(plain), plain, 'own() of a buffer that is not shared is the buffer itself');
  assert.equal(own(undefined), undefined);
});

type RelayMode = 'queue' | 'backpressure' | 'cork' | 'pending';

interface Relay {
  /** The relay's connection towards the sink (once opened). */
  out(): RawSocket | undefined;
  /** The source wrote its last byte. */
  srcDone(): boolean;
}

/**
 * Streams `bytes` of pattern `seed` from a node:net client through an accepted RawSocket that
 * shares reads, relayed chunk by chunk to a RawSocket.connect() towards the sink at `sinkPort`.
 */
async function relay(t: Cleanup, mode: RelayMode, seed: number, bytes: number, sinkPort: number): Promise<Relay> {
  const l = await listenRaw();
  t.after(() => l.close());
  const src = await netConnect(l.port);
  t.after(() => src.destroy());
  const inS = await l.next();
  inS.shareReads();
  let out: RawSocket | undefined;
  const open = (): RawSocket => {
    const s = rawConnect(t, { host: '127.0.0.1', port: sinkPort });
    s.shareReads();
    s.on('error', () => {});
    return s;
  };
  if (mode !== 'pending') out = open();
  inS.on('data', (d: Buffer) => {
    // 'pending': the server connection starts on the first bytes, which are held meanwhile
    out ??= open();
    const o = out;
    if (mode === 'cork') {
      o.cork();
      o.write(d);
      setImmediate(() => o.uncork());
      return;
    }
    if (!o.write(d) && mode === 'backpressure') {
      inS.pause();
      o.once('drain', () => inS.resume());
    }
  });
  inS.on('end', () => setImmediate(() => out?.end()));
  // 'pending': read once the source's bytes wait in the kernel, so one read event delivers
  // several 64 KiB chunks (each overwriting the shared buffer) while the connect is under way
  if (mode === 'pending') setTimeout(() => inS.resume(), 30);
  else inS.resume();
  // the source: the pattern in 64 KiB writes, with its own backpressure, then FIN
  let off = 0;
  let done = false;
  const pump = () => {
    while (off < bytes) {
      const n = Math.min(64 * 1024, bytes - off);
      const ok = src.write(pattern(seed, off, n));
      off += n;
      if (!ok) {
        src.once('drain', pump);
        return;
      }
    }
    done = true;
    src.end();
  };
  pump();
  return { out: () => out, srcDone: () => done };
}

/**
 * A sink that does not read until the relay has bytes queued in user space (the kernel buffers
 * are full: RawSocket writes are asynchronous from then on) or the source is done, then reads
 * slowly, checking pattern `seed`. Resolves at its FIN with the check and the largest queue seen.
 */
async function slowSink(s: net.Socket, seed: number, r: Relay): Promise<{ check: PatternCheck; maxQueued: number }> {
  const check = new PatternCheck(seed);
  s.pause();
  let maxQueued = 0;
  const sample = setInterval(() => (maxQueued = Math.max(maxQueued, r.out()?.writableLength ?? 0)), 2);
  try {
    await until(() => maxQueued >= 256 * 1024 || r.srcDone(), 10000, 'a queue towards the sink');
    let n = 0;
    s.on('data', (d: Buffer) => {
      check.feed(d);
      if (++n % 8 === 0) {
        s.pause();
        setTimeout(() => s.resume(), 1);
      }
    });
    const ended = new Promise<void>((resolve) => s.on('end', resolve));
    s.resume();
    await within(ended, 20000, 'the sink to finish');
  } finally {
    clearInterval(sample);
  }
  return { check, maxQueued };
}

test('shared reads relayed through RawSockets to slow readers: every byte of four concurrent streams', async (t) => {
  // more than the kernel buffers of one loopback connection take (~4 MB): writes go asynchronous
  const BYTES = 6 * 1024 * 1024;
  const modes: RelayMode[] = ['queue', 'backpressure', 'cork', 'pending'];
  const results = await Promise.all(
    modes.map(async (mode, i) => {
      // one sink listener per stream: which connection is which is then known
      const sinkSrv = await listenNet();
      t.after(() => sinkSrv.close());
      const r = await relay(t, mode, 40 + i, BYTES, sinkSrv.port);
      const sink = await sinkSrv.next(10000);
      return { mode, ...(await slowSink(sink, 40 + i, r)) };
    }),
  );
  // all four at once: the report names every stream that went wrong
  assert.deepEqual(
    results.map(({ mode, check, maxQueued }) => `${mode}: first bad byte ${check.mismatchAt}, ${check.offset} bytes, queued ${maxQueued > 0}`),
    modes.map((mode) => `${mode}: first bad byte -1, ${BYTES} bytes, queued true`),
  );
});

// ---- sinks ---------------------------------------------------------------------------------------

/** A SocketSink that records what it is told, in order, with the listeners' events. */
function recordingSink(log: string[]): SocketSink {
  return {
    data: (_s, b) => log.push(`sink:data:${b.toString('latin1')}`),
    end: () => log.push('sink:end'),
    error: (_s, e) => log.push(`sink:error:${(e as NodeJS.ErrnoException).code ?? e.message}`),
    close: (_s, hadError) => log.push(`sink:close:${hadError}`),
    drain: () => log.push('sink:drain'),
    timeout: () => log.push('sink:timeout'),
  };
}

test('attachSink: the sink gets data, end and close, each after the listeners registered before it', async (t) => {
  const { raw, peer } = await acceptedPair(t);
  const log: string[] = [];
  raw.on('data', (b: Buffer) => log.push(`listener:data:${b.toString('latin1')}`));
  raw.on('end', () => log.push('listener:end'));
  raw.on('close', (e: boolean) => log.push(`listener:close:${e}`));
  raw.attachSink(recordingSink(log), 'ref');
  assert.equal(raw.sessionRef, 'ref');
  raw.resume();
  peer.write('hello');
  await until(() => log.includes('sink:data:hello'), 5000, 'data');
  peer.end();
  await until(() => log.includes('sink:end'), 5000, 'end');
  raw.destroy();
  await until(() => log.includes('sink:close:false'), 5000, 'close');
  assert.deepEqual(log, ['listener:data:hello', 'sink:data:hello', 'listener:end', 'sink:end', 'listener:close:false', 'sink:close:false']);
});

test('attachSink after bytes arrived with nobody listening: they reach the sink, then the EOF', async (t) => {
  const srv = await listenNet((s) => {
    s.end('early bytes');
  });
  t.after(() => srv.close());
  const raw = rawConnect(t, { host: '127.0.0.1', port: srv.port });
  await next(raw, 'connect');
  await sleep(50); // the server's bytes and FIN arrive while no listener and no sink is there
  const log: string[] = [];
  raw.attachSink(recordingSink(log), undefined);
  await until(() => log.includes('sink:end'), 5000, 'end');
  assert.deepEqual(log, ['sink:data:early bytes', 'sink:end']);
});

test('a sink hears a reset as an error, then the close (true), with no error listener', async (t) => {
  const { raw, peer } = await connectedPair(t);
  const log: string[] = [];
  raw.attachSink(recordingSink(log), undefined);
  peer.resetAndDestroy();
  await until(() => log.some((l) => l.startsWith('sink:close')), 5000, 'close');
  assert.deepEqual(log, ['sink:error:ECONNRESET', 'sink:close:true']);
});
