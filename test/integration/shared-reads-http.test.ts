// Shared reads end to end in mode http (the real Runtime and HTTP engine on RawSockets): every
// read of every connection lands in one process-wide buffer, so a byte the engine keeps past its
// 'data' handler without own(), or a write whose remainder libuv sends later from that buffer,
// shows up as a corrupted byte. Each test runs its main exchange while other clients push traffic
// through the same proxy (the buffer is overwritten all the time) and checks every byte against
// a position-dependent pattern: large responses to slow readers (content-length and chunked),
// many clients at once, large uploads to a slow origin, pipelined requests and heads split into
// single-byte segments, and an Upgrade tunnel with early bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import type { ProxySocket } from '../../src/io/socket.js';
import { acceptHttpSession } from '../../src/http/session.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';
import { backpressureGate, lateReaderGate, bytesOf, chunked, dribble, httpBackground, httpClient, patternOf, startPatternOrigin, writeAll, type PatternOrigin } from '../support/raw-socket-traffic.js';
import { until } from '../support/raw-socket-peers.js';

type Cleanup = { after: (fn: () => unknown) => void };

const MiB = 1024 * 1024;

/** A mode http proxy in front of `origin`; proxySideOf(c) is the proxy's socket for client c. */
async function httpProxy(t: Cleanup, origin: PatternOrigin) {
  const port = await freePort();
  const accepted: ProxySocket[] = [];
  const rt = await startRuntime(
    [
      proxy('px', {
        mode: 'http',
        binds: [bind('127.0.0.1', port)],
        servers: [server('s', '127.0.0.1', origin.port)],
        connectTimeoutMs: 5000,
        clientTimeoutMs: 20000,
        serverTimeoutMs: 20000,
      }),
    ],
    {
      hooks: {
        handlers: {
          http: (p, s, at) => {
            accepted.push(s);
            s.resume();
            acceptHttpSession(p, s, at);
          },
        },
      },
    },
  );
  t.after(() => rt.stop());
  return {
    port,
    proxySideOf: (c: net.Socket): ProxySocket | undefined => accepted.find((s) => !s.destroyed && s.remotePort === c.localPort),
  };
}

test('large responses (content-length and chunked) to slow readers while other clients run traffic', async (t) => {
  const origin = await startPatternOrigin();
  t.after(() => origin.close());
  const px = await httpProxy(t, origin);
  const bg = httpBackground(px.port, 4, 1000);
  // gated readers start once the proxy holds bytes for them in user space (its writes went
  // asynchronous): 6 MiB is more than a loopback connection's kernel buffers take
  const specs = [
    { route: 'cl', seed: 1, len: 6 * MiB, gated: true },
    { route: 'chunked', seed: 2, len: 6 * MiB, gated: true },
    { route: 'eof', seed: 5, len: 6 * MiB - 1, gated: true },
    { route: 'cl', seed: 3, len: 1.5 * MiB + 7, gated: false },
    { route: 'chunked', seed: 4, len: 3 * MiB - 5, gated: false },
  ];
  const seen = { maxQueued: 0 };
  const results = await Promise.all(
    specs.map(async (sp) => {
      const c = await httpClient(px.port, {
        slow: { every: 4, pauseMs: 2 },
        gate: sp.gated ? lateReaderGate(px.proxySideOf, seen) : undefined,
      });
      t.after(() => c.socket.destroy());
      const p = c.reader.expect({ kind: 'pattern', seed: sp.seed, len: sp.len });
      c.socket.write(`GET /${sp.route}/${sp.seed}/${sp.len} HTTP/1.1\r\nHost: big\r\nConnection: close\r\n\r\n`);
      const r = await p;
      return `${sp.route} ${sp.seed}: ${r.status}, ${r.bytes} bytes, first bad byte ${r.mismatchAt}`;
    }),
  );
  const summary = await bg.stop();
  assert.deepEqual(
    results,
    specs.map((sp) => `${sp.route} ${sp.seed}: 200, ${sp.len} bytes, first bad byte -1`),
  );
  assert.deepEqual(summary.bad, []);
  assert.ok(summary.requests > 0, 'background traffic ran');
  assert.ok(seen.maxQueued > 0, 'the proxy queued bytes towards a slow reader (asynchronous writes)');
});

test('clients that reset while the proxy holds bytes for them do not disturb the other transfers', async (t) => {
  const origin = await startPatternOrigin();
  t.after(() => origin.close());
  const px = await httpProxy(t, origin);
  const bg = httpBackground(px.port, 3, 5000);
  // resetters: wait until the proxy queued bytes for them (writes in flight from its slabs),
  // then reset; their connections close with those writes still queued
  const resets = Array.from({ length: 6 }, async (_, i) => {
    const c = await httpClient(px.port, {});
    t.after(() => c.socket.destroy());
    c.socket.pause();
    c.socket.write(`GET /cl/${60 + i}/${6 * MiB} HTTP/1.1\r\nHost: r\r\n\r\n`);
    await until(() => (px.proxySideOf(c.socket)?.writableLength ?? 0) > 0, 5000, 'bytes queued for a resetter');
    c.socket.resetAndDestroy();
  });
  const readers = [70, 71, 72].map(async (seed, i) => {
    const c = await httpClient(px.port, { slow: { every: 4, pauseMs: 1 } });
    t.after(() => c.socket.destroy());
    const len = 3 * MiB + i;
    const r = c.reader.expect({ kind: 'pattern', seed, len });
    c.socket.write(`GET /${i === 1 ? 'chunked' : 'cl'}/${seed}/${len} HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n`);
    const x = await r;
    return `${seed}: ${x.status} ${x.bytes}/${len} bad ${x.mismatchAt}`;
  });
  await Promise.all(resets);
  const got = await Promise.all(readers);
  const summary = await bg.stop();
  assert.deepEqual(got, [70, 71, 72].map((seed, i) => `${seed}: 200 ${3 * MiB + i}/${3 * MiB + i} bad -1`));
  assert.deepEqual(summary.bad, []);
});

test('24 concurrent keep-alive clients, two different patterns each, half of them slow readers', async (t) => {
  const origin = await startPatternOrigin();
  t.after(() => origin.close());
  const px = await httpProxy(t, origin);
  const sizes = [65_536, 200_000, 700_001, MiB + 1];
  const results = await Promise.all(
    Array.from({ length: 24 }, async (_, c) => {
      const conn = await httpClient(px.port, c % 2 === 0 ? { slow: { every: 3, pauseMs: 1 } } : {});
      t.after(() => conn.socket.destroy());
      const a = { seed: 100 + 2 * c, len: sizes[c % 4]! };
      const b = { seed: 101 + 2 * c, len: sizes[(c + 1) % 4]! };
      const ra = conn.reader.expect({ kind: 'pattern', ...a });
      const rb = conn.reader.expect({ kind: 'pattern', ...b });
      // pipelined: the second request waits in the proxy's buffer while the first is answered
      conn.socket.write(`GET /cl/${a.seed}/${a.len} HTTP/1.1\r\nHost: c${c}\r\n\r\nGET /chunked/${b.seed}/${b.len} HTTP/1.1\r\nHost: c${c}\r\nConnection: close\r\n\r\n`);
      const [x, y] = [await ra, await rb];
      return `client ${c}: ${x.bytes}/${a.len} bad ${x.mismatchAt}; ${y.bytes}/${b.len} bad ${y.mismatchAt}`;
    }),
  );
  assert.deepEqual(
    results,
    Array.from({ length: 24 }, (_, c) => `client ${c}: ${sizes[c % 4]}/${sizes[c % 4]} bad -1; ${sizes[(c + 1) % 4]}/${sizes[(c + 1) % 4]} bad -1`),
  );
});

test('large uploads (content-length and chunked) to an origin that reads slowly, with concurrent traffic', async (t) => {
  // the origin starts reading an upload once its client cannot write any more: the whole path is
  // full, so the proxy's writes towards the origin are queued (asynchronous) and it stopped
  // reading the client
  const { clients, backpressured, gate } = backpressureGate();
  const origin = await startPatternOrigin({ gate });
  t.after(() => origin.close());
  const px = await httpProxy(t, origin);
  const bg = httpBackground(px.port, 3, 2000);
  const LEN = 12 * MiB; // more than the kernel buffers of the path hold: the client blocks
  const uploads = [
    { seed: 31, framing: 'cl' },
    { seed: 32, framing: 'chunked' },
  ];
  const replies = await Promise.all(
    uploads.map(async (u) => {
      const conn = await httpClient(px.port);
      t.after(() => conn.socket.destroy());
      clients.set(u.seed, conn.socket);
      const reply = conn.reader.expect({ kind: 'text' });
      const body = u.framing === 'cl' ? patternOf(u.seed, LEN) : chunked(patternOf(u.seed, LEN));
      const framing = u.framing === 'cl' ? `Content-Length: ${LEN}` : 'Transfer-Encoding: chunked';
      conn.socket.write(`POST /up/${u.seed}/${LEN}/slow HTTP/1.1\r\nHost: up\r\n${framing}\r\nConnection: close\r\n\r\n`);
      await writeAll(conn.socket, body);
      const r = await reply;
      return `${u.framing}: ${r.status} ${r.text}`;
    }),
  );
  const summary = await bg.stop();
  assert.deepEqual(replies, [`cl: 200 ok ${LEN} -1`, `chunked: 200 ok ${LEN} -1`]);
  const seen = origin.uploads.map((u) => `${u.path} ${u.bytes} ${u.mismatchAt} ${u.complete}`).sort();
  assert.deepEqual(seen, [`/up/31/${LEN}/slow ${LEN} -1 true`, `/up/32/${LEN}/slow ${LEN} -1 true`]);
  assert.deepEqual([...backpressured].sort(), [31, 32], 'both uploads filled the path (the proxy queued bytes)');
  assert.deepEqual(summary.bad, []);
});

test('pipelined requests, heads and chunk-size lines in single-byte segments, with concurrent traffic', async (t) => {
  const origin = await startPatternOrigin();
  t.after(() => origin.close());
  const px = await httpProxy(t, origin);
  const bg = httpBackground(px.port, 4, 3000);
  // A: five pipelined requests in one segment; the answers' heads (and chunk-size lines) arrive
  // at the proxy byte by byte
  const a = await httpClient(px.port, { slow: { every: 2, pauseMs: 1 } });
  t.after(() => a.socket.destroy());
  const expectA = [
    { route: 'split', seed: 41, len: 70_000 },
    { route: 'cl', seed: 42, len: 200_000 },
    { route: 'chunkedsplit', seed: 43, len: 20_000 },
    { route: 'interim', seed: 47, len: 3000 },
    { route: 'split', seed: 44, len: 10 },
  ];
  const ra = expectA.map((e) => a.reader.expect({ kind: 'pattern', seed: e.seed, len: e.len }));
  a.socket.write(expectA.map((e, i) => `GET /${e.route}/${e.seed}/${e.len} HTTP/1.1\r\nHost: a\r\n${i === expectA.length - 1 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
  // B: a request head sent byte by byte
  const b = await httpClient(px.port);
  t.after(() => b.socket.destroy());
  const rb = b.reader.expect({ kind: 'pattern', seed: 45, len: 5000 });
  const sendB = dribble(b.socket, bytesOf('GET /split/45/5000 HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n'));
  // C: a chunked upload whose size lines come byte by byte, and a request head split mid-line
  const c = await httpClient(px.port);
  t.after(() => c.socket.destroy());
  const rc = c.reader.expect({ kind: 'text' });
  const sendC = (async () => {
    await dribble(c.socket, ['POST /up/46/30', '000 HTTP/1.1\r', '\nHost: c\r\nTransfer-Enc', 'oding: chunked\r\nConnection: close\r\n', '\r\n']);
    const data = patternOf(46, 30_000);
    let off = 0;
    for (const n of [1000, 1, 5000, 17, 12_000, 11_982]) {
      await dribble(c.socket, bytesOf(`${n.toString(16)}\r\n`));
      c.socket.write(data.subarray(off, off + n));
      await dribble(c.socket, ['\r', '\n']);
      off += n;
    }
    await dribble(c.socket, bytesOf('0\r\n\r\n'));
  })();
  const gotA = await Promise.all(ra);
  const [gotB, gotC] = await Promise.all([rb, rc, sendB, sendC]);
  const summary = await bg.stop();
  assert.deepEqual(
    gotA.map((r) => `${r.status} ${r.bytes} ${r.mismatchAt}`),
    expectA.map((e) => `200 ${e.len} -1`),
  );
  assert.ok(gotA[0]!.head.includes('X-Split: byte-by-byte'), gotA[0]!.head);
  assert.deepEqual(a.reader.interims, ['HTTP/1.1 100 Continue', 'HTTP/1.1 103 Early Hints']);
  assert.equal(`${gotB.status} ${gotB.bytes} ${gotB.mismatchAt}`, '200 5000 -1');
  assert.equal(`${gotC.status} ${gotC.text}`, '200 ok 30000 -1');
  assert.deepEqual(summary.bad, []);
  assert.ok(summary.requests > 0);
});

test('Upgrade tunnel: bytes sent right behind the request and a large stream down, with concurrent traffic', async (t) => {
  const origin = await startPatternOrigin();
  t.after(() => origin.close());
  const px = await httpProxy(t, origin);
  const bg = httpBackground(px.port, 3, 4000);
  const c = await httpClient(px.port, { slow: { every: 4, pauseMs: 1 } });
  t.after(() => c.socket.destroy());
  const DOWN = 2 * MiB;
  const UP = MiB;
  const down = c.reader.expect({ kind: 'upgrade', seed: 51, len: DOWN });
  const up = patternOf(52, UP);
  // the first 100 KB travel with the request, before the 101: the proxy holds them meanwhile
  c.socket.write(
    Buffer.concat([Buffer.from('GET /upgrade/51/' + DOWN + ' HTTP/1.1\r\nHost: u\r\nUpgrade: patterns\r\nConnection: Upgrade\r\n\r\n'), up.subarray(0, 100_000)]),
  );
  await writeAll(c.socket, up.subarray(100_000));
  c.socket.end();
  const r = await down;
  const summary = await bg.stop();
  assert.equal(`${r.status} ${r.bytes} ${r.mismatchAt}`, `101 ${DOWN} -1`);
  const tunnelled = origin.uploads.find((u) => u.path.startsWith('/upgrade/'));
  assert.equal(`${tunnelled?.bytes} ${tunnelled?.mismatchAt}`, `${UP} -1`);
  assert.deepEqual(summary.bad, []);
});
